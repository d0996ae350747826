#include "membership/check_ins.h"

#include <regex>

namespace shopcrm::membership {

CheckIns::CheckIns(store::Database& db, const core::Clock& clock, const core::BusinessTimeZone& tz,
                   Points& points, CheckInOptions options, Levels* levels)
    : db_(db), clock_(clock), tz_(tz), points_(points), levels_(levels), options_(options) {}

core::Result<CheckInResult> CheckIns::CheckInIn(store::Session& s, int64_t user_id,
                                                core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(auto user, s.Query("SELECT 1 FROM users WHERE id = ?", {user_id}));
  if (user.empty()) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  const core::LocalDate today = tz_.DateOf(now);
  const std::string day = core::FormatDate(today);
  const std::string yesterday =
      core::FormatDate(core::LocalDate(std::chrono::sys_days(today) - std::chrono::days(1)));
  SHOPCRM_ASSIGN_OR_RETURN(auto seen,
                           s.Query("SELECT day, streak FROM check_ins WHERE user_id = ? AND day IN "
                                   "(?, ?)",
                                   {user_id, day, yesterday}));
  int streak = 1;
  for (const auto& r : seen.rows) {
    if (r.Text(0) == day) {
      return core::Error(core::ErrorCode::kConflict, "already_checked_in",
                         "the member has checked in today (" + day + ") already");
    }
    streak = static_cast<int>(r.Int(1)) + 1;
  }
  CheckInResult out;
  out.check_in = {day, streak, options_.points, now};
  if (options_.streak_days > 0 && streak % options_.streak_days == 0) {
    out.check_in.points += options_.streak_points;
  }
  auto inserted =
      s.Execute("INSERT INTO check_ins (user_id, day, streak, points, at) VALUES (?, ?, ?, ?, ?)",
                {user_id, day, int64_t{streak}, out.check_in.points, core::ToUnixMicros(now)});
  if (!inserted.ok() && inserted.error().reason() == "unique_violation") {
    return core::Error(core::ErrorCode::kConflict, "already_checked_in",
                       "the member has checked in today (" + day + ") already");
  }
  SHOPCRM_RETURN_IF_ERROR(inserted.status());
  if (out.check_in.points > 0) {
    EarnRequest earn{user_id, out.check_in.points, "check_in", "check_in:" + day,
                     "day " + std::to_string(streak) + " in a row"};
    SHOPCRM_ASSIGN_OR_RETURN(auto change, points_.EarnIn(s, earn, now, "check_in"));
    out.points = std::move(change.account);
  } else {
    SHOPCRM_ASSIGN_OR_RETURN(out.points, points_.AccountIn(s, user_id, now));
  }
  if (levels_ != nullptr) {
    auto grown = levels_->AddGrowthIn(s, user_id, "check_in", 0, "check_in:" + day, now);
    // No scheme, or one without a check-in task, gives no growth.
    if (!grown.ok() && grown.error().reason() != "no_level_scheme" &&
        grown.error().reason() != "unknown_task") {
      return std::move(grown).error();
    }
  }
  return out;
}

core::Result<CheckInResult> CheckIns::CheckInNow(int64_t user_id) {
  return store::TransactFor<CheckInResult>(db_, store::TxMode::kWrite, [&](store::Session& s) {
    return CheckInIn(s, user_id, clock_.Now());
  });
}

core::Result<std::vector<CheckIn>> CheckIns::Month(int64_t user_id, const std::string& month) {
  static const std::regex kMonth(R"(\d{4}-(0[1-9]|1[0-2]))");
  if (!std::regex_match(month, kMonth)) {
    return core::InvalidFields("invalid_query",
                               {{"month", "invalid", "must be a month like 2026-11"}});
  }
  std::vector<CheckIn> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT day, streak, points, at FROM check_ins WHERE user_id = ? AND "
                           "day >= ? AND day <= ? ORDER BY day",
                           {user_id, month + "-01", month + "-31"}));
    for (const auto& r : rows.rows) {
      out.push_back(
          {r.Text(0), static_cast<int>(r.Int(1)), r.Int(2), core::FromUnixMicros(r.Int(3))});
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
