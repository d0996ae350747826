#include "membership/points_mall.h"

#include "core/json.h"
#include "membership/internal/accounts.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr const char* kItemColumns =
    "id, name, kind, coupon_template_id, points_price, stock, per_member_limit, redeemed, status, "
    "created_at, updated_at";

MallItem ItemOf(const Row& r) {
  MallItem i;
  i.id = r.Int(0);
  i.spec = {r.Text(1), r.Text(2), r.OptionalInt(3), r.Int(4), r.OptionalInt(5), r.OptionalInt(6)};
  i.redeemed = r.Int(7);
  i.status = r.Text(8);
  i.created_at = core::FromUnixMicros(r.Int(9));
  i.updated_at = core::FromUnixMicros(r.Int(10));
  return i;
}

core::Result<MallItem> LoadItem(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(
      Row r,
      s.QueryOne(std::string("SELECT ") + kItemColumns + " FROM points_mall_items WHERE id = ?",
                 {id}, "item_not_found", "no points-mall item " + std::to_string(id)));
  return ItemOf(r);
}

std::string ItemText(const MallItem& i) {
  return core::DumpJson({{"name", i.spec.name},
                         {"kind", i.spec.kind},
                         {"points_price", i.spec.points_price},
                         {"status", i.status}});
}

core::Status Validate(const MallItemSpec& s) {
  std::vector<core::FieldError> errors;
  if (s.name.empty() || s.name.size() > 100) {
    errors.push_back({"name", "required", "must be 1 to 100 characters"});
  }
  if (s.kind != "coupon" && s.kind != "goods" && s.kind != "partner") {
    errors.push_back({"kind", "not_allowed", "must be coupon, goods or partner"});
  }
  if (s.kind == "coupon" && !s.coupon_template_id) {
    errors.push_back({"coupon_template_id", "required", "a coupon item names its template"});
  }
  if (s.kind != "coupon" && s.coupon_template_id) {
    errors.push_back({"coupon_template_id", "not_allowed", "only coupon items name a template"});
  }
  if (s.points_price <= 0 || s.points_price > int64_t{1'000'000'000}) {
    errors.push_back({"points_price", "out_of_range", "must be 1 to 1,000,000,000 points"});
  }
  if (s.stock && (*s.stock < 0 || *s.stock > int64_t{1'000'000'000})) {
    errors.push_back({"stock", "out_of_range", "must be 0 to 1,000,000,000"});
  }
  if (s.per_member_limit && (*s.per_member_limit < 1 || *s.per_member_limit > 1000)) {
    errors.push_back({"per_member_limit", "out_of_range", "must be 1 to 1000"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

}  // namespace

PointsMall::PointsMall(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
                       const audit::AuditLog& audit, Points& points, marketing::Coupons& coupons)
    : db_(db), clock_(clock), ids_(ids), audit_(audit), points_(points), coupons_(coupons) {}

core::Result<std::vector<MallItem>> PointsMall::Items() {
  std::vector<MallItem> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kItemColumns +
                                                " FROM points_mall_items ORDER BY id"));
    for (const auto& r : rows.rows) out.push_back(ItemOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<MallItem> PointsMall::Create(const MallItemSpec& spec, const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(Validate(spec));
  return store::TransactFor<MallItem>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<MallItem> {
        SHOPCRM_RETURN_IF_ERROR(internal::CheckTemplate(s, spec.coupon_template_id));
        MallItem i{ids_.Next(), spec, 0, "active", clock_.Now(), {}};
        i.updated_at = i.created_at;
        const int64_t now = core::ToUnixMicros(i.created_at);
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO points_mall_items (id, name, kind, coupon_template_id, "
                      "points_price, stock, per_member_limit, redeemed, status, created_at, "
                      "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'active', ?, ?)",
                      {i.id, spec.name, spec.kind, store::OrNull(spec.coupon_template_id),
                       spec.points_price, store::OrNull(spec.stock),
                       store::OrNull(spec.per_member_limit), now, now})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "points_mall_item.create",
                                              "points_mall_item", std::to_string(i.id),
                                              std::nullopt, ItemText(i)));
        return i;
      });
}

core::Result<MallItem> PointsMall::SetStatus(int64_t id, const std::string& status,
                                             const audit::Actor& actor) {
  if (status != "active" && status != "archived") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "not_allowed", "must be active or archived"}});
  }
  return store::TransactFor<MallItem>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<MallItem> {
        SHOPCRM_ASSIGN_OR_RETURN(MallItem before, LoadItem(s, id));
        MallItem after = before;
        after.status = status;
        after.updated_at = clock_.Now();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE points_mall_items SET status = ?, updated_at = ? WHERE id = ?",
                      {status, core::ToUnixMicros(after.updated_at), id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "points_mall_item.status",
                                              "points_mall_item", std::to_string(id),
                                              ItemText(before), ItemText(after)));
        return after;
      });
}

core::Result<RedemptionResult> PointsMall::RedeemIn(Session& s, int64_t user_id, int64_t item_id,
                                                    core::Instant now_t) {
  const int64_t now = core::ToUnixMicros(now_t);
  SHOPCRM_ASSIGN_OR_RETURN(MallItem item, LoadItem(s, item_id));
  if (item.status != "active") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "item_not_active",
                       "the points-mall item is " + item.status);
  }
  SHOPCRM_ASSIGN_OR_RETURN(
      int64_t taken,
      s.Execute("UPDATE points_mall_items SET redeemed = redeemed + 1 WHERE id = ? AND (stock IS "
                "NULL OR redeemed < stock)",
                {item_id}));
  if (taken != 1) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "item_sold_out",
                       "every one of this item has been redeemed");
  }
  if (item.spec.per_member_limit) {
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t counted,
        s.Execute("INSERT INTO points_mall_counts (item_id, user_id, n) VALUES (?, ?, 1) ON "
                  "CONFLICT (item_id, user_id) DO UPDATE SET n = points_mall_counts.n + 1 WHERE "
                  "points_mall_counts.n < ?",
                  {item_id, user_id, *item.spec.per_member_limit}));
    if (counted != 1) {
      return core::Error(core::ErrorCode::kFailedPrecondition, "item_limit_reached",
                         "the member has redeemed this item the most times allowed");
    }
  }
  RedemptionResult out;
  SpendRequest spend{user_id, item.spec.points_price, "points_mall", std::to_string(item_id),
                     item.spec.name};
  SHOPCRM_ASSIGN_OR_RETURN(auto spent, points_.SpendIn(s, spend, now_t));
  out.points = std::move(spent.account);
  Redemption& r = out.redemption;
  r.id = ids_.Next();
  r.item_id = item_id;
  r.item_name = item.spec.name;
  r.user_id = user_id;
  r.points = item.spec.points_price;
  r.at = now_t;
  if (item.spec.kind == "coupon") {
    marketing::IssueRequest issue{*item.spec.coupon_template_id, user_id, marketing::Source::kSelf,
                                  "points_mall:" + std::to_string(item_id), "points_mall"};
    SHOPCRM_ASSIGN_OR_RETURN(auto coupon, coupons_.IssueIn(s, issue, now_t));
    r.coupon_id = coupon.id;
  }
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("INSERT INTO points_mall_redemptions (id, item_id, user_id, points, coupon_id, "
                "at) VALUES (?, ?, ?, ?, ?, ?)",
                {r.id, item_id, user_id, r.points, store::OrNull(r.coupon_id), now})
          .status());
  return out;
}

core::Result<RedemptionResult> PointsMall::Redeem(int64_t user_id, int64_t item_id) {
  return store::TransactFor<RedemptionResult>(db_, store::TxMode::kWrite, [&](Session& s) {
    return RedeemIn(s, user_id, item_id, clock_.Now());
  });
}

core::Result<std::vector<Redemption>> PointsMall::Redemptions(int64_t user_id,
                                                              std::optional<int64_t> before,
                                                              int limit) {
  std::vector<Redemption> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT r.id, r.item_id, i.name, r.user_id, r.points, r.coupon_id, "
                           "r.at FROM points_mall_redemptions r JOIN points_mall_items i ON "
                           "i.id = r.item_id WHERE r.user_id = ? AND r.id < ? ORDER BY r.id "
                           "DESC LIMIT ?",
                           {user_id, before.value_or(INT64_MAX), int64_t{limit}}));
    for (const auto& x : rows.rows) {
      out.push_back({x.Int(0), x.Int(1), x.Text(2), x.Int(3), x.Int(4), x.OptionalInt(5),
                     core::FromUnixMicros(x.Int(6))});
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
