// The fixture the membership tests share: a fresh database of either backend
// with users 1..n, a fake clock, the three ledgers, and a helper that runs a
// call on many threads and counts the outcomes by error reason.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "marketing/templates.h"
#include "membership/check_ins.h"
#include "membership/points.h"
#include "membership/stored_value.h"
#include "testing/fake_clock.h"
#include "testing/hammer.h"
#include "testing/sql_fixtures.h"
#include "testing/test_database.h"

namespace shopcrm::membership {

// A red-packet coupon template worth `discount` fen, usable for 30 days after
// issue, with at most `stock` coupons; its id (0 after a failed expectation).
inline int64_t MakeRedPacket(marketing::Templates& templates, const std::string& name,
                             int64_t discount, std::optional<int64_t> stock = std::nullopt) {
  marketing::TemplateSpec s;
  s.name = name;
  s.terms.kind = marketing::CouponKind::kRedPacket;
  s.terms.discount = discount;
  s.validity.use_days = 30;
  s.limits.stock = stock;
  auto t = templates.Create(s, {"cli", "", "tester", ""});
  EXPECT_TRUE(t.ok()) << t.error().ToString();
  return t.ok() ? t->id : 0;
}

class MembershipTest : public ::testing::TestWithParam<shopcrm::testing::TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam(), 16);
    auto st = shopcrm::testing::InsertUsers(t_->db(), 20);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
    MakeLedgers(PointsOptions{});
  }

  void MakeLedgers(PointsOptions o) {
    points_ = std::make_unique<Points>(t_->db(), clock_, ids_, tz_, o);
    stored_ = std::make_unique<StoredValue>(t_->db(), clock_, ids_, audit_);
    check_ins_ = std::make_unique<CheckIns>(t_->db(), clock_, tz_, *points_, CheckInOptions{});
  }

  int64_t Count(const std::string& sql) { return shopcrm::testing::QueryInt(t_->db(), sql); }

  template <typename T>
  std::map<std::string, int> Hammer(int threads, int n,
                                    const std::function<core::Result<T>(int)>& fn) {
    return shopcrm::testing::Hammer<T>(threads, n, fn);
  }

  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 5};
  audit::AuditLog audit_{clock_, ids_};
  core::BusinessTimeZone tz_ = *core::BusinessTimeZone::Load("Asia/Shanghai");
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Points> points_;
  std::unique_ptr<StoredValue> stored_;
  std::unique_ptr<CheckIns> check_ins_;
};

}  // namespace shopcrm::membership
