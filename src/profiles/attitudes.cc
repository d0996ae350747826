#include "profiles/attitudes.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "core/json.h"

namespace shopcrm::profiles {
namespace {

bool ValidName(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// A belief score: a number from 1 to 5.
std::optional<double> Score(const core::Json& v) {
  if (!v.is_number()) return std::nullopt;
  const double x = v.get<double>();
  if (!(x >= 1 && x <= 5)) return std::nullopt;
  return x;
}

}  // namespace

core::Result<std::vector<AttitudeAttribute>> ParseAttitudeAttributes(std::string_view text) {
  std::vector<AttitudeAttribute> out;
  auto bad = [](std::string detail) {
    return core::InvalidFields(
        "invalid_config", {{"analytics.attitude_attributes", "invalid_value", std::move(detail)}});
  };
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view part = text.substr(start, comma - start);
    const size_t colon = part.find(':');
    if (colon == std::string_view::npos) {
      return bad("each attribute is name:weight, e.g. quality:3; not \"" + std::string(part) +
                 "\"");
    }
    AttitudeAttribute a;
    a.name = std::string(part.substr(0, colon));
    const std::string_view w = part.substr(colon + 1);
    if (!ValidName(a.name)) {
      return bad("\"" + a.name + "\" is not a name of 1 to 32 letters, digits or underscores");
    }
    const char* end = w.data() + w.size();
    if (w.empty() || std::from_chars(w.data(), end, a.weight).ptr != end || a.weight < -3 ||
        a.weight > 3) {
      return bad("the weight of " + a.name + " must be a whole number from -3 to 3");
    }
    if (std::any_of(out.begin(), out.end(), [&](const auto& o) { return o.name == a.name; })) {
      return bad(a.name + " is named twice");
    }
    out.push_back(std::move(a));
    start = comma + 1;
  }
  if (out.empty() || out.size() > 20) return bad("from 1 to 20 attributes");
  return out;
}

std::vector<AttitudeAttribute> DefaultAttitudeAttributes() {
  return {{"quality", 3}, {"price", 2}, {"service", 2}, {"delivery", 1}};
}

core::Result<std::vector<Attitude>> Attitudes::Of(int64_t user_id) {
  return store::TransactFor<std::vector<Attitude>>(
      db_, store::TxMode::kRead, [&](store::Session& s) -> core::Result<std::vector<Attitude>> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto user,
            s.Query("SELECT 1 FROM users WHERE id = ? AND erased_at IS NULL", {user_id}));
        if (user.rows.empty()) {
          return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
        }
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows,
            s.Query("SELECT e.category_source_id, e.rating, e.properties, c.name FROM events e "
                    "LEFT JOIN categories c ON c.source_id = e.category_source_id WHERE "
                    "e.user_id = ? AND e.type = 'review' AND e.category_source_id IS NOT NULL AND "
                    "e.category_source_id <> '' ORDER BY e.occurred_at, e.id",
                    {user_id}));
        struct Sums {
          std::optional<std::string> name;
          int64_t reviews = 0;
          std::map<std::string, std::pair<double, int64_t>> by_attribute;  // sum, count
        };
        std::map<std::string, Sums> by_category;
        for (const auto& r : rows.rows) {
          // A score per attribute: the review's own for the attributes it
          // scores (properties.beliefs), its rating for the others.
          std::optional<double> rating;
          if (auto v = r.OptionalInt(1); v && *v >= 1 && *v <= 5) rating = static_cast<double>(*v);
          std::optional<core::Json> beliefs;
          if (auto text = r.OptionalText(2)) {
            auto doc = core::ParseJson(*text);
            if (doc.ok() && doc->is_object() && doc->contains("beliefs") &&
                (*doc)["beliefs"].is_object()) {
              beliefs = (*doc)["beliefs"];
            }
          }
          Sums& sums = by_category[r.Text(0)];
          if (!sums.name) sums.name = r.OptionalText(3);
          bool used = false;
          for (const auto& a : attributes_) {
            std::optional<double> b;
            if (beliefs && beliefs->contains(a.name)) b = Score((*beliefs)[a.name]);
            if (!b) b = rating;
            if (!b) continue;
            auto& [sum, n] = sums.by_attribute[a.name];
            sum += *b;
            ++n;
            used = true;
          }
          sums.reviews += used ? 1 : 0;
        }
        std::vector<Attitude> out;
        for (auto& [category, sums] : by_category) {
          if (sums.reviews == 0) continue;
          Attitude a;
          a.category = category;
          a.category_name = sums.name;
          a.reviews = sums.reviews;
          for (const auto& attr : attributes_) {
            auto it = sums.by_attribute.find(attr.name);
            if (it == sums.by_attribute.end()) continue;
            const double belief = it->second.first / static_cast<double>(it->second.second);
            a.beliefs.emplace_back(attr.name, belief);
            a.score += belief * attr.weight;
          }
          out.push_back(std::move(a));
        }
        std::sort(out.begin(), out.end(), [](const Attitude& x, const Attitude& y) {
          return x.score != y.score ? x.score > y.score : x.category < y.category;
        });
        return out;
      });
}

}  // namespace shopcrm::profiles
