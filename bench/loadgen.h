// An open-loop HTTP/1.1 load generator: requests are due at a fixed rate
// whatever the server does, and each latency is measured from the moment the
// request was due, not from when a connection became free to send it — so a
// stalled server shows up as latency instead of hiding as fewer requests
// ("coordinated omission"). One thread, epoll, keep-alive connections with one
// request in flight each; requests due while every connection is busy wait
// in a queue and their wait counts. Each connection first serves one
// request (GET /healthz unless told), before the clock starts, so the run
// measures requests rather than handshakes.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace shopcrm::bench {

struct LoadSpec {
  int port = 0;  // on 127.0.0.1
  int connections = 64;
  double rate = 1000;  // requests per second
  double duration_s = 10;
  double timeout_s = 30;  // give up on stragglers this long after the last send
  // Each connection's first request, before the clock starts.
  std::string warm_up = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  // The whole request (request line, headers with Content-Length, body) for request i.
  std::function<std::string(uint64_t i)> request;
  // Called with request i's status and body, on the generator thread.
  std::function<void(uint64_t i, int status, const std::string& body)> on_response;
};

struct LoadResult {
  uint64_t due = 0;        // requests that fell due
  uint64_t completed = 0;  // answered
  uint64_t failed = 0;     // connection errors and timeouts
  std::map<int, uint64_t> statuses;
  std::map<std::string, uint64_t> failures;  // why: hangup, write, closed, timeout
  std::vector<int64_t> latencies_us;         // of completed requests, from due time to answer
  std::vector<uint64_t> answered;            // the request number of each latency, same order
  double elapsed_s = 0;                      // first due time to last answer

  double Percentile(double p) const;  // microseconds; sorts a copy
  std::string Summary() const;        // one line: rate, p50/p90/p99/p99.9/max, statuses
  // Lines of p50/p99/max latency per window of `window` requests (by due order).
  std::string Timeline(uint64_t window) const;
};

LoadResult RunOpenLoop(const LoadSpec& spec);

// CPU time (user + system, microseconds) this process's threads have used,
// summed by thread name: read before and after a run to see where it went.
std::map<std::string, int64_t> ThreadCpuMicros();

// A POST with a JSON body and the usual headers.
std::string JsonPost(const std::string& path, const std::string& bearer, const std::string& body,
                     const std::string& extra_headers = "");

}  // namespace shopcrm::bench
