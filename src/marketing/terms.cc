#include "marketing/terms.h"

#include <algorithm>

namespace shopcrm::marketing {

std::string_view KindName(CouponKind k) {
  switch (k) {
    case CouponKind::kThreshold:
      return "threshold";
    case CouponKind::kRedPacket:
      return "red_packet";
    case CouponKind::kPercent:
      return "percent";
    case CouponKind::kRandomPacket:
      return "random_red_packet";
    case CouponKind::kFreeShipping:
      return "free_shipping";
  }
  return "unknown";  // unreachable for a valid enumerator; keeps -Wreturn-type quiet
}

std::string_view FundingName(Funding f) {
  switch (f) {
    case Funding::kPlatform:
      return "platform";
    case Funding::kStore:
      return "store";
  }
  return "unknown";
}

std::string_view DistributionName(Distribution d) {
  switch (d) {
    case Distribution::kUniform:
      return "uniform";
    case Distribution::kLowSkew:
      return "low_skew";
  }
  return "unknown";
}

std::optional<CouponKind> KindFromName(std::string_view name) {
  for (auto k : {CouponKind::kThreshold, CouponKind::kRedPacket, CouponKind::kPercent,
                 CouponKind::kRandomPacket, CouponKind::kFreeShipping}) {
    if (KindName(k) == name) return k;
  }
  return std::nullopt;
}

std::optional<Funding> FundingFromName(std::string_view name) {
  for (auto f : {Funding::kPlatform, Funding::kStore}) {
    if (FundingName(f) == name) return f;
  }
  return std::nullopt;
}

std::optional<Distribution> DistributionFromName(std::string_view name) {
  for (auto d : {Distribution::kUniform, Distribution::kLowSkew}) {
    if (DistributionName(d) == name) return d;
  }
  return std::nullopt;
}

bool IdFilter::Allows(std::string_view id) const {
  const auto listed = [&](const std::vector<std::string>& list) {
    return std::find(list.begin(), list.end(), id) != list.end();
  };
  if (listed(exclude)) return false;
  return include.empty() || listed(include);
}

}  // namespace shopcrm::marketing
