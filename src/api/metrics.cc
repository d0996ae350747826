#include "api/metrics.h"

#include <cstdio>

namespace shopcrm::api {
namespace {

// Label values escape backslash, quote and newline.
std::string Escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

}  // namespace

void HttpMetrics::Observe(const std::string& method, const std::string& route, int status,
                          std::chrono::nanoseconds elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::lock_guard lock(mu_);
  ++counts_[{method, route, status}];
  auto& h = latencies_[{method, route}];
  for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
    if (seconds <= kBucketsSeconds[i]) ++h.buckets[i];
  }
  ++h.count;
  h.sum_seconds += seconds;
  ++total_;
}

uint64_t HttpMetrics::total_requests() const {
  std::lock_guard lock(mu_);
  return total_;
}

std::string HttpMetrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  out += "# HELP shopcrm_http_requests_total HTTP requests served, by method, route and status.\n";
  out += "# TYPE shopcrm_http_requests_total counter\n";
  for (const auto& [key, n] : counts_) {
    const auto& [method, route, status] = key;
    out += "shopcrm_http_requests_total{method=\"" + Escape(method) + "\",route=\"" +
           Escape(route) + "\",status=\"" + std::to_string(status) + "\"} " + std::to_string(n) +
           "\n";
  }
  out +=
      "# HELP shopcrm_http_request_duration_seconds Time from request parsed to response ready.\n";
  out += "# TYPE shopcrm_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latencies_) {
    const std::string labels =
        "method=\"" + Escape(key.first) + "\",route=\"" + Escape(key.second) + "\"";
    for (size_t i = 0; i < kBucketsSeconds.size(); ++i) {
      out += "shopcrm_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
             Number(kBucketsSeconds[i]) + "\"} " + std::to_string(h.buckets[i]) + "\n";
    }
    out += "shopcrm_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
           std::to_string(h.count) + "\n";
    out +=
        "shopcrm_http_request_duration_seconds_sum{" + labels + "} " + Number(h.sum_seconds) + "\n";
    out += "shopcrm_http_request_duration_seconds_count{" + labels + "} " +
           std::to_string(h.count) + "\n";
  }
  return out;
}

}  // namespace shopcrm::api
