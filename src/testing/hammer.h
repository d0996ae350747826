// Runs a call on many threads at once and counts the outcomes: how the
// concurrency tests prove that limits hold exactly.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"

namespace shopcrm::testing {

// Runs `fn(i)` for i in [0, n) on `threads` threads; the number of outcomes
// by error reason ("ok" for a success).
template <typename T>
std::map<std::string, int> Hammer(int threads, int n,
                                  const std::function<core::Result<T>(int)>& fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::map<std::string, int> outcomes;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        auto r = fn(i);
        std::lock_guard lock(mu);
        ++outcomes[r.ok() ? "ok" : r.error().reason()];
      }
    });
  }
  for (auto& th : pool) th.join();
  return outcomes;
}

}  // namespace shopcrm::testing
