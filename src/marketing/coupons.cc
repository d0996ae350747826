#include "marketing/coupons.h"

#include <future>
#include <memory>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <set>

#include "marketing/internal/terms_codec.h"

namespace shopcrm::marketing {
namespace {

using store::Row;
using store::Session;
using store::Value;

constexpr std::string_view kCouponSelect =
    "SELECT c.id, c.template_id, c.version, t.name, c.user_id, v.terms, c.face_value, c.status, "
    "c.source, c.source_ref, c.channel, c.valid_from, c.valid_until, c.issued_at, c.order_id, "
    "c.discount, c.platform_part, c.store_part FROM coupons c "
    "JOIN coupon_templates t ON t.id = c.template_id "
    "JOIN coupon_template_versions v ON v.template_id = c.template_id AND v.version = c.version";

core::Result<std::vector<Coupon>> QueryCoupons(Session& s, internal::TermsCache& cache,
                                               std::string_view where,
                                               std::span<const Value> params) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                           s.Query(std::string(kCouponSelect) + " " + std::string(where), params));
  std::vector<Coupon> out;
  out.reserve(rows.size());
  for (const auto& r : rows.rows) {
    Coupon c;
    c.id = r.Int(0);
    c.template_id = r.Int(1);
    c.version = r.Int(2);
    c.name = r.Text(3);
    c.user_id = r.Int(4);
    SHOPCRM_ASSIGN_OR_RETURN(c.terms, cache.Decode(r.Text(5)));
    c.face_value = r.Int(6);
    c.status = r.Text(7);
    c.source = r.Text(8);
    c.source_ref = r.Text(9);
    c.channel = r.Text(10);
    c.valid_from = core::FromUnixMicros(r.Int(11));
    c.valid_until = core::FromUnixMicros(r.Int(12));
    c.issued_at = core::FromUnixMicros(r.Int(13));
    c.order_id = r.OptionalText(14);
    c.discount = r.Int(15);
    c.platform_part = r.Int(16);
    c.store_part = r.Int(17);
    out.push_back(std::move(c));
  }
  return out;
}

core::Result<std::vector<Coupon>> QueryCoupons(Session& s, internal::TermsCache& cache,
                                               std::string_view where,
                                               std::initializer_list<Value> params) {
  return QueryCoupons(s, cache, where, std::span<const Value>(params.begin(), params.size()));
}

struct Step {
  int64_t coupon_id = 0;  // 0: none (a refused grant)
  int64_t template_id = 0;
  int64_t user_id = 0;
  std::string_view step;
  std::string reason;
  std::string source, source_ref, channel;
  std::optional<std::string> order_id;
  int64_t amount = 0, platform_part = 0, store_part = 0;
};

core::Status AppendStep(Session& s, core::IdGenerator& ids, const Step& st, int64_t now) {
  return s
      .Execute(
          "INSERT INTO coupon_steps (id, coupon_id, template_id, user_id, step, reason, "
          "source, source_ref, channel, order_id, amount, platform_part, store_part, at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {ids.Next(), st.coupon_id == 0 ? store::Null() : Value(st.coupon_id), st.template_id,
           st.user_id, std::string(st.step), st.reason, st.source, st.source_ref, st.channel,
           store::OrNull(st.order_id), st.amount, st.platform_part, st.store_part, now})
      .status();
}

Step StepOf(const Coupon& c, std::string_view step) {
  return {c.id,       c.template_id, c.user_id,       step,
          "",         c.source,      c.source_ref,    c.channel,
          c.order_id, c.discount,    c.platform_part, c.store_part};
}

core::Error Refused(std::string_view reason, std::string detail) {
  return core::Error(core::ErrorCode::kFailedPrecondition, "grant_refused", detail,
                     {{"user_id", std::string(reason), detail}});
}

int64_t DrawRandom(const Terms& t) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double x = u(rng);
  if (t.distribution == Distribution::kLowSkew) x = x * x;
  const double span = static_cast<double>(t.random_max - t.random_min);
  return std::min(t.random_max, t.random_min + static_cast<int64_t>(std::floor(x * (span + 1))));
}

// A coupon as checkout sees it: a refunded coupon is spent.
WalletCoupon ForCheckout(const Coupon& c) {
  return {c.id,
          c.template_id,
          c.terms,
          c.face_value,
          c.valid_from,
          c.valid_until,
          c.status == "refunded" ? std::string("used") : c.status};
}

// Marks the given user's (or everyone's, user 0) unused coupons past their
// window expired, with a step each. Returns how many.
core::Result<int64_t> ExpireIn(Session& s, internal::TermsCache& cache, core::IdGenerator& ids,
                               int64_t user_id, int64_t now, int limit) {
  std::vector<Value> params;
  std::string where = "WHERE c.status = 'unused' AND c.valid_until <= ?";
  params.emplace_back(now);
  if (user_id != 0) {
    where += " AND c.user_id = ?";
    params.emplace_back(user_id);
  }
  where += " ORDER BY c.id LIMIT " + std::to_string(limit);
  SHOPCRM_ASSIGN_OR_RETURN(auto due, QueryCoupons(s, cache, where, params));
  int64_t n = 0;
  for (const auto& c : due) {
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t changed,
        s.Execute("UPDATE coupons SET status = 'expired', updated_at = ? WHERE id = ? AND status "
                  "= 'unused'",
                  {now, c.id}));
    if (changed == 0) continue;
    ++n;
    Step st = StepOf(c, "expired");
    st.amount = st.platform_part = st.store_part = 0;
    SHOPCRM_RETURN_IF_ERROR(AppendStep(s, ids, st, now));
  }
  return n;
}

}  // namespace

bool IsRefusal(const core::Error& e) {
  return e.code() == core::ErrorCode::kFailedPrecondition ||
         e.code() == core::ErrorCode::kNotFound || e.code() == core::ErrorCode::kConflict;
}

std::string_view SourceName(Source s) {
  switch (s) {
    case Source::kSelf:
      return "self";
    case Source::kCrm:
      return "crm";
    case Source::kCode:
      return "code";
    case Source::kBenefit:
      return "benefit";
  }
  return "self";
}

core::Status CouponsOptions::Validate() const {
  std::vector<core::FieldError> errors;
  if (group_commit_batch < 1 || group_commit_batch > 10000) {
    errors.push_back({"coupons.group_commit_batch", "out_of_range", "must be 1 to 10000"});
  }
  if (group_commit_writers < 1 || group_commit_writers > 64) {
    errors.push_back({"coupons.group_commit_writers", "out_of_range", "must be 1 to 64"});
  }
  if (max_unused_crm < 0 || max_unused_crm > 1000) {
    errors.push_back({"coupons.max_unused_crm", "out_of_range", "must be 0 to 1000"});
  }
  if (grant_repeat_days < 0 || grant_repeat_days > 3650) {
    errors.push_back({"coupons.grant_repeat_days", "out_of_range", "must be 0 to 3650"});
  }
  if (!errors.empty()) return core::InvalidFields("invalid_config", std::move(errors));
  return core::Status::Ok();
}

Coupons::Coupons(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
                 core::BusinessTimeZone tz, CouponsOptions options)
    : db_(db),
      clock_(clock),
      ids_(ids),
      tz_(std::move(tz)),
      options_(options),
      terms_cache_(std::make_unique<internal::TermsCache>()) {
  if (options_.group_commit) {
    group_ = std::make_unique<store::GroupCommitter>(
        db_, store::GroupCommitOptions{options_.group_commit_batch, options_.group_commit_writers});
  }
}

Coupons::~Coupons() = default;

namespace {

// Waits for an answer that `start` hands to the callback it is given.
core::Result<store::Answer> Await(const std::function<void(Coupons::Answered)>& start) {
  auto answer = std::make_shared<std::promise<core::Result<store::Answer>>>();
  auto result = answer->get_future();
  start([answer](core::Result<store::Answer> a) { answer->set_value(std::move(a)); });
  return result.get();
}

}  // namespace

core::Result<store::Answer> Coupons::RunOnce(const store::IdempotencyKey& key, bool shareable,
                                             const Work& work) {
  if (!shareable || !group_) {
    const core::Instant now = clock_.Now();
    return store::TransactOnce(db_, key, core::ToUnixMicros(now),
                               [&](Session& s) { return work(s, now); });
  }
  return Await([&](Answered done) { SubmitOnce(key, work, std::move(done)); });
}

void Coupons::SubmitOnce(store::IdempotencyKey key, Work work, Answered done) {
  auto replayed = std::make_shared<bool>(false);
  group_->Submit(
      [this, key = std::move(key), work = std::move(work),
       replayed](Session& s) -> core::Result<std::string> {
        const core::Instant now = clock_.Now();
        SHOPCRM_ASSIGN_OR_RETURN(auto a,
                                 store::AnswerOnce(s, key, core::ToUnixMicros(now),
                                                   [&](Session& ss) { return work(ss, now); }));
        *replayed = a.replayed;
        return std::move(a.body);
      },
      [replayed, done = std::move(done)](core::Result<std::string> body) {
        if (!body.ok()) return done(std::move(body).error());
        done(store::Answer{std::move(body).value(), *replayed});
      });
}

core::Status Coupons::RecordRefusal(Session& s, const IssueRequest& r, std::string_view reason,
                                    core::Instant now) {
  Step st{0,
          r.template_id,
          r.user_id,
          "refused",
          std::string(reason),
          std::string(SourceName(r.source)),
          r.source_ref,
          r.channel,
          std::nullopt,
          0,
          0,
          0};
  return AppendStep(s, ids_, st, core::ToUnixMicros(now));
}

core::Result<Coupons::Attempt> Coupons::TryIssueIn(Session& s, const IssueRequest& r,
                                                   core::Instant now) {
  SHOPCRM_RETURN_IF_ERROR(s.Execute("SAVEPOINT try_issue").status());
  auto issued = IssueIn(s, r, now);
  Attempt out;
  if (issued.ok()) {
    out.coupon = std::move(issued).value();
    SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT try_issue").status());
    return out;
  }
  if (!IsRefusal(issued.error())) return std::move(issued).error();
  out.refusal = issued.error().reason();
  SHOPCRM_RETURN_IF_ERROR(s.Execute("ROLLBACK TO SAVEPOINT try_issue").status());
  SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT try_issue").status());
  return out;
}

core::Result<Coupon> Coupons::IssueIn(Session& s, const IssueRequest& r, core::Instant now_t,
                                      const CouponTemplate* tmpl) {
  const int64_t now = core::ToUnixMicros(now_t);
  std::optional<CouponTemplate> loaded;
  if (tmpl == nullptr) {
    SHOPCRM_ASSIGN_OR_RETURN(loaded, Templates::Load(s, r.template_id, terms_cache_.get()));
    tmpl = &*loaded;
  }
  const CouponTemplate& t = *tmpl;
  if (t.status != "active") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "template_not_active",
                       "the coupon template is " + t.status);
  }
  const auto& v = t.validity;
  if ((v.claim_start && now_t < *v.claim_start) || (v.claim_end && now_t >= *v.claim_end)) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "claim_not_open",
                       "the coupon cannot be claimed at this time");
  }
  core::Instant valid_from = now_t, valid_until = now_t;
  if (v.use_days) {
    valid_until = now_t + std::chrono::hours(24 * *v.use_days);
  } else {
    valid_from = *v.use_start;
    valid_until = *v.use_end;
  }
  if (valid_until <= now_t) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "claim_not_open",
                       "the coupon's use window has ended");
  }

  if (r.source == Source::kCrm) {
    // Rewriting the guard row first serialises grants to this user (a row
    // lock on PostgreSQL; SQLite writers are serial anyway).
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO coupon_grant_guards (user_id, granted_at) VALUES (?, ?) ON "
                  "CONFLICT (user_id) DO UPDATE SET granted_at = excluded.granted_at",
                  {r.user_id, now})
            .status());
    if (options_.max_unused_crm > 0) {
      SHOPCRM_ASSIGN_OR_RETURN(
          Row n, s.QueryOne("SELECT COUNT(*) FROM coupons WHERE user_id = ? AND source = 'crm' "
                            "AND status = 'unused' AND valid_until > ?",
                            {r.user_id, now}, "count_failed", "count"));
      if (n.Int(0) >= options_.max_unused_crm) {
        return Refused("too_many_unused", "the user already holds " + std::to_string(n.Int(0)) +
                                              " unused CRM coupons (at most " +
                                              std::to_string(options_.max_unused_crm) + ")");
      }
    }
    if (options_.grant_repeat_days > 0) {
      const int64_t since = now - options_.grant_repeat_days * 24 * int64_t{3600} * 1'000'000;
      SHOPCRM_ASSIGN_OR_RETURN(
          // A user's coupons, through (user_id, status, valid_until): the unary
          // plus keeps SQLite from walking the template's every coupon through
          // (template_id, status) instead, which made bulk grants quadratic.
          auto recent, s.Query("SELECT 1 FROM coupons WHERE user_id = ? AND +template_id = ? AND "
                               "source = 'crm' AND issued_at > ? LIMIT 1",
                               {r.user_id, r.template_id, since}));
      if (!recent.empty()) {
        return Refused("granted_recently", "the user was granted this coupon within the last " +
                                               std::to_string(options_.grant_repeat_days) +
                                               " days");
      }
    }
  }

  // Stock and budget first: in a sold-out flash sale the refusal then costs
  // one statement. Every step below rolls back with the claim when a later one refuses.
  // Face value, and what it costs the budget.
  int64_t face = 0;
  int64_t cost = 0;
  switch (t.terms.kind) {
    case CouponKind::kThreshold:
    case CouponKind::kRedPacket:
      face = cost = t.terms.discount;
      break;
    case CouponKind::kRandomPacket:
      face = cost = DrawRandom(t.terms);
      break;
    case CouponKind::kPercent:
    case CouponKind::kFreeShipping:
      cost = t.terms.discount;
      break;
  }
  for (int attempt = 0;; ++attempt) {
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t changed,
        s.Execute("UPDATE coupon_templates SET issued = issued + 1, budget_used = budget_used + ? "
                  "WHERE id = ? AND (stock IS NULL OR issued < stock) AND (budget IS NULL OR "
                  "budget_used + ? <= budget)",
                  {cost, r.template_id, cost}));
    if (changed == 1) break;
    SHOPCRM_ASSIGN_OR_RETURN(
        Row c, s.QueryOne("SELECT stock, issued, budget, budget_used FROM coupon_templates WHERE "
                          "id = ?",
                          {r.template_id}, "template_not_found", "no such coupon template"));
    if (!c.IsNull(0) && c.Int(1) >= c.Int(0)) {
      return core::Error(core::ErrorCode::kFailedPrecondition, "coupon_stock_exhausted",
                         "no coupons of this template are left");
    }
    const int64_t left = c.IsNull(2) ? 0 : c.Int(2) - c.Int(3);
    // A random packet takes what is left of the budget when that is still in its range.
    if (t.terms.kind == CouponKind::kRandomPacket && left >= t.terms.random_min && attempt < 3) {
      face = cost = std::min(face, left);
      continue;
    }
    return core::Error(core::ErrorCode::kFailedPrecondition, "coupon_budget_exhausted",
                       "the template's budget is spent");
  }

  auto raise = [&](const std::string& period, int64_t limit) -> core::Result<bool> {
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t changed,
        s.Execute("INSERT INTO coupon_claim_counts (template_id, user_id, period, n) VALUES (?, "
                  "?, ?, 1) ON CONFLICT (template_id, user_id, period) DO UPDATE SET n = "
                  "coupon_claim_counts.n + 1 WHERE coupon_claim_counts.n < ?",
                  {r.template_id, r.user_id, period, limit}));
    return changed == 1;
  };
  if (t.limits.per_user_total) {
    SHOPCRM_ASSIGN_OR_RETURN(bool ok, raise("total", *t.limits.per_user_total));
    if (!ok) {
      return core::Error(core::ErrorCode::kFailedPrecondition, "user_limit_reached",
                         "the user has received this coupon the most times allowed");
    }
  }
  if (t.limits.per_user_daily) {
    SHOPCRM_ASSIGN_OR_RETURN(bool ok,
                             raise(core::FormatDate(tz_.DateOf(now_t)), *t.limits.per_user_daily));
    if (!ok) {
      return core::Error(core::ErrorCode::kFailedPrecondition, "daily_limit_reached",
                         "the user has received this coupon the most times allowed today");
    }
  }

  Coupon c;
  c.id = ids_.Next();
  c.template_id = t.id;
  c.version = t.version;
  c.name = t.name;
  c.user_id = r.user_id;
  c.terms = t.terms;
  c.face_value = face;
  c.status = "unused";
  c.source = std::string(SourceName(r.source));
  c.source_ref = r.source_ref;
  c.channel = r.channel;
  c.valid_from = valid_from;
  c.valid_until = valid_until;
  c.issued_at = now_t;
  auto inserted = s.Execute(
      "INSERT INTO coupons (id, template_id, version, user_id, face_value, status, source, "
      "source_ref, channel, valid_from, valid_until, issued_at, updated_at) VALUES (?, ?, ?, ?, "
      "?, 'unused', ?, ?, ?, ?, ?, ?, ?)",
      {c.id, c.template_id, c.version, c.user_id, c.face_value, c.source, c.source_ref, c.channel,
       core::ToUnixMicros(valid_from), core::ToUnixMicros(valid_until), now, now});
  if (!inserted.ok()) {
    if (inserted.error().reason() == "constraint_violation") {
      return core::NotFound("user_not_found", "no user with id " + std::to_string(r.user_id));
    }
    return std::move(inserted).error();
  }
  Step st = StepOf(c, r.source == Source::kSelf ? "claimed" : "issued");
  st.amount = face;
  SHOPCRM_RETURN_IF_ERROR(AppendStep(s, ids_, st, now));
  return c;
}

void Coupons::IssueLater(IssueRequest r, store::IdempotencyKey key, Render<Coupon> render,
                         Answered done) {
  // Without a key nothing is stored, so the answer is rendered after the
  // commit, on the committer's flushing thread, rather than by the writer.
  const bool keyed = !key.key.empty();
  auto made = std::make_shared<std::optional<Coupon>>();
  Work work = [this, r = std::move(r), keyed, render, made](
                  Session& s, core::Instant now) -> core::Result<std::string> {
    made->reset();  // the whole transaction may run again
    SHOPCRM_ASSIGN_OR_RETURN(Coupon c, IssueIn(s, r, now));
    if (keyed) return render(c);
    *made = std::move(c);
    return std::string();
  };
  SubmitOnce(std::move(key), std::move(work),
             [made, render, done = std::move(done)](core::Result<store::Answer> answer) {
               if (answer.ok() && *made) answer->body = render(**made);
               done(std::move(answer));
             });
}

core::Result<store::Answer> Coupons::Issue(const IssueRequest& r, const store::IdempotencyKey& key,
                                           const Render<Coupon>& render) {
  if (r.source != Source::kCrm && group_) {
    return Await([&](Answered done) { IssueLater(r, key, render, std::move(done)); });
  }
  const core::Instant now = clock_.Now();
  std::optional<Coupon> made;
  auto answer = RunOnce(key, false, [&](Session& s, core::Instant at) -> core::Result<std::string> {
    SHOPCRM_ASSIGN_OR_RETURN(Coupon c, IssueIn(s, r, at));
    if (!key.key.empty()) return render(c);
    made = std::move(c);
    return std::string();
  });
  if (answer.ok() && made) answer->body = render(*made);
  if (!answer.ok() && answer.error().reason() == "grant_refused") {
    // The refusal is recorded even though the grant rolled back.
    const std::string reason = answer.error().fields().empty() ? std::string("refused")
                                                               : answer.error().fields()[0].reason;
    auto logged = db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
      return RecordRefusal(s, r, reason, now);
    });
    if (!logged.ok()) return std::move(logged).error();
  }
  return answer;
}

Coupons::Work Coupons::RedeemWork(std::string code, int64_t user_id, std::string channel,
                                  Render<Coupon> render) {
  return [this, code = std::move(code), user_id, channel = std::move(channel),
          render = std::move(render)](Session& s, core::Instant now) -> core::Result<std::string> {
    SHOPCRM_ASSIGN_OR_RETURN(
        Row row, s.QueryOne("SELECT batch_id, template_id, user_id FROM coupon_codes WHERE "
                            "code = ?",
                            {code}, "code_not_found", "no such coupon code"));
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t taken,
        s.Execute("UPDATE coupon_codes SET user_id = ?, redeemed_at = ? WHERE code = ? AND "
                  "user_id IS NULL",
                  {user_id, core::ToUnixMicros(now), code}));
    if (taken == 0) {
      return core::Conflict("code_already_redeemed", "this code has been redeemed");
    }
    IssueRequest r{row.Int(1), user_id, Source::kCode, std::to_string(row.Int(0)), channel};
    SHOPCRM_ASSIGN_OR_RETURN(Coupon c, IssueIn(s, r, now));
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE coupon_codes SET coupon_id = ? WHERE code = ?", {c.id, code}).status());
    return render(c);
  };
}

core::Result<store::Answer> Coupons::RedeemCode(std::string_view code, int64_t user_id,
                                                std::string_view channel,
                                                const store::IdempotencyKey& key,
                                                const Render<Coupon>& render) {
  return RunOnce(key, true, RedeemWork(std::string(code), user_id, std::string(channel), render));
}

void Coupons::RedeemCodeLater(std::string code, int64_t user_id, std::string channel,
                              store::IdempotencyKey key, Render<Coupon> render, Answered done) {
  SubmitOnce(std::move(key),
             RedeemWork(std::move(code), user_id, std::move(channel), std::move(render)),
             std::move(done));
}

core::Result<std::vector<Coupon>> Coupons::Wallet(int64_t user_id,
                                                  std::optional<std::string> status) {
  const int64_t now = core::ToUnixMicros(clock_.Now());
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    return ExpireIn(s, *terms_cache_, ids_, user_id, now, 1000).status();
  }));
  return store::TransactFor<std::vector<Coupon>>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<std::vector<Coupon>> {
        if (status) {
          return QueryCoupons(s, *terms_cache_,
                              "WHERE c.user_id = ? AND c.status = ? ORDER BY c.id DESC",
                              {user_id, *status});
        }
        return QueryCoupons(s, *terms_cache_, "WHERE c.user_id = ? ORDER BY c.id DESC", {user_id});
      });
}

core::Result<Coupon> Coupons::Get(int64_t coupon_id) {
  return store::TransactFor<Coupon>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<Coupon> {
        SHOPCRM_ASSIGN_OR_RETURN(auto found,
                                 QueryCoupons(s, *terms_cache_, "WHERE c.id = ?", {coupon_id}));
        if (found.empty()) {
          return core::NotFound("coupon_not_found",
                                "no coupon with id " + std::to_string(coupon_id));
        }
        return std::move(found[0]);
      });
}

core::Result<WalletEvaluation> Coupons::Evaluate(int64_t user_id, const Cart& cart) {
  SHOPCRM_RETURN_IF_ERROR(ValidateCart(cart));
  const core::Instant now = clock_.Now();
  WalletEvaluation out;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kRead, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        out.coupons, QueryCoupons(s, *terms_cache_,
                                  "WHERE c.user_id = ? AND c.status IN ('unused', 'locked') "
                                  "ORDER BY c.valid_until, c.id",
                                  {user_id}));
    return core::Status::Ok();
  }));
  // Unused coupons first, each group by expiry.
  std::stable_partition(out.coupons.begin(), out.coupons.end(),
                        [](const Coupon& c) { return c.status == "unused"; });
  std::vector<WalletCoupon> wallet;
  wallet.reserve(out.coupons.size());
  for (const auto& c : out.coupons) wallet.push_back(ForCheckout(c));
  out.evaluation = marketing::Evaluate(cart, wallet, now);
  return out;
}

core::Result<store::Answer> Coupons::Lock(int64_t user_id, std::string_view order_id,
                                          const Cart& cart, const std::vector<int64_t>& coupon_ids,
                                          const store::IdempotencyKey& key,
                                          const Render<OrderCoupons>& render) {
  SHOPCRM_RETURN_IF_ERROR(ValidateCart(cart));
  if (order_id.empty() || order_id.size() > 64) {
    return core::InvalidFields("invalid_fields",
                               {{"order_id", "invalid_length", "must be 1 to 64 bytes"}});
  }
  if (coupon_ids.empty() || coupon_ids.size() > 20) {
    return core::InvalidFields("invalid_fields",
                               {{"coupon_ids", "invalid_length", "lock 1 to 20 coupons"}});
  }
  const core::Instant now = clock_.Now();
  const int64_t now_us = core::ToUnixMicros(now);
  const std::string order(order_id);
  return store::TransactOnce(db_, key, now_us, [&](Session& s) -> core::Result<std::string> {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto held, QueryCoupons(s, *terms_cache_, "WHERE c.order_id = ? ORDER BY c.id", {order}));
    std::set<int64_t> chosen(coupon_ids.begin(), coupon_ids.end());
    for (const auto& c : held) {
      if (c.status != "locked" || !chosen.contains(c.id)) {
        return core::Conflict("order_already_locked",
                              "the order already holds other coupons; release it first");
      }
    }
    // Only the chosen coupons of this user: a long wallet history is not read.
    // An id that is not among them is coupon_not_found, as Price reports it.
    std::string where = "WHERE c.user_id = ? AND c.id IN (";
    std::vector<Value> params{user_id};
    for (size_t i = 0; i < coupon_ids.size(); ++i) {
      where += i == 0 ? "?" : ", ?";
      params.emplace_back(coupon_ids[i]);
    }
    where += ") ORDER BY c.id";
    SHOPCRM_ASSIGN_OR_RETURN(auto mine, QueryCoupons(s, *terms_cache_, where, params));
    std::vector<WalletCoupon> wallet;
    for (const auto& c : mine) {
      WalletCoupon w = ForCheckout(c);
      // Locking again for the same order prices the coupon as it was.
      if (c.status == "locked" && c.order_id == order) w.status = "unused";
      wallet.push_back(std::move(w));
    }
    SHOPCRM_ASSIGN_OR_RETURN(Pricing pricing, Price(cart, wallet, coupon_ids, now));
    OrderCoupons result{order, {}, pricing};
    for (const auto& applied : pricing.applied) {
      auto it = std::find_if(mine.begin(), mine.end(),
                             [&](const Coupon& c) { return c.id == applied.coupon_id; });
      Coupon c = *it;
      if (!(c.status == "locked" && c.order_id == order)) {
        SHOPCRM_ASSIGN_OR_RETURN(
            int64_t changed,
            s.Execute("UPDATE coupons SET status = 'locked', order_id = ?, discount = ?, "
                      "platform_part = ?, store_part = ?, updated_at = ? WHERE id = ? AND status "
                      "= 'unused' AND valid_until > ?",
                      {order, applied.discount, applied.platform_part, applied.store_part, now_us,
                       c.id, now_us}));
        if (changed == 0) {
          return core::Error(core::ErrorCode::kFailedPrecondition, "coupon_not_usable",
                             "a coupon changed while it was being locked",
                             {{"coupon_ids", "locked", "coupon " + std::to_string(c.id)}});
        }
        c.status = "locked";
        c.order_id = order;
        c.discount = applied.discount;
        c.platform_part = applied.platform_part;
        c.store_part = applied.store_part;
        SHOPCRM_RETURN_IF_ERROR(AppendStep(s, ids_, StepOf(c, "locked"), now_us));
      }
      result.coupons.push_back(std::move(c));
    }
    return render(result);
  });
}

core::Result<OrderCoupons> Coupons::OrderStep(Session& s, std::string_view order_id,
                                              std::string_view step) {
  const core::Instant now = clock_.Now();
  const int64_t now_us = core::ToUnixMicros(now);
  const std::string order(order_id);
  SHOPCRM_ASSIGN_OR_RETURN(
      auto held, QueryCoupons(s, *terms_cache_, "WHERE c.order_id = ? ORDER BY c.id", {order}));
  OrderCoupons result{order, {}, std::nullopt};
  if (held.empty()) {
    // Released or returned earlier: the steps remember the order.
    SHOPCRM_ASSIGN_OR_RETURN(
        auto seen, s.Query("SELECT 1 FROM coupon_steps WHERE order_id = ? LIMIT 1", {order}));
    if (seen.empty()) {
      return core::NotFound("order_not_found", "no coupons were locked for order " + order);
    }
    return result;
  }
  for (auto c : held) {
    std::string next;
    std::string_view recorded = step;
    int64_t sign = 1;
    if (step == "used") {
      if (c.status == "used" || c.status == "refunded") {
        result.coupons.push_back(std::move(c));
        continue;
      }
      next = "used";
    } else if (step == "released") {
      if (c.status != "locked") {
        return core::Error(core::ErrorCode::kFailedPrecondition, "order_already_paid",
                           "the order's coupons are used; refund it instead");
      }
      next = c.valid_until > now ? "unused" : "expired";
    } else {  // refund
      if (c.status == "refunded") {
        result.coupons.push_back(std::move(c));
        continue;
      }
      if (c.status != "used") {
        return core::Error(core::ErrorCode::kFailedPrecondition, "order_not_paid",
                           "the order's coupons are not used yet; release it instead");
      }
      sign = -1;
      if (c.terms.return_on_refund && c.valid_until > now) {
        next = "unused";
        recorded = "returned";
      } else {
        next = "refunded";
        recorded = "refunded";
      }
    }
    const bool keeps_order = next == "used" || next == "refunded";
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t changed,
        s.Execute(keeps_order
                      ? "UPDATE coupons SET status = ?, updated_at = ? WHERE id = ? AND status = ?"
                      : "UPDATE coupons SET status = ?, order_id = NULL, discount = 0, "
                        "platform_part = 0, store_part = 0, updated_at = ? WHERE id = ? AND "
                        "status = ?",
                  {next, now_us, c.id, c.status}));
    if (changed == 0) {
      return core::Conflict("coupon_changed", "a coupon of the order changed concurrently");
    }
    Step st = StepOf(c, recorded);
    st.amount *= sign;
    st.platform_part *= sign;
    st.store_part *= sign;
    SHOPCRM_RETURN_IF_ERROR(AppendStep(s, ids_, st, now_us));
    c.status = next;
    if (!keeps_order) {
      c.order_id.reset();
      c.discount = c.platform_part = c.store_part = 0;
    }
    result.coupons.push_back(std::move(c));
  }
  return result;
}

core::Result<store::Answer> Coupons::Redeem(std::string_view order_id,
                                            const store::IdempotencyKey& key,
                                            const Render<OrderCoupons>& render) {
  return store::TransactOnce(db_, key, core::ToUnixMicros(clock_.Now()),
                             [&](Session& s) -> core::Result<std::string> {
                               SHOPCRM_ASSIGN_OR_RETURN(auto r, OrderStep(s, order_id, "used"));
                               return render(r);
                             });
}

core::Result<store::Answer> Coupons::Release(std::string_view order_id,
                                             const store::IdempotencyKey& key,
                                             const Render<OrderCoupons>& render) {
  return store::TransactOnce(db_, key, core::ToUnixMicros(clock_.Now()),
                             [&](Session& s) -> core::Result<std::string> {
                               SHOPCRM_ASSIGN_OR_RETURN(auto r, OrderStep(s, order_id, "released"));
                               return render(r);
                             });
}

core::Result<store::Answer> Coupons::Refund(std::string_view order_id,
                                            const store::IdempotencyKey& key,
                                            const Render<OrderCoupons>& render) {
  return store::TransactOnce(db_, key, core::ToUnixMicros(clock_.Now()),
                             [&](Session& s) -> core::Result<std::string> {
                               SHOPCRM_ASSIGN_OR_RETURN(auto r, OrderStep(s, order_id, "refund"));
                               return render(r);
                             });
}

core::Result<int64_t> Coupons::SweepExpired() {
  const int64_t now = core::ToUnixMicros(clock_.Now());
  int64_t total = 0;
  for (;;) {
    int64_t n = 0;
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(n, ExpireIn(s, *terms_cache_, ids_, 0, now, 1000));
      return core::Status::Ok();
    }));
    total += n;
    if (n < 1000) return total;
  }
}

}  // namespace shopcrm::marketing
