// The segment engine at scale: generated users (fixed seed) with orders,
// events, attributes and ~50 tags of densities from 0.01 % to 40 %, built
// into a FeatureIndex in memory, then the five reference filters of
// docs/benchmarks.md counted and listed.
//
//   build/default/bench/shopcrm_segments_bench [--users 10000000] [--runs 21] [--seed 1]
//       [--only N] [--parts 1] [--hidden N] [--export DIR]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "segments/catalog.h"
#include "segments/feature_index.h"

namespace shopcrm::segments {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kDay = 86'400'000'000;
const int64_t kNow = 1'790'000'000'000'000;  // 2026-09-21

int64_t Arg(int argc, char** argv, const std::string& name, int64_t def) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return std::stoll(argv[i + 1]);
  }
  return def;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

std::string City(int i) { return "city-" + std::to_string(i); }

// Tag k (0..49) has density 0.01 % * 4000^(k/49): 0.01 % up to 40 %.
double TagDensity(int k) { return 0.0001 * std::pow(4000.0, k / 49.0); }

// With an export folder, the generated data is also written as CSV for the
// DuckDB comparison (bench/duckdb/compare.mjs): users.csv (id, city, gender,
// member, blacklist, tagmask: bit k = tag k) and orders.csv (user_id,
// paid_at in microseconds, amount in minor units).
struct Export {
  std::FILE* users = nullptr;
  std::FILE* orders = nullptr;
};

std::unique_ptr<FeatureIndex> Generate(int64_t users, uint64_t seed, const Export& out) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0, 1);
  // Cities: Zipf-like over 400, so a few are large.
  std::vector<double> city_weight(400);
  for (int i = 0; i < 400; ++i) city_weight[static_cast<size_t>(i)] = 1.0 / (i + 1);
  std::discrete_distribution<int> city(city_weight.begin(), city_weight.end());
  std::geometric_distribution<int> orders(0.3);
  std::lognormal_distribution<double> amount(4.5, 0.8);  // yuan, median ~90
  FeatureIndex::Builder b("CNY");
  b.AddTagName(1000, "system", "member");
  b.AddTagName(1001, "system", "blacklist");
  for (int k = 0; k < 48; ++k) b.AddTagName(k, "ops", "tag" + std::to_string(k));
  const char* const genders[] = {"female", "male"};
  for (int64_t id = 1; id <= users; ++id) {
    UserFeatures u;
    u.id = id;
    u.city = City(city(rng));
    u.gender = genders[rng() % 2];
    b.AddUser(u);
    bool member = false;
    bool blacklist = false;
    uint64_t mask = 0;
    const double kind = unit(rng);
    if (kind > 0.35) {  // buyers; the rest never ordered
      const int n = 1 + orders(rng);
      // Loyal buyers order recently; lapsing ones long ago.
      const int64_t span = kind > 0.8 ? 60 : kind > 0.6 ? 200 : 700;
      for (int i = 0; i < n; ++i) {
        const auto at = kNow - static_cast<int64_t>(unit(rng) * static_cast<double>(span * kDay));
        const auto minor = static_cast<int64_t>(amount(rng) * 100);
        b.AddOrder(id, at, minor, "CNY");
        if (out.orders != nullptr) {
          std::fprintf(out.orders, "%lld,%lld,%lld\n", static_cast<long long>(id),
                       static_cast<long long>(at), static_cast<long long>(minor));
        }
      }
    }
    if (unit(rng) < 0.3)
      b.AddEvent(id, "cart_add", kNow - static_cast<int64_t>(unit(rng) * 30 * kDay));
    if (unit(rng) < 0.6)
      b.AddEvent(id, "visit", kNow - static_cast<int64_t>(unit(rng) * 90 * kDay));
    if (unit(rng) < 0.3) {
      b.AddUserTag(id, 1000);
      member = true;
    }
    if (unit(rng) < 0.01) {
      b.AddUserTag(id, 1001);
      blacklist = true;
    }
    for (int k = 0; k < 48; ++k) {
      if (unit(rng) < TagDensity(k)) {
        b.AddUserTag(id, k);
        mask |= uint64_t{1} << k;
      }
    }
    if (out.users != nullptr) {
      std::fprintf(out.users, "%lld,%s,%s,%d,%d,%llu\n", static_cast<long long>(id),
                   u.city->c_str(), u.gender->c_str(), member ? 1 : 0, blacklist ? 1 : 0,
                   static_cast<unsigned long long>(mask));
    }
  }
  return std::move(b).Finish();
}

long MaxRssMb() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return r.ru_maxrss / 1024;
}

int Main(int argc, char** argv) {
  const int64_t users = Arg(argc, argv, "users", 1'000'000);
  const int runs = static_cast<int>(Arg(argc, argv, "runs", 21));
  const int64_t only = Arg(argc, argv, "only", 0);  // 1..4: that query alone
  const auto seed = static_cast<uint64_t>(Arg(argc, argv, "seed", 1));
  Export out;
  std::string dir;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--export") dir = argv[i + 1];
  }
  if (!dir.empty()) {
    out.users = std::fopen((dir + "/users.csv").c_str(), "w");
    out.orders = std::fopen((dir + "/orders.csv").c_str(), "w");
    if (out.users == nullptr || out.orders == nullptr) {
      std::cerr << "cannot write to " << dir << "\n";
      return 1;
    }
    std::fprintf(out.users, "id,city,gender,member,blacklist,tagmask\n");
    std::fprintf(out.orders, "user_id,paid_at,amount\n");
  }
  auto t0 = Clock::now();
  std::shared_ptr<const FeatureIndex> index = Generate(users, seed, out);
  if (out.users != nullptr) {
    std::fclose(out.users);
    std::fclose(out.orders);
  }
  std::printf("built %lld users in %.1f s; index %.1f bytes/user; max RSS %ld MB\n",
              static_cast<long long>(users), Ms(Clock::now() - t0) / 1000,
              static_cast<double>(index->MemoryBytes()) / static_cast<double>(users), MaxRssMb());

  // --hidden N: queries as after an update, N users hidden (read again beside it).
  if (const int64_t hidden = Arg(argc, argv, "hidden", 0); hidden > 0) {
    std::mt19937_64 pick(seed + 1);
    std::vector<int64_t> ids;
    for (int64_t i = 0; i < hidden; ++i) {
      ids.push_back(1 + static_cast<int64_t>(pick() % static_cast<uint64_t>(users)));
    }
    index = index->Without(ids);
    std::printf("%lld users hidden: %u left\n", static_cast<long long>(hidden), index->size());
  }
  std::string twenty;
  for (int i = 0; i < 20; ++i) twenty += (i ? ", \"" : "\"") + City(i * 7) + "\"";
  std::string or20;
  for (int k = 10; k < 30; ++k)
    or20 += (k > 10 ? " or " : "") + std::string("has_tag(\"tag") + std::to_string(k) + "\")";
  std::vector<std::pair<std::string, std::string>> queries = {
      {"Q1", "recency <= 30 and orders(90d) >= 3 and spend >= 500 and city in (" + twenty +
                 ") and has_tag(\"member\") and not has_tag(\"blacklist\")"},
      {"Q2", "has_tag(\"member\") and not has_tag(\"blacklist\")"},
      {"Q3", "city = \"" + City(3) + "\" and recency <= 7"},
      {"Q4", or20},
  };
  if (Arg(argc, argv, "parts", 0) != 0) {
    const std::string base =
        "city in (" + twenty + ") and has_tag(\"member\") and not has_tag(\"blacklist\")";
    queries = {{"P1", base},
               {"P2", base + " and recency <= 30"},
               {"P3", base + " and recency <= 30 and orders(90d) >= 3"},
               // The users Q1's bounds on orders and spend leave for the exact tests.
               {"P8", base + " and recency <= 30 and orders >= 3 and spend >= 500"},
               {"P4", "recency <= 30"},
               {"P5", "has_tag(\"member\") and recency <= 30"},
               // Order conditions over everyone: only their bounds narrow them.
               {"P6", "orders(90d) >= 3 and spend >= 500"},
               {"P7", "spend(365d) >= 1000"}};
  }
  const AsOf as_of{core::FromUnixMicros(kNow),
                   std::chrono::year_month_day{
                       std::chrono::floor<std::chrono::days>(core::FromUnixMicros(kNow))}};
  auto report = [&](const std::string& name, auto fn) {
    std::vector<double> ms;
    uint64_t result = 0;
    for (int r = 0; r < runs; ++r) {
      const auto s = Clock::now();
      result = fn();
      ms.push_back(Ms(Clock::now() - s));
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%-12s result %10llu   p50 %8.2f ms   p99 %8.2f ms\n", name.c_str(),
                static_cast<unsigned long long>(result), ms[ms.size() / 2],
                ms[std::min(ms.size() - 1, ms.size() * 99 / 100)]);
  };
  std::vector<Filter> parsed;
  for (size_t q = 0; q < queries.size(); ++q) {
    const auto& [name, text] = queries[q];
    if (only != 0 && static_cast<size_t>(only) != q + 1) continue;
    auto f = ParseFilter(text, Features());
    if (!f.ok()) {
      std::cerr << name << ": " << f.error().ToString() << "\n";
      return 1;
    }
    parsed.push_back(*f);
    std::string funnel;
    for (uint64_t n : index->Explain(parsed.back(), as_of)) funnel += " " + std::to_string(n);
    std::printf("%s funnel:%s\n", name.c_str(), funnel.c_str());
    report(name + " count", [&] { return index->Count(parsed.back(), as_of); });
    report(name + " list",
           [&] { return index->Members(parsed.back(), as_of, INT64_MIN, 100).size(); });
  }
  if (only != 0) return 0;
  report("Q5 overlap", [&] { return index->Overlap({&parsed[1]}, {&parsed[2]}, as_of).both; });
  report("lifecycle", [&] {
    auto f = ParseFilter("lifecycle = \"rising\"", Features());
    return index->Count(*f, as_of);
  });
  return 0;
}

}  // namespace
}  // namespace shopcrm::segments

int main(int argc, char** argv) { return shopcrm::segments::Main(argc, argv); }
