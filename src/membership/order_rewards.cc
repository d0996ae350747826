#include "membership/order_rewards.h"

namespace shopcrm::membership {

core::Result<OrderReward> OrderRewards::RewardIn(store::Session& s, int64_t user_id,
                                                 const std::string& order_id, int64_t paid_minor,
                                                 core::Instant now) {
  if (order_id.empty() || order_id.size() > 128) {
    return core::InvalidFields("invalid_fields", {{"order_id", "invalid", "1 to 128 characters"}});
  }
  if (paid_minor <= 0) {
    return core::InvalidFields("invalid_fields",
                               {{"paid_amount", "out_of_range", "must be positive"}});
  }
  SHOPCRM_ASSIGN_OR_RETURN(
      auto seen, s.Query("SELECT 1 FROM points_lots WHERE user_id = ? AND source_ref = ? UNION ALL "
                         "SELECT 1 FROM growth_entries WHERE user_id = ? AND source_ref = ?",
                         {user_id, order_id, user_id, order_id}));
  if (!seen.empty()) {
    return core::Error(core::ErrorCode::kConflict, "order_rewarded",
                       "order " + order_id + " was rewarded already");
  }
  SHOPCRM_ASSIGN_OR_RETURN(auto benefits, paid_.Benefits(user_id));
  OrderReward r;
  r.order_id = order_id;
  r.points_percent = benefits.benefits.points_percent;
  r.points = paid_minor / 100 * options_.points_per_yuan * r.points_percent / 100;
  if (r.points > 0) {
    EarnRequest earn{user_id, r.points, "order", order_id, "order paid", options_.hold_days};
    SHOPCRM_ASSIGN_OR_RETURN(auto change, points_.EarnIn(s, earn, now));
    r.account = std::move(change.account);
  } else {
    SHOPCRM_ASSIGN_OR_RETURN(r.account, points_.AccountIn(s, user_id, now));
  }
  auto grown = levels_.AddGrowthIn(s, user_id, "order", paid_minor, order_id, now);
  if (grown.ok()) {
    if (grown->entry) r.growth = grown->entry->amount;
    r.level = std::move(grown->member);
  } else if (grown.error().reason() != "no_level_scheme") {
    return std::move(grown).error();
  }
  return r;
}

core::Result<OrderReward> OrderRewards::TakeBackIn(store::Session& s, int64_t user_id,
                                                   const std::string& order_id, core::Instant now) {
  OrderReward r;
  r.order_id = order_id;
  bool any = false;
  auto reversed = points_.ReverseIn(s, user_id, order_id, "order refunded", now);
  if (reversed.ok()) {
    any = true;
    for (const auto& e : reversed->entries) r.points -= e.available_change + e.pending_change;
    r.account = std::move(reversed->account);
  } else if (reversed.error().reason() == "nothing_to_reverse") {
    SHOPCRM_ASSIGN_OR_RETURN(r.account, points_.AccountIn(s, user_id, now));
  } else {
    return std::move(reversed).error();
  }
  auto taken = levels_.TakeBackIn(s, user_id, order_id, now);
  if (taken.ok()) {
    any = true;
    if (taken->entry) r.growth = -taken->entry->amount;
    r.level = std::move(taken->member);
  } else if (taken.error().reason() != "nothing_to_take_back" &&
             taken.error().reason() != "no_level_scheme") {
    return std::move(taken).error();
  }
  if (!any) {
    return core::NotFound("nothing_to_reverse", "order " + order_id + " gave the member nothing");
  }
  return r;
}

}  // namespace shopcrm::membership
