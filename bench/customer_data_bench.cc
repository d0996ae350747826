// Customer-data benchmarks against a real server on a real database file:
//
//   shopcrm_data_bench ingest  [--events N] [--batch B] [--clients C] [--users U]
//                              [--synchronous normal|full] [--db PATH]
//     NDJSON event batches over HTTP with C concurrent clients; every batch is
//     committed before its answer. Prints events/s.
//
//   shopcrm_data_bench user360 [--users U] [--events N] [--requests R] [--db PATH]
//     Fills U users and N events (through profiles::Ingest, the path the
//     importers take), then times GET /api/v1/users/{id} for random users and
//     prints p50 / p99 / max.
//
// See docs/benchmarks.md for results and the exact commands.
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "bench_server.h"

namespace shopcrm {
namespace {

using Clock = std::chrono::steady_clock;
using bench::Die;
using bench::Flags;

// A fresh SQLite file behind a server.
class Bench final {
 public:
  Bench(const std::string& path, const std::string& synchronous)
      : server_(bench::OpenFresh(path, synchronous, 8)) {}
  int port() const { return server_.port(); }
  const std::string& secret() const { return server_.secret(); }
  profiles::Ingest& ingest() { return server_.ingest(); }
  store::Database& db() { return server_.db(); }

 private:
  bench::BenchServer server_;
};

const char* const kTypes[] = {"visit", "visit", "visit", "favourite", "cart_add", "search"};

std::string EventLine(int64_t n, int64_t users, std::mt19937_64& rng) {
  const int64_t user = static_cast<int64_t>(rng() % static_cast<uint64_t>(users));
  const char* type = kTypes[rng() % 6];
  char buf[400];
  const int len = std::snprintf(
      buf, sizeof buf,
      R"({"source_id":"ev-%lld","user_external_id":"u-%lld","type":"%s","occurred_at":)"
      R"("2026-11-%02dT%02d:%02d:00Z","channel":"app","product_source_id":"sku-%llu"})"
      "\n",
      static_cast<long long>(n), static_cast<long long>(user), type, static_cast<int>(1 + n % 28),
      static_cast<int>(n % 24), static_cast<int>(n % 60),
      static_cast<unsigned long long>(rng() % 50000));
  return std::string(buf, static_cast<size_t>(len));
}

int Ingest(const Flags& f) {
  const int64_t events = f.Int("events", 1000000);
  const int64_t batch = f.Int("batch", 5000);
  const int clients = static_cast<int>(f.Int("clients", 4));
  const int64_t users = f.Int("users", 100000);
  Bench bench(f.Text("db", "/tmp/shopcrm-bench-ingest.db"), f.Text("synchronous", "normal"));

  std::vector<std::string> bodies;
  std::mt19937_64 rng(42);
  for (int64_t n = 0; n < events;) {
    std::string body;
    for (int64_t i = 0; i < batch && n < events; ++i, ++n) body += EventLine(n, users, rng);
    bodies.push_back(std::move(body));
  }
  std::atomic<size_t> next{0};
  std::atomic<int64_t> accepted{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", bench.port());
      client.set_keep_alive(true);
      client.set_read_timeout(120, 0);
      const httplib::Headers headers = {{"Authorization", "Bearer " + bench.secret()}};
      for (size_t i = next++; i < bodies.size(); i = next++) {
        auto res = client.Post("/api/v1/ingest/events?results=problems", headers, bodies[i],
                               "application/x-ndjson");
        if (!res || res->status != 200) Die("ingest request failed");
        auto j = core::ParseJson(res->body, {.max_bytes = 1 << 24, .max_depth = 8});
        if (!j.ok()) Die("bad answer");
        accepted += (*j)["accepted"].get<int64_t>();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "ingest: %lld events (%lld accepted) in %.2f s with %d clients, batch %lld, "
      "synchronous=%s: %.0f events/s\n",
      static_cast<long long>(events), static_cast<long long>(accepted.load()), seconds, clients,
      static_cast<long long>(batch), f.Text("synchronous", "normal").c_str(),
      static_cast<double>(events) / seconds);
  return accepted.load() == events ? 0 : 1;
}

int User360(const Flags& f) {
  const int64_t users = f.Int("users", 1000000);
  const int64_t events = f.Int("events", 20000000);
  const int64_t requests = f.Int("requests", 20000);
  Bench bench(f.Text("db", "/tmp/shopcrm-bench-360.db"), "normal");

  // Users first (with profiles), then events spread over them.
  const auto fill_start = Clock::now();
  std::mt19937_64 rng(7);
  for (int64_t n = 0; n < users;) {
    std::vector<profiles::Incoming<profiles::UserRecord>> batch;
    for (int64_t i = 0; i < 10000 && n < users; ++i, ++n) {
      profiles::UserRecord u;
      u.external_id = "u-" + std::to_string(n);
      u.name = "用户" + std::to_string(n);
      u.phone = "138" + std::to_string(10000000 + n);
      u.city = n % 3 == 0 ? "上海" : "杭州";
      batch.push_back({u.external_id, std::move(u)});
    }
    if (!bench.ingest().Users(batch).ok()) Die("users");
  }
  for (int64_t n = 0; n < events;) {
    std::vector<profiles::Incoming<profiles::EventRecord>> batch;
    for (int64_t i = 0; i < 10000 && n < events; ++i, ++n) {
      profiles::EventRecord e;
      e.source_id = "ev-" + std::to_string(n);
      e.user_external_id = "u-" + std::to_string(rng() % static_cast<uint64_t>(users));
      e.type = kTypes[rng() % 6];
      e.occurred_at = core::FromUnixMicros(1'700'000'000'000'000 + n * 1'000'000);
      batch.push_back({e.source_id, std::move(e)});
    }
    if (!bench.ingest().Events(batch).ok()) Die("events");
    if (n % 1000000 == 0) std::fprintf(stderr, "  %lld events\n", static_cast<long long>(n));
  }
  const double fill = std::chrono::duration<double>(Clock::now() - fill_start).count();
  std::printf("user360: filled %lld users and %lld events in %.0f s\n",
              static_cast<long long>(users), static_cast<long long>(events), fill);

  std::vector<int64_t> ids;
  auto st = bench.db().WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id FROM users"));
    for (const auto& r : rows.rows) ids.push_back(r.Int(0));
    return core::Status::Ok();
  });
  if (!st.ok() || ids.empty()) Die("ids");
  httplib::Client client("127.0.0.1", bench.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const httplib::Headers headers = {{"Authorization", "Bearer " + bench.secret()}};
  std::vector<double> micros;
  for (int64_t i = 0; i < requests; ++i) {
    const int64_t id = ids[rng() % ids.size()];
    const auto t0 = Clock::now();
    auto res = client.Get("/api/v1/users/" + std::to_string(id), headers);
    const auto t1 = Clock::now();
    if (!res || res->status != 200) Die("360 request failed");
    micros.push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
  }
  std::sort(micros.begin(), micros.end());
  auto pct = [&](double p) {
    return micros[std::min(micros.size() - 1,
                           static_cast<size_t>(p * static_cast<double>(micros.size())))];
  };
  std::printf("user360: %lld requests: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
              static_cast<long long>(requests), pct(0.50) / 1000, pct(0.99) / 1000,
              micros.back() / 1000);
  return 0;
}

}  // namespace
}  // namespace shopcrm

int main(int argc, char** argv) {
  const auto f = shopcrm::bench::Flags::Parse(argc, argv);
  if (f.mode.empty()) {
    std::cerr << "usage: shopcrm_data_bench ingest|user360 [--name value]...\n";
    return 2;
  }
  if (f.mode == "ingest") return shopcrm::Ingest(f);
  if (f.mode == "user360") return shopcrm::User360(f);
  std::cerr << "unknown mode " << f.mode << "\n";
  return 2;
}
