#include "marketing/demo.h"

#include <random>

namespace shopcrm::marketing {
namespace {

TemplateSpec Spec(std::string name, CouponKind kind, int64_t min_amount, int64_t discount) {
  TemplateSpec s;
  s.name = std::move(name);
  s.terms.kind = kind;
  s.terms.min_amount = min_amount;
  s.terms.discount = discount;
  s.limits.per_user_total = 1;
  s.validity.use_days = 30;
  return s;
}

}  // namespace

core::Result<CouponDemoReport> GenerateCouponDemo(Templates& templates, Coupons& coupons,
                                                  const std::vector<int64_t>& user_ids,
                                                  uint64_t seed) {
  const audit::Actor actor{"cli", "", "demo", ""};
  std::vector<TemplateSpec> specs;
  specs.push_back(Spec("满100减20", CouponKind::kThreshold, 10000, 2000));
  specs.back().limits.stock = 5000;
  specs.push_back(Spec("新人无门槛红包 5 元", CouponKind::kRedPacket, 0, 500));
  specs.push_back(Spec("全场 9 折（最高减 50）", CouponKind::kPercent, 0, 5000));
  specs.back().terms.percent_off = 10;
  specs.push_back(Spec("免邮券", CouponKind::kFreeShipping, 0, 0));
  CouponDemoReport report;
  std::vector<int64_t> ids;
  for (const auto& s : specs) {
    SHOPCRM_ASSIGN_OR_RETURN(auto t, templates.Create(s, actor));
    ids.push_back(t.id);
    ++report.templates;
  }
  std::mt19937_64 rng(seed);
  const auto render = [](const Coupon& c) { return std::to_string(c.id); };
  const auto render_order = [](const OrderCoupons&) { return std::string(); };
  int64_t order = 0;
  for (int64_t user : user_ids) {
    for (size_t k = 0; k < ids.size(); ++k) {
      if (rng() % 3 != 0) continue;  // about a third of users claim each template
      auto issued = coupons.Issue({ids[k], user, Source::kSelf, "demo", "app"}, {}, render);
      if (!issued.ok()) continue;
      ++report.issued;
      if (rng() % 3 != 0) continue;  // and use about a third of what they claimed
      Cart cart;
      cart.items = {{"demo-sku-" + std::to_string(rng() % 50), "", "",
                     6000 + static_cast<int64_t>(rng() % 12000), 1}};
      cart.shipping_fee = 800;
      const std::string order_id = "demo-order-" + std::to_string(++order);
      const int64_t coupon_id = std::stoll(issued->body);
      if (coupons.Lock(user, order_id, cart, {coupon_id}, {}, render_order).ok() &&
          coupons.Redeem(order_id, {}, render_order).ok()) {
        ++report.used;
      }
    }
  }
  return report;
}

}  // namespace shopcrm::marketing
