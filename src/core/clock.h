// Time: UTC instants, an injectable Clock, and the business time zone that
// decides day boundaries ("per day" limits, birthdays, check-in streaks).
//
// All code reads "now" from a Clock passed in, so tests and historical replays
// can fix it. Thread-safety: SystemClock and BusinessTimeZone are immutable
// and safe to share; see testing/fake_clock.h for the test clock.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "core/error.h"

namespace shopcrm::core {

using Instant = std::chrono::sys_time<std::chrono::microseconds>;
using LocalDate = std::chrono::year_month_day;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

class SystemClock final : public Clock {
 public:
  Instant Now() const override;
};

// Microseconds since the Unix epoch: how instants are stored in SQL.
int64_t ToUnixMicros(Instant t);
Instant FromUnixMicros(int64_t micros);

// RFC 3339 in UTC: "2026-11-22T08:00:00Z", with ".ffffff" only when the
// instant has a sub-second part.
std::string FormatRfc3339(Instant t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.f{1,6}](Z|±HH:MM)"; invalid_timestamp otherwise.
Result<Instant> ParseRfc3339(std::string_view text);
// "YYYY-MM-DD".
std::string FormatDate(LocalDate d);

// An IANA time zone (tzdata from the OS). Default Asia/Shanghai.
class BusinessTimeZone final {
 public:
  // Returns unknown_time_zone when tzdata has no such zone.
  static Result<BusinessTimeZone> Load(std::string_view name);

  const std::string& name() const { return name_; }
  // The calendar date at instant `t` in this zone.
  LocalDate DateOf(Instant t) const;
  // The first instant of local date `d` (handles zones whose midnight is skipped).
  Instant StartOfDay(LocalDate d) const;
  // The instant at which this zone's wall clock reads `time_of_day` on local
  // date `d`. A wall time that a daylight-saving change skips is read with the
  // offset in force before the change (00:30 in a 00:00→01:00 gap becomes
  // 01:30); a wall time that occurs twice gives the earlier instant.
  Instant AtLocalTime(LocalDate d, std::chrono::microseconds time_of_day) const;

 private:
  BusinessTimeZone(std::string name, const void* zone) : name_(std::move(name)), zone_(zone) {}
  std::string name_;
  const void* zone_;  // const date::time_zone*, owned by the tz database (lives forever)
};

}  // namespace shopcrm::core
