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
//   shopcrm_data_bench segment-updates [--users U] [--buyers B] [--orders-per-round C]
//                                      [--rounds R] [--db PATH]
//     Fills U users, B of them with two orders, builds the segment index in
//     full, then R times: ingests C orders for random users and times
//     Segments::Update() and a count, checking the count against the users
//     known to have ordered. Prints the full build's and each update's time.
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
#include "segments/catalog.h"
#include "segments/segments.h"

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
  const core::Clock& clock() const { return server_.clock(); }

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

profiles::Incoming<profiles::OrderRecord> OrderFor(int64_t user, int64_t n, core::Instant at) {
  profiles::OrderRecord o;
  o.source_id = "o-" + std::to_string(n);
  o.user_external_id = "u-" + std::to_string(user);
  o.currency = "CNY";
  o.goods_minor = 10000 + n % 50000;
  o.paid_minor = o.goods_minor;
  o.status = "paid";
  o.placed_at = at;
  return {o.source_id, std::move(o)};
}

int SegmentUpdates(const Flags& f) {
  const int64_t users = f.Int("users", 1000000);
  const int64_t buyers = f.Int("buyers", users / 2);
  const int64_t per_round = f.Int("orders-per-round", 100);
  const int64_t rounds = f.Int("rounds", 30);
  Bench bench(f.Text("db", "/tmp/shopcrm-bench-segments.db"), "normal");
  const core::Instant now = bench.clock().Now();

  const auto fill_start = Clock::now();
  for (int64_t n = 0; n < users;) {
    std::vector<profiles::Incoming<profiles::UserRecord>> batch;
    for (int64_t i = 0; i < 10000 && n < users; ++i, ++n) {
      profiles::UserRecord u;
      u.external_id = "u-" + std::to_string(n);
      u.city = n % 3 == 0 ? "上海" : "杭州";
      batch.push_back({u.external_id, std::move(u)});
    }
    if (!bench.ingest().Users(batch).ok()) Die("users");
  }
  int64_t order = 0;
  std::vector<bool> bought(static_cast<size_t>(users), false);
  for (int64_t n = 0; n < buyers;) {
    std::vector<profiles::Incoming<profiles::OrderRecord>> batch;
    for (int64_t i = 0; i < 5000 && n < buyers; ++i, ++n) {
      for (int k = 1; k <= 2; ++k) {
        batch.push_back(OrderFor(n, order++, now - std::chrono::hours(24 * (k * 40 + n % 30))));
      }
      bought[static_cast<size_t>(n)] = true;
    }
    if (!bench.ingest().Orders(batch).ok()) Die("orders");
  }
  std::printf("segment-updates: filled %lld users, %lld with orders, in %.0f s\n",
              static_cast<long long>(users), static_cast<long long>(buyers),
              std::chrono::duration<double>(Clock::now() - fill_start).count());

  segments::SegmentsOptions o;
  o.straggler_window = std::chrono::seconds(0);  // one writer: nothing commits late
  o.update_max_users = static_cast<size_t>(per_round * rounds) + 1;
  auto tz = core::BusinessTimeZone::Load("Asia/Shanghai");
  if (!tz.ok()) Die("time zone");
  segments::Segments segs(bench.db(), bench.clock(), *tz, o);
  if (!segs.Rebuild().ok()) Die("full build");
  std::printf("segment-updates: full build of %u users in %.2f s, %zu bytes\n", segs.Info().users,
              segs.Info().build_seconds, segs.Info().memory_bytes);
  auto filter = segments::ParseFilter("orders >= 1", segments::Features());
  if (!filter.ok()) Die("filter");

  std::mt19937_64 rng(11);
  std::vector<double> update_ms;
  for (int64_t r = 1; r <= rounds; ++r) {
    std::vector<profiles::Incoming<profiles::OrderRecord>> batch;
    for (int64_t i = 0; i < per_round; ++i) {
      const int64_t user = static_cast<int64_t>(rng() % static_cast<uint64_t>(users));
      bought[static_cast<size_t>(user)] = true;
      batch.push_back(OrderFor(user, order++, now - std::chrono::minutes(5)));
    }
    if (!bench.ingest().Orders(batch).ok()) Die("orders");
    const auto t0 = Clock::now();
    if (!segs.Update().ok()) Die("update");
    const auto t1 = Clock::now();
    auto count = segs.Count(*filter, std::nullopt);
    const auto t2 = Clock::now();
    if (!count.ok()) Die("count");
    const auto want = static_cast<uint64_t>(std::count(bought.begin(), bought.end(), true));
    if (count->count != want)
      Die("count " + std::to_string(count->count) + ", want " + std::to_string(want));
    if (segs.Info().updates != static_cast<uint64_t>(r)) Die("built in full instead of updating");
    update_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    if (r == 1 || r % 10 == 0 || r == rounds) {
      std::printf("segment-updates: round %lld, %u changed users: update %.1f ms, count %.2f ms\n",
                  static_cast<long long>(r), segs.Info().changed_users, update_ms.back(),
                  std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
  }
  std::sort(update_ms.begin(), update_ms.end());
  std::printf("segment-updates: %lld updates: p50 %.1f ms, max %.1f ms\n",
              static_cast<long long>(rounds), update_ms[update_ms.size() / 2], update_ms.back());
  return 0;
}

}  // namespace
}  // namespace shopcrm

int main(int argc, char** argv) {
  const auto f = shopcrm::bench::Flags::Parse(argc, argv);
  if (f.mode.empty()) {
    std::cerr << "usage: shopcrm_data_bench ingest|user360|segment-updates [--name value]...\n";
    return 2;
  }
  if (f.mode == "ingest") return shopcrm::Ingest(f);
  if (f.mode == "user360") return shopcrm::User360(f);
  if (f.mode == "segment-updates") return shopcrm::SegmentUpdates(f);
  std::cerr << "unknown mode " << f.mode << "\n";
  return 2;
}
