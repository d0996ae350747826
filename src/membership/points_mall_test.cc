// The points mall on both backends: a coupon bought with points lands in the
// wallet; too few points take nothing; stock and per-member limits hold
// exactly under concurrent redemptions.
#include "membership/points_mall.h"

#include "marketing/templates.h"
#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using shopcrm::testing::TestBackend;

class PointsMallTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    templates_ = std::make_unique<marketing::Templates>(t_->db(), clock_, ids_, audit_);
    coupons_ = std::make_unique<marketing::Coupons>(t_->db(), clock_, ids_, tz_,
                                                    marketing::CouponsOptions{});
    mall_ = std::make_unique<PointsMall>(t_->db(), clock_, ids_, audit_, *points_, *coupons_);
  }

  int64_t Template() { return MakeRedPacket(*templates_, "无门槛 5 元", 500); }

  int64_t Item(MallItemSpec spec) {
    auto i = mall_->Create(spec, actor_);
    EXPECT_TRUE(i.ok()) << i.error().ToString();
    return i.ok() ? i->id : 0;
  }

  void Give(int64_t user, int64_t points) {
    ASSERT_TRUE(points_->Earn({user, points, "test", "", "", 0}).ok());
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<marketing::Templates> templates_;
  std::unique_ptr<marketing::Coupons> coupons_;
  std::unique_ptr<PointsMall> mall_;
};

TEST_P(PointsMallTest, ACouponBoughtWithPointsLandsInTheWallet) {
  const int64_t item = Item({"5 元券", "coupon", Template(), 300, 10, std::nullopt});
  Give(1, 500);
  auto r = mall_->Redeem(1, item);
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->points.available, 200);
  ASSERT_TRUE(r->redemption.coupon_id.has_value());
  EXPECT_EQ(
      Count("SELECT user_id FROM coupons WHERE id = " + std::to_string(*r->redemption.coupon_id)),
      1);
  EXPECT_EQ(Count("SELECT redeemed FROM points_mall_items"), 1);
  auto list = mall_->Redemptions(1, std::nullopt, 10);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().item_name, "5 元券");
}

TEST_P(PointsMallTest, TooFewPointsTakeNothing) {
  const int64_t item = Item({"雨伞", "goods", std::nullopt, 300, 1, std::nullopt});
  Give(2, 299);
  EXPECT_EQ(mall_->Redeem(2, item).error().reason(), "insufficient_points");
  EXPECT_EQ(Count("SELECT redeemed FROM points_mall_items"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_mall_redemptions"), 0);
  EXPECT_EQ(points_->Account(2)->available, 299);
  Give(2, 1);
  EXPECT_TRUE(mall_->Redeem(2, item).ok());
  EXPECT_EQ(mall_->Redeem(2, item).error().reason(), "item_sold_out");
}

TEST_P(PointsMallTest, BadItemsAndArchivedItemsAreRefused) {
  auto bad = mall_->Create({"", "coupon", std::nullopt, 0, -1, 0}, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fields().size(), 5u);
  const int64_t item = Item({"会员日礼包", "partner", std::nullopt, 10, std::nullopt, 1});
  ASSERT_TRUE(mall_->SetStatus(item, "archived", actor_).ok());
  Give(3, 100);
  EXPECT_EQ(mall_->Redeem(3, item).error().reason(), "item_not_active");
  EXPECT_EQ(mall_->Redeem(3, 424242).error().reason(), "item_not_found");
}

TEST_P(PointsMallTest, StockHoldsUnderConcurrentRedemptions) {
  const int64_t item = Item({"限量杯", "goods", std::nullopt, 50, 5, std::nullopt});
  for (int64_t u = 1; u <= 20; ++u) Give(u, 100);
  auto outcomes =
      Hammer<RedemptionResult>(8, 20, [&](int i) { return mall_->Redeem(1 + i, item); });
  EXPECT_EQ(outcomes["ok"], 5);
  EXPECT_EQ(outcomes["item_sold_out"], 15);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE kind = 'spend'"), 5);
}

TEST_P(PointsMallTest, ThePerMemberLimitHoldsUnderConcurrentRedemptions) {
  const int64_t item = Item({"积分抵现", "goods", std::nullopt, 10, std::nullopt, 2});
  Give(4, 1000);
  auto outcomes = Hammer<RedemptionResult>(8, 8, [&](int) { return mall_->Redeem(4, item); });
  EXPECT_EQ(outcomes["ok"], 2);
  EXPECT_EQ(outcomes["item_limit_reached"], 6);
  EXPECT_EQ(points_->Account(4)->available, 980);
}

INSTANTIATE_TEST_SUITE_P(Backends, PointsMallTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
