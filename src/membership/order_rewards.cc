#include "membership/order_rewards.h"

#include <algorithm>

namespace shopcrm::membership {

namespace {

std::string Ref(const std::string& order_id) { return "order:" + order_id; }

}  // namespace

core::Result<OrderReward> OrderRewards::RewardIn(store::Session& s, int64_t user_id,
                                                 const std::string& order_id, int64_t paid_minor,
                                                 core::Instant now) {
  const OrderRewardOptions o = options_.Get();
  if (order_id.empty() || order_id.size() > 128) {
    return core::InvalidFields("invalid_fields", {{"order_id", "invalid", "1 to 128 characters"}});
  }
  if (paid_minor <= 0 || paid_minor > int64_t{1'000'000'000'000}) {
    return core::InvalidFields("invalid_fields", {{"paid_amount", "out_of_range",
                                                   "must be positive and at most "
                                                   "10^12 minor units"}});
  }
  SHOPCRM_ASSIGN_OR_RETURN(auto benefits, paid_.BenefitsIn(s, user_id, now));
  OrderReward r;
  r.order_id = order_id;
  r.points_percent = benefits.benefits.points_percent;
  // At most 10^12 yuan × 1000 points per yuan × 1000 % — 10^18, within 64
  // bits — then capped at what one earning may give.
  const int64_t points =
      paid_minor / o.minor_per_major * o.points_per_yuan * r.points_percent / 100;
  r.points = std::min(points, int64_t{1'000'000'000'000});
  auto claimed = s.Execute(
      "INSERT INTO order_rewards (user_id, order_id, points, growth, status, at) VALUES (?, ?, ?, "
      "0, 'rewarded', ?) ON CONFLICT (user_id, order_id) DO NOTHING",
      {user_id, order_id, r.points, core::ToUnixMicros(now)});
  if (!claimed.ok()) {
    if (claimed.error().reason() == "constraint_violation") {
      return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
    }
    return std::move(claimed).error();
  }
  if (*claimed == 0) {
    return core::Error(core::ErrorCode::kConflict, "order_rewarded",
                       "order " + order_id + " was rewarded already");
  }
  if (r.points > 0) {
    EarnRequest earn{user_id, r.points, "order", Ref(order_id), "order paid", o.hold_days};
    SHOPCRM_ASSIGN_OR_RETURN(auto change, points_.EarnIn(s, earn, now));
    r.account = std::move(change.account);
  } else {
    SHOPCRM_ASSIGN_OR_RETURN(r.account, points_.AccountIn(s, user_id, now));
  }
  auto grown = levels_.AddGrowthIn(s, user_id, "order", paid_minor, Ref(order_id), now);
  if (grown.ok()) {
    if (grown->entry) r.growth = grown->entry->amount;
    r.level = std::move(grown->member);
  } else if (grown.error().reason() != "no_level_scheme") {
    return std::move(grown).error();
  }
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("UPDATE order_rewards SET growth = ? WHERE user_id = ? AND order_id = ?",
                {r.growth, user_id, order_id})
          .status());
  return r;
}

core::Result<OrderReward> OrderRewards::TakeBackIn(store::Session& s, int64_t user_id,
                                                   const std::string& order_id, core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      int64_t taken,
      s.Execute("UPDATE order_rewards SET status = 'taken_back' WHERE user_id = ? AND order_id = "
                "? AND status = 'rewarded'",
                {user_id, order_id}));
  if (taken == 0) {
    return core::NotFound("nothing_to_reverse",
                          "order " + order_id + " was not rewarded, or was taken back already");
  }
  OrderReward r;
  r.order_id = order_id;
  auto reversed = points_.ReverseIn(s, user_id, Ref(order_id), "order refunded", now);
  if (reversed.ok()) {
    for (const auto& e : reversed->entries) r.points -= e.available_change + e.pending_change;
    r.account = std::move(reversed->account);
  } else if (reversed.error().reason() == "nothing_to_reverse") {
    SHOPCRM_ASSIGN_OR_RETURN(r.account, points_.AccountIn(s, user_id, now));
  } else {
    return std::move(reversed).error();
  }
  auto back = levels_.TakeBackIn(s, user_id, Ref(order_id), now);
  if (back.ok()) {
    if (back->entry) r.growth = -back->entry->amount;
    r.level = std::move(back->member);
  } else if (back.error().reason() != "nothing_to_take_back" &&
             back.error().reason() != "no_level_scheme") {
    return std::move(back).error();
  }
  return r;
}

}  // namespace shopcrm::membership
