// Demo membership for `shopcrm demo`: a five-level scheme recycled monthly
// (gold and up with a monthly member coupon), a recharge plan, a paid plan,
// three points-mall items, four tasks and six medals, and for the given
// users orders' growth and points, check-ins, recharges and payments, some
// paid memberships and completed tasks, their medals, and the month's
// benefit run, so the 360 page's membership card and the member
// centre have something to show. Deterministic for a seed.
#pragma once

#include <cstdint>
#include <vector>

#include "marketing/templates.h"
#include "membership/benefit_grants.h"
#include "membership/check_ins.h"
#include "membership/levels.h"
#include "membership/medals.h"
#include "membership/paid.h"
#include "membership/points.h"
#include "membership/points_mall.h"
#include "membership/stored_value.h"
#include "membership/tasks.h"

namespace shopcrm::membership {

struct MembershipDemoReport {
  int64_t members = 0;
  int64_t recharged = 0;
  int64_t paid = 0;
};

struct MembershipDemoServices {
  Levels& levels;
  Points& points;
  StoredValue& stored_value;
  PaidMemberships& paid;
  CheckIns& check_ins;
  PointsMall& mall;
  BenefitGrants& grants;
  Tasks& tasks;
  Medals& medals;
  marketing::Templates& templates;
  store::Database& db;
  const core::Clock& clock;
};

core::Result<MembershipDemoReport> GenerateMembershipDemo(const MembershipDemoServices& s,
                                                          const std::vector<int64_t>& user_ids,
                                                          uint64_t seed);

}  // namespace shopcrm::membership
