// The points rules on both backends: saved rules apply at once to check-ins,
// order points and expiry, are versioned and audited, and are what a second
// server loads; bad rules are named field by field and change nothing.
#include "membership/rules.h"

#include "membership/membership_test.h"
#include "membership/paid.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class RulesTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    paid_ = std::make_unique<PaidMemberships>(t_->db(), clock_, ids_, audit_, *levels_);
    orders_ = std::make_unique<OrderRewards>(*points_, *levels_, *paid_, OrderRewardOptions{});
    rules_ = std::make_unique<Rules>(t_->db(), clock_, audit_, *points_, *check_ins_, *orders_);
  }

  core::Result<RuleSet> Read(const std::string& json) {
    auto current = rules_->Current();
    EXPECT_TRUE(current.ok());
    return ReadRuleSet(*core::ParseJson(json), current->rules);
  }

  const audit::Actor actor_{"console_user", "1", "运营小王", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<PaidMemberships> paid_;
  std::unique_ptr<OrderRewards> orders_;
  std::unique_ptr<Rules> rules_;
};

TEST_P(RulesTest, SavedRulesApplyAtOnceAndAreWhatAnotherServerLoads) {
  auto configured = rules_->Current();
  ASSERT_TRUE(configured.ok());
  EXPECT_EQ(configured->version, 0);
  EXPECT_EQ(configured->rules.check_in.points, 5);

  auto changed = Read(R"({"check_in": {"points": 8, "make_up_cost": 0},
                          "points": {"expiry": "never"}, "orders": {"points_per_yuan": 2}})");
  ASSERT_TRUE(changed.ok()) << changed.error().ToString();
  EXPECT_EQ(changed->check_in.streak_days, 7);  // left out: kept
  auto saved = rules_->Set(*changed, actor_);
  ASSERT_TRUE(saved.ok()) << saved.error().ToString();
  EXPECT_EQ(saved->version, 1);
  EXPECT_EQ(check_ins_->CheckInNow(1)->check_in.points, 8);
  auto order = store::TransactFor<OrderReward>(
      t_->db(), store::TxMode::kWrite,
      [&](store::Session& s) { return orders_->RewardIn(s, 2, "o-1", 10000, clock_.Now()); });
  ASSERT_TRUE(order.ok()) << order.error().ToString();
  EXPECT_EQ(order->points, 200);
  EXPECT_FALSE(points_->Account(1)->next_expiry.has_value());  // never expires now
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action = 'membership_rules.update'"), 1);

  // A second server starts with the configured rules and loads the saved ones.
  auto points2 = std::make_unique<Points>(t_->db(), clock_, ids_, tz_, PointsOptions{});
  CheckIns check_ins2(t_->db(), clock_, tz_, *points2, CheckInOptions{});
  OrderRewards orders2(*points2, *levels_, *paid_, OrderRewardOptions{});
  Rules rules2(t_->db(), clock_, audit_, *points2, check_ins2, orders2);
  EXPECT_EQ(check_ins2.options().points, 5);
  ASSERT_TRUE(rules2.Load().ok());
  EXPECT_EQ(check_ins2.options().points, 8);
  EXPECT_EQ(check_ins2.options().make_up_cost, 0);
  EXPECT_EQ(points2->options().expiry, PointsExpiry::kNever);
  EXPECT_EQ(orders2.options().points_per_yuan, 2);
  EXPECT_EQ(orders2.options().minor_per_major, 100);  // the currency's, not a rule

  auto again = rules_->Set(*Read(R"({"check_in": {"points": 6}})"), actor_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->version, 2);
  EXPECT_EQ(rules_->Current()->updated_by, "运营小王");
}

TEST_P(RulesTest, BadRulesAreNamedAndChangeNothing) {
  auto bad = Read(R"({"check_in": {"points": -1, "streak_days": 400},
                      "points": {"expiry": "sometimes"}, "orders": [], "extra": 1})");
  ASSERT_FALSE(bad.ok());
  std::vector<std::string> fields;
  for (const auto& f : bad.error().fields()) fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"extra", "points.expiry", "check_in.points",
                                              "check_in.streak_days", "orders"}));
  auto unknown = Read(R"({"check_in": {"streak_coupon_template_id": "424242"}})");
  ASSERT_TRUE(unknown.ok());
  auto refused = rules_->Set(*unknown, actor_);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().fields()[0].field, "coupon_template_id");
  EXPECT_EQ(rules_->Current()->version, 0);
  EXPECT_FALSE(check_ins_->options().streak_coupon_template_id.has_value());
}

INSTANTIATE_TEST_SUITE_P(Backends, RulesTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
