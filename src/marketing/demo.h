// Demo coupons for `shopcrm demo`: a few templates of different kinds, claimed
// by some of the demo users, and some of those used at checkout, so the
// console's coupon pages have figures to show. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <vector>

#include "marketing/coupons.h"
#include "marketing/templates.h"

namespace shopcrm::marketing {

struct CouponDemoReport {
  int64_t templates = 0;
  int64_t issued = 0;
  int64_t used = 0;
};

core::Result<CouponDemoReport> GenerateCouponDemo(Templates& templates, Coupons& coupons,
                                                  const std::vector<int64_t>& user_ids,
                                                  uint64_t seed);

}  // namespace shopcrm::marketing
