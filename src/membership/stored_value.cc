#include "membership/stored_value.h"

#include <algorithm>
#include <functional>

#include "core/json.h"
#include "membership/internal/accounts.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr int64_t kMaxAmount = int64_t{1'000'000'000'000};  // 10 billion yuan in fen
constexpr int kMaxRetries = 50;

core::Status CheckAmount(int64_t amount, std::string_view field = "amount") {
  if (amount > 0 && amount <= kMaxAmount) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", {{std::string(field), "out_of_range",
                                                 "must be 1 to 1,000,000,000,000 minor units"}});
}

core::Status CheckRef(const std::string& ref, std::string_view field) {
  if (!ref.empty() && ref.size() <= 128) return core::Status::Ok();
  return core::InvalidFields("invalid_fields",
                             {{std::string(field), "required", "must be 1 to 128 characters"}});
}

core::Result<StoredValueAccount> OpenAccount(Session& s, int64_t user_id, int64_t now) {
  SHOPCRM_RETURN_IF_ERROR(internal::EnsureMemberRow(
      s,
      "INSERT INTO stored_value_accounts (user_id, principal, bonus, updated_at) VALUES (?, 0, 0, "
      "?) ON CONFLICT (user_id) DO NOTHING",
      user_id, {user_id, now}));
  SHOPCRM_ASSIGN_OR_RETURN(Row r,
                           s.QueryOne("SELECT principal, bonus FROM stored_value_accounts "
                                      "WHERE user_id = ?",
                                      {user_id}, "user_not_found", "no stored-value account"));
  return StoredValueAccount{user_id, r.Int(0), r.Int(1)};
}

// Moves the two parts by the given (signed) amounts unless the balance moved
// since `seen` was read (then nullopt: read again and retry) and appends the
// entry. Parts never go below zero: the guard and the CHECKs both refuse it.
core::Result<std::optional<StoredValueChange>> Move(Session& s, core::IdGenerator& ids,
                                                    const StoredValueAccount& seen,
                                                    StoredValueEntry e, int64_t now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto rows,
      s.Query("UPDATE stored_value_accounts SET principal = principal + ?, bonus = bonus + ?, "
              "updated_at = ? WHERE user_id = ? AND principal = ? AND bonus = ? RETURNING "
              "principal, bonus",
              {e.principal_change, e.bonus_change, now, seen.user_id, seen.principal, seen.bonus}));
  if (rows.empty()) return std::optional<StoredValueChange>();
  e.id = ids.Next();
  e.user_id = seen.user_id;
  e.principal_after = rows.rows[0].Int(0);
  e.bonus_after = rows.rows[0].Int(1);
  e.at = core::FromUnixMicros(now);
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("INSERT INTO stored_value_entries (id, user_id, kind, principal_change, "
                "bonus_change, principal_after, bonus_after, order_id, payment_ref, plan_id, "
                "reason, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {e.id, e.user_id, e.kind, e.principal_change, e.bonus_change, e.principal_after,
                 e.bonus_after, e.order_id, e.payment_ref, store::OrNull(e.plan_id), e.reason, now})
          .status());
  StoredValueChange c;
  c.account = {seen.user_id, e.principal_after, e.bonus_after};
  c.entry = std::move(e);
  return std::optional<StoredValueChange>(std::move(c));
}

// Plans the change against the balance as read, moves it, and starts over
// when a concurrent change moved the balance in between: `plan` reads again
// what it decides on, so every check holds against the state it commits on.
core::Result<StoredValueChange> MoveChecked(
    Session& s, core::IdGenerator& ids, int64_t user_id, int64_t now,
    const std::function<core::Result<StoredValueEntry>(const StoredValueAccount&)>& plan) {
  for (int attempt = 0; attempt < kMaxRetries; ++attempt) {
    SHOPCRM_ASSIGN_OR_RETURN(auto seen, OpenAccount(s, user_id, now));
    SHOPCRM_ASSIGN_OR_RETURN(StoredValueEntry e, plan(seen));
    auto done = Move(s, ids, seen, std::move(e), now);
    if (!done.ok() && done.error().reason() == "unique_violation") {
      return core::Error(core::ErrorCode::kConflict, "duplicate_payment_ref",
                         "that payment was recharged or refunded already",
                         {{"payment_ref", "duplicate", "was used already"}});
    }
    SHOPCRM_RETURN_IF_ERROR(done.status());
    if (*done) return std::move(**done);
  }
  return core::Unavailable("database_busy", "the balance kept changing; try again");
}

StoredValueEntry EntryOf(const Row& r) {
  StoredValueEntry e;
  e.id = r.Int(0);
  e.user_id = r.Int(1);
  e.kind = r.Text(2);
  e.principal_change = r.Int(3);
  e.bonus_change = r.Int(4);
  e.principal_after = r.Int(5);
  e.bonus_after = r.Int(6);
  e.order_id = r.Text(7);
  e.payment_ref = r.Text(8);
  e.plan_id = r.OptionalInt(9);
  e.reason = r.Text(10);
  e.at = core::FromUnixMicros(r.Int(11));
  return e;
}

constexpr const char* kEntryColumns =
    "id, user_id, kind, principal_change, bonus_change, principal_after, bonus_after, order_id, "
    "payment_ref, plan_id, reason, at";

RechargePlan PlanOf(const Row& r) {
  return {r.Int(0),
          r.Text(1),
          r.Int(2),
          r.Int(3),
          r.Text(4),
          core::FromUnixMicros(r.Int(5)),
          core::FromUnixMicros(r.Int(6))};
}

core::Result<RechargePlan> LoadPlan(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      Row r, s.QueryOne("SELECT id, name, pay, bonus, status, created_at, updated_at FROM "
                        "stored_value_plans WHERE id = ?",
                        {id}, "plan_not_found", "no recharge plan " + std::to_string(id)));
  return PlanOf(r);
}

std::string PlanJson(const RechargePlan& p) {
  return core::DumpJson(
      {{"name", p.name}, {"pay", p.pay}, {"bonus", p.bonus}, {"status", p.status}});
}

}  // namespace

StoredValue::StoredValue(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
                         const audit::AuditLog& audit)
    : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

core::Result<std::vector<RechargePlan>> StoredValue::Plans() {
  std::vector<RechargePlan> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT id, name, pay, bonus, status, created_at, updated_at "
                                     "FROM stored_value_plans ORDER BY pay, id"));
    for (const auto& r : rows.rows) out.push_back(PlanOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<RechargePlan> StoredValue::CreatePlan(const RechargePlanSpec& spec,
                                                   const audit::Actor& actor) {
  std::vector<core::FieldError> errors;
  if (spec.name.empty() || spec.name.size() > 100) {
    errors.push_back({"name", "required", "must be 1 to 100 characters"});
  }
  if (spec.pay <= 0 || spec.pay > kMaxAmount) {
    errors.push_back({"pay", "out_of_range", "must be a positive amount"});
  }
  if (spec.bonus < 0 || spec.bonus > kMaxAmount) {
    errors.push_back({"bonus", "out_of_range", "must be zero or a positive amount"});
  }
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  RechargePlan p{ids_.Next(), spec.name, spec.pay, spec.bonus, "active", clock_.Now(), {}};
  p.updated_at = p.created_at;
  const int64_t now = core::ToUnixMicros(p.created_at);
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO stored_value_plans (id, name, pay, bonus, status, created_at, "
                  "updated_at) VALUES (?, ?, ?, ?, 'active', ?, ?)",
                  {p.id, p.name, p.pay, p.bonus, now, now})
            .status());
    return audit_.Record(s, actor, "recharge_plan.create", "recharge_plan", std::to_string(p.id),
                         std::nullopt, PlanJson(p));
  }));
  return p;
}

core::Result<RechargePlan> StoredValue::SetPlanStatus(int64_t id, const std::string& status,
                                                      const audit::Actor& actor) {
  if (status != "active" && status != "archived") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "not_allowed", "must be active or archived"}});
  }
  return store::TransactFor<RechargePlan>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<RechargePlan> {
        SHOPCRM_ASSIGN_OR_RETURN(RechargePlan before, LoadPlan(s, id));
        RechargePlan after = before;
        after.status = status;
        after.updated_at = clock_.Now();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE stored_value_plans SET status = ?, updated_at = ? WHERE id = ?",
                      {status, core::ToUnixMicros(after.updated_at), id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "recharge_plan.status", "recharge_plan",
                                              std::to_string(id), PlanJson(before),
                                              PlanJson(after)));
        return after;
      });
}

core::Result<StoredValueChange> StoredValue::RechargeIn(Session& s, const RechargeRequest& r) {
  SHOPCRM_RETURN_IF_ERROR(CheckRef(r.payment_ref, "payment_ref"));
  if (!r.plan_id) SHOPCRM_RETURN_IF_ERROR(CheckAmount(r.amount));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  StoredValueEntry e;
  e.kind = "recharge";
  e.payment_ref = r.payment_ref;
  e.principal_change = r.amount;
  if (r.plan_id) {
    SHOPCRM_ASSIGN_OR_RETURN(RechargePlan p, LoadPlan(s, *r.plan_id));
    if (p.status != "active") {
      return core::Error(core::ErrorCode::kFailedPrecondition, "plan_not_active",
                         "the recharge plan is " + p.status);
    }
    if (r.amount != 0 && r.amount != p.pay) {
      return core::InvalidFields("invalid_fields",
                                 {{"amount", "mismatch", "must be the plan's price, or left out"}});
    }
    e.plan_id = p.id;
    e.principal_change = p.pay;
    e.bonus_change = p.bonus;
  }
  return MoveChecked(
      s, ids_, r.user_id, now, [&](const StoredValueAccount&) -> core::Result<StoredValueEntry> {
        SHOPCRM_ASSIGN_OR_RETURN(auto used, s.Query("SELECT 1 FROM stored_value_entries WHERE "
                                                    "payment_ref = ? AND kind = 'recharge'",
                                                    {r.payment_ref}));
        if (!used.empty()) {
          return core::Error(core::ErrorCode::kConflict, "duplicate_payment_ref",
                             "payment '" + r.payment_ref + "' was already recharged",
                             {{"payment_ref", "duplicate", "was already recharged"}});
        }
        return e;
      });
}

core::Result<StoredValueChange> StoredValue::PayIn(Session& s, int64_t user_id, int64_t amount,
                                                   const std::string& order_id) {
  SHOPCRM_RETURN_IF_ERROR(CheckAmount(amount));
  SHOPCRM_RETURN_IF_ERROR(CheckRef(order_id, "order_id"));
  return MoveChecked(s, ids_, user_id, core::ToUnixMicros(clock_.Now()),
                     [&](const StoredValueAccount& seen) -> core::Result<StoredValueEntry> {
                       if (seen.balance() < amount) {
                         return core::Error(
                             core::ErrorCode::kFailedPrecondition, "insufficient_balance",
                             "the member's stored value is " + std::to_string(seen.balance()) +
                                 ", less than " + std::to_string(amount));
                       }
                       StoredValueEntry e;
                       e.kind = "pay";
                       e.order_id = order_id;
                       const int64_t from_principal = std::min(seen.principal, amount);
                       e.principal_change = -from_principal;
                       e.bonus_change = -(amount - from_principal);
                       return e;
                     });
}

core::Result<StoredValueChange> StoredValue::RefundIn(Session& s, int64_t user_id, int64_t amount,
                                                      const std::string& order_id,
                                                      const std::string& reason) {
  SHOPCRM_RETURN_IF_ERROR(CheckAmount(amount));
  SHOPCRM_RETURN_IF_ERROR(CheckRef(order_id, "order_id"));
  return MoveChecked(
      s, ids_, user_id, core::ToUnixMicros(clock_.Now()),
      [&](const StoredValueAccount&) -> core::Result<StoredValueEntry> {
        // What the order paid from each part, less what was refunded already.
        SHOPCRM_ASSIGN_OR_RETURN(
            Row paid, s.QueryOne("SELECT CAST(COALESCE(SUM(principal_change), 0) AS BIGINT), "
                                 "CAST(COALESCE(SUM(bonus_change), 0) AS BIGINT), COUNT(*) FROM "
                                 "stored_value_entries WHERE user_id = ? AND order_id = ? "
                                 "AND kind IN ('pay', 'refund')",
                                 {user_id, order_id}, "order_not_paid", "no payment"));
        if (paid.Int(2) == 0) {
          return core::NotFound("order_not_paid",
                                "order '" + order_id + "' was not paid from this member's balance");
        }
        const int64_t principal_open = -paid.Int(0);
        const int64_t bonus_open = -paid.Int(1);
        if (amount > principal_open + bonus_open) {
          return core::Error(core::ErrorCode::kFailedPrecondition, "refund_exceeds_payment",
                             "at most " + std::to_string(principal_open + bonus_open) +
                                 " of the order's payment is left to refund",
                             {{"amount", "too_large", "more than the order has left to refund"}});
        }
        StoredValueEntry e;
        e.kind = "refund";
        e.order_id = order_id;
        e.reason = reason;
        e.bonus_change = std::min(bonus_open, amount);
        e.principal_change = amount - e.bonus_change;
        return e;
      });
}

core::Result<StoredValueChange> StoredValue::RefundRechargeIn(Session& s, int64_t user_id,
                                                              const std::string& payment_ref,
                                                              const std::string& reason) {
  SHOPCRM_RETURN_IF_ERROR(CheckRef(payment_ref, "payment_ref"));
  return MoveChecked(
      s, ids_, user_id, core::ToUnixMicros(clock_.Now()),
      [&](const StoredValueAccount& seen) -> core::Result<StoredValueEntry> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows, s.Query("SELECT kind, principal_change, bonus_change FROM "
                               "stored_value_entries WHERE user_id = ? AND payment_ref = ?",
                               {user_id, payment_ref}));
        int64_t principal = -1, bonus = 0;
        for (const auto& r : rows.rows) {
          if (r.Text(0) == "recharge_refund") {
            return core::Error(core::ErrorCode::kConflict, "recharge_already_refunded",
                               "recharge '" + payment_ref + "' was refunded already");
          }
          principal = r.Int(1);
          bonus = r.Int(2);
        }
        if (principal < 0) {
          return core::NotFound("recharge_not_found",
                                "no recharge '" + payment_ref + "' for this member");
        }
        if (seen.principal < principal) {
          return core::Error(core::ErrorCode::kFailedPrecondition, "recharge_spent",
                             "the member holds " + std::to_string(seen.principal) +
                                 " of principal, less than the recharge's " +
                                 std::to_string(principal));
        }
        StoredValueEntry e;
        e.kind = "recharge_refund";
        e.payment_ref = payment_ref;
        e.reason = reason;
        e.principal_change = -principal;
        e.bonus_change = -std::min(seen.bonus, bonus);
        return e;
      });
}

core::Result<StoredValueChange> StoredValue::Recharge(const RechargeRequest& r) {
  return store::TransactFor<StoredValueChange>(db_, store::TxMode::kWrite,
                                               [&](Session& s) { return RechargeIn(s, r); });
}

core::Result<StoredValueChange> StoredValue::Pay(int64_t user_id, int64_t amount,
                                                 const std::string& order_id) {
  return store::TransactFor<StoredValueChange>(
      db_, store::TxMode::kWrite, [&](Session& s) { return PayIn(s, user_id, amount, order_id); });
}

core::Result<StoredValueChange> StoredValue::Refund(int64_t user_id, int64_t amount,
                                                    const std::string& order_id,
                                                    const std::string& reason) {
  return store::TransactFor<StoredValueChange>(db_, store::TxMode::kWrite, [&](Session& s) {
    return RefundIn(s, user_id, amount, order_id, reason);
  });
}

core::Result<StoredValueChange> StoredValue::RefundRecharge(int64_t user_id,
                                                            const std::string& payment_ref,
                                                            const std::string& reason) {
  return store::TransactFor<StoredValueChange>(db_, store::TxMode::kWrite, [&](Session& s) {
    return RefundRechargeIn(s, user_id, payment_ref, reason);
  });
}

core::Result<StoredValueAccount> StoredValue::Account(int64_t user_id) {
  return store::TransactFor<StoredValueAccount>(db_, store::TxMode::kWrite, [&](Session& s) {
    return OpenAccount(s, user_id, core::ToUnixMicros(clock_.Now()));
  });
}

core::Result<std::vector<StoredValueEntry>> StoredValue::Entries(int64_t user_id,
                                                                 std::optional<int64_t> before,
                                                                 int limit) {
  std::vector<StoredValueEntry> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query(std::string("SELECT ") + kEntryColumns +
                               " FROM stored_value_entries WHERE user_id = ? AND id < ? ORDER BY "
                               "id DESC LIMIT ?",
                           {user_id, before.value_or(INT64_MAX), int64_t{limit}}));
    for (const auto& r : rows.rows) out.push_back(EntryOf(r));
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
