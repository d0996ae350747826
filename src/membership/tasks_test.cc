// Tasks and medals on both backends: a task's points, growth and coupon once
// (or once a business day), refused repeats exactly under concurrency, bad
// definitions named field by field; medals awarded once when their rule holds,
// with the member's progress towards the others.
#include "membership/tasks.h"

#include "marketing/templates.h"
#include "membership/medals.h"
#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class TasksTest : public MembershipTest {
 protected:
  void SetUp() override {
    MembershipTest::SetUp();
    clock_.Set(*core::ParseRfc3339("2026-11-10T12:00:00+08:00"));
    levels_ = std::make_unique<Levels>(t_->db(), clock_, ids_, tz_, audit_);
    templates_ = std::make_unique<marketing::Templates>(t_->db(), clock_, ids_, audit_);
    coupons_ = std::make_unique<marketing::Coupons>(t_->db(), clock_, ids_, tz_,
                                                    marketing::CouponsOptions{});
    tasks_ =
        std::make_unique<Tasks>(t_->db(), clock_, ids_, tz_, audit_, *points_, *levels_, *coupons_);
    medals_ = std::make_unique<Medals>(t_->db(), clock_, ids_, audit_);
    check_ins_ = std::make_unique<CheckIns>(t_->db(), clock_, tz_, *points_, CheckInOptions{},
                                            levels_.get());
  }

  int64_t Template(std::optional<int64_t> stock = std::nullopt) {
    return MakeRedPacket(*templates_, "任务奖励券", 300, stock);
  }

  core::Result<TaskCompletion> Complete(int64_t user, const std::string& code) {
    return store::TransactFor<TaskCompletion>(
        t_->db(), store::TxMode::kWrite,
        [&](store::Session& s) { return tasks_->CompleteIn(s, user, code, clock_.Now()); });
  }

  core::Result<std::vector<Medal>> Award(int64_t user) {
    return store::TransactFor<std::vector<Medal>>(
        t_->db(), store::TxMode::kWrite,
        [&](store::Session& s) { return medals_->AwardIn(s, user, clock_.Now()); });
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  std::unique_ptr<Levels> levels_;
  std::unique_ptr<marketing::Templates> templates_;
  std::unique_ptr<marketing::Coupons> coupons_;
  std::unique_ptr<Tasks> tasks_;
  std::unique_ptr<Medals> medals_;
};

TEST_P(TasksTest, AOnceTaskRewardsOnceADailyTaskOnceADay) {
  LevelSchemeSpec scheme;
  for (int i = 0; i < 4; ++i) scheme.levels.push_back({i + 1, "L", int64_t{i} * 100, {}});
  scheme.tasks = {{"profile", 50, 0}};
  ASSERT_TRUE(levels_->SetScheme(scheme, actor_).ok());
  ASSERT_TRUE(tasks_->Create({"profile", "完善资料", "once", 30, Template()}, actor_).ok());
  ASSERT_TRUE(tasks_->Create({"share", "分享商品", "daily", 10, std::nullopt}, actor_).ok());

  auto done = Complete(1, "profile");
  ASSERT_TRUE(done.ok()) << done.error().ToString();
  EXPECT_EQ(done->period, "once");
  EXPECT_EQ(done->points, 30);
  EXPECT_EQ(done->growth, 50);
  EXPECT_EQ(done->coupon_outcome, "granted");
  EXPECT_EQ(points_->Account(1)->available, 30);
  EXPECT_EQ(levels_->Member(1)->growth, 50);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE user_id = 1 AND channel = 'task'"), 1);
  EXPECT_EQ(Complete(1, "profile").error().reason(), "task_done");

  ASSERT_TRUE(Complete(1, "share").ok());
  EXPECT_EQ(Complete(1, "share").error().reason(), "task_done");
  auto mine = tasks_->ForMember(1);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_TRUE((*mine)[0].done_at.has_value());
  EXPECT_TRUE((*mine)[1].done_at.has_value());
  // The next business day the daily task is open again; the once task is not.
  clock_.Advance(24h);
  EXPECT_FALSE((*tasks_->ForMember(1))[1].done_at.has_value());
  EXPECT_TRUE((*tasks_->ForMember(1))[0].done_at.has_value());
  auto again = Complete(1, "share");
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_EQ(again->period, "2026-11-11");
  EXPECT_EQ(again->growth, 0);  // the scheme has no "share" task
  EXPECT_EQ(points_->Account(1)->available, 50);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE user_id = 1 AND kind = 'task'"), 3);
}

TEST_P(TasksTest, ARefusedCouponLeavesThePointsAndIsRecorded) {
  ASSERT_TRUE(tasks_->Create({"review", "首次评价", "once", 20, Template(1)}, actor_).ok());
  ASSERT_TRUE(Complete(1, "review").ok());
  auto second = Complete(2, "review");
  ASSERT_TRUE(second.ok()) << second.error().ToString();
  EXPECT_EQ(second->coupon_outcome, "coupon_stock_exhausted");
  EXPECT_FALSE(second->coupon_id.has_value());
  EXPECT_EQ(points_->Account(2)->available, 20);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM member_task_completions WHERE coupon_outcome = "
                  "'coupon_stock_exhausted'"),
            1);
}

TEST_P(TasksTest, UnknownArchivedAndBadTasksAreRefused) {
  EXPECT_EQ(Complete(1, "nope").error().reason(), "task_not_found");
  auto t = tasks_->Create({"invite", "邀请好友", "once", 100, std::nullopt}, actor_);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(tasks_->SetStatus(t->id, "archived", actor_).ok());
  EXPECT_EQ(Complete(1, "invite").error().reason(), "task_not_active");
  EXPECT_TRUE(tasks_->ForMember(1)->empty());
  auto bad = tasks_->Create({"Bad-Code", "", "weekly", -1, std::nullopt}, actor_);
  ASSERT_FALSE(bad.ok());
  std::vector<std::string> fields;
  for (const auto& f : bad.error().fields()) fields.push_back(f.field);
  EXPECT_EQ(fields, (std::vector<std::string>{"code", "name", "kind", "points"}));
  EXPECT_EQ(
      tasks_->Create({"order", "下单", "once", 1, std::nullopt}, actor_).error().fields()[0].reason,
      "reserved");
  EXPECT_EQ(tasks_->Create({"invite", "again", "once", 1, std::nullopt}, actor_)
                .error()
                .fields()[0]
                .reason,
            "taken");
  EXPECT_EQ(Complete(999, "nope").error().reason(), "task_not_found");
}

TEST_P(TasksTest, ConcurrentCompletionsRewardOnce) {
  ASSERT_TRUE(tasks_->Create({"invite", "邀请好友", "once", 100, std::nullopt}, actor_).ok());
  auto outcomes = Hammer<TaskCompletion>(8, 16, [&](int) { return Complete(3, "invite"); });
  EXPECT_EQ(outcomes["ok"], 1);
  EXPECT_EQ(outcomes["task_done"], 15);
  EXPECT_EQ(points_->Account(3)->available, 100);
}

TEST_P(TasksTest, MedalsAreAwardedOnceWhenTheirRuleHolds) {
  auto twice = medals_->Create({"checked_in_2", "签到达人", "签到 2 天", "check_ins", 2}, actor_);
  ASSERT_TRUE(twice.ok()) << twice.error().ToString();
  ASSERT_TRUE(medals_->Create({"first_task", "行动派", "", "tasks", 1}, actor_).ok());
  auto archived = medals_->Create({"any_check_in", "初来乍到", "", "check_ins", 1}, actor_);
  ASSERT_TRUE(archived.ok());
  ASSERT_TRUE(medals_->SetStatus(archived->id, "archived", actor_).ok());

  ASSERT_TRUE(check_ins_->CheckInNow(1).ok());
  EXPECT_TRUE(Award(1)->empty());
  clock_.Advance(24h);
  ASSERT_TRUE(check_ins_->CheckInNow(1).ok());
  auto awarded = Award(1);
  ASSERT_TRUE(awarded.ok()) << awarded.error().ToString();
  ASSERT_EQ(awarded->size(), 1u);
  EXPECT_EQ((*awarded)[0].spec.code, "checked_in_2");
  EXPECT_TRUE(Award(1)->empty());  // held already

  auto mine = medals_->ForMember(1);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);  // the archived medal is not offered
  EXPECT_EQ((*mine)[0].medal.spec.code, "checked_in_2");
  EXPECT_TRUE((*mine)[0].awarded_at.has_value());
  EXPECT_EQ((*mine)[1].medal.spec.code, "first_task");
  EXPECT_FALSE((*mine)[1].awarded_at.has_value());
  EXPECT_EQ((*mine)[1].progress, 0);

  auto bad = medals_->Create({"x", "X", "", "followers", 0}, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fields().size(), 2u);
  EXPECT_EQ(medals_->SetStatus(12345, "archived", actor_).error().reason(), "medal_not_found");
}

TEST_P(TasksTest, ConcurrentAwardsGiveAMedalOnce) {
  ASSERT_TRUE(medals_->Create({"any_check_in", "初来乍到", "", "check_ins", 1}, actor_).ok());
  ASSERT_TRUE(check_ins_->CheckInNow(4).ok());
  std::atomic<int> awarded{0};
  auto outcomes = Hammer<std::vector<Medal>>(8, 16, [&](int) {
    auto r = Award(4);
    if (r.ok()) awarded += static_cast<int>(r->size());
    return r;
  });
  EXPECT_EQ(outcomes["ok"], 16);
  EXPECT_EQ(awarded.load(), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM member_medals WHERE user_id = 4"), 1);
}

TEST_P(TasksTest, EveryStreakDayGivesTheStreakCoupon) {
  CheckInOptions o;
  o.streak_days = 2;
  o.streak_coupon_template_id = Template(1);
  CheckIns check_ins(t_->db(), clock_, tz_, *points_, o, nullptr, coupons_.get());
  auto day1 = check_ins.CheckInNow(5);
  ASSERT_TRUE(day1.ok()) << day1.error().ToString();
  EXPECT_FALSE(day1->coupon_id.has_value());
  EXPECT_EQ(day1->coupon_outcome, "");
  clock_.Advance(24h);
  auto day2 = check_ins.CheckInNow(5);
  ASSERT_TRUE(day2.ok()) << day2.error().ToString();
  ASSERT_TRUE(day2->coupon_id.has_value());
  EXPECT_EQ(day2->coupon_outcome, "granted");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE user_id = 5 AND channel = 'check_in' AND "
                  "source = 'benefit'"),
            1);
  clock_.Advance(24h);
  EXPECT_EQ(check_ins.CheckInNow(5)->coupon_outcome, "");  // day 3: not a streak day
  clock_.Advance(24h);  // day 4: the stock of one is gone, the check-in still counts
  auto day4 = check_ins.CheckInNow(5);
  ASSERT_TRUE(day4.ok()) << day4.error().ToString();
  EXPECT_EQ(day4->check_in.streak, 4);
  EXPECT_EQ(day4->coupon_outcome, "coupon_stock_exhausted");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM check_ins WHERE user_id = 5"), 4);
}

INSTANTIATE_TEST_SUITE_P(Backends, TasksTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
