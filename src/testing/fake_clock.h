// A Clock whose time only moves when a test moves it. Thread-safe.
#pragma once

#include <atomic>

#include "core/clock.h"

namespace shopcrm::testing {

class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(
      core::Instant start = core::FromUnixMicros(1'790'000'000'000'000))  // 2026-09-21
      : now_us_(core::ToUnixMicros(start)) {}
  core::Instant Now() const override { return core::FromUnixMicros(now_us_.load()); }
  void Set(core::Instant t) { now_us_ = core::ToUnixMicros(t); }
  void Advance(std::chrono::microseconds d) { now_us_ += d.count(); }

 private:
  std::atomic<int64_t> now_us_;
};

}  // namespace shopcrm::testing
