// Membership benchmarks: the ledgers over HTTP with the open-loop load
// generator (loadgen.h) on the same two cores, and a recycling run.
//
//   shopcrm_membership_bench ledger [--db PATH|postgres] [--synchronous full|normal]
//       [--members 10000] [--rate 10000] [--duration 10] [--connections 32] [--group-commit 1]
//     A mix of points earn, points spend and stored-value pay (a third each)
//     for random members, every change with its own idempotency key. Prints
//     the answered rate and latency, then checks that every balance equals
//     the sum of its ledger.
//
//   shopcrm_membership_bench recycle [--db PATH|postgres] [--members 1000000]
//     Members with random growth under a five-level scheme keeping 50 % a
//     month; times one recycling run over all of them.
//
//   shopcrm_membership_bench benefits [--db PATH|postgres] [--members 1000000]
//     The same members; levels 3 to 5 have a monthly member coupon. Times the
//     month's benefit run (one coupon each, through the coupon engine), then
//     checks that every such member has exactly one.
//
// See docs/benchmarks.md for results and the exact commands.
#include <chrono>
#include <iostream>
#include <random>

#include "bench_server.h"
#include "core/log.h"
#include "loadgen.h"

namespace shopcrm {
namespace {

using bench::Die;
using bench::Flags;

int Ledger(const Flags& f) {
  const int64_t members = f.Int("members", 10000);
  const int connections = static_cast<int>(f.Int("connections", 32));
  bench::BenchServerOptions o;
  o.threads = connections + 4;
  o.member_group_commit = f.Int("group-commit", 1) != 0;
  bench::BenchServer server(bench::OpenFresh(bench::Target(f, "/tmp/shopcrm-bench-members.db"),
                                             f.Text("synchronous", "full"), connections + 8),
                            o);
  bench::AddUsers(server.db(), members);
  // Every member starts with points and a balance to spend.
  for (int64_t u = 1; u <= members; ++u) {
    if (!server.points().Earn({u, 1'000'000, "bench", "", "", 0}).ok()) Die("earn");
    if (!server.stored_value()
             .Recharge({u, std::nullopt, 100'000'000, "bench-" + std::to_string(u)})
             .ok()) {
      Die("recharge");
    }
  }
  std::mt19937_64 rng(7);
  std::vector<int64_t> who(1 << 20);
  for (auto& w : who) w = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(members));
  bench::LoadSpec load;
  load.port = server.port();
  load.connections = connections;
  load.rate = f.Double("rate", 10000);
  load.duration_s = f.Double("duration", 10);
  const std::string secret = server.secret();
  load.request = [&](uint64_t i) {
    const std::string user = std::to_string(who[i % who.size()]);
    const std::string key = "Idempotency-Key: op-" + std::to_string(i) + "\r\n";
    switch (i % 3) {
      case 0:
        return bench::JsonPost(
            "/api/v1/members/" + user + "/points/earn", secret,
            R"({"amount": 5, "source_ref": "order-)" + std::to_string(i) + R"("})", key);
      case 1:
        return bench::JsonPost("/api/v1/members/" + user + "/points/spend", secret,
                               R"({"amount": 1})", key);
      default:
        return bench::JsonPost(
            "/api/v1/members/" + user + "/stored-value/pay", secret,
            R"({"amount": "1.00", "order_id": "order-)" + std::to_string(i) + R"("})", key);
    }
  };
  const auto r = bench::RunOpenLoop(load);
  std::cout << "ledger (" << (o.member_group_commit ? "group commit" : "a transaction each") << ", "
            << store::BackendName(server.db().backend()) << "): " << r.Summary() << "\n";
  const int64_t points_off = bench::CountOf(
      server.db(),
      "SELECT COUNT(*) FROM points_accounts a WHERE available <> (SELECT "
      "CAST(COALESCE(SUM(available_change), 0) AS BIGINT) FROM points_entries e WHERE e.user_id "
      "= a.user_id)");
  const int64_t value_off = bench::CountOf(
      server.db(),
      "SELECT COUNT(*) FROM stored_value_accounts a WHERE principal + bonus <> (SELECT "
      "CAST(COALESCE(SUM(principal_change + bonus_change), 0) AS BIGINT) FROM "
      "stored_value_entries e WHERE e.user_id = a.user_id)");
  std::cout << "check: accounts whose balance differs from their ledger: points " << points_off
            << ", stored value " << value_off << "\n";
  return points_off == 0 && value_off == 0 ? 0 : 1;
}

membership::LevelSchemeSpec FiveLevels() {
  membership::LevelSchemeSpec s;
  int64_t threshold = 0;
  for (int i = 1; i <= 5; ++i) {
    membership::LevelDef d;
    d.level = i;
    d.name = "L" + std::to_string(i);
    d.threshold = threshold;
    threshold = threshold == 0 ? 100 : threshold * 4;
    s.levels.push_back(d);
  }
  s.recycle_period = "month";
  s.keep_percent = 50;
  return s;
}

// `members` users with random growth and the level it gives under FiveLevels().
void AddMembers(bench::BenchServer& server, int64_t members) {
  bench::AddUsers(server.db(), members);
  std::mt19937_64 rng(11);
  bench::InsertRows(
      server.db(), members,
      "INSERT INTO member_levels (user_id, level, growth, level_since, updated_at) VALUES ",
      [&](int64_t j) {
        const int64_t growth = static_cast<int64_t>(rng() % 20000);
        const int level = growth >= 6400   ? 5
                          : growth >= 1600 ? 4
                          : growth >= 400  ? 3
                          : growth >= 100  ? 2
                                           : 1;
        return "(" + std::to_string(j) + "," + std::to_string(level) + "," +
               std::to_string(growth) + ",0,0)";
      });
}

int Recycle(const Flags& f) {
  const int64_t members = f.Int("members", 1'000'000);
  bench::BenchServer server(bench::OpenFresh(bench::Target(f, "/tmp/shopcrm-bench-recycle.db"),
                                             f.Text("synchronous", "full"), 8));
  AddMembers(server, members);
  if (!server.levels().SetScheme(FiveLevels(), {"cli", "", "bench", ""}).ok()) Die("scheme");
  const auto start = std::chrono::steady_clock::now();
  auto report = server.levels().Recycle(*core::ParseRfc3339("2026-12-01T00:00:00+08:00"));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report.ok()) Die(report.error().ToString());
  std::cout << "recycle (" << store::BackendName(server.db().backend()) << "): " << report->members
            << " members, " << report->changed << " level changes, in " << s
            << " s = " << static_cast<double>(report->members) / s << " members/s\n";
  const int64_t off = bench::CountOf(
      server.db(), "SELECT COUNT(*) FROM member_levels WHERE updated_at = 0 AND growth > 0");
  std::cout << "check: members with growth left unrecycled: " << off << "\n";
  return off == 0 && report->members == members ? 0 : 1;
}

int Benefits(const Flags& f) {
  const int64_t members = f.Int("members", 1'000'000);
  bench::BenchServer server(bench::OpenFresh(bench::Target(f, "/tmp/shopcrm-bench-benefits.db"),
                                             f.Text("synchronous", "full"), 8));
  AddMembers(server, members);
  const audit::Actor actor{"cli", "", "bench", ""};
  marketing::TemplateSpec coupon;
  coupon.name = "会员月券";
  coupon.terms.kind = marketing::CouponKind::kRedPacket;
  coupon.terms.discount = 800;
  coupon.validity.use_days = 30;
  auto tmpl = server.templates().Create(coupon, actor);
  if (!tmpl.ok()) Die(tmpl.error().ToString());
  auto scheme = FiveLevels();
  for (auto& l : scheme.levels) {
    if (l.level >= 3) l.benefits.monthly_coupon_template_id = tmpl->id;
  }
  if (!server.levels().SetScheme(scheme, actor).ok()) Die("scheme");
  const int64_t entitled =
      bench::CountOf(server.db(), "SELECT COUNT(*) FROM member_levels WHERE level >= 3");
  const auto start = std::chrono::steady_clock::now();
  auto run = server.benefit_grants().RunMonthly(*core::ParseRfc3339("2026-12-01T09:00:00+08:00"));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!run.ok()) Die(run.error().ToString());
  std::cout << "benefits (" << store::BackendName(server.db().backend()) << "): " << run->members
            << " members, " << run->granted << " coupons, " << run->refused << " refused, in " << s
            << " s = " << static_cast<double>(run->members) / s << " members/s, "
            << static_cast<double>(run->granted) / s << " coupons/s\n";
  const int64_t coupons = bench::CountOf(
      server.db(), "SELECT COUNT(DISTINCT user_id) FROM coupons WHERE source = 'benefit'");
  const int64_t total =
      bench::CountOf(server.db(), "SELECT COUNT(*) FROM coupons WHERE source = 'benefit'");
  std::cout << "check: " << entitled << " entitled, " << coupons << " members with a coupon, "
            << total << " coupons\n";
  return run->members == members && coupons == entitled && total == entitled ? 0 : 1;
}

}  // namespace
}  // namespace shopcrm

int main(int argc, char** argv) {
  const auto f = shopcrm::bench::Flags::Parse(argc, argv);
  shopcrm::core::log::Init(shopcrm::core::log::Level::kWarn, shopcrm::core::log::Format::kJson);
  if (f.mode == "ledger") return shopcrm::Ledger(f);
  if (f.mode == "recycle") return shopcrm::Recycle(f);
  if (f.mode == "benefits") return shopcrm::Benefits(f);
  std::cerr << "usage: shopcrm_membership_bench ledger|recycle|benefits [--flag value …]\n";
  return 2;
}
