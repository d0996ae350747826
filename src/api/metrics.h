// Prometheus metrics for the HTTP layer: request counts by method, route and
// status, and a latency histogram by method and route. Routes are patterns,
// never raw paths, so label cardinality stays bounded.
//
// Thread-safety: Observe and Render are safe from any thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace shopcrm::api {

class HttpMetrics final {
 public:
  static constexpr std::array<double, 12> kBucketsSeconds = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

  void Observe(const std::string& method, const std::string& route, int status,
               std::chrono::nanoseconds elapsed);
  // The text exposition format, version 0.0.4.
  std::string Render() const;
  uint64_t total_requests() const;

 private:
  struct Histogram {
    std::array<uint64_t, kBucketsSeconds.size()> buckets{};
    uint64_t count = 0;
    double sum_seconds = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> counts_;
  std::map<std::pair<std::string, std::string>, Histogram> latencies_;
  uint64_t total_ = 0;
};

}  // namespace shopcrm::api
