#include "core/clock.h"

#include <date/date.h>
#include <date/tz.h>

#include <charconv>
#include <cstdio>

namespace shopcrm::core {
namespace {

const date::time_zone* Zone(const void* z) { return static_cast<const date::time_zone*>(z); }

bool ParseInt(std::string_view s, int& out) {
  const auto* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && p == end;
}

}  // namespace

Instant SystemClock::Now() const {
  return std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
}

int64_t ToUnixMicros(Instant t) { return t.time_since_epoch().count(); }
Instant FromUnixMicros(int64_t micros) { return Instant(std::chrono::microseconds(micros)); }

std::string FormatRfc3339(Instant t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd(day);
  const std::chrono::hh_mm_ss hms(t - day);
  char buf[48];
  const auto micros = hms.subseconds().count();
  if (micros == 0) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06lldZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<long long>(micros));
  }
  return buf;
}

Result<Instant> ParseRfc3339(std::string_view s) {
  auto bad = [] {
    return InvalidArgument("invalid_timestamp",
                           "timestamp must be RFC 3339, e.g. 2026-11-22T08:00:00Z or "
                           "2026-11-22T16:00:00+08:00");
  };
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':') {
    return bad();
  }
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!ParseInt(s.substr(0, 4), y) || !ParseInt(s.substr(5, 2), mo) ||
      !ParseInt(s.substr(8, 2), d) || !ParseInt(s.substr(11, 2), h) ||
      !ParseInt(s.substr(14, 2), mi) || !ParseInt(s.substr(17, 2), sec)) {
    return bad();
  }
  const std::chrono::year_month_day ymd{std::chrono::year(y),
                                        std::chrono::month(static_cast<unsigned>(mo)),
                                        std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 59) return bad();
  size_t i = 19;
  int64_t micros = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits == 6) return bad();
      micros = micros * 10 + (s[i] - '0');
      ++digits;
      ++i;
    }
    if (digits == 0) return bad();
    for (; digits < 6; ++digits) micros *= 10;
  }
  std::chrono::minutes offset{0};
  const std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z") {
    int oh = 0, om = 0;
    if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-') || zone[3] != ':' ||
        !ParseInt(zone.substr(1, 2), oh) || !ParseInt(zone.substr(4, 2), om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset = std::chrono::minutes(oh * 60 + om);
    if (zone[0] == '-') offset = -offset;
  }
  const auto local = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
                     std::chrono::seconds(sec) + std::chrono::microseconds(micros);
  return Instant(local - offset);
}

std::string FormatDate(LocalDate d) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(d.year()),
                static_cast<unsigned>(d.month()), static_cast<unsigned>(d.day()));
  return buf;
}

Result<BusinessTimeZone> BusinessTimeZone::Load(std::string_view name) {
  try {
    const date::time_zone* zone = date::locate_zone(name);
    return BusinessTimeZone(std::string(name), zone);
  } catch (const std::exception&) {
    return InvalidArgument("unknown_time_zone", "unknown time zone '" + std::string(name) +
                                                    "'; use an IANA name such as Asia/Shanghai");
  }
}

LocalDate BusinessTimeZone::DateOf(Instant t) const {
  const auto local = Zone(zone_)->to_local(t);
  return LocalDate(date::floor<date::days>(local).time_since_epoch() + std::chrono::sys_days{});
}

Instant BusinessTimeZone::StartOfDay(LocalDate d) const {
  const date::local_days local{std::chrono::sys_days(d).time_since_epoch()};
  // choose::earliest resolves ambiguous midnights; a skipped midnight maps to
  // the first instant after the gap.
  const auto info = Zone(zone_)->get_info(date::local_seconds(local));
  if (info.result == date::local_info::nonexistent) {
    return std::chrono::time_point_cast<std::chrono::microseconds>(info.second.begin);
  }
  return std::chrono::time_point_cast<std::chrono::microseconds>(
      Zone(zone_)->to_sys(date::local_seconds(local), date::choose::earliest));
}

Instant BusinessTimeZone::AtLocalTime(LocalDate d, std::chrono::microseconds time_of_day) const {
  const auto local = std::chrono::sys_days(d).time_since_epoch() + time_of_day;
  // For a skipped wall time `first` is the period before the gap; for a
  // repeated one it is the earlier period; otherwise it is the only one.
  const auto info =
      Zone(zone_)->get_info(date::local_seconds(std::chrono::floor<std::chrono::seconds>(local)));
  return Instant(local - std::chrono::duration_cast<std::chrono::microseconds>(info.first.offset));
}

}  // namespace shopcrm::core
