#include "segments/catalog.h"

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
    };
    for (const auto& [field, type] : kEventCounts) {
      specs.push_back({std::string(field), FieldType::kCount, true, false});
    }
    return new FieldCatalog(std::move(specs));
  }();
  return *catalog;
}

std::string_view EventTypeOf(std::string_view field) {
  for (const auto& [f, type] : kEventCounts) {
    if (f == field) return type;
  }
  return {};
}

}  // namespace shopcrm::segments
