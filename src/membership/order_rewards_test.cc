// Order rewards on both backends: points per yuan times the member's
// multiplier (level or paid plan), held for the return window, with the
// order's growth; once per order; taken back on refund.
#include "membership/order_rewards.h"

#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using shopcrm::testing::TestBackend;

class OrderRewardsTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    paid_ = std::make_unique<PaidMemberships>(t_->db(), clock_, ids_, audit_, *levels_);
    rewards_ = std::make_unique<OrderRewards>(*points_, *levels_, *paid_, OrderRewardOptions{1, 7});
  }

  core::Result<OrderReward> Reward(int64_t user, const std::string& order, int64_t paid) {
    return store::TransactFor<OrderReward>(t_->db(), store::TxMode::kWrite, [&](store::Session& s) {
      return rewards_->RewardIn(s, user, order, paid, clock_.Now());
    });
  }
  core::Result<OrderReward> TakeBack(int64_t user, const std::string& order) {
    return store::TransactFor<OrderReward>(t_->db(), store::TxMode::kWrite, [&](store::Session& s) {
      return rewards_->TakeBackIn(s, user, order, clock_.Now());
    });
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<PaidMemberships> paid_;
  std::unique_ptr<OrderRewards> rewards_;
};

TEST_P(OrderRewardsTest, PointsPerYuanTimesTheMultiplierHeldWithTheGrowth) {
  // Without a level scheme: points only.
  auto bare = Reward(3, "o-bare", 9999);
  ASSERT_TRUE(bare.ok()) << bare.error().ToString();
  EXPECT_EQ(bare->points, 99);
  EXPECT_FALSE(bare->level.has_value());

  LevelSchemeSpec scheme;
  for (int i = 0; i < 4; ++i) scheme.levels.push_back({i + 1, "L", int64_t{i} * 100, {}});
  scheme.levels[1].benefits.points_percent = 150;
  ASSERT_TRUE(levels_->SetScheme(scheme, actor_).ok());

  auto first = Reward(1, "o-1", 12050);  // 120.50: 120 points at 100 %, 120 growth → level 2
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->points_percent, 100);
  EXPECT_EQ(first->points, 120);
  EXPECT_EQ(first->growth, 120);
  EXPECT_EQ(first->account.pending, 120);  // held for the return window
  EXPECT_EQ(first->account.available, 0);
  EXPECT_EQ(first->level->level, 2);
  auto second = Reward(1, "o-2", 10000);  // level 2 earns 1.5×
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->points_percent, 150);
  EXPECT_EQ(second->points, 150);
  EXPECT_EQ(Reward(1, "o-1", 12050).error().reason(), "order_rewarded");

  // A paid plan's multiplier counts when it is the larger.
  PaidPlanSpec plan{"PLUS", 30, 1500, 0, {}};
  plan.benefits.points_percent = 200;
  auto p = paid_->CreatePlan(plan, actor_);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(paid_->Purchase(2, p->id, 1500, "pay-2").ok());
  EXPECT_EQ(Reward(2, "o-3", 1000)->points, 20);

  // The refund takes back both; a second take-back finds nothing.
  auto back = TakeBack(1, "o-1");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->points, 120);
  EXPECT_EQ(back->growth, 120);
  EXPECT_EQ(back->account.pending, 150);
  EXPECT_EQ(back->level->level, 3);  // 220 growth reached 3; levels go down only when recycled
  EXPECT_EQ(TakeBack(1, "o-1").error().reason(), "nothing_to_reverse");
  EXPECT_EQ(TakeBack(1, "never").error().reason(), "nothing_to_reverse");
  EXPECT_EQ(Reward(1, "", 100).error().reason(), "invalid_fields");
  EXPECT_EQ(Reward(1, "o-4", 0).error().reason(), "invalid_fields");
}

INSTANTIATE_TEST_SUITE_P(Backends, OrderRewardsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
