// Stored value (储值): members pay money in (recharge, with a plan's bonus),
// pay for orders from the balance, and get refunds back to it.
//
// Rules (docs/membership.md has them for integrators):
// - The balance is principal (money paid in) plus bonus (given by a plan).
//   Neither part ever goes below zero, under any concurrency: every debit is
//   a guarded update (`… WHERE principal >= ? AND bonus >= ?`), retried when
//   a concurrent change moved the balance, and the columns carry CHECKs.
// - A payment takes principal first, then bonus.
// - A refund of an order returns at most what the order paid, to the parts
//   it was paid from: bonus first (what the order took of it), then principal.
// - A refund of a recharge (by its payment reference) takes back its whole
//   principal, refused while the member holds less principal than that, and
//   the bonus it gave, or what is left of that bonus.
// - Each change appends an entry with both parts' changes and both balances
//   after it; the balances always equal the sums of the entries.
//
// Owns tables: stored_value_plans, stored_value_accounts, stored_value_entries.
// Thread-safety: safe from any thread. Error reasons: invalid_fields,
// user_not_found, plan_not_found, plan_not_active, insufficient_balance,
// refund_exceeds_payment, order_not_paid, recharge_not_found,
// recharge_already_refunded, recharge_spent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "store/database.h"

namespace shopcrm::membership {

struct RechargePlan {
  int64_t id = 0;
  std::string name;
  int64_t pay = 0;     // minor units the member pays
  int64_t bonus = 0;   // minor units added as bonus
  std::string status;  // active | archived
  core::Instant created_at, updated_at;
};

struct RechargePlanSpec {
  std::string name;
  int64_t pay = 0;
  int64_t bonus = 0;
};

struct StoredValueAccount {
  int64_t user_id = 0;
  int64_t principal = 0;
  int64_t bonus = 0;
  int64_t balance() const { return principal + bonus; }
};

struct StoredValueEntry {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind;  // recharge | pay | refund | recharge_refund
  int64_t principal_change = 0;
  int64_t bonus_change = 0;
  int64_t principal_after = 0;
  int64_t bonus_after = 0;
  std::string order_id;
  std::string payment_ref;
  std::optional<int64_t> plan_id;
  std::string reason;
  core::Instant at;
};

struct RechargeRequest {
  int64_t user_id = 0;
  std::optional<int64_t> plan_id;  // its pay and bonus; or `amount` with no bonus
  int64_t amount = 0;
  std::string payment_ref;  // the mall's payment; required, one recharge each
};

struct StoredValueChange {
  StoredValueEntry entry;
  StoredValueAccount account;
};

class StoredValue final {
 public:
  StoredValue(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
              const audit::AuditLog& audit);

  core::Result<std::vector<RechargePlan>> Plans();
  core::Result<RechargePlan> CreatePlan(const RechargePlanSpec& spec, const audit::Actor& actor);
  // status: active | archived.
  core::Result<RechargePlan> SetPlanStatus(int64_t id, const std::string& status,
                                           const audit::Actor& actor);

  core::Result<StoredValueChange> Recharge(const RechargeRequest& r);
  core::Result<StoredValueChange> Pay(int64_t user_id, int64_t amount, const std::string& order_id);
  core::Result<StoredValueChange> Refund(int64_t user_id, int64_t amount,
                                         const std::string& order_id, const std::string& reason);
  core::Result<StoredValueChange> RefundRecharge(int64_t user_id, const std::string& payment_ref,
                                                 const std::string& reason);

  // The same inside a caller's write transaction (an idempotency key's).
  core::Result<StoredValueChange> RechargeIn(store::Session& s, const RechargeRequest& r);
  core::Result<StoredValueChange> PayIn(store::Session& s, int64_t user_id, int64_t amount,
                                        const std::string& order_id);
  core::Result<StoredValueChange> RefundIn(store::Session& s, int64_t user_id, int64_t amount,
                                           const std::string& order_id, const std::string& reason);
  core::Result<StoredValueChange> RefundRechargeIn(store::Session& s, int64_t user_id,
                                                   const std::string& payment_ref,
                                                   const std::string& reason);

  core::Result<StoredValueAccount> Account(int64_t user_id);
  // Newest first; entries with id < `before` when set.
  core::Result<std::vector<StoredValueEntry>> Entries(int64_t user_id,
                                                      std::optional<int64_t> before, int limit);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::membership
