#include "api/routes/coupon_json.h"

#include "api/http.h"
#include "api/routes/segment_request.h"
#include "core/id.h"

namespace shopcrm::api {
namespace {

using marketing::CouponKind;
using marketing::Distribution;
using marketing::Funding;

core::Json OptAmount(const std::optional<int64_t>& minor, core::Currency c) {
  return minor ? core::Json(Amount(*minor, c)) : core::Json(nullptr);
}

core::Json OptInt(const std::optional<int64_t>& v) {
  return v ? core::Json(*v) : core::Json(nullptr);
}

marketing::IdFilter ReadIdFilter(core::JsonObjectReader& r, std::string_view name,
                                 std::vector<core::FieldError>& errors) {
  marketing::IdFilter f;
  const core::Json* v = r.Value(name);
  if (v == nullptr) return f;
  core::JsonObjectReader fr(*v, r.Path(name) + ".");
  if (!fr.is_object()) {
    r.AddError(r.Path(name), "must_be_object", "{\"include\": [...], \"exclude\": [...]}");
    return f;
  }
  for (auto [key, out] : {std::pair{"include", &f.include}, std::pair{"exclude", &f.exclude}}) {
    const core::Json* list = fr.Value(key);
    if (list == nullptr) continue;
    if (!list->is_array()) {
      fr.AddError(fr.Path(key), "must_be_array", "a list of strings");
      continue;
    }
    for (const auto& e : *list) {
      if (!e.is_string()) {
        fr.AddError(fr.Path(key), "must_be_array", "a list of strings");
        break;
      }
      out->push_back(e.get<std::string>());
    }
  }
  auto st = fr.Finish();
  if (!st.ok()) errors.insert(errors.end(), st.error().fields().begin(), st.error().fields().end());
  return f;
}

core::Json IdFilterJson(const marketing::IdFilter& f) {
  return {{"include", f.include}, {"exclude", f.exclude}};
}

core::Json TermsJson(const marketing::Terms& t, core::Currency c) {
  core::Json j = {{"kind", marketing::KindName(t.kind)},
                  {"funding", marketing::FundingName(t.funding)},
                  {"store_id", t.store_id},
                  {"min_amount", Amount(t.min_amount, c)},
                  {"discount", Amount(t.discount, c)},
                  {"skus", IdFilterJson(t.skus)},
                  {"categories", IdFilterJson(t.categories)},
                  {"stores", IdFilterJson(t.stores)},
                  {"cities", IdFilterJson(t.cities)},
                  {"exclusive", t.exclusive},
                  {"platform_share_percent", t.platform_share_percent},
                  {"return_on_refund", t.return_on_refund}};
  if (t.kind == CouponKind::kPercent) j["percent_off"] = t.percent_off;
  if (t.kind == CouponKind::kRandomPacket) {
    j["random_min"] = Amount(t.random_min, c);
    j["random_max"] = Amount(t.random_max, c);
    j["distribution"] = marketing::DistributionName(t.distribution);
  }
  return j;
}

void Collect(const core::Status& st, std::vector<core::FieldError>& errors) {
  if (!st.ok()) errors.insert(errors.end(), st.error().fields().begin(), st.error().fields().end());
}

}  // namespace

core::Result<marketing::TemplateSpec> ReadTemplateSpec(const core::Json& body,
                                                       core::Currency currency) {
  marketing::TemplateSpec spec;
  std::vector<core::FieldError> errors;
  core::JsonObjectReader r(body);
  auto name = r.RequiredString("name", 100);
  auto description = r.OptionalString("description", 500);
  const core::Json* terms = r.Value("terms", true);
  const core::Json* limits = r.Value("limits");
  const core::Json* validity = r.Value("validity", true);

  if (terms != nullptr) {
    core::JsonObjectReader tr(*terms, "terms.");
    if (!tr.is_object()) {
      r.AddError("terms", "must_be_object", "the coupon's terms");
    } else {
      auto& t = spec.terms;
      auto kind = tr.RequiredEnum(
          "kind", {"threshold", "red_packet", "percent", "random_red_packet", "free_shipping"});
      if (kind) t.kind = *marketing::KindFromName(*kind);
      auto funding = tr.OptionalString("funding", 16);
      if (funding && !marketing::FundingFromName(*funding)) {
        tr.AddError("terms.funding", "invalid_value", "one of platform, store");
      }
      t.funding = funding ? marketing::FundingFromName(*funding).value_or(Funding::kPlatform)
                          : Funding::kPlatform;
      t.store_id = tr.OptionalString("store_id", 64).value_or("");
      t.min_amount = ReadAmount(tr, "min_amount", currency, false).value_or(0);
      t.discount = ReadAmount(tr, "discount", currency, false).value_or(0);
      t.percent_off = static_cast<int>(tr.OptionalInt("percent_off").value_or(0));
      t.random_min = ReadAmount(tr, "random_min", currency, false).value_or(0);
      t.random_max = ReadAmount(tr, "random_max", currency, false).value_or(0);
      auto dist = tr.OptionalString("distribution", 16);
      if (dist && !marketing::DistributionFromName(*dist)) {
        tr.AddError("terms.distribution", "invalid_value", "one of uniform, low_skew");
      }
      t.distribution = dist
                           ? marketing::DistributionFromName(*dist).value_or(Distribution::kUniform)
                           : Distribution::kUniform;
      t.skus = ReadIdFilter(tr, "skus", errors);
      t.categories = ReadIdFilter(tr, "categories", errors);
      t.stores = ReadIdFilter(tr, "stores", errors);
      t.cities = ReadIdFilter(tr, "cities", errors);
      t.exclusive = tr.OptionalBool("exclusive").value_or(false);
      t.platform_share_percent =
          static_cast<int>(tr.OptionalInt("platform_share_percent")
                               .value_or(t.funding == Funding::kStore ? 0 : 100));
      t.return_on_refund = tr.OptionalBool("return_on_refund").value_or(true);
      Collect(tr.Finish(), errors);
    }
  }
  if (limits != nullptr) {
    core::JsonObjectReader lr(*limits, "limits.");
    if (!lr.is_object()) {
      r.AddError("limits", "must_be_object", "the claim limits");
    } else {
      spec.limits.stock = lr.OptionalInt("stock");
      spec.limits.budget = ReadAmount(lr, "budget", currency, false);
      spec.limits.per_user_daily = lr.OptionalInt("per_user_daily");
      spec.limits.per_user_total = lr.OptionalInt("per_user_total");
      Collect(lr.Finish(), errors);
    }
  }
  if (validity != nullptr) {
    core::JsonObjectReader vr(*validity, "validity.");
    if (!vr.is_object()) {
      r.AddError("validity", "must_be_object", "the claim and use windows");
    } else {
      auto& v = spec.validity;
      v.claim_start = ReadTime(vr, "claim_start", false);
      v.claim_end = ReadTime(vr, "claim_end", false);
      v.use_start = ReadTime(vr, "use_start", false);
      v.use_end = ReadTime(vr, "use_end", false);
      v.use_days = vr.OptionalInt("use_days");
      Collect(vr.Finish(), errors);
    }
  }
  Collect(r.Finish(), errors);
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  spec.name = *name;
  spec.description = description.value_or("");
  SHOPCRM_RETURN_IF_ERROR(marketing::ValidateSpec(spec));
  return spec;
}

core::Json TemplateJson(const marketing::CouponTemplate& t, core::Currency c) {
  const auto& l = t.limits;
  const auto& v = t.validity;
  const auto& s = t.stats;
  return {{"id", std::to_string(t.id)},
          {"name", t.name},
          {"description", t.description},
          {"status", t.status},
          {"version", t.version},
          {"terms", TermsJson(t.terms, c)},
          {"limits",
           {{"stock", OptInt(l.stock)},
            {"budget", OptAmount(l.budget, c)},
            {"per_user_daily", OptInt(l.per_user_daily)},
            {"per_user_total", OptInt(l.per_user_total)}}},
          {"validity",
           {{"claim_start", TimeOrNull(v.claim_start)},
            {"claim_end", TimeOrNull(v.claim_end)},
            {"use_start", TimeOrNull(v.use_start)},
            {"use_end", TimeOrNull(v.use_end)},
            {"use_days", OptInt(v.use_days)}}},
          {"stats",
           {{"issued", s.issued},
            {"budget_used", Amount(s.budget_used, c)},
            {"stock_left",
             l.stock ? core::Json(std::max<int64_t>(0, *l.stock - s.issued)) : core::Json(nullptr)},
            {"unused", s.unused},
            {"locked", s.locked},
            {"used", s.used},
            {"expired", s.expired},
            {"refunded", s.refunded},
            {"redemption_rate",
             s.issued > 0 ? static_cast<double>(s.used) / static_cast<double>(s.issued) : 0.0}}},
          {"created_by", t.created_by},
          {"created_at", core::FormatRfc3339(t.created_at)},
          {"updated_at", core::FormatRfc3339(t.updated_at)}};
}

core::Json CouponJson(const marketing::Coupon& c, core::Currency cur) {
  return {{"id", std::to_string(c.id)},
          {"template_id", std::to_string(c.template_id)},
          {"version", c.version},
          {"name", c.name},
          {"user_id", std::to_string(c.user_id)},
          {"terms", TermsJson(c.terms, cur)},
          {"face_value", Amount(c.face_value, cur)},
          {"status", c.status},
          {"source", c.source},
          {"source_ref", c.source_ref},
          {"channel", c.channel},
          {"valid_from", core::FormatRfc3339(c.valid_from)},
          {"valid_until", core::FormatRfc3339(c.valid_until)},
          {"issued_at", core::FormatRfc3339(c.issued_at)},
          {"order_id", c.order_id ? core::Json(*c.order_id) : core::Json(nullptr)},
          {"discount", Amount(c.discount, cur)},
          {"platform_part", Amount(c.platform_part, cur)},
          {"store_part", Amount(c.store_part, cur)}};
}

namespace {

core::Json PricingJson(const marketing::Pricing& p, core::Currency c) {
  core::Json applied = core::Json::array();
  for (const auto& a : p.applied) {
    core::Json items = core::Json::array();
    for (int64_t d : a.item_discounts) items.push_back(Amount(d, c));
    applied.push_back({{"coupon_id", std::to_string(a.coupon_id)},
                       {"discount", Amount(a.discount, c)},
                       {"shipping_discount", Amount(a.shipping_discount, c)},
                       {"item_discounts", std::move(items)},
                       {"platform_part", Amount(a.platform_part, c)},
                       {"store_part", Amount(a.store_part, c)}});
  }
  core::Json items = core::Json::array();
  for (int64_t d : p.item_discounts) items.push_back(Amount(d, c));
  return {{"coupons", std::move(applied)},
          {"total_discount", Amount(p.total_discount, c)},
          {"shipping_discount", Amount(p.shipping_discount, c)},
          {"item_discounts", std::move(items)}};
}

}  // namespace

core::Json OrderCouponsJson(const marketing::OrderCoupons& o, core::Currency c) {
  core::Json coupons = core::Json::array();
  for (const auto& x : o.coupons) coupons.push_back(CouponJson(x, c));
  core::Json j = {{"order_id", o.order_id}, {"coupons", std::move(coupons)}};
  if (o.pricing) j["pricing"] = PricingJson(*o.pricing, c);
  return j;
}

std::optional<marketing::Cart> ReadCart(core::JsonObjectReader& r, core::Currency currency) {
  const core::Json* cart = r.Value("cart", true);
  if (cart == nullptr) return std::nullopt;
  core::JsonObjectReader cr(*cart, "cart.");
  if (!cr.is_object()) {
    r.AddError("cart", "must_be_object", "the cart");
    return std::nullopt;
  }
  marketing::Cart out;
  bool ok = true;
  out.city = cr.OptionalString("city", 64).value_or("");
  out.shipping_fee = ReadAmount(cr, "shipping_fee", currency, false).value_or(0);
  const core::Json* items = cr.Value("items", true);
  if (items != nullptr && !items->is_array()) {
    cr.AddError("cart.items", "must_be_array", "a list of cart items");
  } else if (items != nullptr) {
    if (items->size() > 200) cr.AddError("cart.items", "too_many_items", "at most 200 items");
    for (size_t i = 0; i < items->size() && i < 200; ++i) {
      core::JsonObjectReader ir((*items)[i], "cart.items[" + std::to_string(i) + "].");
      if (!ir.is_object()) {
        cr.AddError("cart.items[" + std::to_string(i) + "]", "must_be_object", "a cart item");
        continue;
      }
      marketing::CartItem it;
      it.sku = ir.RequiredString("sku", 64).value_or("");
      it.category_id = ir.OptionalString("category_id", 64).value_or("");
      it.store_id = ir.OptionalString("store_id", 64).value_or("");
      it.price = ReadAmount(ir, "price", currency, true).value_or(0);
      it.quantity = ir.RequiredInt("quantity").value_or(1);
      auto st = ir.Finish();
      if (!st.ok()) {
        ok = false;
        for (const auto& f : st.error().fields()) cr.AddError(f.field, f.reason, f.detail);
      }
      out.items.push_back(std::move(it));
    }
  }
  auto st = cr.Finish();
  if (!st.ok()) {
    ok = false;
    for (const auto& f : st.error().fields()) r.AddError(f.field, f.reason, f.detail);
  }
  if (!ok) return std::nullopt;
  return out;
}

core::Json EvaluationJson(const marketing::WalletEvaluation& e, core::Currency c) {
  // A checkout page asks this for every cart change: each coupon comes
  // without its full terms (GET /api/v1/coupons/{id} has them).
  core::Json coupons = core::Json::array();
  for (size_t i = 0; i < e.coupons.size(); ++i) {
    const auto& v = e.evaluation.coupons[i];
    const auto& x = e.coupons[i];
    coupons.push_back({{"id", std::to_string(x.id)},
                       {"template_id", std::to_string(x.template_id)},
                       {"name", x.name},
                       {"kind", marketing::KindName(x.terms.kind)},
                       {"funding", marketing::FundingName(x.terms.funding)},
                       {"exclusive", x.terms.exclusive},
                       {"face_value", Amount(x.face_value, c)},
                       {"status", x.status},
                       {"valid_until", core::FormatRfc3339(x.valid_until)},
                       {"usable", v.usable},
                       {"reason", v.usable ? core::Json(nullptr) : core::Json(v.reason)},
                       {"discount_alone", Amount(v.discount, c)}});
  }
  return {{"coupons", std::move(coupons)}, {"best", PricingJson(e.evaluation.best, c)}};
}

std::optional<int64_t> ReadUserId(core::JsonObjectReader& r) {
  auto text = r.RequiredString("user_id", 32);
  if (!text) return std::nullopt;
  auto id = core::ParseId(*text);
  if (!id) r.AddError(r.Path("user_id"), "invalid_id", "expected a user id");
  return id;
}

std::string Amount(int64_t minor, core::Currency c) {
  return core::Money(minor, c).ToDecimalString();
}

std::optional<int64_t> ReadAmount(core::JsonObjectReader& r, std::string_view name,
                                  core::Currency c, bool required) {
  const core::Json* v = r.Value(name, required);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    r.AddError(r.Path(name), "must_be_amount", "a decimal string in major units, e.g. \"12.30\"");
    return std::nullopt;
  }
  auto m = core::Money::ParseDecimal(v->get_ref<const std::string&>(), c);
  if (!m.ok()) {
    r.AddError(r.Path(name), "invalid_amount", m.error().detail());
    return std::nullopt;
  }
  return m->minor_units();
}

}  // namespace shopcrm::api
