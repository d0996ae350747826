#include "marketing/internal/terms_codec.h"

#include "core/json.h"

namespace shopcrm::marketing::internal {
namespace {

core::Json FilterToJson(const IdFilter& f) {
  return {{"include", f.include}, {"exclude", f.exclude}};
}

IdFilter FilterFromJson(const core::Json& j) {
  IdFilter f;
  if (!j.is_object()) return f;
  f.include = j.value("include", std::vector<std::string>{});
  f.exclude = j.value("exclude", std::vector<std::string>{});
  return f;
}

}  // namespace

core::Result<Terms> TermsCache::Decode(const std::string& text) {
  {
    std::lock_guard lock(mu_);
    if (auto it = decoded_.find(text); it != decoded_.end()) return it->second;
  }
  SHOPCRM_ASSIGN_OR_RETURN(Terms t, DecodeTerms(text));
  std::lock_guard lock(mu_);
  if (decoded_.size() >= kMaxEntries) decoded_.clear();
  decoded_.emplace(text, t);
  return t;
}

std::string EncodeTerms(const Terms& t) {
  return core::DumpJson({{"kind", KindName(t.kind)},
                         {"funding", FundingName(t.funding)},
                         {"store_id", t.store_id},
                         {"min_amount", t.min_amount},
                         {"discount", t.discount},
                         {"percent_off", t.percent_off},
                         {"random_min", t.random_min},
                         {"random_max", t.random_max},
                         {"distribution", DistributionName(t.distribution)},
                         {"skus", FilterToJson(t.skus)},
                         {"categories", FilterToJson(t.categories)},
                         {"stores", FilterToJson(t.stores)},
                         {"cities", FilterToJson(t.cities)},
                         {"exclusive", t.exclusive},
                         {"platform_share_percent", t.platform_share_percent},
                         {"return_on_refund", t.return_on_refund}});
}

core::Result<Terms> DecodeTerms(std::string_view text) {
  auto parsed = core::ParseJson(text, {.max_bytes = 16 << 20, .max_depth = 8});
  auto corrupt = [] {
    return core::Error(core::ErrorCode::kInternal, "corrupt_terms",
                       "stored coupon terms cannot be read");
  };
  if (!parsed.ok() || !parsed->is_object()) return corrupt();
  const core::Json& j = *parsed;
  try {
    Terms t;
    auto kind = KindFromName(j.at("kind").get<std::string>());
    auto funding = FundingFromName(j.at("funding").get<std::string>());
    auto dist = DistributionFromName(j.value("distribution", std::string("uniform")));
    if (!kind || !funding || !dist) return corrupt();
    t.kind = *kind;
    t.funding = *funding;
    t.distribution = *dist;
    t.store_id = j.value("store_id", std::string());
    t.min_amount = j.value("min_amount", int64_t{0});
    t.discount = j.value("discount", int64_t{0});
    t.percent_off = j.value("percent_off", 0);
    t.random_min = j.value("random_min", int64_t{0});
    t.random_max = j.value("random_max", int64_t{0});
    t.skus = FilterFromJson(j.value("skus", core::Json::object()));
    t.categories = FilterFromJson(j.value("categories", core::Json::object()));
    t.stores = FilterFromJson(j.value("stores", core::Json::object()));
    t.cities = FilterFromJson(j.value("cities", core::Json::object()));
    t.exclusive = j.value("exclusive", false);
    t.platform_share_percent = j.value("platform_share_percent", 100);
    t.return_on_refund = j.value("return_on_refund", true);
    return t;
  } catch (const core::Json::exception&) {
    return corrupt();
  }
}

}  // namespace shopcrm::marketing::internal
