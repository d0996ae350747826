// Benefit grants on both backends: the monthly coupon once per member and
// month (exempt from anti-harassment, refusals recorded), birthday points and
// coupons on the birthday (29 February on the 28th), and exactly one grant
// each when two runs go at once.
#include "membership/benefit_grants.h"

#include "marketing/templates.h"
#include "membership/housekeeping.h"
#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class BenefitGrantsTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    // 2026-11-27 10:00 in Shanghai.
    clock_.Set(*core::ParseRfc3339("2026-11-27T10:00:00+08:00"));
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    paid_ = std::make_unique<PaidMemberships>(t_->db(), clock_, ids_, audit_, *levels_);
    templates_ = std::make_unique<marketing::Templates>(t_->db(), clock_, ids_, audit_);
    marketing::CouponsOptions o;
    o.max_unused_crm = 1;  // entitlements must not count against it
    coupons_ = std::make_unique<marketing::Coupons>(t_->db(), clock_, ids_, tz_, o);
    grants_ = std::make_unique<BenefitGrants>(t_->db(), tz_, *levels_, *paid_, *points_, *coupons_);
  }

  int64_t Template(std::optional<int64_t> stock = std::nullopt) {
    return MakeRedPacket(*templates_, "会员月券", 500, stock);
  }

  // Four levels; level 2 and up get `benefits`.
  void SetScheme(const LevelBenefits& benefits, std::string recycle = "none") {
    LevelSchemeSpec s;
    s.recycle_period = std::move(recycle);
    for (int i = 0; i < 4; ++i) {
      LevelDef d{i + 1, "L" + std::to_string(i + 1), int64_t{i} * 100, {}};
      if (i >= 1) d.benefits = benefits;
      s.levels.push_back(d);
    }
    ASSERT_TRUE(levels_->SetScheme(s, actor_).ok());
  }

  void Grow(int64_t user, int64_t growth) {
    auto g =
        store::TransactFor<GrowthChange>(t_->db(), store::TxMode::kWrite, [&](store::Session& s) {
          return levels_->AddGrowthIn(s, user, "order", growth * 100, "o" + std::to_string(user),
                                      clock_.Now());
        });
    ASSERT_TRUE(g.ok()) << g.error().ToString();
  }

  void Exec(const std::string& sql) {
    auto st = t_->db().WithSession(
        [&](store::Session& s) -> core::Status { return s.Execute(sql).status(); });
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }

  int64_t Coupons(int64_t user) {
    return Count("SELECT COUNT(*) FROM coupons WHERE source = 'benefit' AND user_id = " +
                 std::to_string(user));
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<PaidMemberships> paid_;
  std::unique_ptr<marketing::Templates> templates_;
  std::unique_ptr<marketing::Coupons> coupons_;
  std::unique_ptr<BenefitGrants> grants_;
};

TEST_P(BenefitGrantsTest, MonthlyCouponOncePerMemberAndMonth) {
  const int64_t monthly = Template();
  LevelBenefits b;
  b.monthly_coupon_template_id = monthly;
  SetScheme(b);
  for (int64_t u : {1, 2, 3}) Grow(u, 150);  // level 2
  Grow(4, 10);                               // level 1: no coupon
  // A paid plan's coupon reaches a member without a level.
  PaidPlanSpec plan{"月卡", 30, 1500, 0, {}};
  plan.benefits.monthly_coupon_template_id = monthly;
  auto p = paid_->CreatePlan(plan, actor_);
  ASSERT_TRUE(p.ok());
  ASSERT_TRUE(paid_->Purchase(5, p->id, 1500, "pay-5").ok());
  // User 1 already holds a CRM-granted coupon: the anti-harassment cap (1) is
  // reached for grants, not for entitlements.
  ASSERT_TRUE(coupons_
                  ->Issue({monthly, 1, marketing::Source::kCrm, "op", ""}, {},
                          [](const marketing::Coupon&) { return std::string("{}"); })
                  .ok());

  auto run = grants_->RunMonthly(clock_.Now());
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->period, "2026-11");
  EXPECT_EQ(run->status, "finished");
  EXPECT_EQ(run->members, 5);
  EXPECT_EQ(run->granted, 4);
  EXPECT_EQ(run->refused, 0);
  for (int64_t u : {1, 2, 3, 5}) EXPECT_EQ(Coupons(u), 1) << u;
  EXPECT_EQ(Coupons(4), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source = 'benefit' AND channel = "
                  "'membership' AND source_ref = 'monthly_coupon:2026-11'"),
            4);

  // Again in the same month: the first run's report, nothing new.
  clock_.Advance(24h * 3);
  auto again = grants_->RunMonthly(clock_.Now());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->granted, 4);
  EXPECT_EQ(Coupons(1), 1);

  // Next month (Shanghai's 1 December begins at 16:00 UTC on 30 November).
  clock_.Set(*core::ParseRfc3339("2026-11-30T16:00:00Z"));
  auto december = grants_->RunMonthly(clock_.Now());
  ASSERT_TRUE(december.ok());
  EXPECT_EQ(december->period, "2026-12");
  EXPECT_EQ(december->granted, 4);
  EXPECT_EQ(Coupons(1), 2);
  auto mine = grants_->ForMember(1, 10);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].period, "2026-12");
  EXPECT_EQ((*mine)[0].outcome, "granted");
  EXPECT_TRUE((*mine)[0].coupon_id.has_value());
}

TEST_P(BenefitGrantsTest, ARefusedCouponIsRecordedWithItsReason) {
  LevelBenefits b;
  b.monthly_coupon_template_id = Template(2);
  SetScheme(b);
  for (int64_t u : {1, 2, 3}) Grow(u, 150);
  auto run = grants_->RunMonthly(clock_.Now());
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->granted, 2);
  EXPECT_EQ(run->refused, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM benefit_grants WHERE outcome = 'coupon_stock_exhausted' "
                  "AND coupon_id IS NULL"),
            1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source = 'benefit'"), 2);
}

TEST_P(BenefitGrantsTest, BirthdayGiftsOnTheBirthdayOncePerYear) {
  LevelBenefits b;
  b.birthday_points = 100;
  b.birthday_coupon_template_id = Template();
  SetScheme(b);
  for (int64_t u : {1, 2, 3, 4}) Grow(u, 150);
  Exec("UPDATE users SET birthday = '1990-11-27' WHERE id IN (1, 5)");  // 5: not a member
  Exec("UPDATE users SET birthday = '1990-11-28' WHERE id = 2");
  Exec("UPDATE users SET birthday = '2000-02-29' WHERE id = 3");

  auto run = grants_->RunBirthdays(clock_.Now());
  ASSERT_TRUE(run.ok()) << run.error().ToString();
  EXPECT_EQ(run->period, "2026-11-27");
  EXPECT_EQ(run->members, 1);
  EXPECT_EQ(run->granted, 2);  // points and a coupon
  EXPECT_EQ(points_->Account(1)->available, 100);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE user_id = 1 AND kind = 'birthday'"),
            1);
  EXPECT_EQ(Coupons(1), 1);
  EXPECT_EQ(points_->Account(5)->available, 0);
  EXPECT_EQ(Coupons(2), 0);
  ASSERT_TRUE(grants_->RunBirthdays(clock_.Now()).ok());
  EXPECT_EQ(points_->Account(1)->available, 100);

  // The next day is user 2's.
  clock_.Advance(24h);
  ASSERT_TRUE(grants_->RunBirthdays(clock_.Now()).ok());
  EXPECT_EQ(points_->Account(2)->available, 100);
  // 2027 has no 29 February: user 3's gift comes on the 28th.
  clock_.Set(*core::ParseRfc3339("2027-02-28T09:00:00+08:00"));
  auto leap = grants_->RunBirthdays(clock_.Now());
  ASSERT_TRUE(leap.ok());
  EXPECT_EQ(leap->members, 1);
  EXPECT_EQ(points_->Account(3)->available, 100);
}

TEST_P(BenefitGrantsTest, TwoRunsAtOnceGrantEachMemberOnce) {
  LevelBenefits b;
  b.monthly_coupon_template_id = Template();
  SetScheme(b);
  for (int64_t u = 1; u <= 20; ++u) Grow(u, 150);
  auto outcomes = Hammer<BenefitRun>(2, 2, [&](int) { return grants_->RunMonthly(clock_.Now()); });
  EXPECT_EQ(outcomes["ok"], 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source = 'benefit'"), 20);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT user_id) FROM coupons WHERE source = 'benefit'"), 20);
  EXPECT_EQ(Count("SELECT granted FROM benefit_runs WHERE kind = 'monthly'"), 20);
}

TEST_P(BenefitGrantsTest, TheWorkerGrantsAfterRecyclingSoCouponsFollowTheNewLevel) {
  LevelBenefits b;
  b.monthly_coupon_template_id = Template();
  SetScheme(b, "month");  // keeps nothing: level 2 falls to 1 at the month's end
  Grow(1, 150);
  Housekeeping worker(clock_, *points_, *levels_, grants_.get());
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(Coupons(1), 1);
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(Coupons(1), 1);
  clock_.Set(*core::ParseRfc3339("2026-12-01T00:00:30+08:00"));
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(levels_->Member(1)->level, 1);
  EXPECT_EQ(Coupons(1), 1);
  EXPECT_EQ(Count("SELECT members FROM benefit_runs WHERE period = '2026-12'"), 1);
}

INSTANTIATE_TEST_SUITE_P(Backends, BenefitGrantsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
