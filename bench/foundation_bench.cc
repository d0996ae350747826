// Foundation benchmarks: the per-request costs every later feature pays.
//   make bench    (or build/default/bench/shopcrm_bench --benchmark_filter=…)
// Results and the machine they were taken on: docs/benchmarks.md.
#include <benchmark/benchmark.h>
#include <httplib.h>

#include <thread>

#include "core/clock.h"
#include "core/id.h"
#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "testing/test_database.h"
#include "testing/test_server.h"

namespace shopcrm {
namespace {

void BM_IdGeneratorNext(benchmark::State& state) {
  core::SystemClock clock;
  core::IdGenerator ids(clock, 1);
  for (auto _ : state) benchmark::DoNotOptimize(ids.Next());
}
BENCHMARK(BM_IdGeneratorNext);

void BM_ParseJsonRequestBody(benchmark::State& state) {
  const std::string body = R"({"name":"mall-prod","role":"integration"})";
  for (auto _ : state) {
    auto j = core::ParseJson(body);
    core::JsonObjectReader r(*j);
    benchmark::DoNotOptimize(r.RequiredString("name"));
    benchmark::DoNotOptimize(r.RequiredString("role"));
    benchmark::DoNotOptimize(r.Finish());
  }
}
BENCHMARK(BM_ParseJsonRequestBody);

void BM_AllocateDiscountAcrossItems(benchmark::State& state) {
  std::vector<int64_t> prices(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < prices.size(); ++i) prices[i] = 1999 + static_cast<int64_t>(i) * 137;
  for (auto _ : state) benchmark::DoNotOptimize(core::AllocateProportionally(1500, prices));
}
BENCHMARK(BM_AllocateDiscountAcrossItems)->Arg(3)->Arg(50);

// One small write transaction (insert + audit-sized row) on SQLite, WAL, synchronous=normal.
void BM_SqliteWriteTransaction(benchmark::State& state) {
  auto t = testing::TestDatabase::Create(testing::TestBackend::kSqlite);
  (void)t->db().Transact(store::TxMode::kWrite, [](store::Session& s) {
    return s.ExecuteScript("CREATE TABLE b (id BIGINT PRIMARY KEY, v TEXT NOT NULL)");
  });
  int64_t id = 0;
  for (auto _ : state) {
    auto st = t->db().Transact(store::TxMode::kWrite, [&](store::Session& s) {
      return s.Execute("INSERT INTO b (id, v) VALUES (?, ?)", {++id, "payload"}).status();
    });
    if (!st.ok()) state.SkipWithError(st.error().ToString().c_str());
  }
}
BENCHMARK(BM_SqliteWriteTransaction);

void BM_HttpHealthz(benchmark::State& state) {
  testing::TestServer server(testing::TestBackend::kSqlite);
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  for (auto _ : state) {
    auto res = client.Get("/healthz");
    if (!res || res->status != 200) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_HttpHealthz)->UseRealTime();

// Authenticated read: API key hash lookup in SQL plus JSON response.
void BM_HttpAuthenticatedRead(benchmark::State& state) {
  testing::TestServer server(testing::TestBackend::kSqlite);
  httplib::Client client("127.0.0.1", server.port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  const httplib::Headers headers = {{"Authorization", "Bearer " + server.vars().at("analyst_key")}};
  for (auto _ : state) {
    auto res = client.Get("/api/v1/auth/me", headers);
    if (!res || res->status != 200) state.SkipWithError("request failed");
  }
}
BENCHMARK(BM_HttpAuthenticatedRead)->UseRealTime();

}  // namespace
}  // namespace shopcrm

int main(int argc, char** argv) {
  // The access log would dominate the HTTP numbers; benchmarks measure the work.
  shopcrm::core::log::Init(shopcrm::core::log::Level::kWarn, shopcrm::core::log::Format::kJson);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
