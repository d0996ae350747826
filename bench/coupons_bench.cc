// Coupon benchmarks over HTTP with the open-loop load generator (loadgen.h);
// the generator runs in this process, on the same two cores as the server.
//
//   shopcrm_coupons_bench flash-sale [--db PATH|postgresql://…] [--synchronous full|normal]
//       [--users 200000] [--stock 10000] [--rate 20000] [--duration 10] [--connections 64]
//       [--group-commit 1] [--writers 1] [--timeline N] [--thread-cpu 1]
//     One template (stock, one per user); claims for distinct users at a fixed
//     rate. Prints the answered rate, latency percentiles from the due time,
//     the status counts, and checks that exactly min(stock, claims) coupons exist.
//     --timeline N adds latency percentiles per N requests, in due order;
//     --thread-cpu 1 the CPU time per answered request of each thread name.
//
//   shopcrm_coupons_bench evaluate [--db …] [--users 2000] [--wallet 20] [--items 10]
//       [--rate 5000] [--duration 10] [--connections 32]
//     Wallets of N coupons (of 20 templates of every kind), then checkout evaluate
//     of a 10-item cart for random users.
//
// See docs/benchmarks.md for results and the exact commands.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <random>

#include "bench_server.h"
#include "core/json.h"
#include "core/log.h"
#include "loadgen.h"

namespace shopcrm {
namespace {

using bench::AddUsers;
using bench::CountOf;
using bench::Die;
using bench::Flags;
using bench::Target;

marketing::TemplateSpec RedPacket(const std::string& name, int64_t fen) {
  marketing::TemplateSpec s;
  s.name = name;
  s.terms.kind = marketing::CouponKind::kRedPacket;
  s.terms.discount = fen;
  s.validity.use_days = 30;
  return s;
}

int FlashSale(const Flags& f) {
  const int64_t users = f.Int("users", 200000);
  const int64_t stock = f.Int("stock", 10000);
  const int connections = static_cast<int>(f.Int("connections", 64));
  bench::BenchServerOptions o;
  o.threads = connections + 4;
  o.coupons.group_commit = f.Int("group-commit", 1) != 0;
  o.coupons.group_commit_writers = static_cast<int>(f.Int("writers", 1));
  bench::BenchServer server(
      bench::OpenFresh(Target(f, "/tmp/shopcrm-bench-coupons.db"), f.Text("synchronous", "full"),
                       connections + 8, "shopcrm_bench",
                       static_cast<int>(f.Int("checkpoint-pages", 16384))),
      o);
  AddUsers(server.db(), users);
  auto spec = RedPacket("flash sale", 1000);
  spec.limits.stock = stock;
  spec.limits.per_user_total = 1;
  auto t = server.templates().Create(spec, {"cli", "", "bench", ""});
  if (!t.ok()) Die(t.error().ToString());
  const std::string tmpl = std::to_string(t->id);
  bench::Settle(server.db());

  std::vector<int64_t> order(static_cast<size_t>(users));
  std::iota(order.begin(), order.end(), 1);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(7));
  bench::LoadSpec load;
  load.port = server.port();
  load.connections = connections;
  load.rate = f.Double("rate", 20000);
  load.duration_s = f.Double("duration", 10);
  const std::string secret = server.secret();
  // The flash sale starts on a running server: the mall's key is remembered.
  load.warm_up = "GET /api/v1/coupon-templates/" + tmpl +
                 " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + secret + "\r\n\r\n";
  load.request = [&](uint64_t i) {
    const int64_t user = order[i % order.size()];
    return bench::JsonPost("/api/v1/coupons/claim", secret,
                           R"({"template_id":")" + tmpl + R"(","user_id":")" +
                               std::to_string(user) + R"(","channel":"app"})");
  };
  const auto cpu_before = bench::ThreadCpuMicros();
  const auto r = bench::RunOpenLoop(load);
  const auto cpu_after = bench::ThreadCpuMicros();
  std::cout << "flash sale ("
            << (o.coupons.group_commit ? "group commit" : "one transaction per claim") << ", "
            << store::BackendName(server.db().backend()) << "): " << r.Summary() << "\n";
  if (const int64_t window = f.Int("timeline", 0); window > 0) {
    std::cout << r.Timeline(static_cast<uint64_t>(window));
  }
  if (f.Int("thread-cpu", 0) != 0 && r.completed > 0) {
    // CPU per answered request, by thread name (the generator is the main thread).
    for (const auto& [name, after] : cpu_after) {
      const auto before = cpu_before.find(name);
      const int64_t used = after - (before == cpu_before.end() ? 0 : before->second);
      if (used > 0) {
        std::printf("cpu %-16s %6.1f us per request\n", name.c_str(),
                    static_cast<double>(used) / static_cast<double>(r.completed));
      }
    }
  }
  const int64_t issued = CountOf(server.db(), "SELECT issued FROM coupon_templates");
  const int64_t coupons = CountOf(server.db(), "SELECT COUNT(*) FROM coupons");
  const int64_t holders = CountOf(server.db(), "SELECT COUNT(DISTINCT user_id) FROM coupons");
  const auto created = r.statuses.count(201) ? r.statuses.at(201) : 0;
  std::cout << "check: issued " << issued << ", coupons " << coupons << ", holders " << holders
            << ", 201 answers " << created << ", stock " << stock << "\n";
  if (issued != coupons || coupons != holders || coupons > stock ||
      static_cast<int64_t>(created) != coupons) {
    std::cout << "MISMATCH\n";
    return 1;
  }
  return 0;
}

int Evaluate(const Flags& f) {
  const int64_t users = f.Int("users", 2000);
  const int64_t wallet = f.Int("wallet", 20);
  const int64_t items = f.Int("items", 10);
  const int connections = static_cast<int>(f.Int("connections", 32));
  bench::BenchServerOptions o;
  o.threads = connections + 4;
  bench::BenchServer server(bench::OpenFresh(Target(f, "/tmp/shopcrm-bench-evaluate.db"),
                                             f.Text("synchronous", "normal"), connections + 8),
                            o);
  AddUsers(server.db(), users);
  // 20 templates of every kind, platform and store funded, some with filters.
  std::vector<int64_t> templates;
  for (int k = 0; k < 20; ++k) {
    marketing::TemplateSpec s = RedPacket("t" + std::to_string(k), 100 + 50 * k);
    auto& terms = s.terms;
    switch (k % 5) {
      case 0:
        terms.kind = marketing::CouponKind::kThreshold;
        terms.min_amount = 10000 + 1000 * k;
        terms.discount = 1000 + 100 * k;
        break;
      case 1:
        break;
      case 2:
        terms.kind = marketing::CouponKind::kPercent;
        terms.discount = 3000;
        terms.percent_off = 5 + k;
        break;
      case 3:
        terms.kind = marketing::CouponKind::kFreeShipping;
        terms.discount = 0;
        break;
      case 4:
        terms.categories.include = {"c-" + std::to_string(k % 4), "c-9"};
        break;
    }
    if (k % 3 == 1) {
      terms.funding = marketing::Funding::kStore;
      terms.store_id = "s-" + std::to_string(k % 3);
      terms.platform_share_percent = 0;
    }
    if (k == 7) terms.exclusive = true;
    auto t = server.templates().Create(s, {"cli", "", "bench", ""});
    if (!t.ok()) Die(t.error().ToString());
    templates.push_back(t->id);
  }
  for (int64_t u = 1; u <= users; ++u) {
    for (int64_t c = 0; c < wallet; ++c) {
      marketing::IssueRequest req{templates[static_cast<size_t>(c % 20)], u,
                                  marketing::Source::kSelf, "bench", "app"};
      auto r =
          server.coupons().Issue(req, {}, [](const marketing::Coupon&) { return std::string(); });
      if (!r.ok()) Die(r.error().ToString());
    }
  }
  std::string cart = R"({"city":"上海","shipping_fee":"8.00","items":[)";
  for (int64_t i = 0; i < items; ++i) {
    if (i) cart += ",";
    cart += R"({"sku":"k-)" + std::to_string(i) + R"(","category_id":"c-)" + std::to_string(i % 5) +
            R"(","store_id":"s-)" + std::to_string(i % 3) + R"(","price":")" +
            std::to_string(20 + 7 * i) + R"(.50","quantity":)" + std::to_string(1 + i % 3) + "}";
  }
  cart += "]}";
  std::mt19937_64 rng(11);
  bench::LoadSpec load;
  load.port = server.port();
  load.connections = connections;
  load.rate = f.Double("rate", 5000);
  load.duration_s = f.Double("duration", 10);
  const std::string secret = server.secret();
  uint64_t usable = 0, answers = 0;
  load.request = [&](uint64_t) {
    const int64_t user = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(users));
    return bench::JsonPost("/api/v1/checkout/evaluate", secret,
                           R"({"user_id":")" + std::to_string(user) + R"(","cart":)" + cart + "}");
  };
  // A string search, not a parse: the generator shares the two cores with the server.
  load.on_response = [&](uint64_t, int status, const std::string& body) {
    if (status != 200) return;
    ++answers;
    if (body.find(R"("best":{"coupons":[{)") != std::string::npos) ++usable;
  };
  const auto r = bench::RunOpenLoop(load);
  std::cout << "evaluate (" << items << " items, " << wallet << " coupons): " << r.Summary() << "\n"
            << "answers with a best combination: " << usable << " of " << answers << "\n";
  return r.failed == 0 && answers == r.completed ? 0 : 1;
}

// A bulk grant job over every user, run by the worker on this thread.
int BulkGrant(const Flags& f) {
  const int64_t users = f.Int("users", 1000000);
  bench::BenchServer server(
      bench::OpenFresh(Target(f, "/tmp/shopcrm-bench-grant.db"), f.Text("synchronous", "full"), 8));
  AddUsers(server.db(), users);
  auto t = server.templates().Create(RedPacket("bulk", 500), {"cli", "", "bench", ""});
  if (!t.ok()) Die(t.error().ToString());
  std::vector<int64_t> ids(static_cast<size_t>(users));
  std::iota(ids.begin(), ids.end(), 1);
  const auto t0 = std::chrono::steady_clock::now();
  auto job = server.issuing().StartGrant(t->id, "list", ids, "bench", {"cli", "", "bench", ""});
  if (!job.ok()) Die(job.error().ToString());
  const auto t1 = std::chrono::steady_clock::now();
  if (auto st = server.issuing().RunPendingJobs(); !st.ok()) Die(st.error().ToString());
  const auto t2 = std::chrono::steady_clock::now();
  auto done = server.issuing().Job(job->id);
  if (!done.ok()) Die(done.error().ToString());
  const double queue_s = std::chrono::duration<double>(t1 - t0).count();
  const double grant_s = std::chrono::duration<double>(t2 - t1).count();
  std::printf(
      "bulk grant to %lld users: queued in %.2f s, granted %lld in %.2f s = %.0f grants/s "
      "(%.0f/s including the queueing)\n",
      static_cast<long long>(users), queue_s, static_cast<long long>(done->granted), grant_s,
      static_cast<double>(done->granted) / grant_s,
      static_cast<double>(done->granted) / (queue_s + grant_s));
  return done->granted == users ? 0 : 1;
}

// The HTTP floor: GET /healthz (no authentication, no database).
int Baseline(const Flags& f) {
  const int connections = static_cast<int>(f.Int("connections", 64));
  bench::BenchServerOptions o;
  o.threads = connections + 4;
  bench::BenchServer server(bench::OpenFresh("/tmp/shopcrm-bench-baseline.db", "normal", 8), o);
  bench::LoadSpec load;
  load.port = server.port();
  load.connections = connections;
  load.rate = f.Double("rate", 20000);
  load.duration_s = f.Double("duration", 5);
  load.request = [](uint64_t) {
    return std::string("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  };
  std::cout << "GET /healthz: " << bench::RunOpenLoop(load).Summary() << "\n";
  return 0;
}

}  // namespace
}  // namespace shopcrm

int main(int argc, char** argv) {
  const auto f = shopcrm::bench::Flags::Parse(argc, argv);
  // The per-request access log is one write per request: off unless asked for.
  if (f.Int("access-log", 0) == 0) {
    shopcrm::core::log::Init(shopcrm::core::log::Level::kWarn, shopcrm::core::log::Format::kJson);
  }
  if (f.mode == "flash-sale") return shopcrm::FlashSale(f);
  if (f.mode == "evaluate") return shopcrm::Evaluate(f);
  if (f.mode == "baseline") return shopcrm::Baseline(f);
  if (f.mode == "bulk-grant") return shopcrm::BulkGrant(f);
  std::cerr << "usage: shopcrm_coupons_bench flash-sale|evaluate [--name value]...\n";
  return 2;
}
