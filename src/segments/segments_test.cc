// The segment service on both backends: the index built from ingested facts
// (the order-counting rule, erasure, tags, currencies), as-of evaluation, and
// the refresher picking up new writes.
#include "segments/segments.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "audit/audit_log.h"
#include "profiles/directory.h"
#include "profiles/ingest.h"
#include "profiles/record_json.h"
#include "profiles/tags.h"
#include "segments/catalog.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::segments {
namespace {

using shopcrm::testing::TestBackend;

class SegmentsTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam());
    ingest_ = std::make_unique<profiles::Ingest>(t_->db(), clock_, ids_);
    tags_ = std::make_unique<profiles::Tags>(t_->db(), clock_, ids_, audit_);
    dir_ = std::make_unique<profiles::Directory>(t_->db(), clock_, audit_, "Asia/Shanghai");
    SegmentsOptions o;
    o.refresh_interval = std::chrono::milliseconds(50);
    segments_ = std::make_unique<Segments>(t_->db(), clock_, tz_, o);
  }

  template <typename T>
  void Ingest(profiles::Incoming<T> (*from)(const core::Json&), std::string_view json,
              core::Result<profiles::BatchResult> (profiles::Ingest::*fn)(
                  std::span<const profiles::Incoming<T>>)) {
    auto doc = core::ParseJson(json);
    ASSERT_TRUE(doc.ok()) << json;
    std::vector<profiles::Incoming<T>> batch;
    for (const auto& j : *doc) batch.push_back(from(j));
    auto r = ((*ingest_).*fn)(batch);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->rejected, 0) << json;
  }

  uint64_t Count(std::string_view text, std::optional<core::Instant> as_of = std::nullopt) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    if (!f.ok()) return 999;
    auto c = segments_->Count(*f, as_of);
    EXPECT_TRUE(c.ok()) << c.error().ToString();
    return c.ok() ? c->count : 999;
  }

  // Options for a second service that asks for changes since the marks it
  // read last: with one writer, nothing commits late.
  static SegmentsOptions Exact() {
    SegmentsOptions o;
    o.straggler_window = std::chrono::seconds(0);
    return o;
  }
  // One behaviour event of a user.
  void Event(std::string_view source_id, std::string_view user, std::string_view type,
             std::string_view at) {
    Ingest(profiles::EventFromJson,
           R"([{"source_id": ")" + std::string(source_id) + R"(", "user_external_id": ")" +
               std::string(user) + R"(", "type": ")" + std::string(type) +
               R"(", "occurred_at": ")" + std::string(at) + R"("}])",
           &profiles::Ingest::Events);
  }
  // Creates the manual tag "vip" in the group "运营"; its id, or 0.
  int64_t CreateVip() {
    auto group = tags_->CreateGroup("运营", "", actor_);
    EXPECT_TRUE(group.ok());
    if (!group.ok()) return 0;
    auto vip = tags_->CreateTag(group->id, "vip", "", actor_);
    EXPECT_TRUE(vip.ok());
    return vip.ok() ? vip->id : 0;
  }
  // Runs one statement of test data.
  void Sql(const std::string& sql, const std::vector<store::Value>& params) {
    auto st = t_->db().Transact(store::TxMode::kWrite,
                                [&](store::Session& s) { return s.Execute(sql, params).status(); });
    ASSERT_TRUE(st.ok()) << st.error().ToString();
  }
  // Every user's id by external id.
  std::map<std::string, int64_t> Ids() {
    profiles::UserQuery q;
    q.limit = 200;
    auto page = dir_->List(q);
    EXPECT_TRUE(page.ok());
    std::map<std::string, int64_t> id;
    if (page.ok()) {
      for (const auto& u : page->items) id[u.external_id] = u.id;
    }
    return id;
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  shopcrm::testing::FakeClock clock_;  // 2026-09-21
  core::IdGenerator ids_{clock_, 1};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<profiles::Ingest> ingest_;
  std::unique_ptr<profiles::Tags> tags_;
  std::unique_ptr<profiles::Directory> dir_;
  std::unique_ptr<Segments> segments_;
  core::BusinessTimeZone tz_ = *core::BusinessTimeZone::Load("Asia/Shanghai");
};

constexpr std::string_view kUsers = R"([
  {"external_id": "u-1", "city": "上海", "gender": "female", "birthday": "1990-05-01"},
  {"external_id": "u-2", "city": "北京"},
  {"external_id": "u-3", "city": "上海"}])";

// u-1: two counting orders (one partly refunded) and a cancelled one; u-2: a
// wholly refunded one and one in USD; u-3: none.
constexpr std::string_view kOrders = R"([
  {"source_id": "o-1", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "300.00",
   "paid_amount": "300.00", "status": "paid", "placed_at": "2026-09-01T10:00:00Z"},
  {"source_id": "o-2", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "200.00",
   "paid_amount": "200.00", "status": "completed", "placed_at": "2026-06-01T10:00:00Z"},
  {"source_id": "o-3", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "50.00",
   "paid_amount": "50.00", "status": "cancelled", "placed_at": "2026-09-10T10:00:00Z"},
  {"source_id": "o-4", "user_external_id": "u-2", "currency": "CNY", "goods_amount": "80.00",
   "paid_amount": "80.00", "status": "paid", "placed_at": "2026-09-02T10:00:00Z"},
  {"source_id": "o-5", "user_external_id": "u-2", "currency": "USD", "goods_amount": "80.00",
   "paid_amount": "80.00", "status": "paid", "placed_at": "2026-09-03T10:00:00Z"}])";

constexpr std::string_view kUpdates = R"([
  {"source_id": "r-1", "order_source_id": "o-1", "type": "refunded", "refund_amount": "100.00",
   "at": "2026-09-05T10:00:00Z"},
  {"source_id": "r-2", "order_source_id": "o-4", "type": "refunded", "refund_amount": "80.00",
   "at": "2026-09-05T10:00:00Z"}])";

constexpr std::string_view kEvents = R"([
  {"source_id": "e-1", "user_external_id": "u-3", "type": "cart_add",
   "occurred_at": "2026-09-20T10:00:00Z"},
  {"source_id": "e-2", "user_external_id": "u-9", "type": "visit", "page": "home",
   "occurred_at": "2026-09-19T10:00:00Z"}])";

TEST_P(SegmentsTest, CountsFollowTheOrderCountingRule) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);
  Ingest(profiles::OrderUpdateFromJson, kUpdates, &profiles::Ingest::OrderUpdates);
  Ingest(profiles::EventFromJson, kEvents, &profiles::Ingest::Events);
  ASSERT_TRUE(segments_->Rebuild().ok());

  EXPECT_EQ(segments_->Info().users, 4u);  // u-9 arrived as a bare user
  EXPECT_EQ(Count("orders >= 1"), 1u);
  EXPECT_EQ(Count("orders = 2 and spend = 400"), 1u);  // 300 - 100 refunded + 200
  EXPECT_EQ(Count("orders(30d) = 1 and spend(30d) = 200"), 1u);
  EXPECT_EQ(Count("recency = 20"), 1u);  // paid 2026-09-01, now 2026-09-21
  EXPECT_EQ(Count("aov = 200"), 1u);
  EXPECT_EQ(Count("city = \"上海\""), 2u);
  EXPECT_EQ(Count("city = \"上海\" and orders = 0"), 1u);
  EXPECT_EQ(Count("cart_adds(7d) > 0 or visits(7d) > 0"), 2u);
  EXPECT_EQ(Count("age = 36"), 1u);
  // System tags: the same members as the models, counted in one pass.
  auto tags = segments_->SystemTagCounts();
  ASSERT_TRUE(tags.ok());
  const std::map<std::string, uint64_t> by_tag(tags->begin(), tags->end());
  EXPECT_EQ(by_tag.size(), 33u);
  EXPECT_EQ(by_tag.at("sys:customer/repeat_customer"), 1u);  // u-1
  EXPECT_EQ(by_tag.at("sys:customer/new_customer"), 0u);     // u-2's order was refunded
  for (const char* stage : {"potential", "rising", "new", "churned"}) {
    EXPECT_EQ(by_tag.at(std::string("sys:lifecycle/") + stage),
              Count(std::string("lifecycle = \"") + stage + "\""))
        << stage;
    EXPECT_EQ(by_tag.at(std::string("sys:lifecycle/") + stage),
              Count(std::string("has_tag(\"sys:lifecycle/") + stage + "\")"))
        << stage;
  }
  // As of 2026-07-01 only o-2 had been paid.
  const auto july = core::ParseRfc3339("2026-07-01T00:00:00Z");
  ASSERT_TRUE(july.ok());
  EXPECT_EQ(Count("orders = 1 and spend = 200 and recency = 29", *july), 1u);
}

TEST_P(SegmentsTest, TagsAndErasure) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  const int64_t vip = CreateVip();
  ASSERT_NE(vip, 0);
  profiles::UserQuery q;
  auto page = dir_->List(q);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 3u);
  for (const auto& u : page->items) ASSERT_TRUE(tags_->TagUser(u.id, vip, actor_).ok());
  ASSERT_TRUE(dir_->Erase(page->items[0].id, actor_).ok());
  ASSERT_TRUE(segments_->Rebuild().ok());
  EXPECT_EQ(segments_->Info().users, 2u);
  EXPECT_EQ(Count("has_tag(\"vip\")"), 2u);
  EXPECT_EQ(Count("has_tag(\"运营/vip\")"), 2u);
  EXPECT_EQ(Count("not has_tag(\"vip\")"), 0u);
  EXPECT_EQ(Count("has_tag(\"none\")"), 0u);
}

// Members as the membership metrics count them: from the first growth entry
// or paid purchase; `level` is the level now.
TEST_P(SegmentsTest, MembersAndLevels) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  std::map<std::string, int64_t> id = Ids();
  const int64_t sep1 = core::ToUnixMicros(*core::ParseRfc3339("2026-09-01T10:00:00Z"));
  const int64_t sep15 = core::ToUnixMicros(*core::ParseRfc3339("2026-09-15T10:00:00Z"));
  Sql("INSERT INTO growth_entries (id, user_id, task, amount, growth_after, level_after, day, "
      "at) VALUES (1, ?, 'order', 500, 500, 3, '2026-09-01', ?), (2, ?, 'order', 100, 600, 3, "
      "'2026-09-12', ?)",
      {id["u-1"], sep1, id["u-1"], sep15});
  Sql("INSERT INTO member_levels (user_id, level, growth, level_since, updated_at) VALUES (?, 3, "
      "600, ?, ?)",
      {id["u-1"], sep1, sep15});
  Sql("INSERT INTO paid_membership_events (id, user_id, plan_id, kind, payment_ref, amount, "
      "expires_after, at) VALUES (3, ?, 1, 'purchase', 'pay-1', 1000, ?, ?)",
      {id["u-2"], sep15 + 86'400'000'000LL * 30, sep15});
  ASSERT_TRUE(segments_->Rebuild().ok());
  EXPECT_EQ(Count("has_tag(\"sys:member/member\")"), 2u);
  EXPECT_EQ(Count("has_tag(\"non_member\")"), 1u);
  EXPECT_EQ(Count("level = 3"), 1u);
  EXPECT_EQ(Count("level >= 1"), 1u);  // u-2 is a paid member without a level
  const auto sep10 = core::ParseRfc3339("2026-09-10T00:00:00Z");
  EXPECT_EQ(Count("has_tag(\"sys:member/member\")", *sep10), 1u);
  auto m = segments_->ModelsOf(id["u-2"], std::nullopt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->member, "member");
  m = segments_->ModelsOf(id["u-3"], std::nullopt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->member, "non_member");
  auto counts = segments_->SystemTagCounts();
  ASSERT_TRUE(counts.ok());
  std::map<std::string, uint64_t> by_name(counts->begin(), counts->end());
  EXPECT_EQ(by_name["sys:member/member"], 2u);
  EXPECT_EQ(by_name["sys:member/non_member"], 1u);
}

// The consumption values from the stored facts: discounts and coupon codes
// make an order discounted; order lines name the categories first bought.
TEST_P(SegmentsTest, MotivationsFromDiscountsAndCategories) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  Ingest(profiles::OrderFromJson, R"([
    {"source_id": "m-1", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "100.00",
     "discount_amount": "10.00", "paid_amount": "90.00", "status": "paid",
     "placed_at": "2026-08-01T10:00:00Z",
     "items": [{"sku": "s-1", "category_source_id": "shoes", "unit_price": "100.00"}]},
    {"source_id": "m-2", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "100.00",
     "paid_amount": "100.00", "coupon_codes": ["C-1"], "status": "paid",
     "placed_at": "2026-08-10T10:00:00Z",
     "items": [{"sku": "s-2", "category_source_id": "bags", "unit_price": "100.00"}]},
    {"source_id": "m-3", "user_external_id": "u-1", "currency": "CNY", "goods_amount": "50.00",
     "paid_amount": "50.00", "status": "paid", "placed_at": "2026-09-01T10:00:00Z",
     "items": [{"sku": "s-3", "category_source_id": "shoes", "unit_price": "50.00"}]},
    {"source_id": "m-4", "user_external_id": "u-2", "currency": "CNY", "goods_amount": "60.00",
     "paid_amount": "60.00", "status": "paid", "placed_at": "2026-09-02T10:00:00Z",
     "items": [{"sku": "s-4", "category_source_id": "shoes", "unit_price": "60.00"}]},
    {"source_id": "m-5", "user_external_id": "u-2", "currency": "CNY", "goods_amount": "60.00",
     "paid_amount": "60.00", "status": "paid", "placed_at": "2026-09-03T10:00:00Z",
     "items": [{"sku": "s-5", "category_source_id": "shoes", "unit_price": "60.00"}]},
    {"source_id": "m-6", "user_external_id": "u-3", "currency": "CNY", "goods_amount": "60.00",
     "paid_amount": "60.00", "status": "cancelled", "placed_at": "2026-09-03T10:00:00Z",
     "items": [{"sku": "s-6", "category_source_id": "hats", "unit_price": "60.00"},
               {"sku": "s-7", "category_source_id": "bags", "unit_price": "60.00"}]}])",
         &profiles::Ingest::Orders);
  ASSERT_TRUE(segments_->Rebuild().ok());
  // u-1: two of three discounted; shoes and bags first bought this year.
  EXPECT_EQ(Count("has_tag(\"sys:motivation/conditional\")"), 1u);
  EXPECT_EQ(Count("has_tag(\"sys:motivation/epistemic\")"), 1u);
  // u-2: two full-price orders of one category.
  EXPECT_EQ(Count("has_tag(\"functional\")"), 1u);
  EXPECT_EQ(Count("has_tag(\"functional\") and has_tag(\"epistemic\")"), 0u);
  // u-3's order was cancelled: it counts for nothing.
  EXPECT_EQ(Count("has_tag(\"sys:motivation/epistemic\") or has_tag(\"functional\")"), 2u);
  profiles::UserQuery q;
  auto page = dir_->List(q);
  ASSERT_TRUE(page.ok());
  for (const auto& u : page->items) {
    auto m = segments_->ModelsOf(u.id, std::nullopt);
    ASSERT_TRUE(m.ok());
    const std::vector<std::string> expected =
        u.external_id == "u-1"   ? std::vector<std::string>{"epistemic", "conditional"}
        : u.external_id == "u-2" ? std::vector<std::string>{"functional"}
                                 : std::vector<std::string>{};
    EXPECT_EQ(m->motivations, expected) << u.external_id;
  }
}

TEST_P(SegmentsTest, NoIndexYetIsLoadingThenTheRefresherCatchesUp) {
  auto f = ParseFilter("orders >= 1", Features());
  ASSERT_TRUE(f.ok());
  auto before = segments_->Count(*f, std::nullopt);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.error().reason(), "segment_index_loading");

  ASSERT_TRUE(segments_->Rebuild().ok());
  EXPECT_EQ(Count("orders >= 1"), 0u);
  segments_->StartRefresher();
  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Count("orders >= 1") != 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(Count("orders >= 1"), 2u);
  EXPECT_GE(segments_->Info().generation, 2u);
}

// What changed after a full build is read again beside it: every count,
// list, funnel, pivot and model that does not rank users against each other
// equals a new full build's. Changes: a new order, a refund, an event, a new
// invitee (which changes the inviter), a profile update and an erasure.
TEST_P(SegmentsTest, UpdatesEqualAFullBuild) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  // u-1 invited u-5, who does not change: read again beside u-1, yet counted once.
  Ingest(profiles::UserFromJson,
         R"([{"external_id": "u-5", "referrer_external_id": "u-1",
              "registered_at": "2026-09-10T08:00:00Z"}])",
         &profiles::Ingest::Users);
  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);
  Ingest(profiles::EventFromJson, kEvents, &profiles::Ingest::Events);
  SegmentsOptions o = Exact();
  Segments updated(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(updated.Rebuild().ok());
  const uint64_t generation = updated.Info().generation;

  Ingest(profiles::OrderUpdateFromJson, kUpdates, &profiles::Ingest::OrderUpdates);
  Ingest(profiles::UserFromJson,
         R"([{"external_id": "u-4", "city": "杭州", "referrer_external_id": "u-3",
              "registered_at": "2026-09-20T08:00:00Z"},
             {"external_id": "u-1", "city": "杭州"}])",
         &profiles::Ingest::Users);
  Ingest(profiles::OrderFromJson, R"([
    {"source_id": "o-6", "user_external_id": "u-3", "currency": "CNY", "goods_amount": "90.00",
     "paid_amount": "90.00", "status": "paid", "placed_at": "2026-09-18T10:00:00Z"},
    {"source_id": "o-7", "user_external_id": "u-4", "currency": "CNY", "goods_amount": "20.00",
     "paid_amount": "20.00", "status": "paid", "placed_at": "2026-09-20T10:00:00Z"}])",
         &profiles::Ingest::Orders);
  Event("e-3", "u-2", "favourite", "2026-09-20T11:00:00Z");
  std::map<std::string, int64_t> id = Ids();
  ASSERT_TRUE(dir_->Erase(id["u-9"], actor_).ok());

  ASSERT_TRUE(updated.Update().ok());
  const IndexInfo info = updated.Info();
  EXPECT_EQ(info.updates, 1u);
  EXPECT_EQ(info.generation, generation + 1);
  // u-1 (refund, profile), u-2 (refund, event), u-3 (order, inviter), u-4, u-9.
  EXPECT_EQ(info.changed_users, 5u);
  EXPECT_EQ(info.users, 5u);

  Segments full(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(full.Rebuild().ok());
  for (std::string_view text :
       {"orders >= 1", "spend >= 100", "city = \"杭州\"", "city = \"上海\"",
        "lifecycle in (\"new\", \"rising\", \"potential\")", "aidees = \"share\"",
        "has_tag(\"sys:motivation/social\")", "has_tag(\"new_customer\")",
        "favourites(30d) > 0 or cart_adds(30d) > 0", "not city = \"杭州\"",
        "recency <= 30 and orders(90d) >= 1"}) {
    auto f = ParseFilter(text, Features());
    ASSERT_TRUE(f.ok()) << text;
    auto a = updated.Count(*f, std::nullopt);
    auto b = full.Count(*f, std::nullopt);
    ASSERT_TRUE(a.ok() && b.ok()) << text;
    EXPECT_EQ(a->count, b->count) << text;
    EXPECT_EQ(a->users, b->users) << text;
    EXPECT_EQ(*updated.Members(*f, std::nullopt, 0, 100), *full.Members(*f, std::nullopt, 0, 100))
        << text;
    EXPECT_EQ(*updated.Members(*f, std::nullopt, id["u-2"], 1),
              *full.Members(*f, std::nullopt, id["u-2"], 1))
        << text;
    EXPECT_EQ(*updated.Explain(*f, std::nullopt), *full.Explain(*f, std::nullopt)) << text;
    auto pivot = [&](Segments& s) {
      std::map<std::string, std::pair<uint64_t, int64_t>> out;
      auto cells = s.Pivot(*f, std::nullopt, {"city", "lifecycle"}, Measure{"spend", 365});
      EXPECT_TRUE(cells.ok());
      for (const auto& c : *cells) {
        out[c.key[0].value_or("-") + "/" + c.key[1].value_or("-")] = {c.users, c.sum};
      }
      return out;
    };
    EXPECT_EQ(pivot(updated), pivot(full)) << text;
  }
  for (const auto& [external_id, user] : id) {
    auto a = updated.ModelsOf(user, std::nullopt);
    auto b = full.ModelsOf(user, std::nullopt);
    ASSERT_EQ(a.ok(), b.ok()) << external_id;
    if (!a.ok()) continue;
    EXPECT_EQ(a->lifecycle, b->lifecycle) << external_id;
    EXPECT_EQ(a->aidees, b->aidees) << external_id;
    EXPECT_EQ(a->customer, b->customer) << external_id;
    EXPECT_EQ(a->motivations, b->motivations) << external_id;
  }
  EXPECT_FALSE(updated.ModelsOf(id["u-9"], std::nullopt).ok());
  const core::Instant from = *core::ParseRfc3339("2026-09-01T00:00:00Z");
  auto a = updated.Aarrr(from, clock_.Now(), nullptr);
  auto b = full.Aarrr(from, clock_.Now(), nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->acquired, b->acquired);
  EXPECT_EQ(a->activated, b->activated);
  EXPECT_EQ(a->referring, b->referring);
  EXPECT_EQ(a->paying, b->paying);
  EXPECT_EQ(a->revenue, b->revenue);
  auto tally = [](Segments& s) {
    std::map<std::string, uint64_t> out;
    auto counts = s.SystemTagCounts();
    EXPECT_TRUE(counts.ok());
    if (!counts.ok()) return out;
    for (const auto& [name, n] : *counts) {
      if (!name.starts_with("sys:rfm") && !name.starts_with("sys:pareto")) out[name] = n;
    }
    return out;
  };
  EXPECT_EQ(tally(updated), tally(full));
  LifecycleRecorder recorder(t_->db(), ids_);
  auto recorded = updated.RecordStages(recorder);
  ASSERT_TRUE(recorded.ok());
  EXPECT_EQ(recorded->users, 5u);
  EXPECT_EQ(recorded->changed, 5u);

  // A second update reads the same users again, and the new ones.
  Event("e-4", "u-3", "visit", "2026-09-20T12:00:00Z");
  ASSERT_TRUE(updated.Update().ok());
  EXPECT_EQ(updated.Info().updates, 2u);
  EXPECT_EQ(updated.Info().changed_users, 5u);
  Segments again(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(again.Rebuild().ok());
  auto visits = ParseFilter("visits(7d) > 0", Features());
  ASSERT_TRUE(visits.ok());
  EXPECT_EQ(updated.Count(*visits, std::nullopt)->count, 1u);
  EXPECT_EQ(again.Count(*visits, std::nullopt)->count, 1u);
}

// An invitee who names another inviter counts for the old one no more; a
// level changed by recycling (no growth entry) is read again too.
TEST_P(SegmentsTest, UpdatesFollowANewInviterAndALevelChange) {
  Ingest(profiles::UserFromJson, R"([
    {"external_id": "a", "registered_at": "2026-01-01T00:00:00Z"},
    {"external_id": "b", "registered_at": "2026-01-01T00:00:00Z"},
    {"external_id": "c", "referrer_external_id": "a", "registered_at": "2026-09-10T00:00:00Z"},
    {"external_id": "d", "registered_at": "2026-01-01T00:00:00Z"}])",
         &profiles::Ingest::Users);
  std::map<std::string, int64_t> id = Ids();
  const int64_t sep1 = core::ToUnixMicros(*core::ParseRfc3339("2026-09-01T10:00:00Z"));
  Sql("INSERT INTO growth_entries (id, user_id, task, amount, growth_after, level_after, day, "
      "at) VALUES (1, ?, 'order', 500, 500, 3, '2026-09-01', ?)",
      {id["d"], sep1});
  Sql("INSERT INTO member_levels (user_id, level, growth, level_since, updated_at) VALUES (?, 3, "
      "500, ?, ?)",
      {id["d"], sep1, sep1});
  SegmentsOptions o = Exact();
  Segments updated(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(updated.Rebuild().ok());
  EXPECT_EQ(updated.ModelsOf(id["a"], std::nullopt)->aidees, "share");
  auto level3 = ParseFilter("level = 3", Features());
  ASSERT_TRUE(level3.ok());
  EXPECT_EQ(updated.Count(*level3, std::nullopt)->count, 1u);

  clock_.Advance(std::chrono::seconds(1));  // a later update time
  Ingest(profiles::UserFromJson, R"([{"external_id": "c", "referrer_external_id": "b"}])",
         &profiles::Ingest::Users);
  Sql("UPDATE member_levels SET level = 2 WHERE user_id = ?", {id["d"]});
  Sql("INSERT INTO level_changes (id, user_id, from_level, to_level, reason, at) VALUES (7, ?, 3, "
      "2, 'recycle', ?)",
      {id["d"], sep1});
  ASSERT_TRUE(updated.Update().ok());
  EXPECT_EQ(updated.Info().updates, 1u);
  EXPECT_EQ(updated.Info().changed_users, 4u);  // c, both inviters, and d
  EXPECT_EQ(updated.Info().users, 4u);
  Segments full(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(full.Rebuild().ok());
  for (const char* who : {"a", "b", "c"}) {
    EXPECT_EQ(updated.ModelsOf(id[who], std::nullopt)->aidees,
              full.ModelsOf(id[who], std::nullopt)->aidees)
        << who;
  }
  EXPECT_EQ(full.ModelsOf(id["a"], std::nullopt)->aidees, "");
  EXPECT_EQ(full.ModelsOf(id["b"], std::nullopt)->aidees, "share");
  for (std::string_view text : {"level = 2", "level = 3", "aidees = \"share\""}) {
    auto f = ParseFilter(text, Features());
    ASSERT_TRUE(f.ok());
    EXPECT_EQ(updated.Count(*f, std::nullopt)->count, full.Count(*f, std::nullopt)->count) << text;
  }
  auto a = updated.Aarrr(*core::ParseRfc3339("2026-09-01T00:00:00Z"), clock_.Now(), nullptr);
  auto b = full.Aarrr(*core::ParseRfc3339("2026-09-01T00:00:00Z"), clock_.Now(), nullptr);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->referring, b->referring);
  EXPECT_EQ(b->referring, 1u);
}

// Random writes, an update after each round: every count, list, funnel,
// AARRR figure, model and tally that does not rank users against each other
// equals a new full build's, round after round.
TEST_P(SegmentsTest, RandomChangesUpdateLikeAFullBuild) {
  std::mt19937_64 rng(2026);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  const char* const cities[] = {"上海", "北京", "杭州"};
  const char* const types[] = {"visit", "favourite", "cart_add", "share", "review", "search"};
  std::vector<std::string> users;
  std::set<std::string> erased;
  std::vector<std::pair<std::string, int64_t>> orders;  // source id, paid minor units
  int serial = 0;
  auto day = [&](size_t days_ago) {
    return core::FormatRfc3339(clock_.Now() -
                               std::chrono::hours(24 * static_cast<int64_t>(days_ago)) -
                               std::chrono::minutes(static_cast<int64_t>(pick(600))));
  };
  auto live_user = [&]() {
    for (;;) {
      const std::string& u = users[pick(users.size())];
      if (!erased.contains(u)) return u;
    }
  };
  auto add_user = [&]() {
    const std::string id = "u-" + std::to_string(users.size());
    std::string json = R"([{"external_id": ")" + id + R"(", "city": ")" + cities[pick(3)] +
                       R"(", "registered_at": ")" + day(pick(400)) + "\"";
    if (!users.empty() && pick(3) == 0) {
      json += R"(, "referrer_external_id": ")" + live_user() + "\"";
    }
    Ingest(profiles::UserFromJson, json + "}]", &profiles::Ingest::Users);
    users.push_back(id);
  };
  auto add_order = [&]() {
    const std::string id = "o-" + std::to_string(++serial);
    const int64_t minor = 1000 * static_cast<int64_t>(1 + pick(60));
    const std::string amount = std::to_string(minor / 100) + ".00";
    const bool cancelled = pick(8) == 0;
    Ingest(profiles::OrderFromJson,
           R"([{"source_id": ")" + id + R"(", "user_external_id": ")" + live_user() +
               R"(", "currency": "CNY", "goods_amount": ")" + amount + R"(", "paid_amount": ")" +
               amount + R"(", "status": ")" + (cancelled ? "cancelled" : "paid") +
               R"(", "placed_at": ")" + day(pick(200)) + R"("}])",
           &profiles::Ingest::Orders);
    if (!cancelled) orders.emplace_back(id, minor);
  };
  for (int i = 0; i < 30; ++i) add_user();
  for (int i = 0; i < 40; ++i) add_order();
  const int64_t vip = CreateVip();
  ASSERT_NE(vip, 0);
  auto id_of = [&](const std::string& external) -> int64_t {
    profiles::UserQuery q;
    q.q = external;
    auto page = dir_->List(q);
    EXPECT_TRUE(page.ok() && page->items.size() == 1) << external;
    return page.ok() && !page->items.empty() ? page->items[0].id : 0;
  };

  SegmentsOptions o = Exact();
  Segments updated(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(updated.Rebuild().ok());

  const std::vector<std::string> filters = {
      "orders >= 1",
      "orders(30d) >= 2 or spend(90d) >= 300",
      "city = \"杭州\"",
      "city in (\"上海\", \"北京\") and recency <= 60",
      "has_tag(\"vip\")",
      "not has_tag(\"vip\") and aidees in (\"share\", \"experience\")",
      "lifecycle in (\"new\", \"rising\", \"silent\")",
      "has_tag(\"sys:motivation/social\")",
      "favourites(90d) > 0 or reviews(90d) > 0 or shares(90d) > 0",
      "registered_days <= 100"};
  for (int round = 1; round <= 12; ++round) {
    clock_.Advance(std::chrono::seconds(1));
    for (int op = 0; op < 4; ++op) {
      switch (pick(8)) {
        case 0:
          add_user();
          break;
        case 1:
        case 2:
          add_order();
          break;
        case 3: {  // a partial refund of an order
          if (orders.empty()) break;
          auto& [order, minor] = orders[pick(orders.size())];
          if (minor < 2000) break;
          minor -= 1000;
          Ingest(profiles::OrderUpdateFromJson,
                 R"([{"source_id": "r-)" + std::to_string(++serial) + R"(", "order_source_id": ")" +
                     order + R"(", "type": "refunded", "refund_amount": "10.00", "at": ")" +
                     day(0) + R"("}])",
                 &profiles::Ingest::OrderUpdates);
          break;
        }
        case 4:
          Ingest(profiles::EventFromJson,
                 R"([{"source_id": "e-)" + std::to_string(++serial) +
                     R"(", "user_external_id": ")" + live_user() + R"(", "type": ")" +
                     types[pick(6)] + R"(", "occurred_at": ")" + day(pick(100)) + R"("}])",
                 &profiles::Ingest::Events);
          break;
        case 5: {  // moves, and names another inviter
          const std::string who = live_user();
          const std::string inviter = live_user();
          if (inviter == who) break;
          Ingest(profiles::UserFromJson,
                 R"([{"external_id": ")" + who + R"(", "city": ")" + cities[pick(3)] +
                     R"(", "referrer_external_id": ")" + inviter + R"("}])",
                 &profiles::Ingest::Users);
          break;
        }
        case 6: {
          const int64_t user = id_of(live_user());
          ASSERT_TRUE((pick(2) == 0 ? tags_->TagUser(user, vip, actor_)
                                    : tags_->UntagUser(user, vip, actor_))
                          .ok());
          break;
        }
        case 7:
          if (pick(3) == 0) {
            const std::string gone = live_user();
            ASSERT_TRUE(dir_->Erase(id_of(gone), actor_).ok());
            erased.insert(gone);
          }
          break;
      }
    }
    ASSERT_TRUE(updated.Update().ok());
    ASSERT_EQ(updated.Info().updates, static_cast<uint64_t>(round)) << "round " << round;
    Segments full(t_->db(), clock_, tz_, o);
    ASSERT_TRUE(full.Rebuild().ok());
    for (const auto& text : filters) {
      auto f = ParseFilter(text, Features());
      ASSERT_TRUE(f.ok()) << text;
      const auto a = updated.Count(*f, std::nullopt);
      const auto b = full.Count(*f, std::nullopt);
      ASSERT_TRUE(a.ok() && b.ok());
      ASSERT_EQ(a->count, b->count) << "round " << round << ": " << text;
      ASSERT_EQ(a->users, b->users) << "round " << round;
      ASSERT_EQ(*updated.Members(*f, std::nullopt, INT64_MIN, 1000),
                *full.Members(*f, std::nullopt, INT64_MIN, 1000))
          << "round " << round << ": " << text;
      ASSERT_EQ(*updated.Explain(*f, std::nullopt), *full.Explain(*f, std::nullopt))
          << "round " << round << ": " << text;
    }
    for (const auto& external : users) {
      if (erased.contains(external)) continue;
      const int64_t user = id_of(external);
      const auto a = updated.ModelsOf(user, std::nullopt);
      const auto b = full.ModelsOf(user, std::nullopt);
      ASSERT_TRUE(a.ok() && b.ok()) << external;
      EXPECT_EQ(a->lifecycle, b->lifecycle) << "round " << round << ": " << external;
      EXPECT_EQ(a->aidees, b->aidees) << "round " << round << ": " << external;
      EXPECT_EQ(a->customer, b->customer) << "round " << round << ": " << external;
      EXPECT_EQ(a->motivations, b->motivations) << "round " << round << ": " << external;
    }
    const core::Instant from = clock_.Now() - std::chrono::hours(24 * 60);
    const auto a = updated.Aarrr(from, clock_.Now(), nullptr);
    const auto b = full.Aarrr(from, clock_.Now(), nullptr);
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(std::tie(a->acquired, a->activated, a->retained, a->referring, a->paying, a->revenue),
              std::tie(b->acquired, b->activated, b->retained, b->referring, b->paying, b->revenue))
        << "round " << round;
  }
  EXPECT_GE(updated.Info().changed_users, 10u);
  EXPECT_FALSE(erased.empty());
}

// A tag change, more changed users than allowed, or an old full build make
// the next update a full build.
TEST_P(SegmentsTest, UpdatesBuildInFullWhenDue) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  SegmentsOptions o = Exact();
  o.update_max_users = 1;
  Segments s(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(s.Update().ok());  // none yet: in full
  EXPECT_EQ(s.Info().generation, 1u);
  EXPECT_EQ(s.Info().updates, 0u);

  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);  // u-1 and u-2
  ASSERT_TRUE(s.Update().ok());
  EXPECT_EQ(s.Info().updates, 0u);
  EXPECT_EQ(s.Info().generation, 2u);

  Event("e-5", "u-3", "visit", "2026-09-20T12:00:00Z");
  ASSERT_TRUE(s.Update().ok());
  EXPECT_EQ(s.Info().updates, 1u);
  EXPECT_EQ(s.Info().changed_users, 1u);

  const int64_t vip = CreateVip();
  ASSERT_NE(vip, 0);
  profiles::UserQuery q;
  auto page = dir_->List(q);
  ASSERT_TRUE(page.ok());
  ASSERT_TRUE(s.Update().ok());  // a new tag: every user's tags may read differently
  EXPECT_EQ(s.Info().updates, 0u);
  EXPECT_EQ(s.Info().generation, 4u);
  clock_.Advance(std::chrono::seconds(1));  // later update times
  ASSERT_TRUE(tags_->TagUser(page->items[0].id, vip, actor_).ok());
  ASSERT_TRUE(s.Update().ok());  // a tagged user: read again
  EXPECT_EQ(s.Info().updates, 1u);
  EXPECT_EQ(s.Info().generation, 5u);
  auto f = ParseFilter("has_tag(\"vip\")", Features());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(s.Count(*f, std::nullopt)->count, 1u);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(tags_->UntagUser(page->items[0].id, vip, actor_).ok());
  ASSERT_TRUE(s.Update().ok());
  EXPECT_EQ(s.Info().updates, 2u);
  EXPECT_EQ(s.Count(*f, std::nullopt)->count, 0u);

  o.update_max_users = 20000;
  o.full_build_interval = std::chrono::seconds(0);
  Segments old(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(old.Rebuild().ok());
  Event("e-6", "u-3", "visit", "2026-09-20T13:00:00Z");
  ASSERT_TRUE(old.Update().ok());
  EXPECT_EQ(old.Info().updates, 0u);
  EXPECT_EQ(old.Info().generation, 2u);
}

// Audit ids are taken before commit: a tag rename whose id is below the marks
// a full build read may commit after the build read the tags. A build counts
// the edits above its straggler-window marks before it reads the tags, and an
// edit committed after that count brings another full build.
TEST_P(SegmentsTest, ATagEditCommittedAfterAFullBuildReadItsMarksBuildsAgain) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  const int64_t vip = CreateVip();
  ASSERT_NE(vip, 0);
  ASSERT_TRUE(tags_->TagUser(Ids()["u-1"], vip, actor_).ok());
  SegmentsOptions o;
  o.straggler_window = std::chrono::seconds(1);
  Segments s(t_->db(), clock_, tz_, o);
  ASSERT_TRUE(s.Rebuild().ok());
  ASSERT_TRUE(s.Update().ok());  // the marks the next build reads changes after
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  auto audit =
      store::TransactFor<store::Row>(t_->db(), store::TxMode::kRead, [](store::Session& ss) {
        return ss.QueryOne("SELECT MAX(id) FROM audit_log", {}, "none", "no audit");
      });
  ASSERT_TRUE(audit.ok());
  const int64_t later = audit->Int(0) + 1000;
  auto edit = [&](int64_t id, const std::string& action, const std::string& target) {
    Sql("INSERT INTO audit_log (id, at, actor_type, actor_name, action, target_type) VALUES "
        "(?, 0, 'cli', 'tester', ?, ?)",
        {id, action, target});
  };
  auto tagged = [&](const std::string& name) -> uint64_t {
    auto f = ParseFilter("has_tag(\"" + name + "\")", Features());
    EXPECT_TRUE(f.ok());
    auto n = s.Count(*f, std::nullopt);
    return n.ok() ? n->count : 999;
  };
  edit(later, "user.update", "user");
  ASSERT_TRUE(s.Rebuild().ok());  // reads `later` as its audit mark
  const uint64_t built = s.Info().generation;
  Sql("UPDATE tags SET name = 'gold' WHERE id = ?", {vip});
  edit(later - 1, "tag.update", "tag");
  ASSERT_TRUE(s.Update().ok());
  EXPECT_GT(s.Info().generation, built);
  EXPECT_EQ(tagged("gold"), 1u);
  const uint64_t rebuilt = s.Info().generation;
  ASSERT_TRUE(s.Update().ok());  // that build counted the rename before it read the tags
  EXPECT_EQ(s.Info().generation, rebuilt);
  // An edit numbered before the one that brought that build commits only now.
  Sql("UPDATE tags SET name = 'platinum' WHERE id = ?", {vip});
  edit(later - 2, "tag.update", "tag");
  ASSERT_TRUE(s.Update().ok());
  EXPECT_GT(s.Info().generation, rebuilt);
  EXPECT_EQ(tagged("platinum"), 1u);
}

// The refresher builds in full on a thread of its own when too many users
// changed, taking updates in meanwhile; every write shows in the counts, and
// the changed users' stages are recorded as they change.
TEST_P(SegmentsTest, TheRefresherBuildsInFullBesideUpdates) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  SegmentsOptions o = Exact();
  o.refresh_interval = std::chrono::milliseconds(20);
  o.update_max_users = 1;
  LifecycleRecorder recorder(t_->db(), ids_);  // outlives the refresher
  Segments s(t_->db(), clock_, tz_, o);
  s.StartRefresher(&recorder);
  auto count = [&](std::string_view text) -> uint64_t {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok());
    auto c = s.Count(*f, std::nullopt);
    return c.ok() ? c->count : 999;
  };
  auto wait_for = [&](std::string_view text, uint64_t want) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (count(text) != want && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(count(text), want) << text;
  };
  wait_for("orders = 0", 3);
  const uint64_t first = s.Info().generation;
  Event("e-7", "u-3", "visit", "2026-09-20T12:00:00Z");
  wait_for("visits(7d) > 0", 1);
  EXPECT_EQ(s.Info().changed_users, 1u);
  EXPECT_GE(s.Info().updates, 1u);
  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);  // u-1 and u-2: too many
  wait_for("orders >= 1", 2);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (s.Info().changed_users != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(s.Info().changed_users, 0u);  // a new full build holds them all
  EXPECT_GT(s.Info().generation, first + 1);
  EXPECT_EQ(count("orders >= 1"), 2u);
  EXPECT_EQ(count("visits(7d) > 0"), 1u);
  // Every user's stage was recorded once: potential first, then u-1 and u-2 moved.
  auto flows =
      recorder.Flows(clock_.Now() - std::chrono::hours(1), clock_.Now() + std::chrono::hours(1));
  ASSERT_TRUE(flows.ok());
  std::map<std::string, uint64_t> by;
  for (const auto& f : *flows) by[f.from.value_or("-") + ">" + f.to] = f.users;
  EXPECT_EQ(by["->potential"], 3u);
  EXPECT_EQ(by["potential>rising"] + by["potential>new"], 2u);
}

// Stage changes are recorded once each, stamped when seen: first every
// user's stage from nothing, then only what time or facts changed.
TEST_P(SegmentsTest, StageChangesAreRecordedAsTheyHappen) {
  Ingest(profiles::UserFromJson, kUsers, &profiles::Ingest::Users);
  Ingest(profiles::OrderFromJson, kOrders, &profiles::Ingest::Orders);
  ASSERT_TRUE(segments_->Rebuild().ok());
  LifecycleRecorder recorder(t_->db(), ids_);
  const core::Instant now = clock_.Now();
  const auto day = std::chrono::hours(24);

  auto first = segments_->RecordStages(recorder);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->users, 3u);
  EXPECT_EQ(first->changed, 3u);
  auto again = segments_->RecordStages(recorder);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->changed, 0u);

  auto flows = [&](core::Instant from, core::Instant to) {
    auto f = recorder.Flows(from, to);
    EXPECT_TRUE(f.ok());
    std::map<std::string, uint64_t> out;
    if (f.ok()) {
      for (const auto& x : *f) out[x.from.value_or("-") + ">" + x.to] = x.users;
    }
    return out;
  };
  // u-1 ordered in June and on 1 September (rising), u-2 on 2 September
  // (new), u-3 never.
  using M = std::map<std::string, uint64_t>;
  EXPECT_EQ(flows(now - day, now + day), (M{{"->new", 1}, {"->potential", 1}, {"->rising", 1}}));

  // 40 days on, both buyers are silent.
  auto later = segments_->RecordStages(recorder, now + 40 * day);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->changed, 2u);
  EXPECT_EQ(flows(now + 39 * day, now + 41 * day), (M{{"new>silent", 1}, {"rising>silent", 1}}));
  EXPECT_EQ(Count("lifecycle = \"potential\""), 1u);
}

INSTANTIATE_TEST_SUITE_P(Backends, SegmentsTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

}  // namespace
}  // namespace shopcrm::segments
