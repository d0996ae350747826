// Points on both backends: lots spent first-to-expire first, holds released,
// expiry, reversals that leave a debt later earnings repay, no overdraft under
// concurrent spends, and random operation sequences whose ledgers reconcile.
#include <random>

#include "membership/membership_test.h"

namespace shopcrm::membership {
namespace {

using namespace std::chrono_literals;
using shopcrm::testing::TestBackend;

class PointsTest : public MembershipTest {
 protected:
  PointsChange Earn(int64_t user, int64_t amount, const std::string& ref = "", int hold = 0) {
    auto r = points_->Earn({user, amount, "test", ref, "", hold});
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : PointsChange{};
  }
  core::Result<PointsChange> Spend(int64_t user, int64_t amount) {
    return points_->Spend({user, amount, "test", "", ""});
  }
  PointsAccount Account(int64_t user) {
    auto a = points_->Account(user);
    EXPECT_TRUE(a.ok()) << a.error().ToString();
    return a.ok() ? *a : PointsAccount{};
  }

  // The ledger's invariants for one member.
  void ExpectReconciled(int64_t user) {
    const auto a = Account(user);
    const std::string u = std::to_string(user);
    EXPECT_EQ(a.available,
              Count("SELECT CAST(COALESCE(SUM(available_change), 0) AS BIGINT) FROM points_entries "
                    "WHERE user_id = " +
                    u));
    EXPECT_EQ(a.pending,
              Count("SELECT CAST(COALESCE(SUM(pending_change), 0) AS BIGINT) FROM points_entries "
                    "WHERE user_id = " +
                    u));
    const int64_t lots = Count(
        "SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots WHERE status = "
        "'active' AND user_id "
        "= " +
        u);
    EXPECT_EQ(a.available >= 0 ? a.available : 0, lots);
    EXPECT_EQ(
        a.pending,
        Count("SELECT CAST(COALESCE(SUM(remaining), 0) AS BIGINT) FROM points_lots WHERE status "
              "= 'pending' AND user_id = " +
              u));
    // Each entry's balances follow from the one before it.
    EXPECT_EQ(0, Count("SELECT COUNT(*) FROM points_entries e WHERE user_id = " + u +
                       " AND available_after <> (SELECT SUM(available_change) FROM "
                       "points_entries f WHERE f.user_id = e.user_id AND f.id <= e.id)"));
  }
};

TEST_P(PointsTest, SpendsTheLotThatExpiresFirstAndNeverOverdraws) {
  Earn(1, 100);
  clock_.Advance(24h * 100);
  Earn(1, 50);
  // The first lot expires 265 days from now, the second 365.
  auto spent = Spend(1, 120);
  ASSERT_TRUE(spent.ok()) << spent.error().ToString();
  EXPECT_EQ(spent->account.available, 30);
  EXPECT_EQ(Count("SELECT remaining FROM points_lots WHERE amount = 100"), 0);
  EXPECT_EQ(Count("SELECT remaining FROM points_lots WHERE amount = 50"), 30);
  EXPECT_EQ(Spend(1, 31).error().reason(), "insufficient_points");
  EXPECT_EQ(Spend(1, 0).error().reason(), "invalid_fields");
  EXPECT_EQ(Account(1).available, 30);
  ExpectReconciled(1);
}

TEST_P(PointsTest, HeldPointsAreReleasedWhenTheHoldEnds) {
  Earn(2, 80, "order-1", /*hold=*/7);
  auto a = Account(2);
  EXPECT_EQ(a.available, 0);
  EXPECT_EQ(a.pending, 80);
  EXPECT_EQ(Spend(2, 1).error().reason(), "insufficient_points");
  clock_.Advance(24h * 7 - 1s);
  EXPECT_EQ(Account(2).pending, 80);
  clock_.Advance(1s);
  a = Account(2);
  EXPECT_EQ(a.available, 80);
  EXPECT_EQ(a.pending, 0);
  // Released now, so it expires 365 days from now.
  ASSERT_TRUE(a.next_expiry.has_value());
  EXPECT_EQ(*a.next_expiry, clock_.Now() + 24h * 365);
  ExpectReconciled(2);
}

TEST_P(PointsTest, LotsExpireOnTheirDayAndTheSweepFindsThem) {
  Earn(3, 40);
  Earn(4, 10);
  clock_.Advance(24h * 365 - 1s);
  EXPECT_EQ(Account(3).available, 40);
  clock_.Advance(1s);
  auto swept = points_->SettleDue();
  ASSERT_TRUE(swept.ok()) << swept.error().ToString();
  EXPECT_EQ(*swept, 2);
  EXPECT_EQ(Count("SELECT available FROM points_accounts WHERE user_id = 3"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM points_entries WHERE kind = 'expire'"), 2);
  EXPECT_EQ(*points_->SettleDue(), 0);
  ExpectReconciled(3);
  ExpectReconciled(4);
}

TEST_P(PointsTest, YearEndExpiryIsTheEndOfTheFollowingBusinessYear) {
  MakeLedgers({PointsExpiry::kYearEnd, 0});
  // 2026-12-31 23:30 in Shanghai is still 2026 there.
  clock_.Set(*core::ParseRfc3339("2026-12-31T23:30:00+08:00"));
  Earn(5, 10);
  EXPECT_EQ(*Account(5).next_expiry, *core::ParseRfc3339("2028-01-01T00:00:00+08:00"));
  clock_.Set(*core::ParseRfc3339("2027-01-01T00:30:00+08:00"));
  Earn(6, 10);
  EXPECT_EQ(*Account(6).next_expiry, *core::ParseRfc3339("2029-01-01T00:00:00+08:00"));
}

TEST_P(PointsTest, ReversalTakesBackWhatWasSpentAndTheDebtIsRepaidFirst) {
  Earn(7, 100, "order-a");
  ASSERT_TRUE(Spend(7, 70).ok());
  Earn(7, 20, "order-b");
  // order-a is refunded: its 30 left and the 70 spent of it go; order-b's 20
  // cover part of the 70, and 50 is owed.
  auto r = points_->Reverse(7, "order-a", "refund");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->account.available, -50);
  EXPECT_EQ(Spend(7, 1).error().reason(), "insufficient_points");
  EXPECT_EQ(points_->Reverse(7, "order-a", "again").error().reason(), "nothing_to_reverse");
  ExpectReconciled(7);
  // The next 60 repay the 50 first.
  Earn(7, 60, "order-c");
  EXPECT_EQ(Account(7).available, 10);
  EXPECT_EQ(Count("SELECT remaining FROM points_lots WHERE source_ref = 'order-c'"), 10);
  ExpectReconciled(7);
}

TEST_P(PointsTest, ReversingAHeldLotCancelsIt) {
  Earn(8, 30, "order-x", /*hold=*/7);
  auto r = points_->Reverse(8, "order-x", "cancelled");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->account.pending, 0);
  EXPECT_EQ(r->account.available, 0);
  clock_.Advance(24h * 8);
  EXPECT_EQ(Account(8).available, 0);
  ExpectReconciled(8);
}

TEST_P(PointsTest, UnknownUserIsNotFound) {
  EXPECT_EQ(points_->Earn({999, 10, "test", "", "", 0}).error().reason(), "user_not_found");
}

TEST_P(PointsTest, ConcurrentSpendsNeverOverdraw) {
  Earn(9, 100);
  auto outcomes = Hammer<PointsChange>(8, 40, [&](int) { return Spend(9, 7); });
  EXPECT_EQ(outcomes["ok"], 14);  // 14 × 7 = 98
  EXPECT_EQ(outcomes["insufficient_points"], 26);
  EXPECT_EQ(Account(9).available, 2);
  ExpectReconciled(9);
}

TEST_P(PointsTest, RandomSequencesReconcile) {
  std::mt19937_64 rng(GetParam() == TestBackend::kSqlite ? 11 : 12);
  int order = 0;
  for (int step = 0; step < 300; ++step) {
    const int64_t user = 10 + static_cast<int64_t>(rng() % 4);
    switch (rng() % 6) {
      case 0:
      case 1:
        (void)points_->Earn({user, static_cast<int64_t>(1 + rng() % 50), "test",
                             "order-" + std::to_string(order++), "",
                             static_cast<int>(rng() % 3 == 0 ? 1 + rng() % 5 : 0)});
        break;
      case 2:
      case 3:
        (void)Spend(user, static_cast<int64_t>(1 + rng() % 60));
        break;
      case 4:
        if (order > 0) {
          (void)points_->Reverse(
              user, "order-" + std::to_string(rng() % static_cast<uint64_t>(order)), "refund");
        }
        break;
      case 5:
        clock_.Advance(std::chrono::hours(static_cast<int64_t>(rng() % 2000)));
        break;
    }
  }
  for (int64_t user = 10; user < 14; ++user) ExpectReconciled(user);
}

INSTANTIATE_TEST_SUITE_P(Backends, PointsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::membership
