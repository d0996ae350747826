// Demo membership for `shopcrm demo`: a five-level scheme recycled monthly, a
// recharge plan, a paid plan, and for the given users orders' growth and
// points, check-ins, recharges and payments, and some paid memberships, so
// the 360 page's membership card has something to show. Deterministic for a
// seed.
#pragma once

#include <cstdint>
#include <vector>

#include "membership/check_ins.h"
#include "membership/levels.h"
#include "membership/paid.h"
#include "membership/points.h"
#include "membership/stored_value.h"

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
  store::Database& db;
  const core::Clock& clock;
};

core::Result<MembershipDemoReport> GenerateMembershipDemo(const MembershipDemoServices& s,
                                                          const std::vector<int64_t>& user_ids,
                                                          uint64_t seed);

}  // namespace shopcrm::membership
