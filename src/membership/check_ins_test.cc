// Check-ins on both backends: once per business day (Shanghai midnight, not
// UTC's), streaks and their bonus, a missed day, concurrent double check-ins.
#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class CheckInsTest : public MembershipTest {};

TEST_P(CheckInsTest, OncePerBusinessDayWithAStreakAndItsBonus) {
  // 23:50 in Shanghai (15:50 UTC).
  clock_.Set(*core::ParseRfc3339("2026-11-01T23:50:00+08:00"));
  auto first = check_ins_->CheckInNow(1);
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->check_in.day, "2026-11-01");
  EXPECT_EQ(first->check_in.streak, 1);
  EXPECT_EQ(first->points.available, 5);
  EXPECT_EQ(check_ins_->CheckInNow(1).error().reason(), "already_checked_in");
  // Twenty minutes later it is the next business day, still the same UTC day.
  clock_.Advance(20min);
  auto second = check_ins_->CheckInNow(1);
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->check_in.day, "2026-11-02");
  EXPECT_EQ(second->check_in.streak, 2);
  for (int day = 3; day <= 7; ++day) {
    clock_.Advance(24h);
    auto c = check_ins_->CheckInNow(1);
    ASSERT_TRUE(c.ok()) << c.error().ToString();
    EXPECT_EQ(c->check_in.streak, day);
    EXPECT_EQ(c->check_in.points, day == 7 ? 25 : 5);
  }
  EXPECT_EQ(points_->Account(1)->available, 6 * 5 + 25);
  // A missed day starts the streak again.
  clock_.Advance(48h);
  EXPECT_EQ(check_ins_->CheckInNow(1)->check_in.streak, 1);
  auto month = check_ins_->Month(1, "2026-11");
  ASSERT_TRUE(month.ok());
  EXPECT_EQ(month->size(), 8u);
  EXPECT_EQ(month->front().day, "2026-11-01");
  EXPECT_EQ(check_ins_->Month(1, "2026-13").error().reason(), "invalid_query");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE kind = 'check_in'"), 8);
}

TEST_P(CheckInsTest, ConcurrentCheckInsGiveOne) {
  auto outcomes = Hammer<CheckInResult>(8, 16, [&](int) { return check_ins_->CheckInNow(2); });
  EXPECT_EQ(outcomes["ok"], 1);
  EXPECT_EQ(outcomes["already_checked_in"], 15);
  EXPECT_EQ(points_->Account(2)->available, 5);
}

TEST_P(CheckInsTest, UnknownUserIsNotFound) {
  EXPECT_EQ(check_ins_->CheckInNow(999).error().reason(), "user_not_found");
}

class MakeUpTest : public MembershipTest {
 protected:
  core::Result<CheckInResult> MakeUp(int64_t user, const std::string& day) {
    return store::TransactFor<CheckInResult>(
        t_->db(), store::TxMode::kWrite,
        [&](store::Session& s) { return check_ins_->MakeUpIn(s, user, day, clock_.Now()); });
  }
  // Checks member 1 in on each of `days` of November 2026, at noon in Shanghai.
  void CheckInOn(std::initializer_list<int> days) {
    for (int d : days) {
      clock_.Set(*core::ParseRfc3339("2026-11-" + std::string(d < 10 ? "0" : "") +
                                     std::to_string(d) + "T12:00:00+08:00"));
      ASSERT_TRUE(check_ins_->CheckInNow(1).ok()) << d;
    }
  }
  int Streak(const std::string& day) {
    return static_cast<int>(
        Count("SELECT streak FROM check_ins WHERE user_id = 1 AND day = '" + day + "'"));
  }
};

TEST_P(MakeUpTest, AMakeUpJoinsTwoRunsAndCostsPoints) {
  CheckInOn({1, 2, 3, 5, 6});
  EXPECT_EQ(Streak("2026-11-05"), 1);
  ASSERT_EQ(points_->Account(1)->available, 25);
  auto made = MakeUp(1, "2026-11-04");
  ASSERT_TRUE(made.ok()) << made.error().ToString();
  EXPECT_TRUE(made->check_in.made_up);
  EXPECT_EQ(made->check_in.streak, 4);
  EXPECT_EQ(made->points.available, 25 - 20 + 5);
  EXPECT_EQ(Streak("2026-11-05"), 5);
  EXPECT_EQ(Streak("2026-11-06"), 6);
  // The 7th day in a row earns the streak bonus.
  CheckInOn({7});
  EXPECT_EQ(Streak("2026-11-07"), 7);
  EXPECT_EQ(points_->Account(1)->available, 10 + 25);
  EXPECT_EQ(check_ins_->MakeUpsLeft(1).value(), 1);
  auto month = check_ins_->Month(1, "2026-11");
  ASSERT_TRUE(month.ok());
  EXPECT_TRUE((*month)[3].made_up);
  EXPECT_FALSE((*month)[4].made_up);
}

TEST_P(MakeUpTest, OnlyMissedDaysOfThisMonthAFewTimesAMonthWithPointsToPay) {
  CheckInOn({2, 4, 6, 8, 10, 12, 14});                                          // 35 points
  EXPECT_EQ(MakeUp(1, "2026-11-14").error().reason(), "make_up_out_of_range");  // today
  EXPECT_EQ(MakeUp(1, "2026-11-20").error().reason(), "make_up_out_of_range");  // the future
  EXPECT_EQ(MakeUp(1, "2026-10-31").error().reason(), "make_up_out_of_range");  // last month
  EXPECT_EQ(MakeUp(1, "2026-11-31").error().reason(), "invalid_fields");
  EXPECT_EQ(MakeUp(1, "yesterday").error().reason(), "invalid_fields");
  EXPECT_EQ(MakeUp(1, "2026-11-04").error().reason(), "already_checked_in");
  EXPECT_EQ(MakeUp(999, "2026-11-03").error().reason(), "user_not_found");
  // Member 2 has no points: nothing is written.
  EXPECT_EQ(MakeUp(2, "2026-11-03").error().reason(), "insufficient_points");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM check_ins WHERE user_id = 2"), 0);
  ASSERT_TRUE(MakeUp(1, "2026-11-03").ok());
  ASSERT_TRUE(MakeUp(1, "2026-11-05").ok());
  EXPECT_EQ(MakeUp(1, "2026-11-07").error().reason(), "make_up_limit_reached");
  EXPECT_EQ(check_ins_->MakeUpsLeft(1).value(), 0);
  // The limit is per month.
  clock_.Set(*core::ParseRfc3339("2026-12-03T12:00:00+08:00"));
  EXPECT_EQ(check_ins_->MakeUpsLeft(1).value(), 2);
}

TEST_P(MakeUpTest, ConcurrentMakeUpsStopAtTheLimit) {
  CheckInOn({20});
  ASSERT_TRUE(points_->Earn({1, 1000, "test", "", "", 0}).ok());
  auto outcomes = Hammer<CheckInResult>(
      8, 8, [&](int i) { return MakeUp(1, "2026-11-0" + std::to_string(i + 1)); });
  EXPECT_EQ(outcomes["ok"], 2);
  EXPECT_EQ(outcomes["make_up_limit_reached"], 6);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM check_ins WHERE user_id = 1 AND made_up = 1"), 2);
  EXPECT_EQ(points_->Account(1)->available, 5 + 1000 - 2 * 20 + 2 * 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, MakeUpTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

INSTANTIATE_TEST_SUITE_P(Backends, CheckInsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
