#include "membership/paid.h"

#include <algorithm>

#include "core/json.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr int64_t kDayMicros = 24 * int64_t{3600} * 1'000'000;
constexpr const char* kPlanColumns =
    "id, name, term_days, price, grace_days, benefits, status, created_at, updated_at";

core::Result<PaidPlan> PlanOf(const Row& r) {
  PaidPlan p;
  p.id = r.Int(0);
  p.spec.name = r.Text(1);
  p.spec.term_days = static_cast<int>(r.Int(2));
  p.spec.price = r.Int(3);
  p.spec.grace_days = static_cast<int>(r.Int(4));
  SHOPCRM_ASSIGN_OR_RETURN(core::Json b, core::ParseJson(r.Text(5)));
  std::vector<core::FieldError> errors;
  p.spec.benefits = ReadBenefits(b, "benefits.", errors);
  if (!errors.empty()) return core::Internal("stored plan benefits cannot be read");
  p.status = r.Text(6);
  p.created_at = core::FromUnixMicros(r.Int(7));
  p.updated_at = core::FromUnixMicros(r.Int(8));
  return p;
}

core::Result<PaidPlan> LoadPlan(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      Row r, s.QueryOne(std::string("SELECT ") + kPlanColumns + " FROM paid_plans WHERE id = ?",
                        {id}, "plan_not_found", "no paid plan " + std::to_string(id)));
  return PlanOf(r);
}

std::string PlanText(const PaidPlan& p) {
  return core::DumpJson({{"name", p.spec.name},
                         {"term_days", p.spec.term_days},
                         {"price", p.spec.price},
                         {"grace_days", p.spec.grace_days},
                         {"benefits", BenefitsJson(p.spec.benefits)},
                         {"status", p.status}});
}

// The membership as of `now`, from its row (started, expires, terms) and plan.
PaidMembership Describe(int64_t user_id, const PaidPlan& plan, int64_t started, int64_t expires,
                        int terms, core::Instant now) {
  PaidMembership m;
  m.user_id = user_id;
  m.plan = plan;
  m.started_at = core::FromUnixMicros(started);
  m.expires_at = core::FromUnixMicros(expires);
  m.grace_until = core::FromUnixMicros(expires + plan.spec.grace_days * kDayMicros);
  m.terms = terms;
  m.status = now < *m.expires_at ? "active" : now < *m.grace_until ? "grace" : "expired";
  return m;
}

core::Result<PaidMembership> LoadMember(Session& s, int64_t user_id, core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows, s.Query("SELECT plan_id, started_at, expires_at, terms FROM paid_memberships "
                         "WHERE user_id = ?",
                         {user_id}));
  if (rows.empty()) {
    SHOPCRM_ASSIGN_OR_RETURN(auto user, s.Query("SELECT 1 FROM users WHERE id = ?", {user_id}));
    if (user.empty()) {
      return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
    }
    PaidMembership none;
    none.user_id = user_id;
    return none;
  }
  const Row& r = rows.rows[0];
  SHOPCRM_ASSIGN_OR_RETURN(PaidPlan plan, LoadPlan(s, r.Int(0)));
  return Describe(user_id, plan, r.Int(1), r.Int(2), static_cast<int>(r.Int(3)), now);
}

}  // namespace

PaidMemberships::PaidMemberships(store::Database& db, const core::Clock& clock,
                                 core::IdGenerator& ids, const audit::AuditLog& audit,
                                 Levels& levels)
    : db_(db), clock_(clock), ids_(ids), audit_(audit), levels_(levels) {}

core::Result<std::vector<PaidPlan>> PaidMemberships::Plans() {
  std::vector<PaidPlan> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kPlanColumns +
                                                " FROM paid_plans ORDER BY price, id"));
    for (const auto& r : rows.rows) {
      SHOPCRM_ASSIGN_OR_RETURN(auto p, PlanOf(r));
      out.push_back(std::move(p));
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Result<PaidPlan> PaidMemberships::CreatePlan(const PaidPlanSpec& spec,
                                                   const audit::Actor& actor) {
  std::vector<core::FieldError> errors;
  if (spec.name.empty() || spec.name.size() > 100) {
    errors.push_back({"name", "required", "must be 1 to 100 characters"});
  }
  if (spec.term_days < 1 || spec.term_days > 3660) {
    errors.push_back({"term_days", "out_of_range", "must be 1 to 3660 days"});
  }
  if (spec.price <= 0 || spec.price > int64_t{1'000'000'000'000}) {
    errors.push_back({"price", "out_of_range", "must be a positive amount"});
  }
  if (spec.grace_days < 0 || spec.grace_days > 365) {
    errors.push_back({"grace_days", "out_of_range", "must be 0 to 365 days"});
  }
  // The benefits go through the same reader as the stored form.
  (void)ReadBenefits(BenefitsJson(spec.benefits), "benefits.", errors);
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  PaidPlan p{ids_.Next(), spec, "active", clock_.Now(), {}};
  p.updated_at = p.created_at;
  const int64_t now = core::ToUnixMicros(p.created_at);
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO paid_plans (id, name, term_days, price, grace_days, benefits, "
                  "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
                  {p.id, spec.name, int64_t{spec.term_days}, spec.price, int64_t{spec.grace_days},
                   core::DumpJson(BenefitsJson(spec.benefits)), now, now})
            .status());
    return audit_.Record(s, actor, "paid_plan.create", "paid_plan", std::to_string(p.id),
                         std::nullopt, PlanText(p));
  }));
  return p;
}

core::Result<PaidPlan> PaidMemberships::SetPlanStatus(int64_t id, const std::string& status,
                                                      const audit::Actor& actor) {
  if (status != "active" && status != "archived") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "not_allowed", "must be active or archived"}});
  }
  return store::TransactFor<PaidPlan>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<PaidPlan> {
        SHOPCRM_ASSIGN_OR_RETURN(PaidPlan before, LoadPlan(s, id));
        PaidPlan after = before;
        after.status = status;
        after.updated_at = clock_.Now();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE paid_plans SET status = ?, updated_at = ? WHERE id = ?",
                      {status, core::ToUnixMicros(after.updated_at), id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "paid_plan.status", "paid_plan",
                                              std::to_string(id), PlanText(before),
                                              PlanText(after)));
        return after;
      });
}

core::Result<PaidPurchase> PaidMemberships::PurchaseIn(Session& s, int64_t user_id, int64_t plan_id,
                                                       int64_t amount,
                                                       const std::string& payment_ref,
                                                       core::Instant now_t) {
  if (payment_ref.empty() || payment_ref.size() > 128) {
    return core::InvalidFields("invalid_fields",
                               {{"payment_ref", "required", "must be 1 to 128 characters"}});
  }
  SHOPCRM_ASSIGN_OR_RETURN(PaidPlan plan, LoadPlan(s, plan_id));
  if (plan.status != "active") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "plan_not_active",
                       "the paid plan is " + plan.status);
  }
  if (amount != plan.spec.price) {
    return core::InvalidFields("invalid_fields",
                               {{"amount", "mismatch", "must be the plan's price"}});
  }
  const int64_t now = core::ToUnixMicros(now_t);
  SHOPCRM_ASSIGN_OR_RETURN(PaidMembership before, LoadMember(s, user_id, now_t));
  const bool renewal = before.status == "active" || before.status == "grace";
  const int64_t term = plan.spec.term_days * kDayMicros;
  const int64_t started = renewal ? core::ToUnixMicros(*before.started_at) : now;
  const int64_t expires = (renewal ? core::ToUnixMicros(*before.expires_at) : now) + term;
  const int terms = (renewal ? before.terms : 0) + 1;
  // Conditional on the terms read above: a purchase that raced this one and
  // committed first makes this one start over (Transact runs it again).
  SHOPCRM_ASSIGN_OR_RETURN(
      int64_t written,
      s.Execute("INSERT INTO paid_memberships (user_id, plan_id, started_at, expires_at, terms, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET "
                "plan_id = excluded.plan_id, started_at = excluded.started_at, expires_at = "
                "excluded.expires_at, terms = excluded.terms, updated_at = excluded.updated_at "
                "WHERE paid_memberships.terms = ?",
                {user_id, plan_id, started, expires, int64_t{terms}, now, int64_t{before.terms}}));
  if (written != 1) {
    return core::Unavailable("database_busy", "a concurrent purchase changed the membership");
  }
  auto logged = s.Execute(
      "INSERT INTO paid_membership_events (id, user_id, plan_id, kind, payment_ref, amount, "
      "expires_before, expires_after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {ids_.Next(), user_id, plan_id, renewal ? "renewal" : "purchase", payment_ref, amount,
       before.expires_at ? store::Value(core::ToUnixMicros(*before.expires_at)) : store::Null(),
       expires, now});
  if (!logged.ok() && logged.error().reason() == "unique_violation") {
    return core::Error(core::ErrorCode::kConflict, "duplicate_payment_ref",
                       "payment '" + payment_ref + "' was used already",
                       {{"payment_ref", "duplicate", "was used already"}});
  }
  SHOPCRM_RETURN_IF_ERROR(logged.status());
  return PaidPurchase{renewal ? "renewal" : "purchase",
                      Describe(user_id, plan, started, expires, terms, now_t)};
}

core::Result<PaidPurchase> PaidMemberships::Purchase(int64_t user_id, int64_t plan_id,
                                                     int64_t amount,
                                                     const std::string& payment_ref) {
  return store::TransactFor<PaidPurchase>(db_, store::TxMode::kWrite, [&](Session& s) {
    return PurchaseIn(s, user_id, plan_id, amount, payment_ref, clock_.Now());
  });
}

core::Result<PaidMembership> PaidMemberships::Member(int64_t user_id) {
  std::optional<PaidMembership> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(out, LoadMember(s, user_id, clock_.Now()));
    return core::Status::Ok();
  }));
  return std::move(*out);
}

core::Result<MemberBenefits> PaidMemberships::Benefits(int64_t user_id) {
  std::optional<MemberBenefits> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(out, BenefitsIn(s, user_id, clock_.Now()));
    return core::Status::Ok();
  }));
  return std::move(*out);
}

core::Result<MemberBenefits> PaidMemberships::BenefitsIn(Session& s, int64_t user_id,
                                                         core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(PaidMembership paid, LoadMember(s, user_id, now));
  MemberBenefits out;
  auto level = levels_.MemberIn(s, user_id, now);
  if (level.ok()) {
    out.level = level->level;
    out.benefits = level->benefits;
  } else if (level.error().reason() != "no_level_scheme") {
    return std::move(level).error();
  }
  if (paid.status == "active") {
    out.paid = true;
    out.benefits = CombineBenefits(out.benefits, paid.plan->spec.benefits);
  }
  return out;
}

}  // namespace shopcrm::membership
