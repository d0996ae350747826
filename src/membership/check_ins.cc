#include "membership/check_ins.h"

#include <algorithm>
#include <regex>

namespace shopcrm::membership {

CheckIns::CheckIns(store::Database& db, const core::Clock& clock, const core::BusinessTimeZone& tz,
                   Points& points, CheckInOptions options, Levels* levels,
                   marketing::Coupons* coupons)
    : db_(db),
      clock_(clock),
      tz_(tz),
      points_(points),
      levels_(levels),
      coupons_(coupons),
      options_(options) {}

namespace {

// Touching the member's row serialises their check-ins and make-ups (a row
// lock on PostgreSQL; SQLite writers are serial), so each sees the other's
// days when it counts streaks and make-ups.
core::Status LockMember(store::Session& s, int64_t user_id) {
  SHOPCRM_ASSIGN_OR_RETURN(int64_t found,
                           s.Execute("UPDATE users SET id = id WHERE id = ?", {user_id}));
  if (found == 0) {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  return core::Status::Ok();
}

// Make-up check-ins of `month` ("YYYY-MM").
core::Result<int64_t> MakeUpsIn(store::Session& s, int64_t user_id, const std::string& month) {
  SHOPCRM_ASSIGN_OR_RETURN(
      store::Row used,
      s.QueryOne("SELECT COUNT(*) FROM check_ins WHERE user_id = ? AND day >= ? AND day <= ? AND "
                 "made_up = 1",
                 {user_id, month + "-01", month + "-31"}, "count_failed", "count"));
  return used.Int(0);
}

}  // namespace

core::Result<CheckInResult> CheckIns::CheckInIn(store::Session& s, int64_t user_id,
                                                core::Instant now) {
  const CheckInOptions o = options_.Get();
  SHOPCRM_RETURN_IF_ERROR(LockMember(s, user_id));
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
  out.check_in = {day, streak, o.points, now};
  const bool streak_day = o.streak_days > 0 && streak % o.streak_days == 0;
  if (streak_day) out.check_in.points += o.streak_points;
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
  if (streak_day && o.streak_coupon_template_id && coupons_ != nullptr) {
    marketing::IssueRequest issue{*o.streak_coupon_template_id, user_id,
                                  marketing::Source::kBenefit, "check_in:" + day, "check_in"};
    SHOPCRM_ASSIGN_OR_RETURN(auto attempt, coupons_->TryIssueIn(s, issue, now));
    if (attempt.coupon) out.coupon_id = attempt.coupon->id;
    out.coupon_outcome = attempt.coupon ? "granted" : attempt.refusal;
  }
  return out;
}

core::Result<CheckInResult> CheckIns::MakeUpIn(store::Session& s, int64_t user_id,
                                               const std::string& day, core::Instant now) {
  const CheckInOptions o = options_.Get();
  static const std::regex kDay(R"((\d{4})-(\d{2})-(\d{2}))");
  std::smatch m;
  core::LocalDate date{std::chrono::year{0}, std::chrono::month{0}, std::chrono::day{0}};
  if (std::regex_match(day, m, kDay)) {
    date = core::LocalDate{std::chrono::year{std::stoi(m[1])},
                           std::chrono::month{static_cast<unsigned>(std::stoi(m[2]))},
                           std::chrono::day{static_cast<unsigned>(std::stoi(m[3]))}};
  }
  if (!date.ok()) {
    return core::InvalidFields("invalid_fields",
                               {{"day", "invalid", "must be a date like 2026-11-03"}});
  }
  const std::string today = core::FormatDate(tz_.DateOf(now));
  if (day >= today || day.substr(0, 7) != today.substr(0, 7)) {
    return core::Error(
        core::ErrorCode::kFailedPrecondition, "make_up_out_of_range",
        "only a missed day earlier this month (" + today.substr(0, 7) + ") can be made up");
  }
  SHOPCRM_RETURN_IF_ERROR(LockMember(s, user_id));
  SHOPCRM_ASSIGN_OR_RETURN(int64_t used, MakeUpsIn(s, user_id, today.substr(0, 7)));
  if (used >= o.make_ups_per_month) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "make_up_limit_reached",
                       "the member has made up " + std::to_string(used) +
                           " check-ins this month (at most " +
                           std::to_string(o.make_ups_per_month) + ")");
  }
  // The day before decides the streak; the days after are counted again.
  const auto before =
      core::FormatDate(core::LocalDate(std::chrono::sys_days(date) - std::chrono::days(1)));
  SHOPCRM_ASSIGN_OR_RETURN(auto prev, s.Query("SELECT streak FROM check_ins WHERE user_id = ? AND "
                                              "day = ?",
                                              {user_id, before}));
  int streak = prev.empty() ? 1 : static_cast<int>(prev.rows[0].Int(0)) + 1;
  CheckInResult out;
  out.check_in = {day, streak, o.points, now, true};
  auto inserted = s.Execute(
      "INSERT INTO check_ins (user_id, day, streak, points, at, made_up) VALUES (?, ?, ?, ?, ?, 1)",
      {user_id, day, int64_t{streak}, o.points, core::ToUnixMicros(now)});
  if (!inserted.ok() && inserted.error().reason() == "unique_violation") {
    return core::Error(core::ErrorCode::kConflict, "already_checked_in",
                       "the member has checked in on " + day + " already");
  }
  SHOPCRM_RETURN_IF_ERROR(inserted.status());
  SHOPCRM_ASSIGN_OR_RETURN(auto after, s.Query("SELECT day FROM check_ins WHERE user_id = ? AND "
                                               "day > ? AND day <= ? ORDER BY day",
                                               {user_id, day, today}));
  core::LocalDate expected = core::LocalDate(std::chrono::sys_days(date) + std::chrono::days(1));
  for (const auto& r : after.rows) {
    if (r.Text(0) != core::FormatDate(expected)) break;  // a gap ends the run
    ++streak;
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE check_ins SET streak = ? WHERE user_id = ? AND day = ?",
                  {int64_t{streak}, user_id, r.Text(0)})
            .status());
    expected = core::LocalDate(std::chrono::sys_days(expected) + std::chrono::days(1));
  }
  if (o.make_up_cost > 0) {
    SpendRequest cost{user_id, o.make_up_cost, "check_in", "make_up:" + day,
                      "make-up check-in for " + day};
    SHOPCRM_RETURN_IF_ERROR(points_.SpendIn(s, cost, now).status());
  }
  if (o.points > 0) {
    EarnRequest earn{user_id, o.points, "check_in", "check_in:" + day, "made up"};
    SHOPCRM_ASSIGN_OR_RETURN(auto change, points_.EarnIn(s, earn, now, "check_in"));
    out.points = std::move(change.account);
  } else {
    SHOPCRM_ASSIGN_OR_RETURN(out.points, points_.AccountIn(s, user_id, now));
  }
  return out;
}

core::Result<int> CheckIns::MakeUpsLeft(int64_t user_id) {
  const CheckInOptions o = options_.Get();
  const std::string month = core::FormatDate(tz_.DateOf(clock_.Now())).substr(0, 7);
  int left = 0;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(int64_t used, MakeUpsIn(s, user_id, month));
    left = std::max(0, o.make_ups_per_month - static_cast<int>(used));
    return core::Status::Ok();
  }));
  return left;
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
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT day, streak, points, at, made_up FROM check_ins WHERE "
                                     "user_id = ? AND "
                                     "day >= ? AND day <= ? ORDER BY day",
                                     {user_id, month + "-01", month + "-31"}));
    for (const auto& r : rows.rows) {
      out.push_back({r.Text(0), static_cast<int>(r.Int(1)), r.Int(2),
                     core::FromUnixMicros(r.Int(3)), r.Int(4) == 1});
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
