// Coupons in users' wallets: issuing (a user's claim, a CRM grant, a code),
// the wallet, and checkout (evaluate, lock, redeem, release, refund), all
// race-free on both backends:
// - stock and budget are counters on the template raised by one conditional
//   UPDATE (… WHERE issued < stock AND budget_used + value <= budget);
// - per-user limits are rows in coupon_claim_counts raised by a conditional
//   upsert (… DO UPDATE SET n = n + 1 WHERE n < limit);
// - a CRM grant first rewrites the user's coupon_grant_guards row, so grants
//   to one user run one at a time while the anti-harassment rules count;
// - a coupon changes state by a conditional UPDATE on its status.
// Every step is appended to coupon_steps with its source and channel; a grant
// refused by the anti-harassment rules is appended as a `refused` step.
//
// Mutations take a store::IdempotencyKey and a renderer: the rendered answer
// is stored with the key in the same transaction (store/idempotency.h).
//
// Owns tables: coupons, coupon_claim_counts, coupon_grant_guards, coupon_steps.
// Thread-safety: safe from any thread.
// Error reasons: template_not_found, template_not_active, claim_not_open,
// coupon_stock_exhausted, coupon_budget_exhausted, daily_limit_reached,
// user_limit_reached, grant_refused (field "user_id": too_many_unused |
// granted_recently), user_not_found, coupon_not_found, coupon_not_usable,
// coupons_do_not_stack, duplicate_coupon, order_not_found, order_not_locked,
// order_already_paid, invalid_fields.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "marketing/checkout.h"
#include "marketing/templates.h"
#include "store/database.h"
#include "store/group_commit.h"
#include "store/idempotency.h"

namespace shopcrm::marketing {

namespace internal {
class TermsCache;
}  // namespace internal

struct CouponsOptions {
  // Anti-harassment, CRM grants only: a user holds at most this many valid,
  // unused CRM-granted coupons (0 = no limit) …
  int64_t max_unused_crm = 10;
  // … and receives a template by grant at most once in this many days (0 = no limit).
  int64_t grant_repeat_days = 7;
  // Claims and code redemptions from concurrent requests share transactions
  // (store/group_commit.h): one durable commit per batch. CRM grants and
  // checkout steps always run in their own transaction.
  bool group_commit = true;
  int group_commit_batch = 256;  // claims per shared transaction at most
  int group_commit_writers = 1;  // committing threads; more suit PostgreSQL
  core::Status Validate() const;
};

// kBenefit: a member's entitlement (membership/benefit_grants.h); like a
// claim, anti-harassment rules do not apply.
enum class Source { kSelf, kCrm, kCode, kBenefit };
std::string_view SourceName(Source s);  // self | crm | code | benefit

// Whether `e` refuses one issue (an archived template, no stock or budget left,
// a closed window, a user limit, an unknown user or template): a bulk grant
// or an entitlement records it and goes on to the next member.
bool IsRefusal(const core::Error& e);

struct IssueRequest {
  int64_t template_id = 0;
  int64_t user_id = 0;
  Source source = Source::kSelf;
  std::string source_ref;  // operator, play, code batch, grant job
  std::string channel;     // where it happened: app, mini_program, sms, …
};

struct Coupon {
  int64_t id = 0;
  int64_t template_id = 0;
  int64_t version = 0;
  std::string name;  // the template's current name
  int64_t user_id = 0;
  Terms terms;  // of `version`
  int64_t face_value = 0;
  std::string status;  // unused | locked | used | expired
  std::string source, source_ref, channel;
  core::Instant valid_from{}, valid_until{}, issued_at{};
  std::optional<std::string> order_id;
  int64_t discount = 0, platform_part = 0, store_part = 0;  // set while locked / used
};

// The coupons of one order after a checkout step.
struct OrderCoupons {
  std::string order_id;
  std::vector<Coupon> coupons;
  std::optional<Pricing> pricing;  // set by Lock
};

struct WalletEvaluation {
  std::vector<Coupon>
      coupons;  // the wallet (unused coupons first), same order as `evaluation.coupons`
  Evaluation evaluation;
};

template <typename T>
using Render = std::function<std::string(const T&)>;

class Coupons final {
 public:
  // `tz` decides the business day of the per-day limit.
  Coupons(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
          core::BusinessTimeZone tz, CouponsOptions options);
  ~Coupons();

  // A claim (source self), a grant (crm; anti-harassment applies) or a code
  // redemption puts one coupon in the wallet.
  core::Result<store::Answer> Issue(const IssueRequest& r, const store::IdempotencyKey& key,
                                    const Render<Coupon>& render);
  // Whether claims can be submitted without waiting (IssueLater): group commit is on.
  bool submits() const { return group_ != nullptr; }
  using Answered = std::function<void(core::Result<store::Answer>)>;
  // Issue for a caller that must not wait; needs submits() and a source other
  // than crm. `done` gets the answer on the group committer's thread once
  // the shared transaction is durable, and must not block.
  void IssueLater(IssueRequest r, store::IdempotencyKey key, Render<Coupon> render, Answered done);
  // Redeems one code of a code batch for `user_id` (each code once).
  core::Result<store::Answer> RedeemCode(std::string_view code, int64_t user_id,
                                         std::string_view channel, const store::IdempotencyKey& key,
                                         const Render<Coupon>& render);
  // RedeemCode for a caller that must not wait, as IssueLater (needs submits()).
  void RedeemCodeLater(std::string code, int64_t user_id, std::string channel,
                       store::IdempotencyKey key, Render<Coupon> render, Answered done);

  // The user's coupons, newest first; `status` filters. Coupons past their use
  // window are marked expired as they are read.
  core::Result<std::vector<Coupon>> Wallet(int64_t user_id, std::optional<std::string> status);
  core::Result<Coupon> Get(int64_t coupon_id);

  // Every coupon of the wallet judged against the cart, and the best combination.
  core::Result<WalletEvaluation> Evaluate(int64_t user_id, const Cart& cart);

  // Order placed: locks `coupon_ids` for `order_id` at the prices Price()
  // gives. Locking the same coupons for the same order again is a no-op.
  core::Result<store::Answer> Lock(int64_t user_id, std::string_view order_id, const Cart& cart,
                                   const std::vector<int64_t>& coupon_ids,
                                   const store::IdempotencyKey& key,
                                   const Render<OrderCoupons>& render);
  // Order paid: its locked coupons become used.
  core::Result<store::Answer> Redeem(std::string_view order_id, const store::IdempotencyKey& key,
                                     const Render<OrderCoupons>& render);
  // Order cancelled before payment: its locked coupons are unused again (or
  // expired when past their window).
  core::Result<store::Answer> Release(std::string_view order_id, const store::IdempotencyKey& key,
                                      const Render<OrderCoupons>& render);
  // Order refunded: used coupons come back when their template says so and
  // they are still valid; the subsidy is reversed in coupon_steps either way.
  core::Result<store::Answer> Refund(std::string_view order_id, const store::IdempotencyKey& key,
                                     const Render<OrderCoupons>& render);

  // Marks unused coupons past their window expired; returns how many.
  core::Result<int64_t> SweepExpired();

  // Issues one coupon inside the caller's write transaction (bulk grants).
  // `tmpl`, when given, is the template as loaded in this transaction, saving
  // a read per coupon; its counters are not relied on. On a refusal the
  // caller must roll back (a savepoint) what this call wrote.
  core::Result<Coupon> IssueIn(store::Session& s, const IssueRequest& r, core::Instant now,
                               const CouponTemplate* tmpl = nullptr);
  // IssueIn inside a savepoint: a refusal (IsRefusal) is rolled back and
  // returned as `refusal` rather than failing the caller's transaction.
  struct Attempt {
    std::optional<Coupon> coupon;
    std::string refusal;  // the reason, when refused
  };
  core::Result<Attempt> TryIssueIn(store::Session& s, const IssueRequest& r, core::Instant now);
  // Records a refused CRM grant (a `refused` step with its reason).
  core::Status RecordRefusal(store::Session& s, const IssueRequest& r, std::string_view reason,
                             core::Instant now);

 private:
  // Runs `work` once per idempotency key: in a shared transaction when group
  // commit is on, else in its own.
  using Work = std::function<core::Result<std::string>(store::Session&, core::Instant)>;
  core::Result<store::Answer> RunOnce(const store::IdempotencyKey& key, bool shareable,
                                      const Work& work);
  // RunOnce's shared transaction, without waiting: `done` gets the answer.
  void SubmitOnce(store::IdempotencyKey key, Work work, Answered done);
  // A code redemption's work, owning what it reads.
  Work RedeemWork(std::string code, int64_t user_id, std::string channel, Render<Coupon> render);
  core::Result<OrderCoupons> OrderStep(store::Session& s, std::string_view order_id,
                                       std::string_view step);

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  core::BusinessTimeZone tz_;
  CouponsOptions options_;
  std::unique_ptr<internal::TermsCache> terms_cache_;
  std::unique_ptr<store::GroupCommitter> group_;  // set when options_.group_commit; stops first
};

}  // namespace shopcrm::marketing
