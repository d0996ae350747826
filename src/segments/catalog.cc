#include "segments/catalog.h"

#include <algorithm>
#include <array>
#include <utility>

namespace shopcrm::segments {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 8> kEventCounts = {{
    {"visits", "visit"},
    {"searches", "search"},
    {"favourites", "favourite"},
    {"cart_adds", "cart_add"},
    {"shares", "share"},
    {"reviews", "review"},
    {"logins", "login"},
    {"checkins", "check_in"},
}};

}  // namespace

const FieldCatalog& Features() {
  static const FieldCatalog* catalog = [] {
    std::vector<FieldSpec> specs = {
        {"orders", FieldType::kCount, true, false},
        {"spend", FieldType::kMoney, true, false},
        {"aov", FieldType::kMoney, true, false},
        {"recency", FieldType::kDays, false, false},
        {"first_order_days", FieldType::kDays, false, false},
        {"last_visit_days", FieldType::kDays, false, false},
        {"registered_days", FieldType::kDays, false, false},
        {"age", FieldType::kNumber, false, false},
        {"city", FieldType::kText, false, false},
        {"province", FieldType::kText, false, false},
        {"gender", FieldType::kText, false, false},
        {"source_channel", FieldType::kText, false, false},
        {"lifecycle", FieldType::kText, false, false},
        {"rfm_cell", FieldType::kText, false, false},
        {"r_score", FieldType::kNumber, false, false},
        {"f_score", FieldType::kNumber, false, false},
        {"m_score", FieldType::kNumber, false, false},
        {"pareto_tier", FieldType::kText, false, false},
        {"aidees", FieldType::kText, false, false},
        {"level", FieldType::kNumber, false, false},
    };
    for (const auto& [field, type] : kEventCounts) {
      specs.push_back({std::string(field), FieldType::kCount, true, false});
    }
    return new FieldCatalog(std::move(specs));
  }();
  return *catalog;
}

core::Status CheckValues(const Filter& filter) {
  static const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> kClosed = {
      {"lifecycle", {"potential", "churned", "silent", "new", "mature", "rising", "declining"}},
      {"rfm_cell",
       {"important_value", "important_development", "important_retention", "important_recall",
        "general_value", "general_development", "general_retention", "general_recall"}},
      {"pareto_tier", {"head", "waist", "tail"}},
      {"aidees", {"attention", "interest", "desire", "experience", "enthusiasm", "share"}},
  };
  if (filter.kind != Filter::Kind::kPredicate) {
    for (const auto& c : filter.children) SHOPCRM_RETURN_IF_ERROR(CheckValues(c));
    return core::Status::Ok();
  }
  for (const auto& [field, allowed] : kClosed) {
    if (filter.predicate.field != field) continue;
    for (const auto& v : filter.predicate.values) {
      const auto* s = std::get_if<std::string>(&v);
      if (s != nullptr && std::find(allowed.begin(), allowed.end(), *s) != allowed.end()) continue;
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return core::InvalidFields("invalid_filter", {{"filter", "invalid_value",
                                                     std::string(field) + " is one of: " + list +
                                                         (s ? "; not \"" + *s + "\"" : "")}});
    }
  }
  return core::Status::Ok();
}

std::string_view EventTypeOf(std::string_view field) {
  for (const auto& [f, type] : kEventCounts) {
    if (f == field) return type;
  }
  return {};
}

}  // namespace shopcrm::segments
