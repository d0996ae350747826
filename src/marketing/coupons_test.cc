// Templates and coupons on both backends: versioned terms, every claim limit
// under concurrent claims (also from a second database handle, as a second
// server would), anti-harassment, the checkout steps, idempotency keys.
#include "marketing/coupons.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "audit/audit_log.h"
#include "core/json.h"
#include "marketing/templates.h"
#include "testing/fake_clock.h"
#include "testing/hammer.h"
#include "testing/sql_fixtures.h"
#include "testing/test_database.h"

namespace shopcrm::marketing {
namespace {

using shopcrm::testing::TestBackend;
using namespace std::chrono_literals;

std::string RenderCoupon(const Coupon& c) {
  return core::DumpJson({{"id", c.id}, {"face_value", c.face_value}, {"status", c.status}});
}

std::string RenderOrder(const OrderCoupons& o) {
  core::Json ids = core::Json::array();
  for (const auto& c : o.coupons) ids.push_back({{"id", c.id}, {"status", c.status}});
  return core::DumpJson({{"order", o.order_id},
                         {"coupons", ids},
                         {"total", o.pricing ? o.pricing->total_discount : int64_t{-1}}});
}

class CouponsTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam(), 16);
    templates_ = std::make_unique<Templates>(t_->db(), clock_, ids_, audit_);
    coupons_ = MakeCoupons(t_->db(), {});
  }

  std::unique_ptr<Coupons> MakeCoupons(store::Database& db, CouponsOptions o) {
    return std::make_unique<Coupons>(db, clock_, ids_,
                                     *core::BusinessTimeZone::Load("Asia/Shanghai"), o);
  }

  // Users with ids 1..n.
  void AddUsers(int n) {
    auto st = shopcrm::testing::InsertUsers(t_->db(), n);
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }

  static TemplateSpec Spec(CouponKind kind = CouponKind::kThreshold) {
    TemplateSpec s;
    s.name = "满100减20";
    s.terms.kind = kind;
    if (kind == CouponKind::kThreshold) {
      s.terms.min_amount = 10000;
      s.terms.discount = 2000;
    } else if (kind == CouponKind::kRedPacket) {
      s.terms.discount = 500;
    } else if (kind == CouponKind::kRandomPacket) {
      s.terms.random_min = 1;
      s.terms.random_max = 300;
      s.limits.budget = 10000;
    }
    s.validity.use_days = 7;
    return s;
  }

  int64_t Create(const TemplateSpec& s) {
    auto t = templates_->Create(s, actor_);
    EXPECT_TRUE(t.ok()) << t.error().ToString();
    return t.ok() ? t->id : 0;
  }

  core::Result<store::Answer> Claim(Coupons& c, int64_t tmpl, int64_t user,
                                    Source source = Source::kSelf, std::string key = "") {
    store::IdempotencyKey k{"test:claim", std::move(key), "fp"};
    return c.Issue({tmpl, user, source, "test", "app"}, k, RenderCoupon);
  }

  int64_t CountRows(const std::string& sql) { return shopcrm::testing::QueryInt(t_->db(), sql); }

  // Runs `fn(i)` for i in [0, n) on `threads` threads; returns the reasons of the failures.
  std::map<std::string, int> Hammer(int threads, int n,
                                    const std::function<core::Result<store::Answer>(int)>& fn) {
    return shopcrm::testing::Hammer<store::Answer>(threads, n, fn);
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 1};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Templates> templates_;
  std::unique_ptr<Coupons> coupons_;
};

TEST_P(CouponsTest, SpecValidationNamesEveryBadField) {
  TemplateSpec s = Spec();
  s.name = "";
  s.terms.discount = 20000;  // above the threshold
  s.terms.funding = Funding::kStore;
  s.limits.stock = 0;
  s.validity.use_start = clock_.Now();
  auto st = ValidateSpec(s);
  ASSERT_FALSE(st.ok());
  std::set<std::string> fields;
  for (const auto& f : st.error().fields()) fields.insert(f.field);
  EXPECT_EQ(fields, (std::set<std::string>{"name", "terms.min_amount", "terms.store_id",
                                           "limits.stock", "validity.use_days"}));
  EXPECT_TRUE(ValidateSpec(Spec(CouponKind::kRandomPacket)).ok());
  TemplateSpec r = Spec(CouponKind::kRandomPacket);
  r.limits.budget.reset();
  EXPECT_FALSE(ValidateSpec(r).ok());
}

TEST_P(CouponsTest, ACouponKeepsTheTermsItWasIssuedWith) {
  AddUsers(1);
  const int64_t id = Create(Spec());
  ASSERT_TRUE(Claim(*coupons_, id, 1).ok());
  TemplateSpec changed = Spec();
  changed.terms.discount = 3000;
  changed.terms.min_amount = 15000;
  auto t = templates_->Update(id, changed, actor_);
  ASSERT_TRUE(t.ok()) << t.error().ToString();
  EXPECT_EQ(t->version, 2);
  ASSERT_TRUE(Claim(*coupons_, id, 1).ok());
  auto wallet = coupons_->Wallet(1, std::nullopt);
  ASSERT_TRUE(wallet.ok());
  ASSERT_EQ(wallet->size(), 2u);
  EXPECT_EQ((*wallet)[0].terms.discount, 3000);  // newest first
  EXPECT_EQ((*wallet)[1].terms.discount, 2000);
  EXPECT_EQ((*wallet)[1].version, 1);
  // A name-only edit keeps the version.
  changed.name = "renamed";
  EXPECT_EQ(templates_->Update(id, changed, actor_)->version, 2);
}

TEST_P(CouponsTest, StockHoldsUnderConcurrentClaimsFromTwoHandles) {
  AddUsers(200);
  TemplateSpec s = Spec(CouponKind::kRedPacket);
  s.limits.stock = 50;
  s.limits.per_user_total = 1;
  const int64_t id = Create(s);
  auto other_db = t_->OpenAnother(8);
  auto other = MakeCoupons(*other_db, {});
  // Every user claims twice, half through each handle.
  auto outcomes = Hammer(
      16, 400, [&](int i) { return Claim(i % 2 == 0 ? *coupons_ : *other, id, 1 + (i % 200)); });
  EXPECT_EQ(outcomes["ok"], 50);
  EXPECT_EQ(outcomes["ok"] + outcomes["coupon_stock_exhausted"] + outcomes["user_limit_reached"],
            400);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupons"), 50);
  EXPECT_EQ(CountRows("SELECT COUNT(DISTINCT user_id) FROM coupons"), 50);
  EXPECT_EQ(CountRows("SELECT issued FROM coupon_templates"), 50);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupon_steps WHERE step = 'claimed'"), 50);
}

TEST_P(CouponsTest, PerUserLimitsHoldUnderConcurrencyAndFollowTheBusinessDay) {
  AddUsers(1);
  TemplateSpec s = Spec(CouponKind::kRedPacket);
  s.limits.per_user_daily = 3;
  s.limits.per_user_total = 5;
  const int64_t id = Create(s);
  // 2026-09-21 15:59:59 UTC is 23:59:59 in Shanghai.
  clock_.Set(*core::ParseRfc3339("2026-09-21T15:59:59Z"));
  auto outcomes = Hammer(8, 20, [&](int) { return Claim(*coupons_, id, 1); });
  EXPECT_EQ(outcomes["ok"], 3);
  EXPECT_EQ(outcomes["daily_limit_reached"], 17);
  clock_.Advance(1s);  // midnight in Shanghai: a new day
  outcomes = Hammer(8, 20, [&](int) { return Claim(*coupons_, id, 1); });
  EXPECT_EQ(outcomes["ok"], 2);
  EXPECT_EQ(outcomes["user_limit_reached"], 18);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupons"), 5);
}

TEST_P(CouponsTest, RandomPacketsSpendTheBudgetExactly) {
  AddUsers(100);
  const int64_t id = Create(Spec(CouponKind::kRandomPacket));  // budget 100.00, 0.01–3.00
  auto outcomes = Hammer(8, 300, [&](int i) { return Claim(*coupons_, id, 1 + i % 100); });
  EXPECT_GT(outcomes["ok"], 33);
  EXPECT_EQ(outcomes["ok"] + outcomes["coupon_budget_exhausted"], 300);
  EXPECT_EQ(CountRows("SELECT CAST(SUM(face_value) AS BIGINT) FROM coupons"), 10000);
  EXPECT_EQ(CountRows("SELECT budget_used FROM coupon_templates"), 10000);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupons WHERE face_value < 1 OR face_value > 300"), 0);
}

TEST_P(CouponsTest, AntiHarassmentLimitsCrmGrantsOnlyAndLogsRefusals) {
  AddUsers(1);
  CouponsOptions o;
  o.max_unused_crm = 2;
  o.grant_repeat_days = 7;
  auto c = MakeCoupons(t_->db(), o);
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(Create(Spec(CouponKind::kRedPacket)));
  // Self-claimed coupons never count.
  ASSERT_TRUE(Claim(*c, ids[0], 1, Source::kSelf).ok());
  ASSERT_TRUE(Claim(*c, ids[0], 1, Source::kSelf).ok());
  // Concurrent grants of four templates: exactly two land.
  auto outcomes =
      Hammer(4, 4, [&](int i) { return Claim(*c, ids[static_cast<size_t>(i)], 1, Source::kCrm); });
  EXPECT_EQ(outcomes["ok"], 2);
  EXPECT_EQ(outcomes["grant_refused"], 2);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupon_steps WHERE step = 'refused' AND reason = "
                      "'too_many_unused'"),
            2);
  // Using one frees a slot, but the same template within 7 days is refused.
  auto wallet = c->Wallet(1, "unused");
  ASSERT_TRUE(wallet.ok());
  int64_t granted_template = 0;
  for (const auto& w : *wallet) {
    if (w.source == "crm") granted_template = w.template_id;
  }
  auto again = Claim(*c, granted_template, 1, Source::kCrm);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().fields().at(0).reason, "too_many_unused");
  clock_.Advance(std::chrono::hours(24 * 8));  // the grants expired (7 days) and the period passed
  EXPECT_TRUE(Claim(*c, granted_template, 1, Source::kCrm).ok());
  auto repeat = Claim(*c, granted_template, 1, Source::kCrm);
  ASSERT_FALSE(repeat.ok());
  EXPECT_EQ(repeat.error().fields().at(0).reason, "granted_recently");
}

TEST_P(CouponsTest, IdempotencyKeyReplaysTheFirstAnswer) {
  AddUsers(1);
  const int64_t id = Create(Spec(CouponKind::kRedPacket));
  std::set<std::string> bodies;
  std::mutex mu;
  auto outcomes = Hammer(8, 16, [&](int) {
    auto r = Claim(*coupons_, id, 1, Source::kSelf, "key-1");
    if (r.ok()) {
      std::lock_guard lock(mu);
      bodies.insert(r->body);
    }
    return r;
  });
  EXPECT_EQ(outcomes["ok"], 16);
  EXPECT_EQ(bodies.size(), 1u);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupons"), 1);
  auto replay = Claim(*coupons_, id, 1, Source::kSelf, "key-1");
  ASSERT_TRUE(replay.ok());
  EXPECT_TRUE(replay->replayed);
  store::IdempotencyKey other{"test:claim", "key-1", "another request"};
  auto reused = coupons_->Issue({id, 1, Source::kSelf, "", ""}, other, RenderCoupon);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().reason(), "idempotency_key_reused");
}

TEST_P(CouponsTest, CheckoutLockRedeemRefundAndRelease) {
  AddUsers(1);
  const int64_t threshold = Create(Spec());
  TemplateSpec keep = Spec(CouponKind::kRedPacket);
  keep.terms.return_on_refund = false;
  keep.terms.funding = Funding::kStore;  // stacks with the platform coupon
  keep.terms.store_id = "s-1";
  keep.terms.platform_share_percent = 0;
  const int64_t packet = Create(keep);
  auto a = Claim(*coupons_, threshold, 1);
  auto b = Claim(*coupons_, packet, 1);
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t a_id = core::ParseJson(a->body)->at("id").get<int64_t>();
  const int64_t b_id = core::ParseJson(b->body)->at("id").get<int64_t>();

  Cart cart;
  cart.items = {{"sku-1", "c-1", "s-1", 6000, 1}, {"sku-2", "c-2", "s-1", 3000, 2}};
  auto e = coupons_->Evaluate(1, cart);
  ASSERT_TRUE(e.ok()) << e.error().ToString();
  ASSERT_EQ(e->coupons.size(), 2u);
  for (const auto& v : e->evaluation.coupons) EXPECT_TRUE(v.usable) << v.reason;

  const store::IdempotencyKey none;
  auto locked = coupons_->Lock(1, "o-1", cart, {a_id}, none, RenderOrder);
  ASSERT_TRUE(locked.ok()) << locked.error().ToString();
  EXPECT_EQ(core::ParseJson(locked->body)->at("total").get<int64_t>(), 2000);
  // Locking again for the same order is a no-op; for another order the coupon is taken.
  EXPECT_TRUE(coupons_->Lock(1, "o-1", cart, {a_id}, none, RenderOrder).ok());
  auto taken = coupons_->Lock(1, "o-2", cart, {a_id}, none, RenderOrder);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().reason(), "coupon_not_usable");
  // Cancelled before payment: usable again.
  ASSERT_TRUE(coupons_->Release("o-1", none, RenderOrder).ok());
  EXPECT_EQ(coupons_->Get(a_id)->status, "unused");
  EXPECT_TRUE(coupons_->Release("o-1", none, RenderOrder).ok());  // again: nothing to do

  auto both = coupons_->Lock(1, "o-3", cart, {a_id, b_id}, none, RenderOrder);
  ASSERT_TRUE(both.ok()) << both.error().ToString();
  EXPECT_EQ(core::ParseJson(both->body)->at("total").get<int64_t>(), 2500);
  ASSERT_TRUE(coupons_->Redeem("o-3", none, RenderOrder).ok());
  EXPECT_EQ(coupons_->Get(a_id)->status, "used");
  auto release_paid = coupons_->Release("o-3", none, RenderOrder);
  ASSERT_FALSE(release_paid.ok());
  EXPECT_EQ(release_paid.error().reason(), "order_already_paid");
  ASSERT_TRUE(coupons_->Refund("o-3", none, RenderOrder).ok());
  EXPECT_EQ(coupons_->Get(a_id)->status, "unused");    // returned
  EXPECT_EQ(coupons_->Get(b_id)->status, "refunded");  // its template keeps it
  // The template's figures count it as refunded: neither used nor expired.
  auto figures = templates_->Get(packet);
  ASSERT_TRUE(figures.ok());
  EXPECT_EQ(figures->stats.refunded, 1);
  EXPECT_EQ(figures->stats.used, 0);
  EXPECT_EQ(figures->stats.expired, 0);
  ASSERT_TRUE(coupons_->Refund("o-3", none, RenderOrder).ok());  // again: no second reversal
  EXPECT_EQ(
      CountRows(
          "SELECT CAST(SUM(amount) AS BIGINT) FROM coupon_steps WHERE step IN ('used', 'returned', "
          "'refunded')"),
      0);
  auto unknown = coupons_->Redeem("o-404", none, RenderOrder);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().reason(), "order_not_found");
}

TEST_P(CouponsTest, ExpiredCouponsAreSweptAndNotUsable) {
  AddUsers(1);
  const int64_t id = Create(Spec(CouponKind::kRedPacket));  // 7 days
  ASSERT_TRUE(Claim(*coupons_, id, 1).ok());
  clock_.Advance(std::chrono::hours(24 * 7));
  Cart cart;
  cart.items = {{"sku-1", "", "", 1000, 1}};
  auto e = coupons_->Evaluate(1, cart);
  ASSERT_TRUE(e.ok());
  ASSERT_EQ(e->evaluation.coupons.size(), 1u);
  EXPECT_EQ(e->evaluation.coupons[0].reason, "expired");
  auto swept = coupons_->SweepExpired();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1);
  EXPECT_EQ(CountRows("SELECT COUNT(*) FROM coupon_steps WHERE step = 'expired'"), 1);
  EXPECT_EQ(*coupons_->SweepExpired(), 0);
}

TEST_P(CouponsTest, UnknownUserAndClosedTemplatesAreRefused) {
  AddUsers(1);
  const int64_t id = Create(Spec(CouponKind::kRedPacket));
  auto nobody = Claim(*coupons_, id, 99);
  ASSERT_FALSE(nobody.ok());
  EXPECT_EQ(nobody.error().reason(), "user_not_found");
  EXPECT_EQ(CountRows("SELECT issued FROM coupon_templates"), 0);
  ASSERT_TRUE(templates_->SetStatus(id, "paused", actor_).ok());
  EXPECT_EQ(Claim(*coupons_, id, 1).error().reason(), "template_not_active");
  TemplateSpec later = Spec(CouponKind::kRedPacket);
  later.validity.claim_start = clock_.Now() + 1h;
  EXPECT_EQ(Claim(*coupons_, Create(later), 1).error().reason(), "claim_not_open");
}

INSTANTIATE_TEST_SUITE_P(Backends, CouponsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::marketing
