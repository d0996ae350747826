// 64-bit time-ordered ids, generated in the application so SQL stays portable.
//
// Layout (most significant first): 1 sign bit (0) | 41 bits milliseconds since
// 2024-01-01T00:00:00Z (good until 2093) | 10 bits node | 12 bits sequence.
// Ids from one generator strictly increase; ids from generators with distinct
// node numbers never collide. Each `shopcrm serve` picks its node from config
// (`server.node_id`) or at random; unique keys in SQL catch the rare clash.
//
// Thread-safety: IdGenerator::Next is safe from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"

namespace shopcrm::core {

class IdGenerator final {
 public:
  static constexpr int kNodeBits = 10;
  static constexpr int kSequenceBits = 12;
  static constexpr uint32_t kMaxNode = (1U << kNodeBits) - 1;

  // `clock` must outlive the generator. `node` must be <= kMaxNode.
  IdGenerator(const Clock& clock, uint32_t node);

  int64_t Next();
  uint32_t node() const { return node_; }

  // The creation instant encoded in an id (millisecond precision).
  static Instant TimeOf(int64_t id);

 private:
  const Clock& clock_;
  const uint32_t node_;
  std::mutex mu_;
  int64_t last_ms_ = -1;
  uint32_t sequence_ = 0;
};

// Ids travel in JSON as decimal strings (JavaScript numbers lose precision
// past 2^53). Returns nullopt unless `text` is a positive decimal int64.
std::optional<int64_t> ParseId(std::string_view text);

}  // namespace shopcrm::core
