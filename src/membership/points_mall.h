// The points mall (积分商城): items members buy with points — a coupon (put in
// the wallet through the coupon engine), a goods voucher or a partner item —
// with a points price, an optional stock and an optional per-member limit.
//
// A redemption is one transaction: the item's stock, the member's count and
// the points move together or not at all. Stock and per-member limits hold
// exactly under concurrent redemptions (guarded updates, as for coupon
// claims); too few points refuse the whole redemption (insufficient_points).
// A coupon item issues with source "self" (the member chose it): the
// template's own claim limits apply, anti-harassment rules do not.
//
// Owns tables: points_mall_items, points_mall_counts, points_mall_redemptions.
// Thread-safety: safe from any thread. Error reasons: invalid_fields,
// item_not_found, item_not_active, item_sold_out, item_limit_reached, and
// those of Points::SpendIn and Coupons::IssueIn.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "marketing/coupons.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct MallItemSpec {
  std::string name;
  std::string kind;                           // coupon | goods | partner
  std::optional<int64_t> coupon_template_id;  // for kind coupon
  int64_t points_price = 0;
  std::optional<int64_t> stock;             // none: unlimited
  std::optional<int64_t> per_member_limit;  // none: unlimited
};

struct MallItem {
  int64_t id = 0;
  MallItemSpec spec;
  int64_t redeemed = 0;
  std::string status;  // active | archived
  core::Instant created_at, updated_at;
};

struct Redemption {
  int64_t id = 0;
  int64_t item_id = 0;
  std::string item_name;
  int64_t user_id = 0;
  int64_t points = 0;
  std::optional<int64_t> coupon_id;
  core::Instant at;
};

struct RedemptionResult {
  Redemption redemption;
  PointsAccount points;
};

class PointsMall final {
 public:
  PointsMall(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
             const audit::AuditLog& audit, Points& points, marketing::Coupons& coupons);

  core::Result<std::vector<MallItem>> Items();
  core::Result<MallItem> Create(const MallItemSpec& spec, const audit::Actor& actor);
  core::Result<MallItem> SetStatus(int64_t id, const std::string& status,
                                   const audit::Actor& actor);

  core::Result<RedemptionResult> RedeemIn(store::Session& s, int64_t user_id, int64_t item_id,
                                          core::Instant now);
  core::Result<RedemptionResult> Redeem(int64_t user_id, int64_t item_id);
  // Newest first.
  core::Result<std::vector<Redemption>> Redemptions(int64_t user_id, std::optional<int64_t> before,
                                                    int limit);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
  Points& points_;
  marketing::Coupons& coupons_;
};

}  // namespace shopcrm::membership
