// Order rewards: what a paid order gives its member, and takes back when it
// is refunded — in one call the mall makes per order.
//
// Rules (docs/membership.md has them for integrators):
// - Points: `points_per_yuan` per whole yuan (major unit) paid, times the
//   member's points multiplier (the larger `points_percent` of their level's
//   and their active paid plan's benefits), rounded down; held for
//   `hold_days` (the order's return window) before they can be spent.
// - Growth: the level scheme's "order" task for the same amount (when there
//   is a scheme), with its daily cap.
// - Once per order: a second reward of the same order is refused
//   (order_rewarded), exactly under concurrent requests (the order_rewards
//   primary key). The take-back reverses the order's points (a debt when
//   they were spent) and its growth, once; an order never rewarded, or taken
//   back already, is nothing_to_reverse. The points lot and the growth entry
//   carry source_ref "order:<order id>".
//
// Owns table: order_rewards. Thread-safety: safe from any thread. Error
// reasons: order_rewarded, nothing_to_reverse, user_not_found, invalid_fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/clock.h"
#include "core/error.h"
#include "membership/internal/live.h"
#include "membership/levels.h"
#include "membership/paid.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct OrderRewardOptions {
  int64_t points_per_yuan = 1;
  int hold_days = 7;
  int64_t minor_per_major = 100;  // of the business currency: 100 for CNY, 1 for JPY
};

struct OrderReward {
  std::string order_id;
  int points_percent = 100;  // the multiplier applied
  int64_t points = 0;        // earned (held) or taken back
  int64_t growth = 0;        // given or taken back
  PointsAccount account;
  std::optional<MemberLevel> level;  // none without a level scheme
};

class OrderRewards final {
 public:
  OrderRewards(Points& points, Levels& levels, PaidMemberships& paid, OrderRewardOptions options)
      : points_(points), levels_(levels), paid_(paid), options_(options) {}

  // Rewards order `order_id` paid with `paid_minor` (minor units, at most
  // 10^12), in a caller's write transaction.
  core::Result<OrderReward> RewardIn(store::Session& s, int64_t user_id,
                                     const std::string& order_id, int64_t paid_minor,
                                     core::Instant now);
  // Takes back what the order gave (it was refunded).
  core::Result<OrderReward> TakeBackIn(store::Session& s, int64_t user_id,
                                       const std::string& order_id, core::Instant now);
  OrderRewardOptions options() const { return options_.Get(); }
  void SetOptions(const OrderRewardOptions& o) { options_.Set(o); }

 private:
  Points& points_;
  Levels& levels_;
  PaidMemberships& paid_;
  internal::Live<OrderRewardOptions> options_;
};

}  // namespace shopcrm::membership
