// Daily check-in (签到): once per member per business day, with a streak
// and points for each check-in, more on every `streak_days`-th day in a row.
//
// A second check-in on the same business day is refused (already_checked_in),
// exactly, under concurrent requests: the (member, day) primary key decides.
// The streak counts consecutive business days; a missed day starts it again
// at 1. The points are earned in the same transaction (kind "check_in"), and
// so is the level scheme's "check_in" growth when there is one. With a
// `streak_coupon_template_id`, every `streak_days`-th day in a row also
// gives a coupon of it (source "benefit", channel "check_in"); a refusal of
// the coupon engine is the result's coupon outcome and leaves the check-in.
//
// Make-up check-ins (补签): a member may check in later for a day they missed
// earlier in the same business month, `make_ups_per_month` times a month at
// most (make_up_limit_reached), paying `make_up_cost` points for it
// (insufficient_points). A made-up day earns the plain check-in points (no
// streak bonus, no growth), and the streaks of it and the days after it are
// counted again, so a make-up can join two runs of days. Only a past day of
// the current month can be made up (make_up_out_of_range).
//
// Owns table: check_ins. Thread-safety: safe from any thread.
// Error reasons: user_not_found, already_checked_in, invalid_fields,
// make_up_out_of_range, make_up_limit_reached, insufficient_points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "marketing/coupons.h"
#include "membership/internal/live.h"
#include "membership/levels.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct CheckInOptions {
  int64_t points = 5;                                // every check-in
  int streak_days = 7;                               // every this many days in a row …
  int64_t streak_points = 20;                        // … these points on top
  std::optional<int64_t> streak_coupon_template_id;  // … and a coupon of it
  int make_ups_per_month = 2;                        // make-up check-ins a month at most (0: none)
  int64_t make_up_cost = 20;                         // points a make-up check-in costs
};

struct CheckIn {
  std::string day;  // business date, "YYYY-MM-DD"
  int streak = 0;
  int64_t points = 0;
  core::Instant at;
  bool made_up = false;
};

struct CheckInResult {
  CheckIn check_in;
  PointsAccount points;
  std::optional<int64_t> coupon_id;  // the streak coupon given
  std::string coupon_outcome;        // "" without one, granted, or the refusal's reason
};

class CheckIns final {
 public:
  // With `levels`, a check-in also gives the level scheme's "check_in" growth
  // (when the scheme lists that task); `coupons` issue the streak coupon.
  CheckIns(store::Database& db, const core::Clock& clock, const core::BusinessTimeZone& tz,
           Points& points, CheckInOptions options, Levels* levels = nullptr,
           marketing::Coupons* coupons = nullptr);

  core::Result<CheckInResult> CheckInNow(int64_t user_id);
  // The same inside a caller's write transaction (an idempotency key's).
  core::Result<CheckInResult> CheckInIn(store::Session& s, int64_t user_id, core::Instant now);
  // A make-up check-in for `day` ("YYYY-MM-DD"), inside a caller's write transaction.
  core::Result<CheckInResult> MakeUpIn(store::Session& s, int64_t user_id, const std::string& day,
                                       core::Instant now);
  // Make-up check-ins left to the member this business month.
  core::Result<int> MakeUpsLeft(int64_t user_id);
  CheckInOptions options() const { return options_.Get(); }
  void SetOptions(const CheckInOptions& o) { options_.Set(o); }
  // The member's check-ins in one business month ("YYYY-MM"), oldest first.
  core::Result<std::vector<CheckIn>> Month(int64_t user_id, const std::string& month);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  const core::BusinessTimeZone tz_;
  Points& points_;
  Levels* const levels_;
  marketing::Coupons* const coupons_;
  internal::Live<CheckInOptions> options_;
};

}  // namespace shopcrm::membership
