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

INSTANTIATE_TEST_SUITE_P(Backends, CheckInsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
