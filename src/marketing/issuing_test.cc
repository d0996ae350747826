// Code batches and bulk grant jobs on both backends: unique codes redeemed
// once each under concurrency, grant jobs that count what they skip and why,
// and two workers (two servers) sharing one job without granting anyone twice.
#include "marketing/issuing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "core/json.h"
#include "testing/fake_clock.h"
#include "testing/sql_fixtures.h"
#include "testing/test_database.h"

namespace shopcrm::marketing {
namespace {

using shopcrm::testing::TestBackend;

class IssuingTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam(), 16);
    templates_ = std::make_unique<Templates>(t_->db(), clock_, ids_, audit_);
    CouponsOptions o;
    o.max_unused_crm = 3;
    coupons_ = std::make_unique<Coupons>(t_->db(), clock_, ids_, Tz(), o);
    issuing_ = std::make_unique<Issuing>(t_->db(), clock_, ids_, audit_, *coupons_);
  }
  static core::BusinessTimeZone Tz() { return *core::BusinessTimeZone::Load("Asia/Shanghai"); }

  void AddUsers(int n) {
    auto st = shopcrm::testing::InsertUsers(t_->db(), n);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }

  int64_t Template(std::optional<int64_t> stock = std::nullopt) {
    TemplateSpec s;
    s.name = "5 off";
    s.terms.kind = CouponKind::kRedPacket;
    s.terms.discount = 500;
    s.limits.stock = stock;
    s.validity.use_days = 30;
    auto t = templates_->Create(s, actor_);
    EXPECT_TRUE(t.ok());
    return t.ok() ? t->id : 0;
  }

  int64_t Count(const std::string& sql) { return shopcrm::testing::QueryInt(t_->db(), sql); }

  const audit::Actor actor_{"cli", "", "tester", ""};
  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 2};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<Coupons> coupons_;
  std::unique_ptr<Issuing> issuing_;
};

TEST_P(IssuingTest, CodesAreUniqueAndEachIsRedeemedOnce) {
  AddUsers(8);
  const int64_t tmpl = Template();
  auto batch = issuing_->GenerateCodes(tmpl, "partner A", 1200, actor_);
  ASSERT_TRUE(batch.ok()) << batch.error().ToString();
  auto codes = issuing_->Codes(batch->id);
  ASSERT_TRUE(codes.ok());
  ASSERT_EQ(codes->size(), 1200u);
  std::set<std::string> distinct;
  for (const auto& c : *codes) distinct.insert(c.code);
  EXPECT_EQ(distinct.size(), 1200u);
  EXPECT_EQ(issuing_->GenerateCodes(tmpl, "", 0, actor_).error().fields().size(), 2u);

  // Eight users race for one code: one coupon.
  const std::string code = (*codes)[0].code;
  std::atomic<int> ok{0}, taken{0};
  std::vector<std::thread> threads;
  for (int u = 1; u <= 8; ++u) {
    threads.emplace_back([&, u] {
      auto r = coupons_->RedeemCode(code, u, "offline", {},
                                    [](const Coupon& c) { return std::to_string(c.id); });
      if (r.ok()) ++ok;
      if (!r.ok() && r.error().reason() == "code_already_redeemed") ++taken;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(taken.load(), 7);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source = 'code'"), 1);
  EXPECT_EQ(issuing_->CodeBatchOf(batch->id)->redeemed, 1);
  EXPECT_EQ(coupons_->RedeemCode("NOSUCHCODE", 1, "", {}, [](const Coupon&) { return ""; })
                .error()
                .reason(),
            "code_not_found");
}

TEST_P(IssuingTest, AGrantJobCountsWhatItSkipsAndWhy) {
  AddUsers(2500);
  const int64_t tmpl = Template(2400);
  // User 7 holds three unused CRM coupons already (the limit is 3).
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(coupons_
                    ->Issue({Template(), 7, Source::kCrm, "op", ""}, {},
                            [](const Coupon&) { return std::string(); })
                    .ok());
  }
  std::vector<int64_t> users;
  for (int64_t u = 1; u <= 2500; ++u) users.push_back(u);
  users.push_back(99999);  // no such user
  users.push_back(5);      // a duplicate, dropped
  auto job = issuing_->StartGrant(tmpl, "list", users, "sms", actor_);
  ASSERT_TRUE(job.ok()) << job.error().ToString();
  EXPECT_EQ(job->total, 2501);
  EXPECT_EQ(job->status, "queued");
  ASSERT_TRUE(issuing_->RunPendingJobs().ok());
  auto done = issuing_->Job(job->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->position, 2501);
  EXPECT_EQ(done->granted, 2400);
  EXPECT_EQ(done->skipped["too_many_unused"], 1);
  EXPECT_EQ(done->skipped["coupon_stock_exhausted"], 100);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source_ref LIKE 'grant_job:%'"), 2400);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupon_steps WHERE step = 'refused'"), 1);
  // Running again changes nothing.
  ASSERT_TRUE(issuing_->RunPendingJobs().ok());
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE source_ref LIKE 'grant_job:%'"), 2400);
}

TEST_P(IssuingTest, TwoWorkersShareAJobWithoutGrantingTwice) {
  AddUsers(3000);
  const int64_t tmpl = Template();
  std::vector<int64_t> users;
  for (int64_t u = 1; u <= 3000; ++u) users.push_back(u);
  auto job = issuing_->StartGrant(tmpl, "list", users, "", actor_);
  ASSERT_TRUE(job.ok());
  auto other_db = t_->OpenAnother(8);
  Coupons other_coupons(*other_db, clock_, ids_, Tz(), {});
  Issuing other(*other_db, clock_, ids_, audit_, other_coupons);
  std::thread a([&] { EXPECT_TRUE(issuing_->RunPendingJobs().ok()); });
  std::thread b([&] { EXPECT_TRUE(other.RunPendingJobs().ok()); });
  a.join();
  b.join();
  auto done = issuing_->Job(job->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, "done");
  EXPECT_EQ(done->granted, 3000);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons"), 3000);
  EXPECT_EQ(Count("SELECT COUNT(DISTINCT user_id) FROM coupons"), 3000);
}

TEST_P(IssuingTest, TheWorkerExpiresCouponsAndForgetsOldKeys) {
  AddUsers(1);
  const int64_t tmpl = Template();  // usable 30 days
  store::IdempotencyKey key{"test:claim", "old-key", "fp"};
  ASSERT_TRUE(
      coupons_->Issue({tmpl, 1, Source::kSelf, "", ""}, key, [](const Coupon&) { return "x"; })
          .ok());
  clock_.Advance(std::chrono::hours(24 * 31));
  issuing_->StartWorker(std::chrono::milliseconds(10));
  for (int i = 0; i < 300 && Count("SELECT COUNT(*) FROM idempotency_keys") != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupons WHERE status = 'expired'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM coupon_steps WHERE step = 'expired'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM idempotency_keys"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, IssuingTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::marketing
