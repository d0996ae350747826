// The points rules operators edit in the console: points expiry (Points),
// check-in points, streaks, the streak coupon and make-ups (CheckIns), and
// points per yuan and the hold of an order's points (OrderRewards).
//
// - The configuration gives the rules a server starts with. Rules saved
//   through Set replace them: Set validates the whole set (invalid_fields,
//   naming every bad field), saves it as the next version (one row of
//   membership_rules, audited) and applies it at once.
// - Load applies the saved rules when there are any; the server calls it at
//   start and the membership worker each round, so every server sharing the
//   database follows a change within a minute.
// - New rules apply from then on: lots released before keep their expiry,
//   past check-ins their points.
//
// Owns table: membership_rules. Thread-safety: safe from any thread.
// Error reasons: invalid_fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "membership/check_ins.h"
#include "membership/order_rewards.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct RuleSet {
  PointsOptions points;
  CheckInOptions check_in;
  OrderRewardOptions orders;
};

struct SavedRules {
  RuleSet rules;
  int version = 0;  // 0: the configured rules, never saved
  std::string updated_by;
  std::optional<core::Instant> updated_at;
};

// The rules as JSON: {points: {expiry, expiry_days}, check_in: {points,
// streak_days, streak_points, streak_coupon_template_id, make_ups_per_month,
// make_up_cost}, orders: {points_per_yuan, hold_days}}.
core::Json RuleSetJson(const RuleSet& r);
// Reads `body` over `base`: a field left out keeps its value in `base`.
core::Result<RuleSet> ReadRuleSet(const core::Json& body, const RuleSet& base);

class Rules final {
 public:
  Rules(store::Database& db, const core::Clock& clock, const audit::AuditLog& audit, Points& points,
        CheckIns& check_ins, OrderRewards& orders)
      : db_(db),
        clock_(clock),
        audit_(audit),
        points_(points),
        check_ins_(check_ins),
        orders_(orders) {}

  // The rules in force.
  core::Result<SavedRules> Current();
  core::Result<SavedRules> Set(const RuleSet& rules, const audit::Actor& actor);
  // Applies the saved rules, if any.
  core::Status Load();

 private:
  void Apply(const RuleSet& r);

  store::Database& db_;
  const core::Clock& clock_;
  const audit::AuditLog& audit_;
  Points& points_;
  CheckIns& check_ins_;
  OrderRewards& orders_;
};

}  // namespace shopcrm::membership
