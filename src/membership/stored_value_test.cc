// Stored value on both backends: plans with bonus, principal spent first,
// refunds to the parts an order paid from, recharge refunds, no negative part
// under concurrent payments, and balances equal to the sums of the entries.
#include <random>

#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using shopcrm::testing::TestBackend;

class StoredValueTest : public MembershipTest {
 protected:
  const audit::Actor actor_{"cli", "", "tester", ""};

  int64_t Plan(int64_t pay, int64_t bonus) {
    auto p = stored_->CreatePlan({"充" + std::to_string(pay / 100), pay, bonus}, actor_);
    EXPECT_TRUE(p.ok()) << p.error().ToString();
    return p.ok() ? p->id : 0;
  }

  void ExpectReconciled(int64_t user) {
    auto a = stored_->Account(user);
    ASSERT_TRUE(a.ok()) << a.error().ToString();
    const std::string u = std::to_string(user);
    EXPECT_EQ(a->principal, Count("SELECT CAST(COALESCE(SUM(principal_change), 0) AS BIGINT) FROM "
                                  "stored_value_entries WHERE user_id = " +
                                  u));
    EXPECT_EQ(
        a->bonus,
        Count("SELECT CAST(COALESCE(SUM(bonus_change), 0) AS BIGINT) FROM stored_value_entries "
              "WHERE user_id = " +
              u));
    EXPECT_GE(a->principal, 0);
    EXPECT_GE(a->bonus, 0);
  }
};

TEST_P(StoredValueTest, PaysPrincipalFirstAndRefundsToThePartsItPaidFrom) {
  const int64_t plan = Plan(50000, 5000);  // recharge 500, get 50
  auto r = stored_->Recharge({1, plan, 0, "pay-1"});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->account.principal, 50000);
  EXPECT_EQ(r->account.bonus, 5000);
  EXPECT_EQ(stored_->Recharge({1, plan, 0, "pay-1"}).error().reason(), "duplicate_payment_ref");

  auto paid = stored_->Pay(1, 52000, "order-1");
  ASSERT_TRUE(paid.ok()) << paid.error().ToString();
  EXPECT_EQ(paid->entry.principal_change, -50000);
  EXPECT_EQ(paid->entry.bonus_change, -2000);
  EXPECT_EQ(stored_->Pay(1, 3001, "order-2").error().reason(), "insufficient_balance");

  // A refund goes back to bonus first, up to what the order took of it.
  auto back = stored_->Refund(1, 3000, "order-1", "one item returned");
  ASSERT_TRUE(back.ok()) << back.error().ToString();
  EXPECT_EQ(back->entry.bonus_change, 2000);
  EXPECT_EQ(back->entry.principal_change, 1000);
  EXPECT_EQ(stored_->Refund(1, 49001, "order-1", "").error().reason(), "refund_exceeds_payment");
  ASSERT_TRUE(stored_->Refund(1, 49000, "order-1", "").ok());
  EXPECT_EQ(stored_->Refund(1, 1, "order-1", "").error().reason(), "refund_exceeds_payment");
  EXPECT_EQ(stored_->Refund(1, 1, "order-9", "").error().reason(), "order_not_paid");
  ExpectReconciled(1);
}

TEST_P(StoredValueTest, ARechargeRefundTakesBackItsPrincipalOnlyWhileItIsThere) {
  const int64_t plan = Plan(10000, 1000);
  ASSERT_TRUE(stored_->Recharge({2, plan, 0, "pay-2"}).ok());
  ASSERT_TRUE(stored_->Pay(2, 10500, "order-3").ok());
  EXPECT_EQ(stored_->RefundRecharge(2, "pay-2", "").error().reason(), "recharge_spent");
  ASSERT_TRUE(stored_->Refund(2, 10500, "order-3", "").ok());
  auto r = stored_->RefundRecharge(2, "pay-2", "changed mind");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->account.principal, 0);
  EXPECT_EQ(r->account.bonus, 0);
  EXPECT_EQ(stored_->RefundRecharge(2, "pay-2", "").error().reason(), "recharge_already_refunded");
  EXPECT_EQ(stored_->RefundRecharge(2, "pay-x", "").error().reason(), "recharge_not_found");
  ExpectReconciled(2);
}

TEST_P(StoredValueTest, PlansAreValidatedAndArchivedPlansRefused) {
  auto bad = stored_->CreatePlan({"", 0, -1}, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fields().size(), 3u);
  const int64_t plan = Plan(20000, 3000);
  ASSERT_TRUE(stored_->SetPlanStatus(plan, "archived", actor_).ok());
  EXPECT_EQ(stored_->Recharge({3, plan, 0, "pay-3"}).error().reason(), "plan_not_active");
  EXPECT_EQ(stored_->Recharge({3, plan, 100, "pay-3"}).error().reason(), "plan_not_active");
  EXPECT_EQ(stored_->Recharge({3, std::nullopt, 0, "pay-3"}).error().reason(), "invalid_fields");
  EXPECT_EQ(stored_->Recharge({999, std::nullopt, 100, "pay-4"}).error().reason(),
            "user_not_found");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'recharge_plan.%'"), 2);
}

TEST_P(StoredValueTest, ConcurrentPaymentsNeverTakeAPartBelowZero) {
  ASSERT_TRUE(stored_->Recharge({4, std::nullopt, 600, "pay-5"}).ok());
  const int64_t plan = Plan(300, 100);
  ASSERT_TRUE(stored_->Recharge({4, plan, 0, "pay-6"}).ok());  // 900 principal, 100 bonus
  auto outcomes = Hammer<StoredValueChange>(
      8, 40, [&](int i) { return stored_->Pay(4, 70, "order-" + std::to_string(i)); });
  EXPECT_EQ(outcomes["ok"], 14);  // 14 × 70 = 980
  EXPECT_EQ(outcomes["insufficient_balance"], 26);
  auto a = stored_->Account(4);
  EXPECT_EQ(a->balance(), 20);
  EXPECT_EQ(a->principal, 0);
  ExpectReconciled(4);
}

TEST_P(StoredValueTest, ConcurrentRechargesWithOnePaymentRefCountOnce) {
  auto outcomes = Hammer<StoredValueChange>(8, 16, [&](int) {
    return stored_->Recharge({5, std::nullopt, 100, "pay-same"});
  });
  EXPECT_EQ(outcomes["ok"], 1);
  EXPECT_EQ(outcomes["duplicate_payment_ref"], 15);
  EXPECT_EQ(stored_->Account(5)->principal, 100);
}

TEST_P(StoredValueTest, RandomSequencesReconcile) {
  std::mt19937_64 rng(GetParam() == TestBackend::kSqlite ? 21 : 22);
  const int64_t plan = Plan(1000, 150);
  int refs = 0;
  for (int step = 0; step < 300; ++step) {
    const int64_t user = 6 + static_cast<int64_t>(rng() % 3);
    const std::string n = std::to_string(refs++);
    switch (rng() % 5) {
      case 0:
        (void)stored_->Recharge({user, rng() % 2 ? std::optional<int64_t>(plan) : std::nullopt,
                                 static_cast<int64_t>(rng() % 2 ? 0 : 1 + rng() % 3000),
                                 "pay-" + n});
        break;
      case 1:
      case 2:
        (void)stored_->Pay(user, static_cast<int64_t>(1 + rng() % 800),
                           "order-" + std::to_string(rng() % 40));
        break;
      case 3:
        (void)stored_->Refund(user, static_cast<int64_t>(1 + rng() % 400),
                              "order-" + std::to_string(rng() % 40), "");
        break;
      case 4:
        (void)stored_->RefundRecharge(
            user, "pay-" + std::to_string(rng() % static_cast<uint64_t>(refs + 1)), "");
        break;
    }
  }
  for (int64_t user = 6; user < 9; ++user) ExpectReconciled(user);
  EXPECT_GT(Count("SELECT COUNT(*) FROM stored_value_entries WHERE kind = 'refund'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoredValueTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
