#include <gtest/gtest.h>

#include <random>
#include <set>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "core/json.h"
#include "core/money.h"

namespace shopcrm::core {
namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(Instant t) : t_(t) {}
  Instant Now() const override { return t_; }

 private:
  Instant t_;
};

TEST(Money, ParsesExactDecimalsAndRefusesRounding) {
  auto cny = Currency::Cny();
  EXPECT_EQ(Money::ParseDecimal("12.3", cny)->minor_units(), 1230);
  EXPECT_EQ(Money::ParseDecimal("0.05", cny)->minor_units(), 5);
  EXPECT_EQ(Money::ParseDecimal("-100", cny)->minor_units(), -10000);
  EXPECT_EQ(Money::ParseDecimal("1.234", cny).error().reason(), "invalid_amount");
  EXPECT_EQ(Money::ParseDecimal("1e3", cny).error().reason(), "invalid_amount");
  EXPECT_EQ(Money::ParseDecimal("", cny).error().reason(), "invalid_amount");
  EXPECT_EQ(Money::ParseDecimal("99999999999999999999", cny).error().reason(), "amount_overflow");
  EXPECT_EQ(Money::ParseDecimal("500", *Currency::Parse("JPY"))->minor_units(), 500);
}

TEST(Money, FormatsMinorUnits) {
  EXPECT_EQ(Money(1230, Currency::Cny()).ToDecimalString(), "12.30");
  EXPECT_EQ(Money(-5, Currency::Cny()).ToDecimalString(), "-0.05");
  EXPECT_EQ(Money(INT64_MIN, Currency::Cny()).ToDecimalString(), "-92233720368547758.08");
}

TEST(Money, ArithmeticIsChecked) {
  Money a(INT64_MAX, Currency::Cny());
  EXPECT_EQ(a.Add(Money(1, Currency::Cny())).error().reason(), "amount_overflow");
  EXPECT_EQ(a.Add(Money(1, *Currency::Parse("USD"))).error().reason(), "currency_mismatch");
  EXPECT_EQ(Money(5, Currency::Cny()).Subtract(Money(7, Currency::Cny()))->minor_units(), -2);
  EXPECT_EQ(Currency::Parse("cny").error().reason(), "invalid_currency");
}

TEST(AllocateProportionally, PartsAlwaysSumToTheTotal) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 2000; ++round) {
    const size_t n = 1 + rng() % 8;
    std::vector<int64_t> weights(n);
    for (auto& w : weights) w = static_cast<int64_t>(rng() % 100000);
    weights[0] += 1;
    const auto total = static_cast<int64_t>(rng() % 1000000) - 500000;
    auto parts = AllocateProportionally(total, weights);
    ASSERT_TRUE(parts.ok());
    int64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      sum += (*parts)[i];
      if (weights[i] == 0) {
        EXPECT_EQ((*parts)[i], 0);
      }
      EXPECT_EQ((*parts)[i] < 0, total < 0 && (*parts)[i] != 0);
    }
    ASSERT_EQ(sum, total);
  }
}

TEST(AllocateProportionally, LeftoverGoesToLargestRemainderThenLowerIndex) {
  auto parts = AllocateProportionally(100, std::vector<int64_t>{1, 1, 1});
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(*parts, (std::vector<int64_t>{34, 33, 33}));
  EXPECT_EQ(AllocateProportionally(10, std::vector<int64_t>{0, 0}).error().reason(),
            "invalid_weights");
  EXPECT_EQ(AllocateProportionally(10, std::vector<int64_t>{-1, 2}).error().reason(),
            "invalid_weights");
}

TEST(Rfc3339, RoundTripsAndHonoursOffsets) {
  auto t = ParseRfc3339("2026-11-22T16:00:00+08:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(FormatRfc3339(*t), "2026-11-22T08:00:00Z");
  auto frac = ParseRfc3339("2026-01-02T03:04:05.5Z");
  ASSERT_TRUE(frac.ok());
  EXPECT_EQ(FormatRfc3339(*frac), "2026-01-02T03:04:05.500000Z");
  for (const char* bad : {"2026-02-30T00:00:00Z", "2026-11-22 08:00:00Z", "2026-11-22T08:00:00",
                          "x", "2026-11-22T08:00:00+0800", "2026-11-22T08:00:00.1234567Z"}) {
    EXPECT_EQ(ParseRfc3339(bad).error().reason(), "invalid_timestamp") << bad;
  }
}

TEST(BusinessTimeZone, ShanghaiDayStartsAt16Utc) {
  auto tz = BusinessTimeZone::Load("Asia/Shanghai");
  ASSERT_TRUE(tz.ok());
  // 2026-11-22T15:59:59Z is 23:59:59 in Shanghai; one second later is the next day.
  auto before = *ParseRfc3339("2026-11-22T15:59:59Z");
  auto after = *ParseRfc3339("2026-11-22T16:00:00Z");
  EXPECT_EQ(FormatDate(tz->DateOf(before)), "2026-11-22");
  EXPECT_EQ(FormatDate(tz->DateOf(after)), "2026-11-23");
  EXPECT_EQ(FormatRfc3339(tz->StartOfDay(tz->DateOf(after))), "2026-11-22T16:00:00Z");
  EXPECT_EQ(BusinessTimeZone::Load("Mars/Olympus").error().reason(), "unknown_time_zone");
}

TEST(BusinessTimeZone, HandlesDaylightSavingDays) {
  auto tz = BusinessTimeZone::Load("America/Sao_Paulo");
  ASSERT_TRUE(tz.ok());
  // Sao Paulo used UTC-3 standard time on 2018-06-01.
  const LocalDate d{std::chrono::year(2018), std::chrono::June, std::chrono::day(1)};
  EXPECT_EQ(FormatRfc3339(tz->StartOfDay(d)), "2018-06-01T03:00:00Z");
  // On 2018-11-04 clocks jumped from 00:00 to 01:00: the day starts at 01:00 local.
  const LocalDate dst{std::chrono::year(2018), std::chrono::November, std::chrono::day(4)};
  EXPECT_EQ(FormatRfc3339(tz->StartOfDay(dst)), "2018-11-04T03:00:00Z");
}

TEST(BusinessTimeZone, ReadsLocalWallTimesAcrossDaylightSavingChanges) {
  auto tz = BusinessTimeZone::Load("America/Sao_Paulo");
  ASSERT_TRUE(tz.ok());
  using std::chrono::hours;
  using std::chrono::minutes;
  const LocalDate winter{std::chrono::year(2018), std::chrono::June, std::chrono::day(1)};
  EXPECT_EQ(FormatRfc3339(tz->AtLocalTime(winter, hours(10) + minutes(5))), "2018-06-01T13:05:00Z");
  const LocalDate summer{std::chrono::year(2018), std::chrono::January, std::chrono::day(10)};
  EXPECT_EQ(FormatRfc3339(tz->AtLocalTime(summer, hours(10))), "2018-01-10T12:00:00Z");
  // 2018-11-04 00:30 never happened (00:00 jumped to 01:00); it reads as 01:30.
  const LocalDate gap{std::chrono::year(2018), std::chrono::November, std::chrono::day(4)};
  EXPECT_EQ(FormatRfc3339(tz->AtLocalTime(gap, minutes(30))), "2018-11-04T03:30:00Z");
  EXPECT_EQ(FormatRfc3339(tz->AtLocalTime(gap, hours(0))), "2018-11-04T03:00:00Z");
  // 2018-02-17 23:30 happened twice (00:00 went back to 23:00); the earlier one wins.
  const LocalDate twice{std::chrono::year(2018), std::chrono::February, std::chrono::day(17)};
  EXPECT_EQ(FormatRfc3339(tz->AtLocalTime(twice, hours(23) + minutes(30))), "2018-02-18T01:30:00Z");
}

TEST(IdGenerator, StrictlyIncreasingAndUniqueAcrossThreads) {
  FixedClock clock(*ParseRfc3339("2026-11-22T08:00:00Z"));
  IdGenerator ids(clock, 7);
  std::vector<std::vector<int64_t>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& out : per_thread) {
    threads.emplace_back([&ids, &out] {
      for (int i = 0; i < 5000; ++i) out.push_back(ids.Next());
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& v : per_thread) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(all.size(), 20000U);
  // A frozen clock still yields ids; their encoded time never runs backwards.
  EXPECT_GE(IdGenerator::TimeOf(*all.begin()), clock.Now());
}

TEST(IdGenerator, DistinctNodesNeverCollide) {
  FixedClock clock(*ParseRfc3339("2026-11-22T08:00:00Z"));
  IdGenerator a(clock, 1);
  IdGenerator b(clock, 2);
  std::set<int64_t> all;
  for (int i = 0; i < 3000; ++i) {
    all.insert(a.Next());
    all.insert(b.Next());
  }
  EXPECT_EQ(all.size(), 6000U);
  EXPECT_EQ(ParseId("0"), std::nullopt);
  EXPECT_EQ(ParseId("-5"), std::nullopt);
  EXPECT_EQ(ParseId("12a"), std::nullopt);
  EXPECT_EQ(ParseId("123"), 123);
}

TEST(ParseJson, ReportsSyntaxDepthAndSize) {
  EXPECT_TRUE(ParseJson(R"({"a":[1,2,{"b":"]]]]"}]})").ok());
  EXPECT_EQ(ParseJson("{\"a\":").error().reason(), "invalid_json");
  std::string deep(100, '[');
  EXPECT_EQ(ParseJson(deep, {.max_bytes = 1000, .max_depth = 32}).error().reason(),
            "json_too_deep");
  EXPECT_EQ(ParseJson(std::string(2000, ' '), {.max_bytes = 1000, .max_depth = 32}).error().code(),
            ErrorCode::kPayloadTooLarge);
}

TEST(JsonObjectReader, CollectsEveryBadFieldAtOnce) {
  auto j = *ParseJson(R"({"name": 5, "role": "king", "extra": true, "n": 1.5})");
  JsonObjectReader r(j);
  (void)r.RequiredString("name");
  (void)r.RequiredEnum("role", {"admin", "analyst"});
  (void)r.RequiredString("missing");
  (void)r.OptionalInt("n");
  auto st = r.Finish();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason(), "invalid_fields");
  std::set<std::pair<std::string, std::string>> got;
  for (const auto& f : st.error().fields()) got.emplace(f.field, f.reason);
  EXPECT_EQ(got, (std::set<std::pair<std::string, std::string>>{{"name", "must_be_string"},
                                                                {"role", "not_allowed"},
                                                                {"missing", "required"},
                                                                {"n", "must_be_integer"},
                                                                {"extra", "unknown_field"}}));
}

}  // namespace
}  // namespace shopcrm::core
