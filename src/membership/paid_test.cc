// Paid membership on both backends: terms that start, renew without gaps
// (active or in grace) and lapse; benefits combined with the level's; every
// renewal counted once under concurrent purchases.
#include "membership/paid.h"

#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class PaidTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    paid_ = std::make_unique<PaidMemberships>(t_->db(), clock_, ids_, audit_, *levels_);
  }

  int64_t Plan(int term_days = 30, int64_t price = 1500, int grace = 7) {
    PaidPlanSpec s{"月卡", term_days, price, grace, {}};
    s.benefits.points_percent = 150;
    s.benefits.free_shipping_per_month = 2;
    auto p = paid_->CreatePlan(s, actor_);
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    return p.ok() ? p->id : 0;
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<PaidMemberships> paid_;
};

TEST_P(PaidTest, TermsStartRenewWithoutGapsAndLapse) {
  const int64_t plan = Plan();
  const core::Instant t0 = clock_.Now();
  auto first = paid_->Purchase(1, plan, 1500, "pay-1");
  ASSERT_TRUE(first.ok()) << first.error().ToString();
  EXPECT_EQ(first->kind, "purchase");
  EXPECT_EQ(first->membership.status, "active");
  EXPECT_EQ(*first->membership.expires_at, t0 + 24h * 30);
  // Renewed ten days in: the new term starts when the current one ends.
  clock_.Advance(24h * 10);
  auto renewed = paid_->Purchase(1, plan, 1500, "pay-2");
  ASSERT_TRUE(renewed.ok()) << renewed.error().ToString();
  EXPECT_EQ(renewed->kind, "renewal");
  EXPECT_EQ(*renewed->membership.expires_at, t0 + 24h * 60);
  EXPECT_EQ(renewed->membership.terms, 2);
  // In grace: still a renewal without a gap.
  clock_.Set(t0 + 24h * 63);
  EXPECT_EQ(paid_->Member(1)->status, "grace");
  auto in_grace = paid_->Purchase(1, plan, 1500, "pay-3");
  ASSERT_TRUE(in_grace.ok());
  EXPECT_EQ(in_grace->kind, "renewal");
  EXPECT_EQ(*in_grace->membership.expires_at, t0 + 24h * 90);
  // Past grace: a new term from now.
  clock_.Set(t0 + 24h * 100);
  EXPECT_EQ(paid_->Member(1)->status, "expired");
  auto again = paid_->Purchase(1, plan, 1500, "pay-4");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->kind, "purchase");
  EXPECT_EQ(*again->membership.expires_at, clock_.Now() + 24h * 30);
  EXPECT_EQ(again->membership.terms, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM paid_membership_events"), 4);
}

TEST_P(PaidTest, BadPurchasesAndPlansAreRefused) {
  auto bad = paid_->CreatePlan({"", 0, 0, 400, {}}, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fields().size(), 4u);
  const int64_t plan = Plan();
  EXPECT_EQ(paid_->Purchase(1, plan, 1499, "pay-1").error().reason(), "invalid_fields");
  ASSERT_TRUE(paid_->Purchase(1, plan, 1500, "pay-1").ok());
  EXPECT_EQ(paid_->Purchase(2, plan, 1500, "pay-1").error().reason(), "duplicate_payment_ref");
  EXPECT_EQ(paid_->Purchase(2, 4242, 1500, "pay-9").error().reason(), "plan_not_found");
  ASSERT_TRUE(paid_->SetPlanStatus(plan, "archived", actor_).ok());
  EXPECT_EQ(paid_->Purchase(2, plan, 1500, "pay-8").error().reason(), "plan_not_active");
  EXPECT_EQ(paid_->Member(999).error().reason(), "user_not_found");
  EXPECT_EQ(paid_->Member(3)->status, "none");
}

TEST_P(PaidTest, BenefitsCombineWithTheLevelsWhileActive) {
  LevelSchemeSpec scheme;
  for (int i = 1; i <= 4; ++i) {
    LevelDef d;
    d.level = i;
    d.name = "L" + std::to_string(i);
    d.threshold = (i - 1) * 100;
    d.benefits.points_percent = 100 + 10 * i;
    d.benefits.free_shipping_per_month = i;
    d.benefits.priority_service = i == 4;
    scheme.levels.push_back(d);
  }
  ASSERT_TRUE(levels_->SetScheme(scheme, actor_).ok());
  auto b = paid_->Benefits(4);
  ASSERT_TRUE(b.ok()) << b.error().ToString();
  EXPECT_FALSE(b->paid);
  EXPECT_EQ(b->benefits.points_percent, 110);
  ASSERT_TRUE(paid_->Purchase(4, Plan(), 1500, "pay-5").ok());
  b = paid_->Benefits(4);
  EXPECT_TRUE(b->paid);
  EXPECT_EQ(*b->level, 1);
  EXPECT_EQ(b->benefits.points_percent, 150);
  EXPECT_EQ(b->benefits.free_shipping_per_month, 3);
  clock_.Advance(24h * 31);  // in grace: the plan's benefits pause
  b = paid_->Benefits(4);
  EXPECT_FALSE(b->paid);
  EXPECT_EQ(b->benefits.points_percent, 110);
}

TEST_P(PaidTest, ConcurrentRenewalsEachCountOnce) {
  const int64_t plan = Plan();
  const core::Instant t0 = clock_.Now();
  auto outcomes = Hammer<PaidPurchase>(
      8, 8, [&](int i) { return paid_->Purchase(5, plan, 1500, "pay-c" + std::to_string(i)); });
  EXPECT_EQ(outcomes["ok"], 8);
  auto m = paid_->Member(5);
  EXPECT_EQ(m->terms, 8);
  EXPECT_EQ(*m->expires_at, t0 + 24h * 240);
}

INSTANTIATE_TEST_SUITE_P(Backends, PaidTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
