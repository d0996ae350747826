#include "membership/points.h"

#include <algorithm>

#include "membership/internal/accounts.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;
using store::Value;

constexpr int64_t kDayMicros = 24 * int64_t{3600} * 1'000'000;

struct Balances {
  int64_t available = 0;
  int64_t pending = 0;
};

// The member's balances, making the account on first use.
core::Result<Balances> OpenAccount(Session& s, int64_t user_id, int64_t now) {
  SHOPCRM_RETURN_IF_ERROR(internal::EnsureMemberRow(
      s,
      "INSERT INTO points_accounts (user_id, available, pending, updated_at) VALUES (?, 0, 0, ?) "
      "ON CONFLICT (user_id) DO NOTHING",
      user_id, {user_id, now}));
  SHOPCRM_ASSIGN_OR_RETURN(Row r, s.QueryOne("SELECT available, pending FROM points_accounts "
                                             "WHERE user_id = ?",
                                             {user_id}, "user_not_found", "no points account"));
  return Balances{r.Int(0), r.Int(1)};
}

struct Change {
  int64_t user_id = 0;
  std::string_view kind;
  int64_t available = 0;  // signed change
  int64_t pending = 0;    // signed change
  std::optional<int64_t> lot_id;
  std::string reason, source, source_ref;
};

// Applies a change to the balances and appends its entry. With `guard`, a
// change that would take `available` below zero is refused instead.
core::Result<PointsEntry> Append(Session& s, core::IdGenerator& ids, const Change& c, int64_t now,
                                 bool guard = false) {
  std::string sql =
      "UPDATE points_accounts SET available = available + ?, pending = pending + ?, "
      "updated_at = ? WHERE user_id = ?";
  std::vector<Value> params{c.available, c.pending, now, c.user_id};
  if (guard) {
    sql += " AND available + ? >= 0";
    params.emplace_back(c.available);
  }
  sql += " RETURNING available, pending";
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
  if (rows.empty()) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "insufficient_points",
                       "the member has fewer points than " + std::to_string(-c.available));
  }
  PointsEntry e;
  e.id = ids.Next();
  e.user_id = c.user_id;
  e.kind = std::string(c.kind);
  e.available_change = c.available;
  e.pending_change = c.pending;
  e.available_after = rows.rows[0].Int(0);
  e.pending_after = rows.rows[0].Int(1);
  e.lot_id = c.lot_id;
  e.reason = c.reason;
  e.source = c.source;
  e.source_ref = c.source_ref;
  e.at = core::FromUnixMicros(now);
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("INSERT INTO points_entries (id, user_id, kind, available_change, pending_change, "
                "available_after, pending_after, lot_id, reason, source, source_ref, at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                {e.id, e.user_id, e.kind, e.available_change, e.pending_change, e.available_after,
                 e.pending_after, store::OrNull(e.lot_id), e.reason, e.source, e.source_ref, now})
          .status());
  return e;
}

// Takes up to `amount` points from the member's released lots, the first to
// expire first; returns how many it took. They count as spent from each lot.
core::Result<int64_t> TakeFromLots(Session& s, int64_t user_id, int64_t amount) {
  if (amount <= 0) return int64_t{0};
  SHOPCRM_ASSIGN_OR_RETURN(
      auto lots, s.Query("SELECT id, remaining FROM points_lots WHERE user_id = ? AND status = "
                         "'active' AND remaining > 0 ORDER BY expires_at IS NULL, expires_at, id",
                         {user_id}));
  int64_t taken = 0;
  for (const auto& lot : lots.rows) {
    if (taken == amount) break;
    const int64_t take = std::min(lot.Int(1), amount - taken);
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE points_lots SET remaining = remaining - ?, spent = spent + ?, status = "
                  "CASE WHEN remaining = ? THEN 'closed' ELSE 'active' END WHERE id = ?",
                  {take, take, take, lot.Int(0)})
            .status());
    taken += take;
  }
  return taken;
}

// A lot's points once released: what a debt (negative `available`) does not
// take first.
int64_t AfterDebt(int64_t amount, int64_t available) {
  return std::max<int64_t>(0, amount - std::max<int64_t>(0, -available));
}

PointsEntry EntryOf(const Row& r) {
  PointsEntry e;
  e.id = r.Int(0);
  e.user_id = r.Int(1);
  e.kind = r.Text(2);
  e.available_change = r.Int(3);
  e.pending_change = r.Int(4);
  e.available_after = r.Int(5);
  e.pending_after = r.Int(6);
  e.lot_id = r.OptionalInt(7);
  e.reason = r.Text(8);
  e.source = r.Text(9);
  e.source_ref = r.Text(10);
  e.at = core::FromUnixMicros(r.Int(11));
  return e;
}

core::Result<PointsAccount> ReadAccount(Session& s, int64_t user_id, int64_t now) {
  SHOPCRM_ASSIGN_OR_RETURN(Balances b, OpenAccount(s, user_id, now));
  PointsAccount a;
  a.user_id = user_id;
  a.available = b.available;
  a.pending = b.pending;
  SHOPCRM_ASSIGN_OR_RETURN(
      auto next, s.Query("SELECT expires_at, remaining FROM points_lots WHERE user_id = ? AND "
                         "status = 'active' AND remaining > 0 AND expires_at IS NOT NULL ORDER BY "
                         "expires_at LIMIT 1",
                         {user_id}));
  if (!next.empty()) {
    a.next_expiry = core::FromUnixMicros(next.rows[0].Int(0));
    a.next_expiry_points = next.rows[0].Int(1);
  }
  return a;
}

}  // namespace

Points::Points(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
               const core::BusinessTimeZone& tz, PointsOptions options)
    : db_(db), clock_(clock), ids_(ids), tz_(tz), options_(options) {}

core::Status Points::Validate(int64_t user_id, int64_t amount) const {
  std::vector<core::FieldError> errors;
  if (user_id <= 0) errors.push_back({"user_id", "invalid", "must be a user id"});
  if (amount <= 0 || amount > int64_t{1'000'000'000'000}) {
    errors.push_back({"amount", "out_of_range", "must be 1 to 1,000,000,000,000 points"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

std::optional<int64_t> Points::ExpiryOf(core::Instant released) const {
  const PointsOptions o = options_.Get();
  switch (o.expiry) {
    case PointsExpiry::kNever:
      return std::nullopt;
    case PointsExpiry::kDays:
      return core::ToUnixMicros(released) + o.expiry_days * kDayMicros;
    case PointsExpiry::kYearEnd: {
      // The end of the business year after the one the points were released in.
      const auto year = tz_.DateOf(released).year() + std::chrono::years(2);
      return core::ToUnixMicros(tz_.StartOfDay(year / std::chrono::January / 1));
    }
  }
  return std::nullopt;
}

core::Result<int64_t> Points::SettleUser(Session& s, int64_t user_id, int64_t now,
                                         std::vector<PointsEntry>& out) {
  SHOPCRM_ASSIGN_OR_RETURN(Balances b, OpenAccount(s, user_id, now));
  SHOPCRM_ASSIGN_OR_RETURN(
      auto due, s.Query("SELECT id, amount, available_at, source, source_ref FROM points_lots "
                        "WHERE user_id = ? AND status = 'pending' AND available_at <= ? ORDER BY "
                        "available_at, id",
                        {user_id, now}));
  for (const auto& lot : due.rows) {
    const int64_t amount = lot.Int(1);
    const int64_t keep = AfterDebt(amount, b.available);
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE points_lots SET status = ?, remaining = ?, spent = ?, expires_at = ? "
                  "WHERE id = ?",
                  {keep > 0 ? "active" : "closed", keep, amount - keep,
                   store::OrNull(ExpiryOf(core::FromUnixMicros(lot.Int(2)))), lot.Int(0)})
            .status());
    SHOPCRM_ASSIGN_OR_RETURN(auto e, Append(s, ids_,
                                            {user_id, "release", amount, -amount, lot.Int(0), "",
                                             lot.Text(3), lot.Text(4)},
                                            now));
    b.available = e.available_after;
    out.push_back(std::move(e));
  }
  SHOPCRM_ASSIGN_OR_RETURN(
      auto expired, s.Query("SELECT id, remaining, source, source_ref FROM points_lots WHERE "
                            "user_id = ? AND status = 'active' AND expires_at <= ? ORDER BY "
                            "expires_at, id",
                            {user_id, now}));
  for (const auto& lot : expired.rows) {
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE points_lots SET status = 'closed', remaining = 0 WHERE id = ?",
                  {lot.Int(0)})
            .status());
    if (lot.Int(1) == 0) continue;
    SHOPCRM_ASSIGN_OR_RETURN(
        auto e,
        Append(s, ids_,
               {user_id, "expire", -lot.Int(1), 0, lot.Int(0), "", lot.Text(2), lot.Text(3)}, now));
    b.available = e.available_after;
    out.push_back(std::move(e));
  }
  return b.available;
}

core::Result<PointsChange> Points::EarnIn(Session& s, const EarnRequest& r, core::Instant now_t,
                                          std::string_view kind) {
  SHOPCRM_RETURN_IF_ERROR(Validate(r.user_id, r.amount));
  if (r.hold_days < 0 || r.hold_days > 365) {
    return core::InvalidFields("invalid_fields",
                               {{"hold_days", "out_of_range", "must be 0 to 365 days"}});
  }
  const int64_t now = core::ToUnixMicros(now_t);
  PointsChange out;
  SHOPCRM_ASSIGN_OR_RETURN(const int64_t available, SettleUser(s, r.user_id, now, out.entries));
  const int64_t lot_id = ids_.Next();
  const bool held = r.hold_days > 0;
  const int64_t keep = held ? r.amount : AfterDebt(r.amount, available);
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute(
           "INSERT INTO points_lots (id, user_id, amount, remaining, spent, status, "
           "available_at, expires_at, source, source_ref, created_at) VALUES (?, ?, ?, ?, ?, "
           "?, ?, ?, ?, ?, ?)",
           {lot_id, r.user_id, r.amount, keep, held ? 0 : r.amount - keep,
            held ? "pending" : (keep > 0 ? "active" : "closed"),
            held ? now + r.hold_days * kDayMicros : now,
            held ? store::Null() : store::OrNull(ExpiryOf(now_t)), r.source, r.source_ref, now})
          .status());
  SHOPCRM_ASSIGN_OR_RETURN(
      auto e, Append(s, ids_,
                     {r.user_id, kind, held ? 0 : r.amount, held ? r.amount : 0, lot_id, r.reason,
                      r.source, r.source_ref},
                     now));
  out.entries.push_back(std::move(e));
  SHOPCRM_ASSIGN_OR_RETURN(out.account, ReadAccount(s, r.user_id, now));
  return out;
}

core::Result<PointsChange> Points::SpendIn(Session& s, const SpendRequest& r, core::Instant now_t) {
  SHOPCRM_RETURN_IF_ERROR(Validate(r.user_id, r.amount));
  const int64_t now = core::ToUnixMicros(now_t);
  PointsChange out;
  SHOPCRM_RETURN_IF_ERROR(SettleUser(s, r.user_id, now, out.entries).status());
  SHOPCRM_ASSIGN_OR_RETURN(auto e, Append(s, ids_,
                                          {r.user_id, "spend", -r.amount, 0, std::nullopt, r.reason,
                                           r.source, r.source_ref},
                                          now, /*guard=*/true));
  SHOPCRM_ASSIGN_OR_RETURN(int64_t taken, TakeFromLots(s, r.user_id, r.amount));
  if (taken != r.amount) {
    // `available` equals the lots' remaining points when it is not negative.
    return core::Internal("points lots hold fewer points than the balance");
  }
  out.entries.push_back(std::move(e));
  SHOPCRM_ASSIGN_OR_RETURN(out.account, ReadAccount(s, r.user_id, now));
  return out;
}

core::Result<PointsChange> Points::Earn(const EarnRequest& r) {
  return store::TransactFor<PointsChange>(db_, store::TxMode::kWrite,
                                          [&](Session& s) { return EarnIn(s, r, clock_.Now()); });
}

core::Result<PointsChange> Points::Spend(const SpendRequest& r) {
  return store::TransactFor<PointsChange>(db_, store::TxMode::kWrite,
                                          [&](Session& s) { return SpendIn(s, r, clock_.Now()); });
}

core::Result<PointsChange> Points::ReverseIn(Session& s, int64_t user_id,
                                             const std::string& source_ref,
                                             const std::string& reason, core::Instant now_t) {
  if (source_ref.empty()) {
    return core::InvalidFields("invalid_fields",
                               {{"source_ref", "required", "names what earned the points"}});
  }
  const int64_t now = core::ToUnixMicros(now_t);
  PointsChange out;
  SHOPCRM_RETURN_IF_ERROR(SettleUser(s, user_id, now, out.entries).status());
  SHOPCRM_ASSIGN_OR_RETURN(auto lots,
                           s.Query("SELECT id, amount, remaining, spent, status, source FROM "
                                   "points_lots WHERE user_id = ? AND source_ref = ? AND status <> "
                                   "'reversed' ORDER BY id",
                                   {user_id, source_ref}));
  if (lots.empty()) {
    return core::NotFound("nothing_to_reverse",
                          "'" + source_ref + "' earned this member no points to take back");
  }
  for (const auto& lot : lots.rows) {
    const bool pending = lot.Text(4) == "pending";
    const int64_t remaining = lot.Int(2);
    const int64_t spent = lot.Int(3);
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE points_lots SET status = 'reversed', remaining = 0 WHERE id = ?",
                  {lot.Int(0)})
            .status());
    Change c{user_id, "reverse", 0, 0, lot.Int(0), reason, lot.Text(5), source_ref};
    if (pending) {
      c.pending = -remaining;
    } else {
      // What is left of the lot, and what was spent of it, taken from
      // the member's other lots; what they cannot cover is a debt.
      c.available = -(remaining + spent);
      SHOPCRM_RETURN_IF_ERROR(TakeFromLots(s, user_id, spent).status());
    }
    if (c.available == 0 && c.pending == 0) continue;
    SHOPCRM_ASSIGN_OR_RETURN(auto e, Append(s, ids_, c, now));
    out.entries.push_back(std::move(e));
  }
  SHOPCRM_ASSIGN_OR_RETURN(out.account, ReadAccount(s, user_id, now));
  return out;
}

core::Result<PointsChange> Points::Reverse(int64_t user_id, const std::string& source_ref,
                                           const std::string& reason) {
  return store::TransactFor<PointsChange>(db_, store::TxMode::kWrite, [&](Session& s) {
    return ReverseIn(s, user_id, source_ref, reason, clock_.Now());
  });
}

core::Result<PointsAccount> Points::AccountIn(Session& s, int64_t user_id, core::Instant now_t) {
  const int64_t now = core::ToUnixMicros(now_t);
  std::vector<PointsEntry> settled;
  SHOPCRM_RETURN_IF_ERROR(SettleUser(s, user_id, now, settled).status());
  return ReadAccount(s, user_id, now);
}

core::Result<PointsAccount> Points::Account(int64_t user_id) {
  return store::TransactFor<PointsAccount>(
      db_, store::TxMode::kWrite, [&](Session& s) { return AccountIn(s, user_id, clock_.Now()); });
}

core::Result<std::vector<PointsEntry>> Points::Entries(int64_t user_id,
                                                       std::optional<int64_t> before, int limit) {
  std::vector<PointsEntry> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT id, user_id, kind, available_change, pending_change, "
                           "available_after, pending_after, lot_id, reason, source, source_ref, "
                           "at FROM points_entries WHERE user_id = ? AND id < ? ORDER BY id DESC "
                           "LIMIT ?",
                           {user_id, before.value_or(INT64_MAX), int64_t{limit}}));
    for (const auto& r : rows.rows) out.push_back(EntryOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<int64_t> Points::SettleDue() {
  int64_t settled = 0;
  for (;;) {
    const int64_t now = core::ToUnixMicros(clock_.Now());
    std::vector<int64_t> users;
    SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(
          auto rows,
          s.Query("SELECT DISTINCT user_id FROM points_lots WHERE (status = 'pending' AND "
                  "available_at <= ?) OR (status = 'active' AND expires_at <= ?) LIMIT 500",
                  {now, now}));
      for (const auto& r : rows.rows) users.push_back(r.Int(0));
      return core::Status::Ok();
    }));
    if (users.empty()) return settled;
    for (int64_t user : users) {
      SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
        std::vector<PointsEntry> entries;
        SHOPCRM_RETURN_IF_ERROR(SettleUser(s, user, now, entries).status());
        settled += static_cast<int64_t>(entries.size());
        return core::Status::Ok();
      }));
    }
  }
}

}  // namespace shopcrm::membership
