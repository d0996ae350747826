// The raw columns of a feature index, shared by the engine
// (feature_index.cc) and the models (models.cc). Internal to segments.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "segments/internal/bitmap.h"

namespace shopcrm::segments::internal {

inline constexpr int64_t kDayMicros = 86'400'000'000;
inline constexpr uint32_t kNone = UINT32_MAX;

// A text attribute: one code per user (0 = missing) and a bitmap per value.
struct Dict {
  std::unordered_map<std::string, uint32_t> codes;  // value -> position in `bitmaps`
  std::vector<Bitmap> bitmaps;
  Bitmap any;  // users with a value

  void Add(uint32_t user, const std::optional<std::string>& value) {
    if (!value || value->empty()) return;
    auto [it, fresh] = codes.emplace(*value, static_cast<uint32_t>(bitmaps.size()));
    if (fresh) bitmaps.emplace_back();
    bitmaps[it->second].Add(user);
    any.Add(user);
  }
  const Bitmap* Find(const std::string& value) const {
    auto it = codes.find(value);
    return it == codes.end() ? nullptr : &bitmaps[it->second];
  }
};

// Facts per user, sorted by time within each user: rows off[u] .. off[u+1].
struct Csr {
  std::vector<uint32_t> off;
  std::vector<int64_t> at;
  std::vector<int64_t> amount;  // orders only

  // The rows of user `u` at or before `hi` and after `lo`.
  std::pair<size_t, size_t> Range(uint32_t u, int64_t lo, int64_t hi) const {
    const auto b = at.begin() + off[u];
    const auto e = at.begin() + off[u + 1];
    const auto last = std::upper_bound(b, e, hi);
    const auto first = std::upper_bound(b, last, lo);
    return {static_cast<size_t>(first - at.begin()), static_cast<size_t>(last - at.begin())};
  }
};

struct Columns {
  std::vector<int64_t> ids;  // dense index -> user id, ascending
  Dict city;
  Dict province;
  Dict gender;
  Dict source_channel;
  std::vector<int32_t> birth_ymd;          // yyyymmdd, 0 = unknown
  std::vector<int64_t> registered_micros;  // INT64_MIN = unknown
  std::vector<uint32_t> referrer;          // dense index of who invited them, kNone = none
  Csr orders;
  std::vector<int64_t> last_order;               // each user's latest order time, INT64_MIN = none
  std::unordered_map<std::string, Csr> events;   // by event type
  std::unordered_map<std::string, Bitmap> tags;  // by "name" and "group/name"

  uint32_t size() const { return static_cast<uint32_t>(ids.size()); }
};

}  // namespace shopcrm::segments::internal
