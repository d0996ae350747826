// The terms of a coupon template: what kind of discount it gives, who funds
// it, which items and cities it applies to, and how it stacks. A template's
// terms are versioned; a coupon keeps the version it was issued with, so a
// later edit never changes a coupon already in a wallet.
//
// Amounts are minor units (fen) of the business currency.
//
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace shopcrm::marketing {

enum class CouponKind {
  kThreshold,  // "threshold": 满X减Y — `discount` off when the eligible amount reaches `min_amount`
  kRedPacket,  // "red_packet": `discount` off, no threshold beyond `min_amount` (often 0)
  kPercent,  // "percent": `percent_off` % off the eligible amount, at most `discount` (0 = no cap)
  kRandomPacket,  // "random_red_packet": a face value drawn at issue in [random_min, random_max]
  kFreeShipping,  // "free_shipping": the shipping fee off, at most `discount` (0 = all of it)
};
std::string_view KindName(CouponKind k);
// The enumerator a wire name stands for; nullopt when it names none.
std::optional<CouponKind> KindFromName(std::string_view name);

enum class Funding {
  kPlatform,  // "platform": the mall pays; the coupon applies across stores
  kStore,     // "store": one store pays; the coupon applies to that store's items only
};
std::string_view FundingName(Funding f);
std::optional<Funding> FundingFromName(std::string_view name);

enum class Distribution {
  kUniform,  // "uniform": every amount in the range equally likely
  kLowSkew,  // "low_skew": min + (max − min)·u², most draws near the minimum
};
std::string_view DistributionName(Distribution d);
std::optional<Distribution> DistributionFromName(std::string_view name);

// An include / exclude list of the mall's ids (SKUs, categories, stores) or
// city names. Empty `include` means "all"; `exclude` always wins.
struct IdFilter {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool Allows(std::string_view id) const;
  bool operator==(const IdFilter&) const = default;
};

struct Terms {
  CouponKind kind = CouponKind::kThreshold;
  Funding funding = Funding::kPlatform;
  std::string store_id;  // the funding store (funding == kStore), the mall's id

  int64_t min_amount = 0;  // eligible items' amount must be at least this
  int64_t discount = 0;  // threshold / red packet: the amount off; percent / free shipping: the cap
  int percent_off = 0;   // percent: 1..99
  int64_t random_min = 0;  // random red packet: the face value range
  int64_t random_max = 0;
  Distribution distribution = Distribution::kUniform;

  // Which items count towards the eligible amount and take the discount.
  IdFilter skus;
  IdFilter categories;
  IdFilter stores;
  IdFilter cities;  // the cart's delivery city

  bool exclusive = false;  // when used, no other coupon on the order
  // The part of each discount the platform pays, in percent (0..100); the
  // store pays the rest. Platform-funded templates default to 100, store-funded to 0.
  int platform_share_percent = 100;
  // On refund of the order, whether the coupon comes back to the wallet (if still valid).
  bool return_on_refund = true;

  bool operator==(const Terms&) const = default;
};

}  // namespace shopcrm::marketing
