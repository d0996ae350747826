// Benefit grants (权益发放): each member's monthly coupon and birthday gift.
//
// Rules (docs/membership.md has them for integrators):
// - A member is a user with a level (a member_levels row: they have earned
//   growth) or an active paid membership. Their benefits are the level's and
//   the active plan's together (CombineBenefits).
// - Monthly: once per business month, every member whose benefits name a
//   monthly coupon template receives one coupon of it. Members count as they
//   are when the run happens (the worker starts it in the month's first
//   minutes, after any recycling); someone who becomes a member later in the
//   month receives the next month's.
// - Birthday: on a member's birthday (business date; the birthday must read
//   "YYYY-MM-DD"; a 29 February birthday falls on 28 February in other
//   years), the benefits' birthday points (points kind "birthday") and one
//   coupon of the birthday coupon template. At most once per calendar year.
// - Each (member, benefit, period) is granted at most once: a primary key
//   decides, so repeated, resumed or concurrent runs never grant twice.
// - Coupons are issued with source "benefit", channel "membership": an
//   entitlement, exempt from anti-harassment rules. The template's own stock,
//   budget and per-user limits still apply; a refusal is recorded with its
//   reason as the grant's outcome and counted, not retried in that period.
// - A run goes in chunks of kChunk members, one transaction each, and a
//   stopped run resumes after the last member done.
//
// Owns tables: benefit_grants, benefit_runs. Thread-safety: safe from any
// thread, also with two servers on one PostgreSQL.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "marketing/coupons.h"
#include "membership/levels.h"
#include "membership/paid.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct BenefitRun {
  std::string kind;    // monthly | birthday
  std::string period;  // "YYYY-MM" | "YYYY-MM-DD"
  int64_t members = 0;
  int64_t granted = 0;
  int64_t refused = 0;
  std::string status;  // running | finished
  core::Instant started_at;
  std::optional<core::Instant> finished_at;
};

struct BenefitGrant {
  int64_t user_id = 0;
  std::string benefit;  // monthly_coupon | birthday_points | birthday_coupon
  std::string period;   // "YYYY-MM" | "YYYY"
  std::optional<int64_t> coupon_id;
  int64_t points = 0;
  std::string outcome;  // granted, or the refusal's reason
  core::Instant at;
};

class BenefitGrants final {
 public:
  static constexpr int kChunk = 500;

  BenefitGrants(store::Database& db, const core::BusinessTimeZone& tz, Levels& levels,
                PaidMemberships& paid, Points& points, marketing::Coupons& coupons);

  // The monthly coupons for the business month `now` falls in.
  core::Result<BenefitRun> RunMonthly(core::Instant now);
  // The birthday gifts for the business day `now` falls in.
  core::Result<BenefitRun> RunBirthdays(core::Instant now);

  // A member's grants, newest first.
  core::Result<std::vector<BenefitGrant>> ForMember(int64_t user_id, int limit);
  // The latest runs, newest first.
  core::Result<std::vector<BenefitRun>> Runs(int limit);

 private:
  struct Member;
  using Grant = std::function<core::Status(store::Session&, const Member&, BenefitRun&)>;
  // Runs `grant` for each member `select` yields (after a user id, kChunk at a time).
  core::Result<BenefitRun> Run(const std::string& kind, const std::string& period,
                               const std::string& select, const std::vector<store::Value>& params,
                               core::Instant now, const Grant& grant);
  // Grants `benefit` for `period` once: false when it was granted before.
  core::Result<bool> Claim(store::Session& s, int64_t user_id, const std::string& benefit,
                           const std::string& period, int64_t now);
  core::Status GivePoints(store::Session& s, int64_t user_id, int64_t points,
                          const std::string& benefit, const std::string& period, core::Instant now,
                          BenefitRun& run);
  core::Status GiveCoupon(store::Session& s, int64_t user_id, int64_t template_id,
                          const std::string& benefit, const std::string& period, core::Instant now,
                          BenefitRun& run);

  store::Database& db_;
  const core::BusinessTimeZone tz_;
  Levels& levels_;
  PaidMemberships& paid_;
  Points& points_;
  marketing::Coupons& coupons_;
};

}  // namespace shopcrm::membership
