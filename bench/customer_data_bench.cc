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

#include "api/server.h"
#include "audit/audit_log.h"
#include "core/id.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "profiles/directory.h"
#include "profiles/import_runs.h"
#include "profiles/ingest.h"
#include "profiles/tags.h"
#include "store/migrator.h"

namespace shopcrm {
namespace {

using Clock = std::chrono::steady_clock;

struct Flags {
  std::string mode;
  std::map<std::string, std::string> values;
  int64_t Int(const std::string& name, int64_t def) const {
    auto it = values.find(name);
    return it == values.end() ? def : std::stoll(it->second);
  }
  std::string Text(const std::string& name, std::string def) const {
    auto it = values.find(name);
    return it == values.end() ? def : it->second;
  }
};

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "bench: " << what << "\n";
  std::exit(1);
}

std::unique_ptr<store::Database> OpenFresh(const std::string& path,
                                           const std::string& synchronous) {
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  store::DatabaseOptions o;
  o.url = "sqlite:" + path;
  o.sqlite_synchronous = synchronous;
  auto db = store::Database::Open(o);
  if (!db.ok()) Die(db.error().ToString());
  return std::move(db).value();
}

// A database, the services and a listening server.
class Bench final {
 public:
  Bench(const std::string& path, const std::string& synchronous)
      : db_(OpenFresh(path, synchronous)) {
    auto migrations = store::LoadMigrations(store::BuiltinMigrations(), db_->backend());
    if (!migrations.ok() || !store::Migrate(*db_, *migrations, clock_).ok()) Die("migrate");
    auto key = keys_.Create("bench", identity::Role::kAdmin, {"cli", "", "bench", ""});
    if (!key.ok()) Die(key.error().ToString());
    secret_ = key->secret;
    api::ServerOptions options;
    options.port = 0;
    options.threads = 8;
    options.max_body_bytes = 16 << 20;
    server_ = std::make_unique<api::ApiServer>(
        options,
        api::Services{*db_, clock_, audit_, keys_, users_, metrics_, "Asia/Shanghai", clock_.Now(),
                      ingest_, directory_, tags_, imports_, segments_, segment_store_, facts_,
                      lifecycle_, coupon_templates_, coupons_, core::Currency::Cny()});
    if (!server_->Bind().ok()) Die("bind");
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~Bench() {
    server_->Stop();
    thread_.join();
  }

  int port() const { return server_->port(); }
  const std::string& secret() const { return secret_; }
  profiles::Ingest& ingest() { return ingest_; }
  store::Database& db() { return *db_; }

 private:
  core::SystemClock clock_;
  core::IdGenerator ids_{clock_, 7};
  std::unique_ptr<store::Database> db_;
  audit::AuditLog audit_{clock_, ids_};
  api::HttpMetrics metrics_;
  identity::ApiKeys keys_{*db_, clock_, ids_, audit_};
  identity::ConsoleUsers users_{*db_, clock_, ids_, audit_, {}};
  profiles::Ingest ingest_{*db_, clock_, ids_};
  profiles::Directory directory_{*db_, clock_, audit_, "Asia/Shanghai"};
  profiles::Tags tags_{*db_, clock_, ids_, audit_};
  profiles::ImportRuns imports_{*db_, clock_, ids_};
  segments::Segments segments_{*db_, clock_, *core::BusinessTimeZone::Load("Asia/Shanghai"), {}};
  segments::SegmentStore segment_store_{*db_, clock_, ids_, audit_};
  profiles::Facts facts_{*db_};
  segments::LifecycleRecorder lifecycle_{*db_, ids_};
  marketing::Templates coupon_templates_{*db_, clock_, ids_, audit_};
  marketing::Coupons coupons_{
      *db_, clock_, ids_, *core::BusinessTimeZone::Load("Asia/Shanghai"), {}};
  std::unique_ptr<api::ApiServer> server_;
  std::thread thread_;
  std::string secret_;
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
  shopcrm::Flags f;
  if (argc < 2) {
    std::cerr << "usage: shopcrm_data_bench ingest|user360 [--name value]...\n";
    return 2;
  }
  f.mode = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string name = argv[i];
    if (!name.starts_with("--")) return 2;
    f.values[name.substr(2)] = argv[i + 1];
  }
  if (f.mode == "ingest") return shopcrm::Ingest(f);
  if (f.mode == "user360") return shopcrm::User360(f);
  std::cerr << "unknown mode " << f.mode << "\n";
  return 2;
}
