// The stored form of Terms (coupon_templates.terms and
// coupon_template_versions.terms): JSON with amounts in minor units. Not the
// wire form, which the API layer owns.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "marketing/terms.h"

namespace shopcrm::marketing::internal {

std::string EncodeTerms(const Terms& t);
// Returns corrupt_terms (kInternal) when the stored text cannot be read.
core::Result<Terms> DecodeTerms(std::string_view text);

// Wire names back to enums; nullopt when unknown.
std::optional<CouponKind> KindFromName(std::string_view name);
std::optional<Funding> FundingFromName(std::string_view name);
std::optional<Distribution> DistributionFromName(std::string_view name);

}  // namespace shopcrm::marketing::internal
