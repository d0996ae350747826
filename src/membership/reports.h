// What the console shows about membership as a whole: the members list and
// the membership metrics over time.
//
// - A member here is a user with any membership row: a level (growth
//   earned), points, stored value or a paid membership.
// - Metrics per business month (docs/membership.md, "Membership metrics"):
//   penetration = members / users at the month's end, a user counting as a
//   member from their first growth or paid purchase; conversion = users who
//   became members in the month / users who were not members at its start
//   or joined during it; paid renewal rate = paid terms ending in the month
//   that were renewed / paid terms ending in it; level retention = of the
//   members above level 1 before the month's recycling runs, the share that
//   kept their level.
//
// Thread-safety: safe from any thread. Error reasons: invalid_query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "store/database.h"

namespace shopcrm::membership {

struct MemberRow {
  int64_t user_id = 0;
  std::string external_id;
  std::optional<std::string> name;
  std::optional<int> level;  // none without growth
  int64_t growth = 0;
  int64_t points_available = 0, points_pending = 0;
  int64_t principal = 0, bonus = 0;  // minor units
  std::optional<std::string> paid_plan;
  std::optional<core::Instant> paid_expires_at;
  std::string paid_status = "none";  // none | active | grace | expired
};

struct MemberQuery {
  std::optional<int64_t> cursor;  // members with a smaller user id
  int limit = 50;
  std::optional<int> level;
  std::optional<std::string> paid;  // active | grace | expired | none
};

struct MonthMetrics {
  std::string month;               // "YYYY-MM"
  int64_t users = 0, members = 0;  // at the month's end
  double penetration = 0;
  int64_t converted = 0, convertible = 0;
  double conversion = 0;
  int64_t paid_ending = 0, paid_renewed = 0;
  std::optional<double> renewal_rate;  // none without ending terms
  int64_t above_first = 0, kept = 0;
  std::optional<double> level_retention;  // none without a recycle in the month
};

class Reports final {
 public:
  static constexpr int kMaxMonths = 36;

  Reports(store::Database& db, const core::Clock& clock, const core::BusinessTimeZone& tz)
      : db_(db), clock_(clock), tz_(tz) {}

  // Members, newest user first.
  core::Result<std::vector<MemberRow>> Members(const MemberQuery& q);
  // From month `from` to month `to` ("YYYY-MM", inclusive, at most kMaxMonths).
  core::Result<std::vector<MonthMetrics>> Metrics(const std::string& from, const std::string& to);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  const core::BusinessTimeZone tz_;
};

}  // namespace shopcrm::membership
