// Levels on both backends: scheme validation, growth from orders and tasks
// with daily caps, upgrades at once, take-backs that keep the level, the
// member's progress, recycling once per period even with two runners, and the
// worker that recycles ended periods and settles points.
#include "membership/levels.h"

#include "membership/housekeeping.h"
#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

LevelSchemeSpec Scheme(std::string period = "month", int keep = 50) {
  LevelSchemeSpec s;
  const std::vector<std::pair<std::string, int64_t>> levels{
      {"普通", 0}, {"白银", 100}, {"黄金", 500}, {"铂金", 2000}, {"钻石", 5000}};
  for (size_t i = 0; i < levels.size(); ++i) {
    LevelDef d;
    d.level = static_cast<int>(i) + 1;
    d.name = levels[i].first;
    d.threshold = levels[i].second;
    d.benefits.points_percent = 100 + 25 * static_cast<int>(i);
    s.levels.push_back(d);
  }
  s.growth_per_yuan = 1;
  s.tasks = {{"check_in", 5, 5}, {"review", 20, 40}};
  s.recycle_period = std::move(period);
  s.keep_percent = keep;
  return s;
}

class LevelsTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
  }

  core::Result<GrowthChange> Grow(int64_t user, const std::string& task, int64_t paid = 0,
                                  const std::string& ref = "") {
    return store::TransactFor<GrowthChange>(
        t_->db(), store::TxMode::kWrite, [&](store::Session& s) {
          return levels_->AddGrowthIn(s, user, task, paid, ref, clock_.Now());
        });
  }

  void ExpectReconciled(int64_t user) {
    const std::string u = std::to_string(user);
    EXPECT_EQ(Count("SELECT growth FROM member_levels WHERE user_id = " + u),
              Count("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM growth_entries WHERE "
                    "user_id = " +
                    u));
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
};

TEST_P(LevelsTest, ASchemeIsValidatedWhole) {
  auto s = Scheme();
  s.levels.resize(3);
  auto r = levels_->SetScheme(s, actor_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().fields().at(0).reason, "must_be_levels");
  s = Scheme();
  s.levels[0].threshold = 10;
  s.levels[3].threshold = 400;
  s.tasks.push_back({"order", 1, 0});
  s.keep_percent = 101;
  r = levels_->SetScheme(s, actor_);
  ASSERT_FALSE(r.ok());
  std::set<std::string> fields;
  for (const auto& f : r.error().fields()) fields.insert(f.field + ":" + f.reason);
  EXPECT_EQ(fields, (std::set<std::string>{
                        "levels[0].threshold:first_not_zero", "levels[3].threshold:not_increasing",
                        "tasks[2].task:invalid", "recycle.keep_percent:out_of_range"}));
  EXPECT_EQ(levels_->Member(1).error().reason(), "no_level_scheme");
  ASSERT_TRUE(levels_->SetScheme(Scheme(), actor_).ok());
  auto second = levels_->SetScheme(Scheme("year", 0), actor_);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->version, 2);
  EXPECT_EQ(levels_->Active()->spec.recycle_period, "year");
}

TEST_P(LevelsTest, GrowthUpgradesAtOnceAndCapsHoldPerBusinessDay) {
  ASSERT_TRUE(levels_->SetScheme(Scheme(), actor_).ok());
  clock_.Set(*core::ParseRfc3339("2026-11-10T23:00:00+08:00"));
  auto order = Grow(1, "order", 12345, "order-1");  // 123.45 yuan → 123
  ASSERT_TRUE(order.ok()) << order.error().ToString();
  EXPECT_EQ(order->member.growth, 123);
  EXPECT_EQ(order->member.level, 2);
  EXPECT_TRUE(order->upgraded);
  EXPECT_EQ(order->member.next->name, "黄金");
  EXPECT_EQ(order->member.to_next, 377);
  // Reviews: 20 each, 40 a day at most.
  EXPECT_EQ(Grow(1, "review")->entry->amount, 20);
  EXPECT_EQ(Grow(1, "review")->entry->amount, 20);
  EXPECT_FALSE(Grow(1, "review")->entry.has_value());
  clock_.Advance(1h);  // the next day in Shanghai
  EXPECT_EQ(Grow(1, "review")->entry->amount, 20);
  EXPECT_EQ(Grow(1, "bogus").error().reason(), "unknown_task");
  EXPECT_EQ(Grow(999, "review").error().reason(), "user_not_found");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM level_changes WHERE user_id = 1 AND reason = 'upgrade'"),
            1);

  // A refund takes back the order's growth but not the level.
  auto back = store::TransactFor<GrowthChange>(
      t_->db(), store::TxMode::kWrite,
      [&](store::Session& s) { return levels_->TakeBackIn(s, 1, "order-1", clock_.Now()); });
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->member.growth, 60);
  EXPECT_EQ(back->member.level, 2);
  auto again = store::TransactFor<GrowthChange>(
      t_->db(), store::TxMode::kWrite,
      [&](store::Session& s) { return levels_->TakeBackIn(s, 1, "order-1", clock_.Now()); });
  EXPECT_EQ(again.error().reason(), "nothing_to_take_back");
  ExpectReconciled(1);
}

TEST_P(LevelsTest, TheMemberSeesWhatKeepsTheirLevel) {
  ASSERT_TRUE(levels_->SetScheme(Scheme("month", 50), actor_).ok());
  clock_.Set(*core::ParseRfc3339("2026-11-30T23:00:00+08:00"));
  ASSERT_TRUE(Grow(2, "order", 60000).ok());  // 600: 黄金 (500)
  auto m = levels_->Member(2);
  ASSERT_TRUE(m.ok()) << m.error().ToString();
  EXPECT_EQ(m->level_name, "黄金");
  EXPECT_EQ(m->benefits.points_percent, 150);
  EXPECT_EQ(*m->recycle_at, *core::ParseRfc3339("2026-12-01T00:00:00+08:00"));
  EXPECT_EQ(*m->to_keep, 400);              // 1000 × 50 % = 500
  EXPECT_EQ(levels_->Member(3)->level, 1);  // no growth yet
  EXPECT_EQ(*levels_->Member(3)->to_keep, 0);
  ASSERT_TRUE(levels_->SetScheme(Scheme("quarter", 0), actor_).ok());
  m = levels_->Member(2);
  EXPECT_EQ(*m->recycle_at, *core::ParseRfc3339("2027-01-01T00:00:00+08:00"));
  EXPECT_FALSE(m->to_keep.has_value());  // everything is cleared: 黄金 cannot be kept
  ASSERT_TRUE(levels_->SetScheme(Scheme("week", 50), actor_).ok());
  // 2026-11-30 is a Monday: the week ends at the next Monday.
  EXPECT_EQ(*levels_->Member(2)->recycle_at, *core::ParseRfc3339("2026-12-07T00:00:00+08:00"));
}

TEST_P(LevelsTest, RecyclingKeepsAShareOnceEvenWithTwoRunners) {
  ASSERT_TRUE(levels_->SetScheme(Scheme("month", 50), actor_).ok());
  ASSERT_TRUE(Grow(1, "order", 120000).ok());  // 1200: 黄金 → 600: 黄金
  ASSERT_TRUE(Grow(2, "order", 60000).ok());   // 600: 黄金 → 300: 白银
  ASSERT_TRUE(Grow(3, "order", 10100).ok());   // 101: 白银 → 50: 普通
  // Many more members, so the run takes several chunks.
  ASSERT_TRUE(t_->db()
                  .Transact(store::TxMode::kWrite,
                            [](store::Session& s) -> core::Status {
                              for (int64_t u = 100; u < 4600; ++u) {
                                SHOPCRM_RETURN_IF_ERROR(
                                    s.Execute("INSERT INTO users (id, external_id, created_at, "
                                              "updated_at) VALUES (?, ?, 0, 0)",
                                              {u, "x-" + std::to_string(u)})
                                        .status());
                                SHOPCRM_RETURN_IF_ERROR(
                                    s.Execute("INSERT INTO member_levels (user_id, level, growth, "
                                              "level_since, updated_at) VALUES (?, 1, 0, 0, 0)",
                                              {u})
                                        .status());
                              }
                              return core::Status::Ok();
                            })
                  .ok());
  const core::Instant end = *core::ParseRfc3339("2026-10-01T00:00:00+08:00");
  std::vector<core::Result<RecycleReport>> reports(2, core::Internal("not run"));
  std::thread a([&] { reports[0] = levels_->Recycle(end); });
  std::thread b([&] { reports[1] = levels_->Recycle(end); });
  a.join();
  b.join();
  for (const auto& r : reports) {
    ASSERT_TRUE(r.ok()) << r.error().ToString();
    EXPECT_EQ(r->status, "finished");
  }
  EXPECT_EQ(Count("SELECT members FROM level_recycles"), 4503);
  EXPECT_EQ(Count("SELECT changed FROM level_recycles"), 2);
  EXPECT_EQ(levels_->Member(1)->growth, 600);
  EXPECT_EQ(levels_->Member(1)->level, 3);
  EXPECT_EQ(levels_->Member(2)->level, 2);
  EXPECT_EQ(levels_->Member(3)->level, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM level_changes WHERE reason = 'recycle'"), 2);
  // The same period again changes nothing.
  ASSERT_TRUE(levels_->Recycle(end).ok());
  EXPECT_EQ(levels_->Member(1)->growth, 600);
  for (int64_t u = 1; u <= 3; ++u) ExpectReconciled(u);
  ASSERT_TRUE(levels_->SetScheme(Scheme("none", 0), actor_).ok());
  EXPECT_EQ(levels_->Recycle(end + 24h * 31).error().reason(), "recycling_off");
}

TEST_P(LevelsTest, TheWorkerRecyclesEachEndedPeriodOnceAndSettlesPoints) {
  clock_.Set(*core::ParseRfc3339("2026-11-10T12:00:00+08:00"));
  ASSERT_TRUE(levels_->SetScheme(Scheme("month", 50), actor_).ok());
  ASSERT_TRUE(Grow(1, "order", 100000).ok());  // 1000
  ASSERT_TRUE(points_->Earn({2, 10, "test", "", "", 0}).ok());
  Housekeeping worker(clock_, *points_, *levels_);
  // 1 November ended before the scheme was saved: nothing to recycle.
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(levels_->Member(1)->growth, 1000);
  clock_.Set(*core::ParseRfc3339("2026-12-01T00:00:30+08:00"));
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(levels_->Member(1)->growth, 500);
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(levels_->Member(1)->growth, 500);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM level_recycles"), 1);
  // A year on, the points have expired by the worker's sweep.
  clock_.Advance(24h * 366);
  ASSERT_TRUE(worker.RunOnce().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE kind = 'expire'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM level_recycles"), 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, LevelsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
