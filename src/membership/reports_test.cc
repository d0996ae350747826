// The console's membership reports on both backends: the members list with
// its filters, and the monthly metrics (penetration, conversion, paid renewal
// rate, level retention after recycling) worked out by hand for a small mall.
#include "membership/reports.h"

#include "membership/membership_test.h"
#include "membership/paid.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class ReportsTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    paid_ = std::make_unique<PaidMemberships>(t_->db(), clock_, ids_, audit_, *levels_);
    reports_ = std::make_unique<Reports>(t_->db(), clock_, tz_);
  }

  void At(const std::string& rfc3339) { clock_.Set(*core::ParseRfc3339(rfc3339)); }

  void Grow(int64_t user, int64_t growth) {
    auto g =
        store::TransactFor<GrowthChange>(t_->db(), store::TxMode::kWrite, [&](store::Session& s) {
          return levels_->AddGrowthIn(s, user, "order", growth * 100, "o" + std::to_string(user),
                                      clock_.Now());
        });
    ASSERT_TRUE(g.ok()) << g.error().ToString();
  }

  std::vector<int64_t> Ids(const MemberQuery& q) {
    auto rows = reports_->Members(q);
    EXPECT_TRUE(rows.ok()) << rows.error().ToString();
    std::vector<int64_t> out;
    for (const auto& r : *rows) out.push_back(r.user_id);
    return out;
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<PaidMemberships> paid_;
  std::unique_ptr<Reports> reports_;
};

TEST_P(ReportsTest, MembersAndTheirMonthlyMetrics) {
  At("2026-10-10T12:00:00+08:00");
  LevelSchemeSpec scheme;
  for (int i = 0; i < 4; ++i) {
    scheme.levels.push_back({i + 1,
                             "L" + std::to_string(i + 1),
                             std::vector<int64_t>{0, 100, 500, 2000}[static_cast<size_t>(i)],
                             {}});
  }
  scheme.recycle_period = "month";
  scheme.keep_percent = 80;
  ASSERT_TRUE(levels_->SetScheme(scheme, actor_).ok());
  Grow(1, 150);  // level 2; keeps 120: still 2 after recycling
  Grow(2, 600);  // level 3; keeps 480: down to 2
  Grow(3, 50);   // level 1
  At("2026-10-12T12:00:00+08:00");
  auto plan = paid_->CreatePlan({"月卡", 30, 1500, 0, {}}, actor_);
  ASSERT_TRUE(plan.ok());
  ASSERT_TRUE(paid_->Purchase(4, plan->id, 1500, "p4").ok());  // until 11 November
  ASSERT_TRUE(paid_->Purchase(5, plan->id, 1500, "p5").ok());
  auto recycled = levels_->Recycle(*core::ParseRfc3339("2026-11-01T00:00:00+08:00"));
  ASSERT_TRUE(recycled.ok()) << recycled.error().ToString();
  At("2026-11-05T12:00:00+08:00");
  ASSERT_TRUE(paid_->Purchase(4, plan->id, 1500, "p4-renew").ok());  // renewed; 5 is not
  At("2026-11-20T12:00:00+08:00");
  Grow(6, 10);

  EXPECT_EQ(Ids({}), (std::vector<int64_t>{6, 5, 4, 3, 2, 1}));
  EXPECT_EQ(Ids({std::nullopt, 2, std::nullopt, std::nullopt}),
            (std::vector<int64_t>{6, 5}));  // paging
  EXPECT_EQ(Ids({5, 50, std::nullopt, std::nullopt}), (std::vector<int64_t>{4, 3, 2, 1}));
  EXPECT_EQ(Ids({std::nullopt, 50, 2, std::nullopt}), (std::vector<int64_t>{2, 1}));
  EXPECT_EQ(Ids({std::nullopt, 50, std::nullopt, "active"}), (std::vector<int64_t>{4}));
  EXPECT_EQ(Ids({std::nullopt, 50, std::nullopt, "expired"}), (std::vector<int64_t>{5}));
  EXPECT_EQ(Ids({std::nullopt, 50, std::nullopt, "none"}), (std::vector<int64_t>{6, 3, 2, 1}));
  auto rows = reports_->Members({std::nullopt, 1, std::nullopt, std::nullopt});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ((*rows)[0].level, 1);
  EXPECT_EQ((*rows)[0].growth, 10);
  EXPECT_EQ((*rows)[0].paid_status, "none");

  auto months = reports_->Metrics("2026-10", "2026-11");
  ASSERT_TRUE(months.ok()) << months.error().ToString();
  ASSERT_EQ(months->size(), 2u);
  const auto& oct = (*months)[0];
  EXPECT_EQ(oct.month, "2026-10");
  EXPECT_EQ(oct.users, 20);
  EXPECT_EQ(oct.members, 5);
  EXPECT_DOUBLE_EQ(oct.penetration, 0.25);
  EXPECT_EQ(oct.converted, 5);
  EXPECT_EQ(oct.convertible, 20);
  EXPECT_FALSE(oct.renewal_rate.has_value());
  EXPECT_EQ(oct.above_first, 2);
  EXPECT_EQ(oct.kept, 1);
  ASSERT_TRUE(oct.level_retention.has_value());
  EXPECT_DOUBLE_EQ(*oct.level_retention, 0.5);
  const auto& nov = (*months)[1];
  EXPECT_EQ(nov.members, 6);
  EXPECT_EQ(nov.converted, 1);
  EXPECT_EQ(nov.convertible, 15);
  EXPECT_EQ(nov.paid_ending, 2);
  EXPECT_EQ(nov.paid_renewed, 1);
  ASSERT_TRUE(nov.renewal_rate.has_value());
  EXPECT_DOUBLE_EQ(*nov.renewal_rate, 0.5);
  EXPECT_FALSE(nov.level_retention.has_value());

  EXPECT_EQ(reports_->Metrics("2026-13", "2026-11").error().reason(), "invalid_query");
  EXPECT_EQ(reports_->Metrics("2026-11", "2026-10").error().fields()[0].reason, "before_from");
  EXPECT_TRUE(reports_->Metrics("2024-01", "2026-12").ok());  // 36 months
  EXPECT_EQ(reports_->Metrics("2023-12", "2026-12").error().fields()[0].reason, "out_of_range");
}

INSTANTIATE_TEST_SUITE_P(Backends, ReportsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
