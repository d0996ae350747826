#include "loadgen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace shopcrm::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Conn {
  int fd = -1;
  bool busy = false;
  uint64_t request = 0;
  Clock::time_point due;
  std::string out;
  size_t out_pos = 0;
  std::string in;
};

// A complete response at the front of `in`: its status, body and length, or 0.
size_t ParseResponse(const std::string& in, int& status, std::string& body) {
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string::npos) return 0;
  if (in.size() < 12) return 0;
  status = std::atoi(in.c_str() + 9);
  size_t length = 0;
  std::string head = in.substr(0, head_end);
  std::transform(head.begin(), head.end(), head.begin(), [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  });
  const size_t cl = head.find("content-length:");
  if (cl != std::string::npos) length = std::strtoul(head.c_str() + cl + 15, nullptr, 10);
  const size_t total = head_end + 4 + length;
  if (in.size() < total) return 0;
  body.assign(in, head_end + 4, length);
  return total;
}

// One GET /healthz round trip on a fresh blocking socket: the server has
// accepted the connection and serves it before the clock starts.
void WarmUp(int fd, const std::string& req) {
  if (write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size()))
    throw std::runtime_error("warm-up write");
  std::string in;
  int status = 0;
  std::string body;
  char buf[4096];
  while (ParseResponse(in, status, body) == 0) {
    const ssize_t got = read(fd, buf, sizeof buf);
    if (got <= 0) throw std::runtime_error("warm-up read");
    in.append(buf, static_cast<size_t>(got));
  }
}

// A connected socket, then made non-blocking (connecting in the background
// would count a slow handshake against the first request). A warmed socket
// has served one request first.
int Connect(int port, const std::string* warm_up) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
    close(fd);
    throw std::runtime_error("connect");
  }
  if (warm_up != nullptr) WarmUp(fd, *warm_up);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

double LoadResult::Percentile(double p) const {
  if (latencies_us.empty()) return 0;
  std::vector<int64_t> v = latencies_us;
  const size_t k =
      std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return static_cast<double>(v[k]);
}

std::string LoadResult::Summary() const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  const double rate = elapsed_s > 0 ? static_cast<double>(completed) / elapsed_s : 0;
  s << "due " << due << ", answered " << completed << " (" << rate << "/s), failed " << failed
    << "; latency ms p50 " << Percentile(50) / 1000 << ", p90 " << Percentile(90) / 1000 << ", p99 "
    << Percentile(99) / 1000 << ", p99.9 " << Percentile(99.9) / 1000 << ", max "
    << Percentile(100) / 1000 << "; statuses";
  for (const auto& [code, n] : statuses) s << " " << code << ":" << n;
  for (const auto& [why, n] : failures) s << "; failed " << why << ":" << n;
  return s.str();
}

std::string LoadResult::Timeline(uint64_t window) const {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(2);
  std::vector<std::pair<uint64_t, int64_t>> by_request;  // request number, latency
  for (size_t k = 0; k < answered.size(); ++k)
    by_request.emplace_back(answered[k], latencies_us[k]);
  std::sort(by_request.begin(), by_request.end());
  std::vector<int64_t> v;
  auto flush = [&](uint64_t first) {
    if (v.empty()) return;
    std::sort(v.begin(), v.end());
    s << "requests " << first << "+: p50 " << static_cast<double>(v[v.size() / 2]) / 1000
      << " ms, p99 " << static_cast<double>(v[v.size() * 99 / 100]) / 1000 << " ms, max "
      << static_cast<double>(v.back()) / 1000 << " ms\n";
    v.clear();
  };
  uint64_t first = 0;
  for (const auto& [i, us] : by_request) {
    if (i >= first + window) {
      flush(first);
      first = i / window * window;
    }
    v.push_back(us);
  }
  flush(first);
  return s.str();
}

std::map<std::string, int64_t> ThreadCpuMicros() {
  std::map<std::string, int64_t> out;
  const double micros_per_tick = 1e6 / static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;  // the thread has ended
    // pid (name) state … : the name may hold spaces, so fields count from its ')'.
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    int64_t utime = 0, stime = 0;
    for (int k = 3; k <= 15 && fields >> field; ++k) {
      if (k == 14) utime = std::stoll(field);
      if (k == 15) stime = std::stoll(field);
    }
    out[line.substr(open + 1, close - open - 1)] +=
        static_cast<int64_t>(static_cast<double>(utime + stime) * micros_per_tick);
  }
  return out;
}

std::string JsonPost(const std::string& path, const std::string& bearer, const std::string& body,
                     const std::string& extra_headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + bearer +
         "\r\nContent-Type: application/json\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

LoadResult RunOpenLoop(const LoadSpec& spec) {
  LoadResult result;
  const int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(spec.connections));
  // Every connection is warmed before the clock starts; one replaced during
  // the run is not (its first request pays for the handshake).
  auto open = [&](size_t k, bool warm) {
    conns[k] = Conn{};
    conns[k].fd = Connect(spec.port, warm ? &spec.warm_up : nullptr);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = k;
    epoll_ctl(ep, EPOLL_CTL_ADD, conns[k].fd, &ev);
  };
  for (size_t k = 0; k < conns.size(); ++k) open(k, true);

  const auto interval = std::chrono::duration<double>(1.0 / spec.rate);
  const uint64_t total = static_cast<uint64_t>(spec.rate * spec.duration_s);
  std::deque<std::pair<uint64_t, Clock::time_point>> backlog;
  std::vector<size_t> idle;
  for (size_t k = 0; k < conns.size(); ++k) idle.push_back(k);
  const auto start = Clock::now() + std::chrono::milliseconds(20);
  auto due_at = [&](uint64_t i) {
    return start + std::chrono::duration_cast<Clock::duration>(interval * static_cast<double>(i));
  };
  uint64_t next = 0;
  Clock::time_point last_answer = start;
  uint64_t in_flight = 0;

  // Writes what it can; asks for EPOLLOUT only while a request is half sent
  // (also before a fresh connection completes), so idle waits do not spin.
  auto flush = [&](size_t k) {
    Conn& c = conns[k];
    while (c.out_pos < c.out.size()) {
      ssize_t n = write(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos);
      if (n < 0) {
        if (errno != EAGAIN && errno != ENOTCONN) return false;
        break;
      }
      c.out_pos += static_cast<size_t>(n);
    }
    epoll_event ev{};
    ev.events = EPOLLIN | (c.out_pos < c.out.size() ? EPOLLOUT : 0u);
    ev.data.u64 = k;
    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
    return true;
  };
  // Replaces connection k; a request it carried counts as failed. An idle
  // connection is in `idle` already.
  auto fail = [&](size_t k, const char* why) {
    const bool was_busy = conns[k].busy;
    if (was_busy) {
      ++result.failed;
      ++result.failures[why];
      --in_flight;
    }
    epoll_ctl(ep, EPOLL_CTL_DEL, conns[k].fd, nullptr);
    close(conns[k].fd);
    open(k, false);
    if (was_busy) idle.push_back(k);
  };

  std::vector<epoll_event> events(conns.size());
  for (;;) {
    const auto now = Clock::now();
    while (next < total && due_at(next) <= now) {
      backlog.emplace_back(next, due_at(next));
      ++next;
    }
    while (!backlog.empty() && !idle.empty()) {
      const size_t k = idle.back();
      idle.pop_back();
      Conn& c = conns[k];
      c.busy = true;
      c.request = backlog.front().first;
      c.due = backlog.front().second;
      backlog.pop_front();
      c.out = spec.request(c.request);
      c.out_pos = 0;
      c.in.clear();
      ++in_flight;
      if (!flush(k)) fail(k, "write");
    }
    if (next >= total && backlog.empty() && in_flight == 0) break;
    if (next >= total && now > due_at(total) + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(spec.timeout_s))) {
      result.failed += in_flight + backlog.size();
      result.failures["timeout"] += in_flight + backlog.size();
      break;
    }
    // Sleep until the next request falls due (or 1 ms when none can be sent).
    int64_t wait_us = 1000;
    if (next < total && !idle.empty()) {
      wait_us = std::clamp<int64_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(due_at(next) - Clock::now())
              .count(),
          0, 1000);
    }
    timespec timeout{0, static_cast<long>(wait_us * 1000)};
    const int n =
        epoll_pwait2(ep, events.data(), static_cast<int>(events.size()), &timeout, nullptr);
    for (int e = 0; e < n; ++e) {
      const size_t k = events[static_cast<size_t>(e)].data.u64;
      Conn& c = conns[k];
      if (events[static_cast<size_t>(e)].events & (EPOLLERR | EPOLLHUP)) {
        fail(k, "hangup");
        continue;
      }
      if ((events[static_cast<size_t>(e)].events & EPOLLOUT) && c.busy &&
          c.out_pos < c.out.size()) {
        if (!flush(k)) {
          fail(k, "write");
          continue;
        }
      }
      if (!(events[static_cast<size_t>(e)].events & EPOLLIN)) continue;
      char buf[16384];
      bool closed = false;
      for (;;) {
        ssize_t got = read(c.fd, buf, sizeof buf);
        if (got > 0) {
          c.in.append(buf, static_cast<size_t>(got));
          continue;
        }
        if (got == 0) closed = true;
        break;
      }
      int status = 0;
      std::string body;
      const size_t used = c.busy ? ParseResponse(c.in, status, body) : 0;
      if (used > 0) {
        const auto t = Clock::now();
        result.latencies_us.push_back(
            std::chrono::duration_cast<std::chrono::microseconds>(t - c.due).count());
        result.answered.push_back(c.request);
        ++result.completed;
        ++result.statuses[status];
        last_answer = t;
        if (spec.on_response) spec.on_response(c.request, status, body);
        c.in.erase(0, used);
        c.busy = false;
        --in_flight;
        idle.push_back(k);
        if (closed) fail(k, "closed");  // not busy: just reopens
      } else if (closed) {
        fail(k, "closed");
      }
    }
  }
  result.due = next;
  result.elapsed_s = std::chrono::duration<double>(last_answer - start).count();
  for (auto& c : conns) close(c.fd);
  close(ep);
  return result;
}

}  // namespace shopcrm::bench
