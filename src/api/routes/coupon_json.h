// The wire form of coupon templates, coupons and checkout (docs/coupons.md):
// amounts are decimal strings in major units of the business currency
// ("12.30"), instants RFC 3339, ids strings.
#pragma once

#include <string>
#include <vector>

#include "core/json.h"
#include "core/money.h"
#include "marketing/checkout.h"
#include "marketing/coupons.h"
#include "marketing/templates.h"

namespace shopcrm::api {

// A template body: {name, description?, terms: {...}, limits?: {...}, validity: {...}}.
// Returns invalid_fields naming every bad field, then ValidateSpec's errors.
core::Result<marketing::TemplateSpec> ReadTemplateSpec(const core::Json& body,
                                                       core::Currency currency);
core::Json TemplateJson(const marketing::CouponTemplate& t, core::Currency currency);

core::Json CouponJson(const marketing::Coupon& c, core::Currency currency);
core::Json OrderCouponsJson(const marketing::OrderCoupons& o, core::Currency currency);

// {items: [{sku, category_id?, store_id?, price, quantity}], city?, shipping_fee?}
// read from `r`'s field "cart".
std::optional<marketing::Cart> ReadCart(core::JsonObjectReader& r, core::Currency currency);
core::Json EvaluationJson(const marketing::WalletEvaluation& e, core::Currency currency);

// An amount in minor units as its decimal string in major units ("12.30").
std::string Amount(int64_t minor, core::Currency c);
// A decimal-string amount field in major units; nullopt with an error recorded
// (must_be_amount, invalid_amount) or when absent and not required.
std::optional<int64_t> ReadAmount(core::JsonObjectReader& r, std::string_view name,
                                  core::Currency c, bool required);

// A user id field ("user_id", our id as a string); nullopt with an error recorded.
std::optional<int64_t> ReadUserId(core::JsonObjectReader& r);

}  // namespace shopcrm::api
