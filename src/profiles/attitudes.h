// The Fishbein attitude model: how a user regards each category they have
// reviewed, A = Σ Bᵢ·Eᵢ over the configured attributes i, where Eᵢ is the
// operator's evaluation weight of attribute i and Bᵢ the user's belief about
// the category on it, from their review events. Exact rules:
// docs/analytics.md, "Attitude (Fishbein)".
//
// Thread-safety: safe from any thread. Errors: invalid_config (parsing the
// attributes), user_not_found, and the database's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::profiles {

struct AttitudeAttribute {
  std::string name;  // as review events name it in properties.beliefs
  int weight = 0;    // Eᵢ, -3 .. 3
};

// "quality:3,price:2": names of 1 to 32 letters, digits or underscores, each
// once, 1 to 20 of them, weights -3 to 3.
core::Result<std::vector<AttitudeAttribute>> ParseAttitudeAttributes(std::string_view text);
// quality 3, price 2, service 2, delivery 1.
std::vector<AttitudeAttribute> DefaultAttitudeAttributes();

struct Attitude {
  std::string category;                                 // category_source_id
  std::optional<std::string> category_name;             // from the catalogue, when known
  double score = 0;                                     // A = Σ Bᵢ·Eᵢ
  int64_t reviews = 0;                                  // the review events it rests on
  std::vector<std::pair<std::string, double>> beliefs;  // Bᵢ by attribute, those known
};

class Attitudes final {
 public:
  Attitudes(store::Database& db, std::vector<AttitudeAttribute> attributes)
      : db_(db), attributes_(std::move(attributes)) {}

  // The user's attitude towards each category they reviewed, highest first
  // (then by category). user_not_found for unknown or erased users.
  core::Result<std::vector<Attitude>> Of(int64_t user_id);
  const std::vector<AttitudeAttribute>& attributes() const { return attributes_; }

 private:
  store::Database& db_;
  std::vector<AttitudeAttribute> attributes_;
};

}  // namespace shopcrm::profiles
