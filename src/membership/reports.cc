#include "membership/reports.h"

#include <algorithm>
#include <cstdio>
#include <regex>

#include "store/paging.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;
using store::Value;

constexpr int64_t kDayMicros = int64_t{86400} * 1'000'000;

std::optional<std::chrono::year_month> ParseMonth(const std::string& text) {
  static const std::regex kMonth(R"((\d{4})-(0[1-9]|1[0-2]))");
  std::smatch m;
  if (!std::regex_match(text, m, kMonth)) return std::nullopt;
  return std::chrono::year{std::stoi(m[1])} /
         std::chrono::month{static_cast<unsigned>(std::stoi(m[2]))};
}

std::string FormatMonth(std::chrono::year_month ym) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year()),
                static_cast<unsigned>(ym.month()));
  return buf;
}

double Ratio(int64_t a, int64_t b) {
  return b > 0 ? static_cast<double>(a) / static_cast<double>(b) : 0;
}

}  // namespace

core::Result<std::vector<MemberRow>> Reports::Members(const MemberQuery& q) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(q.limit));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  std::string sql =
      "SELECT u.id, u.external_id, u.name, ml.level, ml.growth, pa.available, pa.pending, "
      "sv.principal, sv.bonus, pp.name, pm.expires_at, pp.grace_days FROM users u "
      "LEFT JOIN member_levels ml ON ml.user_id = u.id "
      "LEFT JOIN points_accounts pa ON pa.user_id = u.id "
      "LEFT JOIN stored_value_accounts sv ON sv.user_id = u.id "
      "LEFT JOIN paid_memberships pm ON pm.user_id = u.id "
      "LEFT JOIN paid_plans pp ON pp.id = pm.plan_id "
      "WHERE u.id < ? AND u.erased_at IS NULL AND (ml.user_id IS NOT NULL OR pa.user_id IS NOT "
      "NULL OR sv.user_id IS NOT NULL OR pm.user_id IS NOT NULL)";
  std::vector<Value> params{store::CursorBound(q.cursor)};
  if (q.level) {
    sql += " AND ml.level = ?";
    params.emplace_back(int64_t{*q.level});
  }
  if (q.paid) {
    const std::string grace_end = "pm.expires_at + pp.grace_days * " + std::to_string(kDayMicros);
    if (*q.paid == "none") {
      sql += " AND pm.user_id IS NULL";
    } else if (*q.paid == "active") {
      sql += " AND pm.expires_at > ?";
      params.emplace_back(now);
    } else if (*q.paid == "grace") {
      sql += " AND pm.expires_at <= ? AND " + grace_end + " > ?";
      params.emplace_back(now);
      params.emplace_back(now);
    } else {
      sql += " AND " + grace_end + " <= ?";
      params.emplace_back(now);
    }
  }
  sql += " ORDER BY u.id DESC LIMIT ?";
  params.emplace_back(int64_t{q.limit});
  std::vector<MemberRow> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
    for (const auto& r : rows.rows) {
      MemberRow m;
      m.user_id = r.Int(0);
      m.external_id = r.Text(1);
      m.name = r.OptionalText(2);
      if (auto level = r.OptionalInt(3)) m.level = static_cast<int>(*level);
      m.growth = r.OptionalInt(4).value_or(0);
      m.points_available = r.OptionalInt(5).value_or(0);
      m.points_pending = r.OptionalInt(6).value_or(0);
      m.principal = r.OptionalInt(7).value_or(0);
      m.bonus = r.OptionalInt(8).value_or(0);
      m.paid_plan = r.OptionalText(9);
      if (auto expires = r.OptionalInt(10)) {
        m.paid_expires_at = core::FromUnixMicros(*expires);
        const int64_t grace_end = *expires + r.OptionalInt(11).value_or(0) * kDayMicros;
        m.paid_status = *expires > now ? "active" : grace_end > now ? "grace" : "expired";
      }
      out.push_back(std::move(m));
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Result<std::vector<MonthMetrics>> Reports::Metrics(const std::string& from,
                                                         const std::string& to) {
  const auto first = ParseMonth(from);
  const auto last = ParseMonth(to);
  std::vector<core::FieldError> errors;
  if (!first) errors.push_back({"from", "invalid", "a month like 2026-01"});
  if (!last) errors.push_back({"to", "invalid", "a month like 2026-12"});
  if (first && last) {
    const auto span = (last->year() - first->year()).count() * 12 +
                      static_cast<int>(static_cast<unsigned>(last->month())) -
                      static_cast<int>(static_cast<unsigned>(first->month()));
    if (span < 0) errors.push_back({"to", "before_from", "must not be before from"});
    if (span >= kMaxMonths) {
      errors.push_back({"to", "out_of_range", "at most 36 months from `from`"});
    }
  }
  if (!errors.empty()) return core::InvalidFields("invalid_query", std::move(errors));

  std::vector<MonthMetrics> out;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(store::TxMode::kRead, [&](Session& s) -> core::Status {
    out.clear();
    // When each member became one: their first growth or paid purchase.
    SHOPCRM_ASSIGN_OR_RETURN(
        auto since_rows,
        s.Query("SELECT MIN(x.at) FROM (SELECT user_id, at FROM growth_entries UNION ALL SELECT "
                "user_id, at FROM paid_membership_events) x JOIN users u ON u.id = x.user_id "
                "WHERE u.erased_at IS NULL GROUP BY x.user_id"));
    std::vector<int64_t> since;
    since.reserve(since_rows.size());
    for (const auto& r : since_rows.rows) since.push_back(r.Int(0));
    std::sort(since.begin(), since.end());
    const auto members_before = [&](int64_t t) {
      return static_cast<int64_t>(std::lower_bound(since.begin(), since.end(), t) - since.begin());
    };
    const auto users_before = [&](int64_t t) -> core::Result<int64_t> {
      SHOPCRM_ASSIGN_OR_RETURN(Row r,
                               s.QueryOne("SELECT COUNT(*) FROM users WHERE erased_at IS NULL AND "
                                          "COALESCE(registered_at, created_at) < ?",
                                          {t}, "count_failed", "users"));
      return r.Int(0);
    };
    for (auto ym = *first; ym <= *last; ym += std::chrono::months(1)) {
      const int64_t a = core::ToUnixMicros(tz_.StartOfDay(core::LocalDate(ym / 1)));
      const int64_t b =
          core::ToUnixMicros(tz_.StartOfDay(core::LocalDate((ym + std::chrono::months(1)) / 1)));
      MonthMetrics m;
      m.month = FormatMonth(ym);
      SHOPCRM_ASSIGN_OR_RETURN(m.users, users_before(b));
      m.members = members_before(b);
      m.penetration = Ratio(m.members, m.users);
      const int64_t members_at_start = members_before(a);
      m.converted = m.members - members_at_start;
      m.convertible = m.users - members_at_start;
      m.conversion = Ratio(m.converted, m.convertible);
      SHOPCRM_ASSIGN_OR_RETURN(
          Row paid,
          s.QueryOne("SELECT COUNT(*), COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM "
                     "paid_membership_events r WHERE r.user_id = e.user_id AND r.kind = "
                     "'renewal' AND r.expires_before = e.expires_after) THEN 1 ELSE 0 END), 0) "
                     "FROM paid_membership_events e WHERE e.expires_after >= ? AND "
                     "e.expires_after < ?",
                     {a, b}, "count_failed", "paid terms"));
      m.paid_ending = paid.Int(0);
      m.paid_renewed = paid.Int(1);
      if (m.paid_ending > 0) m.renewal_rate = Ratio(m.paid_renewed, m.paid_ending);
      // A month's recycling runs at its end (00:00 on the next month's first day).
      SHOPCRM_ASSIGN_OR_RETURN(
          Row kept, s.QueryOne("SELECT COUNT(*), CAST(COALESCE(SUM(above_first), 0) AS BIGINT), "
                               "CAST(COALESCE(SUM(kept), 0) AS BIGINT) FROM level_recycles WHERE "
                               "period_end > ? AND period_end <= ? AND status = 'finished'",
                               {a, b}, "count_failed", "recycles"));
      m.above_first = kept.Int(1);
      m.kept = kept.Int(2);
      if (kept.Int(0) > 0 && m.above_first > 0) m.level_retention = Ratio(m.kept, m.above_first);
      out.push_back(std::move(m));
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
