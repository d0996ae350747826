#include "marketing/checkout.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace shopcrm::marketing {
namespace {

using std::chrono::hours;

const core::Instant kNow = core::FromUnixMicros(1'800'000'000'000'000);
core::Instant Day(int d) { return kNow + hours(24 * d); }

CartItem Item(std::string sku, std::string category, std::string store, int64_t price,
              int64_t quantity = 1) {
  return {std::move(sku), std::move(category), std::move(store), price, quantity};
}

// Three items of two stores, 5000 fen in all, 800 fen shipping, in Shanghai.
Cart ThreeItems() {
  Cart cart;
  cart.items = {Item("k1", "c1", "s1", 1000), Item("k2", "c2", "s1", 500, 2),
                Item("k3", "c1", "s2", 3000)};
  cart.city = "shanghai";
  cart.shipping_fee = 800;
  return cart;
}

Terms Threshold(int64_t min_amount, int64_t discount) {
  Terms t;
  t.kind = CouponKind::kThreshold;
  t.min_amount = min_amount;
  t.discount = discount;
  return t;
}
Terms RedPacket(int64_t discount) {
  Terms t = Threshold(0, discount);
  t.kind = CouponKind::kRedPacket;
  return t;
}
Terms Percent(int percent_off, int64_t cap) {
  Terms t;
  t.kind = CouponKind::kPercent;
  t.percent_off = percent_off;
  t.discount = cap;
  return t;
}
Terms RandomPacket() {
  Terms t;
  t.kind = CouponKind::kRandomPacket;
  t.random_min = 100;
  t.random_max = 1000;
  return t;
}
Terms FreeShipping(int64_t cap) {
  Terms t;
  t.kind = CouponKind::kFreeShipping;
  t.discount = cap;
  return t;
}
Terms OfStore(Terms t, std::string store_id) {
  t.funding = Funding::kStore;
  t.store_id = std::move(store_id);
  t.platform_share_percent = 0;
  return t;
}
Terms Exclusive(Terms t) {
  t.exclusive = true;
  return t;
}

// Face value: the terms' discount for threshold / red packet, else `face`.
WalletCoupon Coupon(int64_t id, Terms terms, int expires_in_days = 30, int64_t face = 0) {
  WalletCoupon c;
  c.id = id;
  c.template_id = 100 + id;
  const bool fixed = terms.kind == CouponKind::kThreshold || terms.kind == CouponKind::kRedPacket;
  c.face_value = fixed ? terms.discount : face;
  c.terms = std::move(terms);
  c.valid_from = Day(-1);
  c.valid_until = Day(expires_in_days);
  c.status = "unused";
  return c;
}

const CouponVerdict& VerdictOf(const Evaluation& e, int64_t id) {
  for (const CouponVerdict& v : e.coupons) {
    if (v.coupon_id == id) return v;
  }
  throw std::runtime_error("no verdict for coupon " + std::to_string(id));
}

// The one coupon's verdict as "reason" or "usable:<discount>".
std::string VerdictAlone(const Cart& cart, const WalletCoupon& c, core::Instant now = kNow) {
  const std::vector<WalletCoupon> wallet{c};
  const CouponVerdict v = Evaluate(cart, wallet, now).coupons.at(0);
  EXPECT_EQ(v.coupon_id, c.id);
  if (!v.usable) {
    EXPECT_EQ(v.discount, 0);
    return v.reason;
  }
  EXPECT_EQ(v.reason, "");
  return "usable:" + std::to_string(v.discount);
}

std::string Describe(const Pricing& p) {
  std::string out = "total=" + std::to_string(p.total_discount) +
                    " shipping=" + std::to_string(p.shipping_discount) + " items=[";
  for (int64_t d : p.item_discounts) out += std::to_string(d) + ",";
  out += "]";
  for (const AppliedCoupon& a : p.applied) {
    out += " {#" + std::to_string(a.coupon_id) + " " + std::to_string(a.discount) + " ship " +
           std::to_string(a.shipping_discount) + " plat " + std::to_string(a.platform_part) +
           " store " + std::to_string(a.store_part) + " [";
    for (int64_t d : a.item_discounts) out += std::to_string(d) + ",";
    out += "]}";
  }
  return out;
}

std::vector<int64_t> AppliedIds(const Pricing& p) {
  std::vector<int64_t> ids;
  for (const AppliedCoupon& a : p.applied) ids.push_back(a.coupon_id);
  return ids;
}

Pricing MustPrice(const Cart& cart, const std::vector<WalletCoupon>& wallet,
                  std::vector<int64_t> chosen) {
  auto r = Price(cart, wallet, chosen, kNow);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? std::move(r).value() : Pricing{};
}

// "code/reason" and each field as "field|reason".
std::vector<std::string> PriceError(const Cart& cart, const std::vector<WalletCoupon>& wallet,
                                    std::vector<int64_t> chosen) {
  auto r = Price(cart, wallet, chosen, kNow);
  if (r.ok()) return {"priced: " + Describe(*r)};
  std::vector<std::string> out{std::string(core::ErrorCodeName(r.error().code())) + "/" +
                               r.error().reason()};
  for (const auto& f : r.error().fields()) out.push_back(f.field + "|" + f.reason);
  return out;
}

std::vector<std::string> CartErrors(const Cart& cart) {
  core::Status s = ValidateCart(cart);
  if (s.ok()) return {};
  EXPECT_EQ(s.error().code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.error().reason(), "invalid_fields");
  std::vector<std::string> out;
  for (const auto& f : s.error().fields()) out.push_back(f.field + "|" + f.reason);
  return out;
}

TEST(Terms, NamesAreTheStableSlugs) {
  EXPECT_EQ(KindName(CouponKind::kThreshold), "threshold");
  EXPECT_EQ(KindName(CouponKind::kRedPacket), "red_packet");
  EXPECT_EQ(KindName(CouponKind::kPercent), "percent");
  EXPECT_EQ(KindName(CouponKind::kRandomPacket), "random_red_packet");
  EXPECT_EQ(KindName(CouponKind::kFreeShipping), "free_shipping");
  EXPECT_EQ(FundingName(Funding::kPlatform), "platform");
  EXPECT_EQ(FundingName(Funding::kStore), "store");
  EXPECT_EQ(DistributionName(Distribution::kUniform), "uniform");
  EXPECT_EQ(DistributionName(Distribution::kLowSkew), "low_skew");
}

TEST(IdFilter, EmptyIncludeMeansAllAndExcludeWins) {
  EXPECT_TRUE(IdFilter{}.Allows("anything"));
  EXPECT_TRUE(IdFilter{}.Allows(""));
  const IdFilter only{{"a", "b"}, {}};
  EXPECT_TRUE(only.Allows("a"));
  EXPECT_FALSE(only.Allows("c"));
  EXPECT_FALSE(only.Allows(""));
  const IdFilter but{{}, {"b"}};
  EXPECT_TRUE(but.Allows("a"));
  EXPECT_FALSE(but.Allows("b"));
  const IdFilter both{{"a", "b"}, {"b"}};
  EXPECT_TRUE(both.Allows("a"));
  EXPECT_FALSE(both.Allows("b"));
}

TEST(Evaluate, EachKindTakesItsDiscount) {
  const Cart cart = ThreeItems();  // 5000 of goods, 800 of shipping
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, Threshold(4000, 500))), "usable:500");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, Threshold(5000, 500))), "usable:500");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, RedPacket(300))), "usable:300");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, Percent(15, 0))), "usable:750");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, Percent(15, 600))), "usable:600");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, RandomPacket(), 30, 777)), "usable:777");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, FreeShipping(0))), "usable:800");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, FreeShipping(500))), "usable:500");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, FreeShipping(5000))), "usable:800");

  Cart odd;
  odd.items = {Item("k1", "c1", "s1", 999)};
  EXPECT_EQ(VerdictAlone(odd, Coupon(1, Percent(33, 0))), "usable:329");  // 329.67 rounds down
  EXPECT_EQ(VerdictAlone(odd, Coupon(1, Percent(1, 0))), "usable:9");
  // No discount exceeds the eligible amount, whatever the face value.
  EXPECT_EQ(VerdictAlone(odd, Coupon(1, RedPacket(5000))), "usable:999");
  EXPECT_EQ(VerdictAlone(odd, Coupon(1, RandomPacket(), 30, 1200)), "usable:999");
}

TEST(Evaluate, GivesEveryReasonInTheDocumentedOrder) {
  const Cart cart = ThreeItems();
  WalletCoupon c = Coupon(1, RedPacket(100));
  EXPECT_EQ(VerdictAlone(cart, c), "usable:100");

  c.status = "used";
  EXPECT_EQ(VerdictAlone(cart, c), "used");
  EXPECT_EQ(VerdictAlone(cart, c, Day(100)), "used");  // used beats expired
  c.status = "locked";
  EXPECT_EQ(VerdictAlone(cart, c), "locked");
  EXPECT_EQ(VerdictAlone(cart, c, Day(100)), "locked");
  c.status = "expired";
  EXPECT_EQ(VerdictAlone(cart, c), "expired");
  c.status = "unused";
  EXPECT_EQ(VerdictAlone(cart, c, Day(30)), "expired");  // valid_until is exclusive
  EXPECT_EQ(VerdictAlone(cart, c, Day(30) - std::chrono::microseconds(1)), "usable:100");
  EXPECT_EQ(VerdictAlone(cart, c, Day(-2)), "not_yet_valid");
  EXPECT_EQ(VerdictAlone(cart, c, Day(-1)), "usable:100");  // valid_from is inclusive

  WalletCoupon city = c;
  city.terms.cities.include = {"beijing"};
  city.terms.skus.include = {"nothing"};
  city.terms.min_amount = 1'000'000;
  EXPECT_EQ(VerdictAlone(cart, city), "city_not_allowed");
  city.terms.cities.include = {"shanghai"};
  EXPECT_EQ(VerdictAlone(cart, city), "no_eligible_items");
  city.terms.skus.include = {};
  EXPECT_EQ(VerdictAlone(cart, city), "below_min_amount");

  WalletCoupon ship = Coupon(2, FreeShipping(0));
  ship.terms.min_amount = 1'000'000;
  Cart no_fee = cart;
  no_fee.shipping_fee = 0;
  EXPECT_EQ(VerdictAlone(no_fee, ship), "below_min_amount");
  ship.terms.min_amount = 0;
  EXPECT_EQ(VerdictAlone(no_fee, ship), "no_shipping_fee");
  EXPECT_EQ(VerdictAlone(cart, ship), "usable:800");
  // Free shipping also needs an item that passes its filters.
  ship.terms.categories.include = {"c9"};
  EXPECT_EQ(VerdictAlone(cart, ship), "no_eligible_items");
  EXPECT_EQ(VerdictAlone(cart, Coupon(3, OfStore(FreeShipping(0), "s9"))), "no_eligible_items");
  EXPECT_EQ(VerdictAlone(cart, Coupon(3, OfStore(FreeShipping(0), "s2"))), "usable:800");
}

TEST(Evaluate, ReportsEveryCouponInWalletOrder) {
  const Cart cart = ThreeItems();
  WalletCoupon used = Coupon(9, RedPacket(100));
  used.status = "used";
  const std::vector<WalletCoupon> wallet{used, Coupon(4, RedPacket(300)),
                                         Coupon(7, Threshold(9000, 900))};
  const Evaluation e = Evaluate(cart, wallet, kNow);
  ASSERT_EQ(e.coupons.size(), 3u);
  EXPECT_EQ(e.coupons[0].coupon_id, 9);
  EXPECT_EQ(e.coupons[0].reason, "used");
  EXPECT_EQ(e.coupons[1].coupon_id, 4);
  EXPECT_TRUE(e.coupons[1].usable);
  EXPECT_EQ(e.coupons[1].discount, 300);
  EXPECT_EQ(e.coupons[2].reason, "below_min_amount");
  EXPECT_EQ(AppliedIds(e.best), std::vector<int64_t>{4});
}

TEST(Evaluate, MinAmountCountsEligibleItemsOnly) {
  const Cart cart = ThreeItems();  // c1: 1000 + 3000, c2: 1000
  Terms t = Threshold(4000, 400);
  t.categories.include = {"c1"};
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, t)), "usable:400");
  t.min_amount = 4001;
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, t)), "below_min_amount");
  // And the discount lands on the eligible items only.
  t.min_amount = 4000;
  const std::vector<WalletCoupon> wallet{Coupon(1, t)};
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{100, 0, 300}));
}

TEST(Evaluate, FiltersIncludeAndExcludeBySkuCategoryStoreAndCity) {
  const Cart cart = ThreeItems();  // k1 c1 s1 1000, k2 c2 s1 1000, k3 c1 s2 3000
  const auto eligible_amount = [&](Terms t) {
    t.kind = CouponKind::kPercent;  // 100% shows the eligible amount
    t.percent_off = 100;
    return VerdictAlone(cart, Coupon(1, std::move(t)));
  };
  Terms t;
  EXPECT_EQ(eligible_amount(t), "usable:5000");
  t.skus = {{"k1", "k3"}, {}};
  EXPECT_EQ(eligible_amount(t), "usable:4000");
  t.skus = {{"k1", "k3"}, {"k3"}};
  EXPECT_EQ(eligible_amount(t), "usable:1000");
  t.skus = {{}, {"k1"}};
  EXPECT_EQ(eligible_amount(t), "usable:4000");
  t = {};
  t.categories = {{"c1"}, {}};
  EXPECT_EQ(eligible_amount(t), "usable:4000");
  t.categories = {{}, {"c1"}};
  EXPECT_EQ(eligible_amount(t), "usable:1000");
  t.categories = {{"c2"}, {"c2"}};
  EXPECT_EQ(eligible_amount(t), "no_eligible_items");
  t = {};
  t.stores = {{"s2"}, {}};
  EXPECT_EQ(eligible_amount(t), "usable:3000");
  t.stores = {{}, {"s2"}};
  EXPECT_EQ(eligible_amount(t), "usable:2000");
  t = {};
  t.cities = {{"beijing", "shanghai"}, {}};
  EXPECT_EQ(eligible_amount(t), "usable:5000");
  t.cities = {{}, {"shanghai"}};
  EXPECT_EQ(eligible_amount(t), "city_not_allowed");
  t.cities = {{"shanghai"}, {"shanghai"}};
  EXPECT_EQ(eligible_amount(t), "city_not_allowed");
  t.cities = {{}, {"beijing"}};
  EXPECT_EQ(eligible_amount(t), "usable:5000");
}

TEST(Evaluate, StoreCouponTouchesOnlyItsOwnStore) {
  const Cart cart = ThreeItems();  // s1: 2000, s2: 3000
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, OfStore(Percent(100, 0), "s1"))), "usable:2000");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, OfStore(Threshold(2001, 100), "s1"))), "below_min_amount");
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, OfStore(RedPacket(100), "s9"))), "no_eligible_items");
  // The store filter cannot widen a store coupon to another store.
  Terms wide = OfStore(Percent(100, 0), "s1");
  wide.stores.include = {"s1", "s2"};
  EXPECT_EQ(VerdictAlone(cart, Coupon(1, wide)), "usable:2000");

  const std::vector<WalletCoupon> wallet{Coupon(1, OfStore(RedPacket(3000), "s1"))};
  const Pricing p = MustPrice(cart, wallet, {1});
  EXPECT_EQ(p.item_discounts, (std::vector<int64_t>{1000, 1000, 0}));  // capped at s1's 2000
  EXPECT_EQ(p.applied.at(0).platform_part, 0);
  EXPECT_EQ(p.applied.at(0).store_part, 2000);
}

TEST(Price, StacksPlatformStoreAndShippingInApplicationOrder) {
  const Cart cart = ThreeItems();
  const std::vector<WalletCoupon> wallet{Coupon(1, FreeShipping(500)), Coupon(2, RedPacket(1000)),
                                         Coupon(3, OfStore(RedPacket(400), "s1")),
                                         Coupon(4, OfStore(RedPacket(300), "s2"))};
  const Pricing p = MustPrice(cart, wallet, {1, 2, 3, 4});
  // Stores first (s1, s2), then the platform coupon, then shipping.
  EXPECT_EQ(AppliedIds(p), (std::vector<int64_t>{3, 4, 2, 1}));
  EXPECT_EQ(p.applied[0].item_discounts, (std::vector<int64_t>{200, 200, 0}));
  EXPECT_EQ(p.applied[1].item_discounts, (std::vector<int64_t>{0, 0, 300}));
  // What is left: 800, 800, 2700 (sum 4300); 1000 × each / 4300 = 186.05, 186.05, 627.9
  // → floors 186, 186, 627 and the last fen to the largest remainder (the third).
  EXPECT_EQ(p.applied[2].item_discounts, (std::vector<int64_t>{186, 186, 628}));
  EXPECT_EQ(p.applied[3].item_discounts, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(p.applied[3].shipping_discount, 500);
  EXPECT_EQ(p.applied[3].discount, 500);
  EXPECT_EQ(p.total_discount, 400 + 300 + 1000 + 500);
  EXPECT_EQ(p.shipping_discount, 500);
  EXPECT_EQ(p.item_discounts, (std::vector<int64_t>{386, 386, 928}));
  // Any order of ids gives the same pricing.
  EXPECT_EQ(Describe(MustPrice(cart, wallet, {4, 1, 3, 2})), Describe(p));
  // And it is also the best combination.
  EXPECT_EQ(Describe(Evaluate(cart, wallet, kNow).best), Describe(p));
}

TEST(Price, RefusesCouponsThatDoNotStack) {
  const Cart cart = ThreeItems();
  const std::vector<WalletCoupon> wallet{
      Coupon(1, RedPacket(100)),
      Coupon(2, Percent(10, 0)),
      Coupon(3, OfStore(RedPacket(100), "s1")),
      Coupon(4, OfStore(Percent(10, 0), "s1")),
      Coupon(5, OfStore(RedPacket(100), "s2")),
      Coupon(6, FreeShipping(0)),
      Coupon(7, OfStore(FreeShipping(0), "s1")),
      Coupon(8, Exclusive(RedPacket(100))),
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(PriceError(cart, wallet, {1, 2}),
            (V{"failed_precondition/coupons_do_not_stack", "coupon_ids[1]|coupons_do_not_stack"}));
  EXPECT_EQ(PriceError(cart, wallet, {3, 5, 4}),
            (V{"failed_precondition/coupons_do_not_stack", "coupon_ids[2]|coupons_do_not_stack"}));
  // A free-shipping coupon takes the shipping slot whoever funds it.
  EXPECT_EQ(PriceError(cart, wallet, {6, 7}),
            (V{"failed_precondition/coupons_do_not_stack", "coupon_ids[1]|coupons_do_not_stack"}));
  EXPECT_EQ(PriceError(cart, wallet, {6, 8}),
            (V{"failed_precondition/coupons_do_not_stack", "coupon_ids[1]|coupons_do_not_stack"}));
  // Different stores, a store-funded shipping coupon and a platform coupon stack.
  EXPECT_EQ(MustPrice(cart, wallet, {1, 3, 5, 7}).total_discount, 100 + 100 + 100 + 800);
  EXPECT_EQ(MustPrice(cart, wallet, {8}).total_discount, 100);
}

TEST(Price, RefusesDuplicatesUnknownIdsAndUnusableCoupons) {
  const Cart cart = ThreeItems();
  WalletCoupon locked = Coupon(3, RedPacket(100));
  locked.status = "locked";
  const std::vector<WalletCoupon> wallet{Coupon(1, RedPacket(100)), Coupon(2, FreeShipping(0)),
                                         locked, Coupon(4, Threshold(9000, 100))};
  using V = std::vector<std::string>;
  EXPECT_EQ(PriceError(cart, wallet, {1, 2, 1}),
            (V{"invalid_argument/duplicate_coupon", "coupon_ids[2]|duplicate_coupon"}));
  EXPECT_EQ(PriceError(cart, wallet, {1, 42, 2}),
            (V{"invalid_argument/coupon_not_found", "coupon_ids[1]|coupon_not_found"}));
  EXPECT_EQ(PriceError(cart, wallet, {2, 3, 4}),
            (V{"failed_precondition/coupon_not_usable", "coupon_ids[1]|locked",
               "coupon_ids[2]|below_min_amount"}));
  // Usability is checked before stacking.
  EXPECT_EQ(PriceError(cart, wallet, {1, 4}),
            (V{"failed_precondition/coupon_not_usable", "coupon_ids[1]|below_min_amount"}));
  // No coupon at all is a valid choice.
  const Pricing none = MustPrice(cart, wallet, {});
  EXPECT_EQ(Describe(none), "total=0 shipping=0 items=[0,0,0,]");
}

TEST(Price, PlatformCouponTakesAtMostWhatStoreCouponsLeave) {
  const Cart cart = ThreeItems();  // 1000, 1000 (s1), 3000 (s2)
  const std::vector<WalletCoupon> wallet{Coupon(1, OfStore(RedPacket(1800), "s1")),
                                         Coupon(2, Threshold(5000, 9000))};
  const Pricing p = MustPrice(cart, wallet, {1, 2});
  EXPECT_EQ(p.applied.at(0).item_discounts, (std::vector<int64_t>{900, 900, 0}));
  // The threshold is met at list prices (5000), though only 3200 is left.
  EXPECT_EQ(p.applied.at(1).discount, 3200);
  EXPECT_EQ(p.applied.at(1).item_discounts, (std::vector<int64_t>{100, 100, 3000}));
  EXPECT_EQ(p.item_discounts, (std::vector<int64_t>{1000, 1000, 3000}));
  EXPECT_EQ(p.total_discount, 5000);

  // Nothing left at all: the platform coupon applies for 0.
  const std::vector<WalletCoupon> all{Coupon(1, OfStore(RedPacket(2000), "s1")),
                                      Coupon(2, Threshold(0, 500))};
  Cart s1_only = cart;
  s1_only.items.pop_back();
  const Pricing q = MustPrice(s1_only, all, {1, 2});
  EXPECT_EQ(q.applied.at(1).discount, 0);
  EXPECT_EQ(q.applied.at(1).item_discounts, (std::vector<int64_t>{0, 0}));
  EXPECT_EQ(q.total_discount, 2000);
}

TEST(Price, SplitsExactlyWithLargestRemaindersAndTiesToTheEarlierItem) {
  Cart cart;
  cart.items = {Item("a", "c", "s", 1000), Item("b", "c", "s", 1000), Item("c", "c", "s", 1000)};
  std::vector<WalletCoupon> wallet{Coupon(1, RedPacket(1000))};
  // 333.33 each: floors 999, the last fen to the first item.
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{334, 333, 333}));

  // 101 over 100, 200, 300: 16.83, 33.67, 50.5 → 16, 33, 50 and two fen to
  // the largest remainders (.83 and .67).
  cart.items = {Item("a", "c", "s", 100), Item("b", "c", "s", 100, 2), Item("c", "c", "s", 300)};
  wallet = {Coupon(1, RedPacket(101))};
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{17, 34, 50}));

  // The whole amount: every item goes to exactly zero, never below.
  wallet = {Coupon(1, RedPacket(600))};
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{100, 200, 300}));

  // Free items take nothing.
  cart.items = {Item("a", "c", "s", 0), Item("b", "c", "s", 7)};
  wallet = {Coupon(1, RedPacket(5))};
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{0, 5}));
  cart.items = {Item("a", "c", "s", 0)};
  EXPECT_EQ(VerdictAlone(cart, wallet[0]), "usable:0");
  EXPECT_EQ(MustPrice(cart, wallet, {1}).item_discounts, (std::vector<int64_t>{0}));
}

TEST(Price, SplitsEachDiscountBetweenPlatformAndStoreRoundingThePlatformDown) {
  const Cart cart = ThreeItems();
  Terms shared = RedPacket(999);
  shared.platform_share_percent = 30;  // 299.7 → 299
  Terms store = OfStore(RedPacket(555), "s2");
  store.platform_share_percent = 50;  // 277.5 → 277
  const std::vector<WalletCoupon> wallet{Coupon(1, shared), Coupon(2, store),
                                         Coupon(3, FreeShipping(0))};
  const Pricing p = MustPrice(cart, wallet, {1, 2, 3});
  ASSERT_EQ(p.applied.size(), 3u);
  EXPECT_EQ(p.applied[0].coupon_id, 2);
  EXPECT_EQ(p.applied[0].platform_part, 277);
  EXPECT_EQ(p.applied[0].store_part, 278);
  EXPECT_EQ(p.applied[1].platform_part, 299);
  EXPECT_EQ(p.applied[1].store_part, 700);
  EXPECT_EQ(p.applied[2].platform_part, 800);
  EXPECT_EQ(p.applied[2].store_part, 0);
}

TEST(Evaluate, BestPrefersTheLargerTotalThenFewerCoupons) {
  const Cart cart = ThreeItems();
  // 500 alone against 300 + 200: fewer coupons win.
  std::vector<WalletCoupon> wallet{Coupon(1, RedPacket(300)),
                                   Coupon(2, OfStore(RedPacket(200), "s1")),
                                   Coupon(3, Exclusive(RedPacket(500)))};
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), std::vector<int64_t>{3});
  // 501 beats 500.
  wallet[1] = Coupon(2, OfStore(RedPacket(201), "s1"));
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), (std::vector<int64_t>{2, 1}));
  // A usable coupon worth nothing is left out.
  Cart cheap;
  cheap.items = {Item("a", "c", "s", 50)};
  wallet = {Coupon(1, Percent(1, 0))};
  EXPECT_EQ(VerdictAlone(cheap, wallet[0]), "usable:0");
  EXPECT_TRUE(Evaluate(cheap, wallet, kNow).best.applied.empty());
  // An exclusive coupon beats a larger stack only if it is at least as large.
  wallet = {Coupon(1, RedPacket(300)), Coupon(2, FreeShipping(0)),
            Coupon(3, Exclusive(RedPacket(1000)))};
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), (std::vector<int64_t>{1, 2}));
  wallet[2] = Coupon(3, Exclusive(RedPacket(1100)));
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), (std::vector<int64_t>{3}));
}

TEST(Evaluate, BestBreaksTiesByExpiryThenId) {
  const Cart cart = ThreeItems();
  std::vector<WalletCoupon> wallet{Coupon(5, RedPacket(300), 20), Coupon(6, RedPacket(300), 10),
                                   Coupon(7, RedPacket(300), 10)};
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), std::vector<int64_t>{6});
  wallet[1].valid_until = Day(20);
  wallet[2].valid_until = Day(20);
  EXPECT_EQ(AppliedIds(Evaluate(cart, wallet, kNow).best), std::vector<int64_t>{5});

  // Items a (s1) and b (s2), 1000 each. Three two-coupon stacks are worth
  // 2000: {P1,S2} expiring days 3 and 40, {P2,S1} days 10 and 30, {S1,S2}
  // days 30 and 40. The sorted expiry lists compare lexicographically, so the
  // earliest single expiry (day 3) wins though its sum is the larger.
  Cart two;
  two.items = {Item("a", "c", "s1", 1000), Item("b", "c", "s2", 1000)};
  Terms p1 = RedPacket(1000);
  p1.skus.include = {"a"};
  Terms p2 = RedPacket(1000);
  p2.skus.include = {"b"};
  wallet = {Coupon(1, p1, 3), Coupon(2, p2, 10), Coupon(3, OfStore(RedPacket(1000), "s1"), 30),
            Coupon(4, OfStore(RedPacket(1000), "s2"), 40)};
  const Pricing best = Evaluate(two, wallet, kNow).best;
  EXPECT_EQ(best.total_discount, 2000);
  EXPECT_EQ(AppliedIds(best), (std::vector<int64_t>{4, 1}));
}

// Regression: the store coupon with the larger standalone discount is not
// always the better pick, when it eats what the platform coupon needs.
TEST(Evaluate, StoreCouponThatLeavesMoreForThePlatformWins) {
  Cart cart;
  cart.items = {Item("x", "c", "s1", 2000), Item("y", "c", "s1", 2000)};
  Terms only_x = RedPacket(5000);
  only_x.skus.include = {"x"};
  Terms b = OfStore(RedPacket(1100), "s1");
  b.skus.include = {"x"};
  const std::vector<WalletCoupon> wallet{Coupon(1, OfStore(RedPacket(1000), "s1")), Coupon(2, b),
                                         Coupon(3, only_x)};
  // {1,3}: 1000 (500 on x) + min(5000, 1500) = 2500; {2,3}: 1100 + 900 = 2000.
  const Evaluation e = Evaluate(cart, wallet, kNow);
  EXPECT_EQ(VerdictOf(e, 2).discount, 1100);
  EXPECT_EQ(e.best.total_discount, 2500);
  EXPECT_EQ(AppliedIds(e.best), (std::vector<int64_t>{1, 3}));
}

// Past the enumeration limit the search falls back to greedy picks; what it
// returns must still be a valid stack at least as good as any one coupon.
TEST(Evaluate, ManyCoupledStoresStillGiveAConsistentBest) {
  Cart cart;
  std::vector<WalletCoupon> wallet;
  int64_t id = 1;
  for (int s = 0; s < 10; ++s) {
    const std::string store = "s" + std::to_string(s);
    cart.items.push_back(Item("x" + std::to_string(s), "c", store, 2000));
    cart.items.push_back(Item("y" + std::to_string(s), "c", store, 2000));
    wallet.push_back(Coupon(id++, OfStore(RedPacket(1000), store)));
    Terms b = OfStore(RedPacket(1100), store);
    b.skus.include = {"x" + std::to_string(s)};
    wallet.push_back(Coupon(id++, b));
  }
  Terms xs = RedPacket(100'000);
  xs.skus.exclude = {"y0", "y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8", "y9"};
  wallet.push_back(Coupon(id++, xs));
  const Evaluation e = Evaluate(cart, wallet, kNow);
  // Each store: 1000 leaving 1500 of x, or 1100 leaving 900: the first is better.
  EXPECT_EQ(e.best.total_discount, 10 * 2500);
  std::vector<int64_t> ids = AppliedIds(e.best);
  EXPECT_EQ(Describe(MustPrice(cart, wallet, ids)), Describe(e.best));
}

TEST(ValidateCart, ReportsEveryBadFieldAtOnce) {
  EXPECT_EQ(CartErrors(ThreeItems()), std::vector<std::string>{});
  Cart empty;
  EXPECT_EQ(CartErrors(empty), std::vector<std::string>{"items|invalid_length"});
  Cart big;
  big.items.assign(201, Item("k", "c", "s", 1));
  EXPECT_EQ(CartErrors(big), std::vector<std::string>{"items|invalid_length"});
  big.items.resize(200);
  EXPECT_EQ(CartErrors(big), std::vector<std::string>{});

  Cart bad;
  bad.items = {Item("", "c", "s", -1, 0), Item("k", "c", "s", 1, 100'001),
               Item("k", "c", "s", 0, 100'000), Item("k", "c", "s", 1, 1)};
  bad.shipping_fee = -5;
  EXPECT_EQ(CartErrors(bad), (std::vector<std::string>{
                                 "items[0].sku|required", "items[0].price|must_not_be_negative",
                                 "items[0].quantity|out_of_range", "items[1].quantity|out_of_range",
                                 "shipping_fee|must_not_be_negative"}));
}

TEST(ValidateCart, BoundsAmountsSoNothingOverflows) {
  Cart cart;
  cart.items = {Item("k", "c", "s", 100'000'000, 100'000)};  // exactly 10^13
  EXPECT_EQ(CartErrors(cart), std::vector<std::string>{});
  cart.items[0].price += 1;
  EXPECT_EQ(CartErrors(cart), std::vector<std::string>{"items[0]|too_large"});
  cart.items[0].price = INT64_MAX;  // the product would overflow 64 bits
  EXPECT_EQ(CartErrors(cart), std::vector<std::string>{"items[0]|too_large"});
  cart.items.assign(11, Item("k", "c", "s", 100'000'000, 100'000));  // 1.1 × 10^14
  EXPECT_EQ(CartErrors(cart), std::vector<std::string>{"items|too_large"});
  cart.items.resize(10);
  cart.shipping_fee = 10'000'000'000'001;
  EXPECT_EQ(CartErrors(cart), std::vector<std::string>{"shipping_fee|too_large"});
  // The largest valid cart prices without overflow.
  cart.shipping_fee = 10'000'000'000'000;
  const std::vector<WalletCoupon> wallet{Coupon(1, Percent(99, 0)), Coupon(2, FreeShipping(0))};
  const Pricing p = MustPrice(cart, wallet, {1, 2});
  EXPECT_EQ(p.total_discount, 99'000'000'000'000 + 10'000'000'000'000);
}

// ---- Random carts and wallets ----

struct Random {
  std::mt19937_64 rng;
  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  }
  bool Chance(int percent) { return Int(1, 100) <= percent; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Int(0, static_cast<int64_t>(v.size()) - 1))];
  }
};

const std::vector<std::string> kSkus{"k1", "k2", "k3", "k4", "k5", "k6"};
const std::vector<std::string> kCategories{"c1", "c2", "c3"};
const std::vector<std::string> kStores{"s1", "s2", "s3"};
const std::vector<std::string> kCities{"shanghai", "beijing", "hangzhou"};

Cart RandomCart(Random& r) {
  Cart cart;
  const int64_t n = r.Int(1, 6);
  for (int64_t i = 0; i < n; ++i) {
    cart.items.push_back(Item(r.Pick(kSkus), r.Pick(kCategories), r.Pick(kStores),
                              r.Chance(10) ? 0 : r.Int(1, 5000), r.Int(1, 4)));
  }
  cart.city = r.Pick(kCities);
  cart.shipping_fee = r.Chance(20) ? 0 : r.Int(1, 1500);
  return cart;
}

IdFilter RandomFilter(Random& r, const std::vector<std::string>& ids) {
  IdFilter f;
  if (r.Chance(25)) f.include = {r.Pick(ids), r.Pick(ids)};
  if (r.Chance(15)) f.exclude = {r.Pick(ids)};
  return f;
}

std::vector<WalletCoupon> RandomWallet(Random& r, int64_t size) {
  std::vector<WalletCoupon> wallet;
  std::vector<int64_t> ids;
  for (int64_t i = 1; i <= size; ++i) ids.push_back(i * 7 % 61 + 1);  // unique, not sorted
  for (int64_t i = 0; i < size; ++i) {
    Terms t;
    t.kind = static_cast<CouponKind>(r.Int(0, 4));
    if (r.Chance(45)) t = OfStore(std::move(t), r.Pick(kStores));
    t.min_amount = r.Chance(50) ? 0 : r.Int(0, 12000);
    t.discount = r.Chance(20) ? 0 : r.Int(1, 8000);
    t.percent_off = static_cast<int>(r.Int(1, 99));
    t.skus = RandomFilter(r, kSkus);
    t.categories = RandomFilter(r, kCategories);
    t.stores = RandomFilter(r, kStores);
    t.cities = RandomFilter(r, kCities);
    t.exclusive = r.Chance(12);
    t.platform_share_percent = static_cast<int>(r.Int(0, 100));
    WalletCoupon c =
        Coupon(ids[static_cast<size_t>(i)], t, static_cast<int>(r.Int(1, 4)), r.Int(0, 6000));
    if (t.kind == CouponKind::kThreshold || t.kind == CouponKind::kRedPacket) {
      c.face_value = t.discount;
    }
    if (r.Chance(8)) c.status = r.Chance(50) ? "used" : "locked";
    if (r.Chance(4)) c.valid_from = Day(1);
    wallet.push_back(std::move(c));
  }
  return wallet;
}

// The invariants every pricing keeps.
void ExpectConsistent(const Cart& cart, const std::vector<WalletCoupon>& wallet, const Pricing& p) {
  const size_t n = cart.items.size();
  ASSERT_EQ(p.item_discounts.size(), n);
  std::vector<int64_t> sum(n, 0);
  int64_t total = 0;
  int64_t shipping = 0;
  for (const AppliedCoupon& a : p.applied) {
    ASSERT_EQ(a.item_discounts.size(), n);
    int64_t goods = 0;
    for (size_t i = 0; i < n; ++i) {
      EXPECT_GE(a.item_discounts[i], 0);
      goods += a.item_discounts[i];
      sum[i] += a.item_discounts[i];
    }
    EXPECT_EQ(goods, a.discount - a.shipping_discount);
    EXPECT_GE(a.shipping_discount, 0);
    EXPECT_EQ(a.platform_part + a.store_part, a.discount);
    const auto c = std::find_if(wallet.begin(), wallet.end(),
                                [&](const WalletCoupon& w) { return w.id == a.coupon_id; });
    ASSERT_NE(c, wallet.end());
    EXPECT_EQ(a.platform_part, a.discount * c->terms.platform_share_percent / 100);
    total += a.discount;
    shipping += a.shipping_discount;
  }
  EXPECT_EQ(p.total_discount, total);
  EXPECT_EQ(p.shipping_discount, shipping);
  EXPECT_LE(shipping, cart.shipping_fee);
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(p.item_discounts[i], sum[i]);
    EXPECT_LE(sum[i], cart.items[i].price * cart.items[i].quantity);
  }
}

TEST(EvaluateRandom, KeepsTheInvariantsAndPriceAgrees) {
  Random r{std::mt19937_64(20260517)};
  for (int round = 0; round < 2000; ++round) {
    const Cart cart = RandomCart(r);
    ASSERT_TRUE(ValidateCart(cart).ok());
    const std::vector<WalletCoupon> wallet = RandomWallet(r, r.Int(0, round % 10 == 0 ? 40 : 12));
    SCOPED_TRACE("round " + std::to_string(round));
    const Evaluation e = Evaluate(cart, wallet, kNow);
    ASSERT_EQ(e.coupons.size(), wallet.size());
    ExpectConsistent(cart, wallet, e.best);
    for (size_t k = 0; k < wallet.size(); ++k) {
      const CouponVerdict& v = e.coupons[k];
      EXPECT_EQ(v.coupon_id, wallet[k].id);
      EXPECT_EQ(v.usable, v.reason.empty());
      if (!v.usable) {
        EXPECT_EQ(v.discount, 0);
        continue;
      }
      EXPECT_GE(e.best.total_discount, v.discount);
      // Alone, the coupon prices at exactly its verdict's discount.
      const Pricing alone = MustPrice(cart, wallet, {v.coupon_id});
      ExpectConsistent(cart, wallet, alone);
      EXPECT_EQ(alone.total_discount, v.discount);
    }
    auto again = Price(cart, wallet, AppliedIds(e.best), kNow);
    ASSERT_TRUE(again.ok()) << again.error().ToString();
    EXPECT_EQ(Describe(*again), Describe(e.best));
  }
}

// The best combination against every legal subset priced one by one, with the
// documented tie-breaks applied to the subsets.
TEST(EvaluateRandom, BestMatchesBruteForceOverSmallWallets) {
  Random r{std::mt19937_64(7)};
  int stacked = 0;
  for (int round = 0; round < 1500; ++round) {
    const Cart cart = RandomCart(r);
    const std::vector<WalletCoupon> wallet = RandomWallet(r, r.Int(1, 6));
    SCOPED_TRACE("round " + std::to_string(round));
    using Key = std::tuple<int64_t, size_t, std::vector<core::Instant>, std::vector<int64_t>>;
    Key best{0, 0, {}, {}};  // no coupon
    for (uint32_t mask = 1; mask < (1u << wallet.size()); ++mask) {
      std::vector<int64_t> ids;
      std::vector<core::Instant> until;
      for (size_t k = 0; k < wallet.size(); ++k) {
        if (((mask >> k) & 1u) == 0) continue;
        ids.push_back(wallet[k].id);
        until.push_back(wallet[k].valid_until);
      }
      auto p = Price(cart, wallet, ids, kNow);
      if (!p.ok()) continue;
      ExpectConsistent(cart, wallet, *p);
      std::sort(ids.begin(), ids.end());
      std::sort(until.begin(), until.end());
      Key key{-p->total_discount, ids.size(), until, ids};
      if (key < best) best = std::move(key);
    }
    const Pricing got = Evaluate(cart, wallet, kNow).best;
    std::vector<int64_t> got_ids = AppliedIds(got);
    std::sort(got_ids.begin(), got_ids.end());
    EXPECT_EQ(got.total_discount, -std::get<0>(best));
    EXPECT_EQ(got_ids, std::get<3>(best));
    if (got_ids.size() > 1) ++stacked;
  }
  EXPECT_GT(stacked, 100);  // the random wallets do exercise stacking
}

}  // namespace
}  // namespace shopcrm::marketing
