#include "core/id.h"

#include <charconv>
#include <thread>

namespace shopcrm::core {
namespace {
// 2024-01-01T00:00:00Z in Unix milliseconds.
constexpr int64_t kEpochMs = 1704067200000;
}  // namespace

IdGenerator::IdGenerator(const Clock& clock, uint32_t node)
    : clock_(clock), node_(node & kMaxNode) {}

int64_t IdGenerator::Next() {
  std::lock_guard lock(mu_);
  int64_t ms = ToUnixMicros(clock_.Now()) / 1000 - kEpochMs;
  if (ms < last_ms_) ms = last_ms_;  // the clock stepped back: stay monotonic
  if (ms == last_ms_) {
    if (++sequence_ > (1U << kSequenceBits) - 1) {
      // 4096 ids in one millisecond: borrow the next millisecond.
      ++ms;
      sequence_ = 0;
    }
  } else {
    sequence_ = 0;
  }
  last_ms_ = ms;
  return (ms << (kNodeBits + kSequenceBits)) | (int64_t{node_} << kSequenceBits) | sequence_;
}

Instant IdGenerator::TimeOf(int64_t id) {
  const int64_t ms = (id >> (kNodeBits + kSequenceBits)) + kEpochMs;
  return FromUnixMicros(ms * 1000);
}

std::optional<int64_t> ParseId(std::string_view text) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc() || p != end || v <= 0 || text[0] == '+') {
    return std::nullopt;
  }
  return v;
}

}  // namespace shopcrm::core
