// Customer data on both backends: batch ingestion (idempotency, per-record
// rejection, held order updates, refunds), the user 360 reads, tags and
// erasure.
#include <gtest/gtest.h>

#include <algorithm>

#include "audit/audit_log.h"
#include "profiles/attitudes.h"
#include "profiles/directory.h"
#include "profiles/facts.h"
#include "profiles/ingest.h"
#include "profiles/record_json.h"
#include "profiles/tags.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::profiles {
namespace {

using shopcrm::testing::TestBackend;

template <typename T>
std::vector<Incoming<T>> Parse(Incoming<T> (*from)(const core::Json&), std::string_view json) {
  auto doc = core::ParseJson(json);
  EXPECT_TRUE(doc.ok()) << json;
  std::vector<Incoming<T>> out;
  for (const auto& j : *doc) out.push_back(from(j));
  return out;
}

class ProfilesTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam());
    ingest_ = std::make_unique<Ingest>(t_->db(), clock_, ids_);
    dir_ = std::make_unique<Directory>(t_->db(), clock_, audit_, "Asia/Shanghai");
    tags_ = std::make_unique<Tags>(t_->db(), clock_, ids_, audit_);
  }

  BatchResult Events(std::string_view json) {
    auto batch = Parse(EventFromJson, json);
    auto r = ingest_->Events(batch);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : BatchResult{};
  }
  BatchResult Orders(std::string_view json) {
    auto batch = Parse(OrderFromJson, json);
    auto r = ingest_->Orders(batch);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : BatchResult{};
  }
  BatchResult Updates(std::string_view json) {
    auto batch = Parse(OrderUpdateFromJson, json);
    auto r = ingest_->OrderUpdates(batch);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : BatchResult{};
  }
  BatchResult Users(std::string_view json) {
    auto batch = Parse(UserFromJson, json);
    auto r = ingest_->Users(batch);
    EXPECT_TRUE(r.ok()) << r.error().ToString();
    return r.ok() ? *r : BatchResult{};
  }
  int64_t UserId(const std::string& external_id) {
    UserQuery q;
    q.q = external_id;
    auto page = dir_->List(q);
    EXPECT_TRUE(page.ok());
    EXPECT_EQ(page->items.size(), 1U) << external_id;
    return page->items.empty() ? 0 : page->items[0].id;
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 1};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<Ingest> ingest_;
  std::unique_ptr<Directory> dir_;
  std::unique_ptr<Tags> tags_;
};

constexpr std::string_view kOrder = R"([{
  "source_id": "o-1", "user_external_id": "u-1", "currency": "CNY",
  "goods_amount": "300.00", "discount_amount": "30.00", "shipping_amount": "10.00",
  "paid_amount": "280.00", "status": "paid", "coupon_codes": ["SPRING30"],
  "placed_at": "2026-11-01T10:00:00+08:00", "paid_at": "2026-11-01T10:05:00+08:00",
  "items": [
    {"line_no": 1, "sku": "sku-a", "quantity": 2, "unit_price": "100.00"},
    {"line_no": 2, "sku": "sku-b", "quantity": 1, "unit_price": "100.00"}]}])";

TEST_P(ProfilesTest, EventsAreIdempotentAndBadRecordsDoNotBlockGoodOnes) {
  auto r = Events(R"([
    {"source_id": "e1", "user_external_id": "u-1", "type": "visit", "page": "home",
     "occurred_at": "2026-11-20T08:00:00Z"},
    {"source_id": "e2", "user_external_id": "u-1", "type": "teleport",
     "occurred_at": "2026-11-20T08:00:00Z"},
    {"source_id": "e3", "user_external_id": "u-2", "type": "review", "rating": 9,
     "occurred_at": "2026-11-20T08:00:00Z"},
    {"source_id": "e4", "user_external_id": "u-2", "type": "cart_add",
     "occurred_at": "yesterday"},
    {"source_id": "e5", "user_external_id": "u-2", "type": "search", "search_query": "耳机",
     "occurred_at": "2026-11-20T09:00:00+08:00"}])");
  EXPECT_EQ(r.accepted, 2);
  EXPECT_EQ(r.rejected, 3);
  ASSERT_EQ(r.results.size(), 5U);
  EXPECT_EQ(r.results[1].reason, "invalid_enum");
  EXPECT_EQ(r.results[1].field, "type");
  EXPECT_EQ(r.results[2].field, "rating");
  EXPECT_EQ(r.results[3].field, "occurred_at");
  EXPECT_EQ(r.results[3].reason, "invalid_timestamp");
  EXPECT_EQ(r.results[3].source_id, "e4");

  // Re-sending changes nothing and says so.
  auto again = Events(R"([
    {"source_id": "e1", "user_external_id": "u-1", "type": "visit", "page": "home",
     "occurred_at": "2026-11-20T08:00:00Z"}])");
  EXPECT_EQ(again.duplicate, 1);
  EXPECT_EQ(again.accepted, 0);

  // Unknown users became bare users.
  auto u2 = dir_->Get(UserId("u-2"));
  ASSERT_TRUE(u2.ok());
  EXPECT_TRUE(u2->is_bare);
  auto events = dir_->Events(u2->id, std::nullopt, 10, std::nullopt);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->items.size(), 1U);
  EXPECT_EQ(events->items[0].search_query.value_or(""), "耳机");
}

TEST_P(ProfilesTest, UsersUpsertFillBareUsersAndReportUnchangedAsDuplicate) {
  Events(R"([{"source_id": "e1", "user_external_id": "u-9", "type": "login",
              "occurred_at": "2026-11-20T08:00:00Z"}])");
  auto r = Users(R"([
    {"external_id": "u-9", "name": "王小明", "phone": "13812345678", "gender": "male",
     "birthday": "1990-02-28", "city": "上海", "province": "上海",
     "referrer_external_id": "u-1", "attributes": {"vip_card": "A1"}},
    {"external_id": "u-10", "gender": "robot", "birthday": "1990-02-30"}])");
  EXPECT_EQ(r.accepted, 1);
  EXPECT_TRUE(r.results[0].updated);
  EXPECT_EQ(r.rejected, 1);
  auto again = Users(R"([{"external_id": "u-9", "name": "王小明"}])");
  EXPECT_EQ(again.duplicate, 1);
  auto changed = Users(R"([{"external_id": "u-9", "city": "杭州"}])");
  EXPECT_EQ(changed.accepted, 1);

  auto u = dir_->Get(UserId("u-9"));
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->is_bare);
  EXPECT_EQ(u->city.value_or(""), "杭州");
  EXPECT_EQ(u->name.value_or(""), "王小明");  // absent fields keep their value
  EXPECT_EQ(u->referrer_external_id.value_or(""), "u-1");
  EXPECT_EQ(MaskPhone(*u->phone), "138****5678");
}

TEST_P(ProfilesTest, OrdersCountPaidNetOfRefundsAndHeldUpdatesApplyLater) {
  // The refund arrives before its order: it is held, then applied.
  auto held = Updates(R"([{"source_id": "r-1", "order_source_id": "o-1", "type": "refunded",
    "at": "2026-11-03T10:00:00+08:00", "refund_amount": "90.00",
    "refund_lines": [{"line_no": 1, "quantity": 1, "amount": "90.00"}]}])");
  EXPECT_EQ(held.held, 1);
  EXPECT_EQ(Updates(R"([{"source_id": "r-1", "order_source_id": "o-1", "type": "refunded",
    "at": "2026-11-03T10:00:00+08:00", "refund_amount": "90.00"}])")
                .duplicate,
            1);

  auto r = Orders(kOrder);
  ASSERT_EQ(r.accepted, 1) << (r.results.empty() ? "" : r.results[0].detail);
  EXPECT_EQ(Orders(kOrder).duplicate, 1);

  const int64_t uid = UserId("u-1");
  auto orders = dir_->Orders(uid, 10, std::nullopt);
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->items.size(), 1U);
  const Order& o = orders->items[0];
  EXPECT_EQ(o.refunded_minor, 9000);
  EXPECT_EQ(o.status, "paid");  // partly refunded
  ASSERT_EQ(o.items.size(), 2U);
  // 270.00 of goods after discount, split 2:1 across the lines.
  EXPECT_EQ(o.items[0].paid_minor, 18000);
  EXPECT_EQ(o.items[1].paid_minor, 9000);
  EXPECT_EQ(o.items[0].refunded_quantity, 1);
  EXPECT_EQ(o.coupon_codes, std::vector<std::string>{"SPRING30"});
  ASSERT_EQ(o.history.size(), 3U);
  EXPECT_EQ(o.history.back().status, "refunded");

  auto sum = dir_->Summary(uid);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->order_count, 1);
  EXPECT_EQ(sum->total_paid_minor, 28000 - 9000);
  EXPECT_EQ(sum->refunded_minor, 9000);
  ASSERT_EQ(sum->spend_by_month.size(), 1U);
  EXPECT_EQ(sum->spend_by_month[0].month, "2026-11");

  // Refunding more than is left, or cancelling a paid order, is rejected.
  auto bad = Updates(R"([
    {"source_id": "r-2", "order_source_id": "o-1", "type": "refunded",
     "at": "2026-11-04T10:00:00+08:00", "refund_amount": "190.01"},
    {"source_id": "c-1", "order_source_id": "o-1", "type": "cancelled",
     "at": "2026-11-04T10:00:00+08:00"},
    {"source_id": "r-3", "order_source_id": "o-1", "type": "refunded",
     "at": "2026-11-05T10:00:00+08:00", "refund_amount": "190.00"}])");
  EXPECT_EQ(bad.results[0].reason, "refund_exceeds_paid");
  EXPECT_EQ(bad.results[1].reason, "order_already_paid");
  EXPECT_EQ(bad.accepted, 1);
  // Wholly refunded: the order no longer counts.
  sum = dir_->Summary(uid);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->order_count, 0);
  EXPECT_EQ(sum->total_paid_minor, 0);
}

TEST_P(ProfilesTest, OrderValidationNamesTheField) {
  auto r = Orders(R"([{"source_id": "o-2", "user_external_id": "u-1",
    "goods_amount": "1.005", "paid_amount": "1.00", "status": "paid",
    "placed_at": "2026-11-01T10:00:00Z",
    "items": [{"sku": "a", "quantity": 0, "unit_price": "1.00"}]}])");
  ASSERT_EQ(r.rejected, 1);
  EXPECT_EQ(r.results[0].field, "goods_amount");
  auto lines = Orders(R"([{"source_id": "o-3", "user_external_id": "u-1",
    "goods_amount": "1.00", "paid_amount": "1.00", "status": "paid",
    "placed_at": "2026-11-01T10:00:00Z",
    "items": [{"sku": "a", "quantity": 0, "unit_price": "1.00"}]}])");
  ASSERT_EQ(lines.rejected, 1);
  EXPECT_EQ(lines.results[0].field, "items[0].quantity");
}

TEST_P(ProfilesTest, OrderStatusFollowsTheTimestampsAndContradictionsAreRejected) {
  auto r = Orders(R"([
    {"source_id": "o-5", "user_external_id": "u-1", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "created", "placed_at": "2026-11-01T10:00:00Z",
     "completed_at": "2026-11-03T10:00:00Z"},
    {"source_id": "o-6", "user_external_id": "u-1", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-11-01T10:00:00Z",
     "cancelled_at": "2026-11-02T10:00:00Z"},
    {"source_id": "o-7", "user_external_id": "u-1", "goods_amount": "99999999999999.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-11-01T10:00:00Z"},
    {"source_id": "o-8", "user_external_id": "u-1", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-11-01T10:00:00Z",
     "items": [{"sku": "a", "quantity": 1000000, "unit_price": "99999999.00"}]}])");
  ASSERT_EQ(r.results.size(), 4U);
  EXPECT_EQ(r.results[0].outcome, Outcome::kAccepted);
  EXPECT_EQ(r.results[1].reason, "status_mismatch");
  EXPECT_EQ(r.results[2].reason, "amount_too_large");
  EXPECT_EQ(r.results[3].reason, "amount_overflow");
  auto orders = dir_->Orders(UserId("u-1"), 10, std::nullopt);
  ASSERT_TRUE(orders.ok());
  ASSERT_EQ(orders->items.size(), 1U);
  EXPECT_EQ(orders->items[0].status, "completed");
  EXPECT_TRUE(orders->items[0].paid_at.has_value());  // completed implies paid
  EXPECT_TRUE(orders->items[0].counts);
  // A completed order is paid: it cannot be cancelled.
  EXPECT_EQ(Updates(R"([{"source_id": "c-5", "order_source_id": "o-5", "type": "cancelled",
                        "at": "2026-11-04T10:00:00Z"}])")
                .results[0]
                .reason,
            "order_already_paid");
}

TEST_P(ProfilesTest, ALineIsRefundedOncePerUpdate) {
  Orders(kOrder);
  auto r = Updates(R"([{"source_id": "r-9", "order_source_id": "o-1", "type": "refunded",
    "at": "2026-11-03T10:00:00+08:00", "refund_amount": "180.00",
    "refund_lines": [{"line_no": 1, "quantity": 2, "amount": "90.00"},
                     {"line_no": 1, "quantity": 2, "amount": "90.00"}]}])");
  ASSERT_EQ(r.rejected, 1);
  EXPECT_EQ(r.results[0].reason, "duplicate_line");
  EXPECT_EQ(r.results[0].field, "refund_lines[1].line_no");
  EXPECT_EQ(Users(R"([{"external_id": "erased:1"}])").results[0].reason, "reserved_id");
}

TEST_P(ProfilesTest, TagsAndBulkTaggingAreAudited) {
  Users(R"([{"external_id": "a"}, {"external_id": "b"}])");
  auto g = tags_->CreateGroup("客户价值", "", actor_);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(tags_->CreateGroup("客户价值", "", actor_).error().reason(), "tag_group_name_taken");
  auto t = tags_->CreateTag(g->id, "vip", "top spenders", actor_);
  ASSERT_TRUE(t.ok());
  auto bulk = tags_->Bulk(t->id, true, {"a", "b", "nobody"}, true, actor_);
  ASSERT_TRUE(bulk.ok());
  EXPECT_EQ(bulk->changed, 2);
  EXPECT_EQ(bulk->not_found, std::vector<std::string>{"nobody"});
  ASSERT_TRUE(tags_->TagUser(UserId("a"), t->id, actor_).ok());  // idempotent

  UserQuery q;
  q.tag_id = t->id;
  EXPECT_EQ(dir_->List(q)->items.size(), 2U);
  ASSERT_TRUE(tags_->UntagUser(UserId("a"), t->id, actor_).ok());
  EXPECT_EQ(dir_->List(q)->items.size(), 1U);
  EXPECT_EQ(tags_->DeleteGroup(g->id, actor_).error().reason(), "tag_group_not_empty");
  auto groups = tags_->ListGroups();
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 8U);  // ours, then the seven system groups (0007, 0020, 0021)
  EXPECT_EQ((*groups)[0].kind, "manual");
  EXPECT_EQ((*groups)[0].tags[0].user_count, 1);
  EXPECT_EQ((*groups)[1].kind, "system");

  auto entries = audit_.List(t_->db(), {});
  ASSERT_TRUE(entries.ok());
  ASSERT_GE(entries->items.size(), 4U);
  EXPECT_EQ(entries->items[0].action, "user_tag.remove");
}

TEST_P(ProfilesTest, ErasureKeepsTheNumbers) {
  Users(R"([{"external_id": "u-1", "name": "李雷", "phone": "13900001111", "city": "北京"}])");
  Orders(kOrder);
  Events(R"([{"source_id": "e1", "user_external_id": "u-1", "type": "search",
              "search_query": "李雷的地址", "occurred_at": "2026-11-20T08:00:00Z"}])");
  const int64_t uid = UserId("u-1");
  ASSERT_TRUE(dir_->Erase(uid, actor_).ok());
  EXPECT_EQ(dir_->Erase(uid, actor_).error().reason(), "user_already_erased");
  auto u = dir_->Get(uid);
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->name.has_value());
  EXPECT_FALSE(u->phone.has_value());
  EXPECT_TRUE(u->erased_at.has_value());
  EXPECT_NE(u->external_id, "u-1");
  auto sum = dir_->Summary(uid);
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->total_paid_minor, 28000);
  auto events = dir_->Events(uid, std::nullopt, 10, std::nullopt);
  ASSERT_TRUE(events.ok());
  EXPECT_FALSE(events->items[0].search_query.has_value());
}

TEST_P(ProfilesTest, TimelinesPageNewestFirst) {
  std::string json = "[";
  for (int i = 0; i < 25; ++i) {
    json += std::string(i ? "," : "") + R"({"source_id": "e)" + std::to_string(i) +
            R"(", "user_external_id": "u-1", "type": "visit", "occurred_at": "2026-11-20T08:)" +
            (i < 10 ? "0" : "") + std::to_string(i) + R"(:00Z"})";
  }
  Events(json + "]");
  const int64_t uid = UserId("u-1");
  std::vector<std::string> seen;
  std::optional<int64_t> cursor;
  do {
    auto page = dir_->Events(uid, std::nullopt, 10, cursor);
    ASSERT_TRUE(page.ok());
    for (const auto& e : page->items) seen.push_back(e.source_id);
    cursor = page->next_cursor;
  } while (cursor);
  ASSERT_EQ(seen.size(), 25U);
  EXPECT_EQ(seen.front(), "e24");
  EXPECT_EQ(seen.back(), "e0");
  EXPECT_EQ(dir_->Get(424242).error().reason(), "user_not_found");
}

// Fishbein: each review scores the attributes it names (properties.beliefs)
// and gives its rating to the others; a belief is the mean of a category's
// scores, and A = Σ Bᵢ·Eᵢ.
TEST_P(ProfilesTest, AttitudesFromReviews) {
  Users(R"([{"external_id": "a"}, {"external_id": "b"}])");
  Events(R"([
    {"source_id": "v1", "user_external_id": "a", "type": "review", "category_source_id": "shoes",
     "rating": 4, "occurred_at": "2026-09-01T10:00:00Z"},
    {"source_id": "v2", "user_external_id": "a", "type": "review", "category_source_id": "shoes",
     "rating": 2, "properties": {"beliefs": {"quality": 5}}, "occurred_at": "2026-09-02T10:00:00Z"},
    {"source_id": "v3", "user_external_id": "a", "type": "review", "category_source_id": "bags",
     "properties": {"beliefs": {"price": 1, "bogus": 3, "service": 9}},
     "occurred_at": "2026-09-03T10:00:00Z"},
    {"source_id": "v4", "user_external_id": "a", "type": "review", "category_source_id": "hats",
     "occurred_at": "2026-09-03T10:00:00Z"},
    {"source_id": "v5", "user_external_id": "a", "type": "visit", "category_source_id": "caps",
     "occurred_at": "2026-09-03T10:00:00Z"},
    {"source_id": "v6", "user_external_id": "b", "type": "review", "category_source_id": "shoes",
     "rating": 5, "occurred_at": "2026-09-03T10:00:00Z"}])");
  Attitudes model(t_->db(),
                  DefaultAttitudeAttributes());  // quality 3, price 2, service 2, delivery 1
  auto a = model.Of(UserId("a"));
  ASSERT_TRUE(a.ok()) << a.error().ToString();
  ASSERT_EQ(a->size(), 2U);  // hats: a review without a score; caps: not a review
  EXPECT_EQ((*a)[0].category, "shoes");
  EXPECT_DOUBLE_EQ((*a)[0].score, 4.5 * 3 + 3 * 2 + 3 * 2 + 3 * 1);
  EXPECT_EQ((*a)[0].reviews, 2);
  const std::vector<std::pair<std::string, double>> shoes = {
      {"quality", 4.5}, {"price", 3}, {"service", 3}, {"delivery", 3}};
  EXPECT_EQ((*a)[0].beliefs, shoes);
  EXPECT_EQ((*a)[1].category, "bags");
  EXPECT_DOUBLE_EQ((*a)[1].score, 2);
  EXPECT_EQ((*a)[1].beliefs, (std::vector<std::pair<std::string, double>>{{"price", 1}}));
  auto b = model.Of(UserId("b"));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 1U);
  EXPECT_DOUBLE_EQ((*b)[0].score, 5 * (3 + 2 + 2 + 1));
  // Weights change the score, not the beliefs.
  Attitudes price_only(t_->db(), *ParseAttitudeAttributes("price:-3"));
  auto p = price_only.Of(UserId("a"));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->size(), 2U);
  EXPECT_EQ((*p)[0].category, "bags");  // -3 beats -9
  EXPECT_DOUBLE_EQ((*p)[1].score, -9);
  EXPECT_EQ(model.Of(999999).error().reason(), "user_not_found");
}

// The categories each user first bought, one page of users at a time: every
// (user, category) once, with its earliest counting order, whatever the page size.
TEST_P(ProfilesTest, CategoryFirstsPageThroughUsers) {
  Users(R"([{"external_id": "a"}, {"external_id": "b"}, {"external_id": "c"}])");
  Orders(R"([
    {"source_id": "f1", "user_external_id": "a", "currency": "CNY", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-09-01T10:00:00Z",
     "items": [{"sku": "s1", "category_source_id": "shoes", "unit_price": "5.00"},
               {"sku": "s2", "category_source_id": "bags", "unit_price": "5.00"}]},
    {"source_id": "f2", "user_external_id": "a", "currency": "CNY", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-08-01T10:00:00Z",
     "items": [{"sku": "s3", "category_source_id": "shoes", "unit_price": "10.00"}]},
    {"source_id": "f3", "user_external_id": "b", "currency": "CNY", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "cancelled", "placed_at": "2026-08-01T10:00:00Z",
     "items": [{"sku": "s4", "category_source_id": "hats", "unit_price": "10.00"}]},
    {"source_id": "f4", "user_external_id": "c", "currency": "USD", "goods_amount": "10.00",
     "paid_amount": "10.00", "status": "paid", "placed_at": "2026-07-01T10:00:00Z",
     "items": [{"sku": "s5", "category_source_id": "hats", "unit_price": "10.00"},
               {"sku": "s6", "unit_price": "1.00"}]}])");
  const int64_t aug1 = core::ToUnixMicros(*core::ParseRfc3339("2026-08-01T10:00:00Z"));
  const int64_t sep1 = core::ToUnixMicros(*core::ParseRfc3339("2026-09-01T10:00:00Z"));
  const int64_t jul1 = core::ToUnixMicros(*core::ParseRfc3339("2026-07-01T10:00:00Z"));
  const std::vector<std::tuple<int64_t, std::string, int64_t>> expected = {
      {UserId("a"), "bags", sep1}, {UserId("a"), "shoes", aug1}, {UserId("c"), "hats", jul1}};
  for (int page : {1, 2, 50}) {
    Facts facts(t_->db(), page);
    std::vector<std::tuple<int64_t, std::string, int64_t>> got;
    ASSERT_TRUE(facts
                    .ScanCategoryFirsts([&](const CategoryFirst& f) {
                      got.emplace_back(f.user_id, f.category, f.first_at_micros);
                      return core::Status::Ok();
                    })
                    .ok());
    EXPECT_EQ(got, expected) << "pages of " << page;
  }
}

TEST(AttitudeAttributes, ParseAndRefuse) {
  auto ok = ParseAttitudeAttributes("quality:3,price:-2,after_sales:0");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 3U);
  EXPECT_EQ((*ok)[1].name, "price");
  EXPECT_EQ((*ok)[1].weight, -2);
  for (const char* bad : {"", "quality", "quality:4", "quality:x", "a:1,a:2", "a b:1", "a:1,"}) {
    auto r = ParseAttitudeAttributes(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().reason(), "invalid_config") << bad;
    EXPECT_EQ(r.error().fields().at(0).field, "analytics.attitude_attributes");
  }
}

// What changed after some marks: each kind of write names its user (and an
// invitee's inviter); tagging users stamps them; only edits of tags and
// groups themselves are reported as tag edits. Scans of given users read
// theirs alone.
TEST_P(ProfilesTest, FactsNameTheUsersChangedSinceMarks) {
  Users(R"([{"external_id": "a"}, {"external_id": "b"}, {"external_id": "c"},
            {"external_id": "d", "referrer_external_id": "a"}])");
  Orders(kOrder);  // u-1, a bare user
  auto g = tags_->CreateGroup("运营", "", actor_);
  ASSERT_TRUE(g.ok());
  auto t = tags_->CreateTag(g->id, "vip", "", actor_);
  ASSERT_TRUE(t.ok());
  Facts facts(t_->db());
  auto tag_edits = [&](int64_t audit) -> int64_t {
    auto n = facts.TagEditsAfter(audit);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  };
  auto marks = facts.Marks();
  ASSERT_TRUE(marks.ok());
  auto none = facts.ChangedSince(*marks);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->users.empty());
  EXPECT_EQ(tag_edits(marks->audit), 0);

  clock_.Advance(std::chrono::seconds(1));
  Events(R"([{"source_id": "e-1", "user_external_id": "b", "type": "visit",
              "occurred_at": "2026-11-02T10:00:00Z"}])");
  Users(R"([{"external_id": "d", "city": "杭州"}])");  // d changes: a, who invited d, too
  Updates(R"([{"source_id": "r-1", "order_source_id": "o-1", "type": "refunded",
               "refund_amount": "10.00", "at": "2026-11-03T10:00:00Z"}])");
  ASSERT_TRUE(tags_->TagUser(UserId("c"), t->id, actor_).ok());
  auto changed = facts.ChangedSince(*marks);
  ASSERT_TRUE(changed.ok());
  std::vector<int64_t> want = {UserId("a"), UserId("b"), UserId("c"), UserId("d"), UserId("u-1")};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(changed->users, want);
  // Tagging a user is not a tag edit.
  EXPECT_EQ(tag_edits(marks->audit), 0);
  auto after = facts.Marks();
  ASSERT_TRUE(after.ok());
  EXPECT_NE(*after, *marks);

  auto invitees = facts.InviteesOf({UserId("a"), UserId("b")});
  ASSERT_TRUE(invitees.ok());
  EXPECT_EQ(*invitees, std::vector<int64_t>{UserId("d")});

  ASSERT_TRUE(tags_->CreateTag(g->id, "new", "", actor_).ok());
  EXPECT_EQ(tag_edits(after->audit), 1);

  // Only the given users' rows.
  const std::vector<int64_t> only = {UserId("c"), UserId("u-1")};
  std::vector<int64_t> users, tagged, ordered;
  auto add = [](std::vector<int64_t>& to, int64_t id) {
    to.push_back(id);
    return core::Status::Ok();
  };
  ASSERT_TRUE(facts.ScanUsers([&](const UserFact& u) { return add(users, u.id); }, &only).ok());
  ASSERT_TRUE(
      facts.ScanUserTags([&](const TagFact& f) { return add(tagged, f.user_id); }, &only).ok());
  ASSERT_TRUE(
      facts.ScanCountingOrders([&](const OrderFact& o) { return add(ordered, o.user_id); }, &only)
          .ok());
  std::sort(users.begin(), users.end());
  EXPECT_EQ(users, only);
  EXPECT_EQ(tagged, std::vector<int64_t>{UserId("c")});
  EXPECT_EQ(ordered, std::vector<int64_t>{UserId("u-1")});
}

INSTANTIATE_TEST_SUITE_P(Backends, ProfilesTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::profiles
