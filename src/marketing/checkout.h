// Checkout pricing: which of a user's coupons a cart can use, the best
// combination under the stacking rules, and how each discount splits across
// the cart's items. Pure functions over values; the wallet is read by the
// caller (marketing::Coupons).
//
// The rules (docs/coupons.md states them for integrators):
// - An item is eligible for a coupon when its SKU, category and store pass the
//   template's filters, and, for a store-funded coupon, it belongs to the
//   funding store. The eligible amount is Σ price × quantity over eligible items.
// - A coupon is usable when it is unused, inside its use window, the cart's city
//   passes the city filter, some item is eligible, and the eligible amount is at
//   least `min_amount` (for a free-shipping coupon, also the shipping fee > 0).
// - Discounts: threshold and red packets take `discount` (the face value for a
//   random packet); percent takes floor(eligible × percent_off / 100), at most
//   `discount` when it is > 0; free shipping takes the fee, at most `discount`
//   when > 0. No discount exceeds what is left of its eligible items.
// - Stacking: at most one platform coupon, one store coupon per store and one
//   free-shipping coupon; an exclusive coupon is used alone. Store coupons
//   apply first, then the platform coupon on what they leave; thresholds are
//   checked against list prices.
// - Splitting: a goods discount is split over its eligible items in proportion
//   to what is left of each (core::AllocateProportionally: floors, the
//   remaining fen to the largest remainders, ties to the earlier item), so the
//   parts sum exactly to the discount and no item goes below zero.
// - Best combination: the largest total discount; ties go to fewer coupons,
//   then to the coupons that expire first, then to the lower coupon ids.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "marketing/terms.h"

namespace shopcrm::marketing {

struct CartItem {
  std::string sku;
  std::string category_id;
  std::string store_id;
  int64_t price = 0;     // unit price, minor units, >= 0
  int64_t quantity = 0;  // >= 1
};

struct Cart {
  std::vector<CartItem> items;
  std::string city;
  int64_t shipping_fee = 0;  // minor units, >= 0
};

// A coupon in the wallet as checkout sees it.
struct WalletCoupon {
  int64_t id = 0;
  int64_t template_id = 0;
  Terms terms;             // the version it was issued with
  int64_t face_value = 0;  // threshold / red packet / random: the amount off; else 0
  core::Instant valid_from;
  core::Instant valid_until;  // exclusive
  std::string status;         // unused | locked | used | expired
};

// Why a coupon is not usable for this cart (stable slugs, docs/coupons.md).
//   not_yet_valid, expired, locked, used, city_not_allowed, no_eligible_items,
//   below_min_amount, no_shipping_fee
struct CouponVerdict {
  int64_t coupon_id = 0;
  bool usable = false;
  std::string reason;    // empty when usable
  int64_t discount = 0;  // the discount were it used alone (0 when not usable)
};

struct AppliedCoupon {
  int64_t coupon_id = 0;
  int64_t discount = 0;                 // goods part + shipping part
  int64_t shipping_discount = 0;        // free shipping only
  std::vector<int64_t> item_discounts;  // one per cart item, sums to the goods part
  int64_t platform_part = 0;            // discount × platform_share_percent / 100, rounded down
  int64_t store_part = 0;               // discount − platform_part
};

struct Pricing {
  std::vector<AppliedCoupon> applied;  // in application order
  int64_t total_discount = 0;
  int64_t shipping_discount = 0;
  std::vector<int64_t> item_discounts;  // per cart item, over all applied coupons
};

struct Evaluation {
  std::vector<CouponVerdict> coupons;  // one per wallet coupon, wallet order
  Pricing best;                        // the best combination (may be empty)
};

// Every wallet coupon's verdict and the best combination.
Evaluation Evaluate(const Cart& cart, std::span<const WalletCoupon> wallet, core::Instant now);

// Prices the cart with exactly `chosen` (wallet coupon ids, in any order).
// Errors (kFailedPrecondition): coupon_not_usable (field "coupon_ids[i]",
// reason as in CouponVerdict), coupons_do_not_stack; kInvalidArgument
// duplicate_coupon, and coupon_not_found when an id is not in the wallet.
core::Result<Pricing> Price(const Cart& cart, std::span<const WalletCoupon> wallet,
                            std::span<const int64_t> chosen, core::Instant now);

// Checks a cart's shape: items 1..200, price >= 0, quantity 1..100000,
// shipping_fee >= 0, amounts small enough not to overflow. Returns
// invalid_fields naming "items[i].price" etc.
core::Status ValidateCart(const Cart& cart);

}  // namespace shopcrm::marketing
