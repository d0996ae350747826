// The engine against a naive evaluator: random users, orders, events and tags,
// random filters over the whole catalog, and the count and members of each
// compared with a row-by-row evaluation written independently of the engine.
#include "segments/feature_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "segments/catalog.h"

namespace shopcrm::segments {
namespace {

constexpr int64_t kDay = 86'400'000'000;
const int64_t kNow = 1'790'000'000'000'000;  // 2026-09-21

// The engine keeps times to the whole second (docs/analytics.md, "The
// evaluation instant"): the naive side drops the fraction the same way.
int64_t WholeSecond(int64_t micros) {
  return micros - ((micros % 1'000'000) + 1'000'000) % 1'000'000;
}

struct NaiveUser {
  UserFeatures f;
  bool erased = false;
  std::vector<std::pair<int64_t, int64_t>> orders;     // (paid_at, net)
  std::map<std::string, std::vector<int64_t>> events;  // type -> times
  std::vector<std::string> tags;                       // "name" and "group/name"
  std::optional<int64_t> member_since;                 // a member from then
  std::optional<int> level;                            // a member's level now
  std::vector<bool> discounted;                        // of each of `orders`
  std::map<std::string, int64_t> first_bought;         // category -> first order time
};

const char* const kCities[] = {"上海", "北京", "杭州", "成都", "深圳"};
const char* const kGenders[] = {"female", "male"};
const char* const kChannels[] = {"app", "wechat", "h5"};
const char* const kTypes[] = {"visit", "search", "favourite", "cart_add",
                              "share", "review", "login",     "check_in"};
const char* const kTags[] = {"vip", "blacklist", "member", "kol"};

struct World {
  std::vector<NaiveUser> users;
  std::unique_ptr<FeatureIndex> index;
};

// With `keep`, only the users it keeps go into the index (the same users are
// drawn either way); with `rank_against`, the index ranks against it.
World MakeWorld(uint64_t seed, int n, const std::function<bool(int64_t)>& keep = {},
                std::shared_ptr<const FeatureIndex> rank_against = nullptr) {
  std::mt19937_64 rng(seed);
  auto pick = [&](auto& arr) { return std::string(arr[rng() % std::size(arr)]); };
  auto chance = [&](int pct) { return static_cast<int>(rng() % 100) < pct; };
  World w;
  FeatureIndex::Builder all("CNY");
  FeatureIndex::Builder none("CNY");
  if (rank_against) all.RankAgainst(std::move(rank_against));
  const int64_t group_of[] = {1, 1, 2, 2};
  for (int t = 0; t < 4; ++t) all.AddTagName(100 + t, group_of[t] == 1 ? "运营" : "会员", kTags[t]);
  for (int i = 0; i < n; ++i) {
    NaiveUser u;
    u.f.id = 1000 + static_cast<int64_t>(rng() % 1000000);
    bool clash = false;
    for (const auto& o : w.users) clash = clash || o.f.id == u.f.id;
    if (clash) continue;
    FeatureIndex::Builder& b = !keep || keep(u.f.id) ? all : none;
    if (chance(80)) u.f.city = pick(kCities);
    if (chance(70)) u.f.gender = pick(kGenders);
    if (chance(60)) u.f.source_channel = pick(kChannels);
    if (chance(50)) u.f.province = chance(50) ? "浙江" : "四川";
    if (chance(60)) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", 1960 + static_cast<int>(rng() % 50),
                    1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
      u.f.birthday = buf;
    }
    if (chance(10)) u.f.birthday = "not a date";
    if (chance(70)) {
      u.f.registered_at_micros = kNow - static_cast<int64_t>(rng() % (800 * kDay));
    }
    if (chance(30) && !w.users.empty()) {
      u.f.referrer_id = w.users[rng() % w.users.size()].f.id;  // may be erased: still refers
    }
    u.erased = chance(5);
    if (chance(40)) {
      const int64_t since = kNow - static_cast<int64_t>(rng() % (400 * kDay)) + 10 * kDay;
      if (chance(80)) u.level = 1 + static_cast<int>(rng() % 6);
      b.AddMember(u.f.id, since, u.level);
      u.member_since = WholeSecond(since);
    }
    const int orders = chance(30) ? 0 : static_cast<int>(rng() % 12);
    const bool bargain_hunter = chance(30);
    // Categories count whatever the currency: the first time each was bought.
    auto bought = [&](int64_t at) {
      if (!chance(70)) return;
      const std::string category = "c" + std::to_string(rng() % 6);
      auto [it, fresh] = u.first_bought.emplace(category, at);
      if (!fresh) it->second = std::min(it->second, at);
    };
    for (int k = 0; k < orders; ++k) {
      const int64_t at = kNow - static_cast<int64_t>(rng() % (500 * kDay)) + 30 * kDay;
      const int64_t net = 1 + static_cast<int64_t>(rng() % 200000);
      const bool usd = chance(5);
      const bool discounted = chance(bargain_hunter ? 80 : 15);
      b.AddOrder(u.f.id, at, net, usd ? "USD" : "CNY", discounted);
      bought(at);
      if (!usd) {
        u.orders.emplace_back(WholeSecond(at), net);
        u.discounted.push_back(discounted);
      }
    }
    if (chance(6)) {  // a burst of recent orders: mature buyers
      for (int k = 0; k < 6; ++k) {
        const int64_t at = kNow - static_cast<int64_t>(rng() % (25 * kDay));
        const int64_t net = 1 + static_cast<int64_t>(rng() % 200000);
        b.AddOrder(u.f.id, at, net, "CNY");
        bought(at);
        u.orders.emplace_back(WholeSecond(at), net);
        u.discounted.push_back(false);
      }
    }
    const int events = static_cast<int>(rng() % 20);
    for (int k = 0; k < events; ++k) {
      const std::string type = pick(kTypes);
      const int64_t at = kNow - static_cast<int64_t>(rng() % (400 * kDay)) + 10 * kDay;
      b.AddEvent(u.f.id, type, at);
      u.events[type].push_back(WholeSecond(at));
    }
    for (int t = 0; t < 4; ++t) {
      if (chance(t == 0 ? 30 : 10)) {
        b.AddUserTag(u.f.id, 100 + t);
        u.tags.push_back(kTags[t]);
        u.tags.push_back(std::string(group_of[t] == 1 ? "运营" : "会员") + "/" + kTags[t]);
      }
    }
    if (u.erased) {
      b.AddErasedUser(u.f.id);
    }
    for (auto& [category, at] : u.first_bought) {
      b.AddCategoryFirst(u.f.id, at);
      at = WholeSecond(at);
    }
    b.AddUser(u.f);
    if (u.f.registered_at_micros) u.f.registered_at_micros = WholeSecond(*u.f.registered_at_micros);
    w.users.push_back(std::move(u));
  }
  all.AddOrder(424242, kNow, 100, "CNY");  // a user never added: ignored
  w.index = std::move(all).Finish();
  return w;
}

// ---- the models, naively: every user's stage, and RFM and Pareto by counting ----

struct NaiveModels {
  std::map<int64_t, std::string> aidees;
  std::map<int64_t, std::string> customer;
  std::map<int64_t, std::string> member;
  std::map<int64_t, std::set<std::string>> motivations;
  std::map<int64_t, std::string> stage;
  std::map<int64_t, int64_t> r, f, m;  // buyers only
  std::map<int64_t, std::string> cell, tier;
};

NaiveModels ComputeNaiveModels(const std::vector<const NaiveUser*>& users, int64_t now) {
  NaiveModels out;
  // AIDEES over the last 365 days: the furthest stage any touch point shows.
  const int64_t from = now - 365 * kDay;
  auto in = [&](int64_t t) { return t > from && t <= now; };
  std::set<int64_t> inviters;
  for (const auto* u : users) {
    const auto reg = u->f.registered_at_micros;
    if (u->f.referrer_id && reg && in(*reg)) inviters.insert(*u->f.referrer_id);
  }
  for (const auto* u : users) {
    auto has = [&](const char* type) {
      auto it = u->events.find(type);
      if (it == u->events.end()) return false;
      return std::any_of(it->second.begin(), it->second.end(), in);
    };
    int orders = 0;
    for (const auto& [at, net] : u->orders) orders += in(at) ? 1 : 0;
    int ever = 0;
    for (const auto& [at, net] : u->orders) ever += at <= now ? 1 : 0;
    out.member[u->f.id] = u->member_since && *u->member_since <= now ? "member" : "non_member";
    // Consumption values over the same window, with the default thresholds.
    auto& motives = out.motivations[u->f.id];
    int64_t discounted = 0;
    for (size_t i = 0; i < u->orders.size(); ++i) {
      discounted += in(u->orders[i].first) && u->discounted[i] ? 1 : 0;
    }
    if (orders >= 2 && 4 * discounted <= orders) motives.insert("functional");
    if (orders >= 2 && 2 * discounted >= orders) motives.insert("conditional");
    if (has("share") || inviters.contains(u->f.id)) motives.insert("social");
    auto favourites = u->events.find("favourite");
    const auto favourited =
        favourites == u->events.end()
            ? 0
            : std::count_if(favourites->second.begin(), favourites->second.end(), in);
    if (favourited >= 2 || has("review")) motives.insert("emotional");
    int tried = 0;
    for (const auto& [category, at] : u->first_bought) tried += in(at) ? 1 : 0;
    if (tried >= 2) motives.insert("epistemic");
    if (ever == 1) out.customer[u->f.id] = "new_customer";
    if (ever >= 2) out.customer[u->f.id] = "repeat_customer";
    std::string stage;
    if (has("share") || inviters.contains(u->f.id)) {
      stage = "share";
    } else if (orders >= 2 || has("review")) {
      stage = "enthusiasm";
    } else if (orders == 1) {
      stage = "experience";
    } else if (has("favourite") || has("cart_add")) {
      stage = "desire";
    } else if (has("search")) {
      stage = "interest";
    } else if (has("visit") || has("login")) {
      stage = "attention";
    }
    if (!stage.empty()) out.aidees[u->f.id] = stage;
  }
  struct Buyer {
    int64_t id, days, count, spend;
  };
  std::vector<Buyer> buyers;
  for (const auto* u : users) {
    std::vector<int64_t> times;
    for (const auto& [at, net] : u->orders) {
      if (at <= now) times.push_back(at);
    }
    std::sort(times.begin(), times.end());
    auto in_last = [&](int64_t from_days, int64_t to_days) {  // (now - from, now - to]
      int64_t n = 0;
      for (int64_t t : times)
        n += (t > now - from_days * kDay && t <= now - to_days * kDay) ? 1 : 0;
      return n;
    };
    std::string stage;
    if (times.empty()) {
      stage = "potential";
    } else if (now - times.back() >= 180 * kDay) {
      stage = "churned";
    } else if (now - times.back() >= 30 * kDay) {
      stage = "silent";
    } else {
      int64_t start = times.front();
      for (size_t i = 1; i < times.size(); ++i) {
        if (times[i] - times[i - 1] >= 180 * kDay) start = times[i];
      }
      if (now - start < 30 * kDay) {
        stage = "new";
      } else if (in_last(30, 0) >= 5) {
        stage = "mature";
      } else {
        stage = in_last(30, 0) >= in_last(60, 30) ? "rising" : "declining";
      }
    }
    out.stage[u->f.id] = stage;
    int64_t count = 0;
    int64_t spend = 0;
    for (const auto& [at, net] : u->orders) {
      if (at <= now && at > now - 365 * kDay) {
        ++count;
        spend += net;
      }
    }
    if (count > 0) buyers.push_back({u->f.id, (now - times.back()) / kDay, count, spend});
  }
  const auto n = static_cast<int64_t>(buyers.size());
  double mean_r = 0, mean_f = 0, mean_m = 0;
  for (const auto& b : buyers) {
    int64_t worse_r = 0, worse_f = 0, worse_m = 0;
    for (const auto& o : buyers) {
      worse_r += o.days > b.days ? 1 : 0;
      worse_f += o.count < b.count ? 1 : 0;
      worse_m += o.spend < b.spend ? 1 : 0;
    }
    out.r[b.id] = 1 + 5 * worse_r / n;
    out.f[b.id] = 1 + 5 * worse_f / n;
    out.m[b.id] = 1 + 5 * worse_m / n;
    mean_r += static_cast<double>(out.r[b.id]) / static_cast<double>(n);
    mean_f += static_cast<double>(out.f[b.id]) / static_cast<double>(n);
    mean_m += static_cast<double>(out.m[b.id]) / static_cast<double>(n);
  }
  for (const auto& b : buyers) {
    const bool hr = static_cast<double>(out.r[b.id]) >= mean_r - 1e-9;
    const bool hf = static_cast<double>(out.f[b.id]) >= mean_f - 1e-9;
    const bool hm = static_cast<double>(out.m[b.id]) >= mean_m - 1e-9;
    out.cell[b.id] = std::string(hm ? "important_" : "general_") +
                     (hr ? (hf ? "value" : "development") : (hf ? "retention" : "recall"));
  }
  std::sort(buyers.begin(), buyers.end(), [](const Buyer& a, const Buyer& b) {
    return a.spend != b.spend ? a.spend > b.spend : a.id < b.id;
  });
  int64_t total = 0;
  for (const auto& b : buyers) total += b.spend;
  size_t i = 0;
  int64_t covered = 0;
  while (i < buyers.size() && covered * 100 < total * 80) {
    covered += buyers[i].spend;
    out.tier[buyers[i++].id] = "head";
  }
  const int64_t rest = total - covered;
  int64_t covered_rest = 0;
  while (i < buyers.size() && rest > 0 && covered_rest * 100 < rest * 80) {
    covered_rest += buyers[i].spend;
    out.tier[buyers[i++].id] = "waist";
  }
  while (i < buyers.size()) out.tier[buyers[i++].id] = "tail";
  return out;
}

const NaiveModels* g_models = nullptr;  // of the query being checked

std::optional<std::string> Find(const std::map<int64_t, std::string>& m, int64_t id) {
  auto it = m.find(id);
  return it == m.end() ? std::nullopt : std::optional<std::string>(it->second);
}

// ---- the naive evaluator: one user at a time, straight from the facts ----

std::optional<int64_t> NaiveValue(const NaiveUser& u, const Predicate& p, const AsOf& as_of) {
  const int64_t now = core::ToUnixMicros(as_of.at);
  const int64_t from = p.window_days ? now - *p.window_days * kDay : INT64_MIN;
  auto in_window = [&](int64_t t) { return t > from && t <= now; };
  const std::string& f = p.field;
  if (f == "r_score" || f == "f_score" || f == "m_score") {
    const auto& scores = f == "r_score" ? g_models->r : f == "f_score" ? g_models->f : g_models->m;
    auto it = scores.find(u.f.id);
    return it == scores.end() ? std::nullopt : std::optional<int64_t>(it->second);
  }
  if (f == "orders" || f == "spend" || f == "aov") {
    int64_t count = 0;
    int64_t sum = 0;
    for (const auto& [at, net] : u.orders) {
      if (in_window(at)) {
        ++count;
        sum += net;
      }
    }
    if (f == "orders") return count;
    if (f == "spend") return sum;
    if (count == 0) return std::nullopt;
    const double exact = static_cast<double>(sum) / static_cast<double>(count);
    return static_cast<int64_t>(std::floor(exact + 0.5));
  }
  if (f == "recency" || f == "first_order_days") {
    std::optional<int64_t> best;
    for (const auto& [at, net] : u.orders) {
      if (at > now) continue;
      if (!best || (f == "recency" ? at > *best : at < *best)) best = at;
    }
    if (!best) return std::nullopt;
    return (now - *best) / kDay;
  }
  if (f == "last_visit_days") {
    std::optional<int64_t> last;
    auto it = u.events.find("visit");
    if (it != u.events.end()) {
      for (int64_t at : it->second) {
        if (at <= now && (!last || at > *last)) last = at;
      }
    }
    if (!last) return std::nullopt;
    return (now - *last) / kDay;
  }
  if (f == "registered_days") {
    if (!u.f.registered_at_micros || *u.f.registered_at_micros > now) return std::nullopt;
    return (now - *u.f.registered_at_micros) / kDay;
  }
  if (f == "level") {
    if (!u.level) return std::nullopt;
    return *u.level;
  }
  if (f == "age") {
    if (!u.f.birthday) return std::nullopt;
    int y = 0;
    unsigned m = 0;
    unsigned d = 0;
    if (std::sscanf(u.f.birthday->c_str(), "%d-%u-%u", &y, &m, &d) != 3) return std::nullopt;
    const auto by = std::chrono::year{y};
    const std::chrono::year_month_day born{by, std::chrono::month{m}, std::chrono::day{d}};
    if (!born.ok() || born > as_of.date) return std::nullopt;
    int years = static_cast<int>(as_of.date.year()) - y;
    if (std::chrono::month_day{as_of.date.month(), as_of.date.day()} <
        std::chrono::month_day{born.month(), born.day()}) {
      --years;
    }
    return years;
  }
  const std::string type(EventTypeOf(f));
  int64_t count = 0;
  auto it = u.events.find(type);
  if (it != u.events.end()) {
    for (int64_t at : it->second) count += in_window(at) ? 1 : 0;
  }
  return count;
}

std::optional<std::string> NaiveText(const NaiveUser& u, const std::string& field) {
  if (field == "lifecycle") return Find(g_models->stage, u.f.id);
  if (field == "rfm_cell") return Find(g_models->cell, u.f.id);
  if (field == "pareto_tier") return Find(g_models->tier, u.f.id);
  if (field == "aidees") return Find(g_models->aidees, u.f.id);
  if (field == "city") return u.f.city;
  if (field == "province") return u.f.province;
  if (field == "gender") return u.f.gender;
  return u.f.source_channel;
}

bool NaiveMatch(const NaiveUser& u, const Filter& f, const AsOf& as_of) {
  switch (f.kind) {
    case Filter::Kind::kAnd:
      for (const auto& c : f.children) {
        if (!NaiveMatch(u, c, as_of)) return false;
      }
      return true;
    case Filter::Kind::kOr:
      for (const auto& c : f.children) {
        if (NaiveMatch(u, c, as_of)) return true;
      }
      return false;
    case Filter::Kind::kNot:
      return !NaiveMatch(u, f.children.front(), as_of);
    case Filter::Kind::kHasTag: {
      if (std::find(u.tags.begin(), u.tags.end(), f.tag) != u.tags.end()) return true;
      // System tags: the models' values, by bare name or as sys:group/name.
      const std::pair<const char*, const std::map<int64_t, std::string>*> groups[] = {
          {"sys:lifecycle", &g_models->stage},   {"sys:rfm", &g_models->cell},
          {"sys:pareto", &g_models->tier},       {"sys:aidees", &g_models->aidees},
          {"sys:customer", &g_models->customer}, {"sys:member", &g_models->member}};
      for (const auto& [group, values] : groups) {
        const auto v = Find(*values, u.f.id);
        if (v && (f.tag == *v || f.tag == std::string(group) + "/" + *v)) return true;
      }
      if (auto it = g_models->motivations.find(u.f.id); it != g_models->motivations.end()) {
        for (const auto& v : it->second) {
          if (f.tag == v || f.tag == "sys:motivation/" + v) return true;
        }
      }
      return false;
    }
    case Filter::Kind::kPredicate:
      break;
  }
  const Predicate& p = f.predicate;
  const FieldSpec* spec = Features().Find(p.field);
  if (spec->type == FieldType::kText) {
    const auto v = NaiveText(u, p.field);
    if (!v || v->empty()) return false;
    bool found = false;
    for (const auto& lit : p.values) found = found || std::get<std::string>(lit) == *v;
    return (p.op == Op::kEq || p.op == Op::kIn) ? found : !found;
  }
  const auto v = NaiveValue(u, p, as_of);
  if (!v) return false;
  auto num = [&](size_t i) { return std::get<int64_t>(p.values[i]); };
  switch (p.op) {
    case Op::kEq:
      return *v == num(0);
    case Op::kNe:
      return *v != num(0);
    case Op::kLt:
      return *v < num(0);
    case Op::kLe:
      return *v <= num(0);
    case Op::kGt:
      return *v > num(0);
    case Op::kGe:
      return *v >= num(0);
    case Op::kBetween:
      return *v >= num(0) && *v <= num(1);
    case Op::kIn:
    case Op::kNotIn: {
      bool found = false;
      for (size_t i = 0; i < p.values.size(); ++i) found = found || num(i) == *v;
      return p.op == Op::kIn ? found : !found;
    }
  }
  return false;
}

// ---- random filters over the catalog ----

Filter RandomPredicate(std::mt19937_64& rng) {
  static const std::vector<std::string> fields = {
      "orders",          "spend",           "aov",         "recency",  "first_order_days",
      "last_visit_days", "registered_days", "age",         "city",     "province",
      "gender",          "source_channel",  "visits",      "searches", "favourites",
      "cart_adds",       "shares",          "reviews",     "logins",   "checkins",
      "lifecycle",       "rfm_cell",        "pareto_tier", "aidees",   "r_score",
      "f_score",         "m_score",         "level"};
  Filter f;
  if (rng() % 6 == 0) {
    f.kind = Filter::Kind::kHasTag;
    const std::string tag = kTags[rng() % 4];
    f.tag = rng() % 3 == 0 ? std::string(rng() % 2 ? "运营/" : "会员/") + tag : tag;
    if (rng() % 10 == 0) f.tag = "nosuchtag";
    const char* const system[] = {"rising",
                                  "sys:lifecycle/potential",
                                  "head",
                                  "sys:rfm/general_recall",
                                  "new_customer",
                                  "sys:customer/repeat_customer",
                                  "share",
                                  "sys:pareto/head",
                                  "sys:lifecycle/head",
                                  "non_member",
                                  "sys:member/member",
                                  "conditional",
                                  "sys:motivation/social",
                                  "epistemic"};
    if (rng() % 3 == 0) f.tag = system[rng() % 14];
    return f;
  }
  f.kind = Filter::Kind::kPredicate;
  Predicate& p = f.predicate;
  p.field = fields[rng() % fields.size()];
  const FieldSpec* spec = Features().Find(p.field);
  if (spec->windowed && rng() % 3 != 0) {
    const int windows[] = {1, 7, 30, 90, 180, 365, 45};
    p.window_days = windows[rng() % 7];
  }
  if (spec->type == FieldType::kText) {
    const Op ops[] = {Op::kEq, Op::kNe, Op::kIn, Op::kNotIn};
    p.op = ops[rng() % 4];
    const int n = (p.op == Op::kIn || p.op == Op::kNotIn) ? 1 + static_cast<int>(rng() % 3) : 1;
    for (int i = 0; i < n; ++i) {
      const char* const pool[] = {"上海", "北京", "杭州", "浙江",   "female",
                                  "male", "app",  "h5",   "nowhere"};
      const char* const models[] = {"potential",      "churned",
                                    "silent",         "new",
                                    "mature",         "rising",
                                    "declining",      "important_value",
                                    "general_recall", "important_retention",
                                    "head",           "waist",
                                    "tail",           "attention",
                                    "desire",         "share"};
      const bool model = p.field == "lifecycle" || p.field == "rfm_cell" ||
                         p.field == "pareto_tier" || p.field == "aidees";
      p.values.emplace_back(std::string(model ? models[rng() % 16] : pool[rng() % 9]));
    }
    return f;
  }
  int64_t scale = 1;
  if (spec->type == FieldType::kMoney) scale = 20000;
  if (spec->type == FieldType::kDays) scale = 60;
  if (p.field == "age") scale = 8;
  if (p.field.ends_with("_score") || p.field == "level") scale = 1;
  auto value = [&] { return static_cast<int64_t>(rng() % 8) * scale; };
  const Op ops[] = {Op::kEq, Op::kNe,      Op::kLt, Op::kLe,   Op::kGt,
                    Op::kGe, Op::kBetween, Op::kIn, Op::kNotIn};
  p.op = ops[rng() % 9];
  if (p.op == Op::kBetween) {
    int64_t a = value();
    int64_t c = value();
    if (a > c) std::swap(a, c);
    p.values = {a, c};
  } else if (p.op == Op::kIn || p.op == Op::kNotIn) {
    for (int i = 0; i < 3; ++i) p.values.emplace_back(static_cast<int64_t>(rng() % 4));
  } else {
    p.values = {value()};
  }
  return f;
}

Filter RandomFilter(std::mt19937_64& rng, int depth) {
  if (depth == 0 || rng() % 3 == 0) return RandomPredicate(rng);
  Filter f;
  const int k = static_cast<int>(rng() % 3);
  if (k == 2) {
    f.kind = Filter::Kind::kNot;
    f.children.push_back(RandomFilter(rng, depth - 1));
    return f;
  }
  f.kind = k == 0 ? Filter::Kind::kAnd : Filter::Kind::kOr;
  const int n = 2 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n; ++i) f.children.push_back(RandomFilter(rng, depth - 1));
  return f;
}

AsOf At(int64_t micros) {
  const auto t = core::FromUnixMicros(micros);
  return {t, std::chrono::year_month_day{std::chrono::floor<std::chrono::days>(t)}};
}

TEST(FeatureIndex, AgreesWithANaiveEvaluatorOnRandomFilters) {
  const World w = MakeWorld(7, 600);
  std::vector<const NaiveUser*> live;
  for (const auto& u : w.users) {
    if (!u.erased) live.push_back(&u);
  }
  std::sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->f.id < b->f.id; });
  ASSERT_EQ(w.index->size(), live.size());
  const NaiveModels now_models = ComputeNaiveModels(live, kNow);
  const NaiveModels past_models = ComputeNaiveModels(live, kNow - 100 * kDay);
  std::mt19937_64 rng(11);
  int nonempty = 0;
  for (int q = 0; q < 600; ++q) {
    const Filter f = RandomFilter(rng, 3);
    const AsOf as_of = At(q % 2 == 0 ? kNow : kNow - 100 * kDay);
    const NaiveModels& models = q % 2 == 0 ? now_models : past_models;
    g_models = &models;
    std::vector<int64_t> expected;
    for (const auto* u : live) {
      if (NaiveMatch(*u, f, as_of)) expected.push_back(u->f.id);
    }
    ASSERT_EQ(w.index->Count(f, as_of), expected.size())
        << "query " << q << ": " << FormatFilter(f, Features());
    ASSERT_EQ(w.index->Members(f, as_of, INT64_MIN, expected.size() + 1), expected)
        << "query " << q << ": " << FormatFilter(f, Features());
    nonempty += expected.empty() || expected.size() == live.size() ? 0 : 1;
  }
  EXPECT_GT(nonempty, 250);  // the random filters do discriminate
  // Every model value occurs, so each is compared above.
  std::set<std::string> stages, cells, tiers;
  for (const auto& [id, v] : now_models.stage) stages.insert(v);
  for (const auto& [id, v] : now_models.cell) cells.insert(v);
  for (const auto& [id, v] : now_models.tier) tiers.insert(v);
  std::set<std::string> motives;
  for (const auto& [id, v] : now_models.motivations) motives.insert(v.begin(), v.end());
  EXPECT_EQ(stages.size(), 7u);
  EXPECT_GE(cells.size(), 6u);
  EXPECT_EQ(tiers.size(), 3u);
  EXPECT_EQ(motives.size(), 5u);
}

// Every value of every model, at two instants, member for member.
TEST(FeatureIndex, ModelsAgreeWithTheNaiveModelsForEveryValue) {
  const World w = MakeWorld(5, 800);
  std::vector<const NaiveUser*> live;
  for (const auto& u : w.users) {
    if (!u.erased) live.push_back(&u);
  }
  std::sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->f.id < b->f.id; });
  std::vector<std::string> filters;
  for (const char* v : {"potential", "churned", "silent", "new", "mature", "rising", "declining"}) {
    filters.push_back(std::string("lifecycle = \"") + v + "\"");
  }
  for (const char* v :
       {"important_value", "important_development", "important_retention", "important_recall",
        "general_value", "general_development", "general_retention", "general_recall"}) {
    filters.push_back(std::string("rfm_cell = \"") + v + "\"");
  }
  for (const char* v : {"head", "waist", "tail"}) {
    filters.push_back(std::string("pareto_tier = \"") + v + "\"");
  }
  for (const char* f : {"r_score", "f_score", "m_score"}) {
    for (int k = 1; k <= 5; ++k) filters.push_back(std::string(f) + " = " + std::to_string(k));
  }
  for (const char* v : {"functional", "social", "emotional", "epistemic", "conditional"}) {
    filters.push_back(std::string("has_tag(\"sys:motivation/") + v + "\")");
  }
  for (const int64_t at : {kNow, kNow - 100 * kDay}) {
    const NaiveModels models = ComputeNaiveModels(live, at);
    g_models = &models;
    int nonempty = 0;
    for (const auto& text : filters) {
      auto f = ParseFilter(text, Features());
      ASSERT_TRUE(f.ok()) << text;
      std::vector<int64_t> expected;
      for (const auto* u : live) {
        if (NaiveMatch(*u, *f, At(at))) expected.push_back(u->f.id);
      }
      EXPECT_EQ(w.index->Members(*f, At(at), INT64_MIN, live.size()), expected) << text;
      nonempty += expected.empty() ? 0 : 1;
    }
    EXPECT_GE(nonempty, 30) << "too few model values occur to compare";
  }
}

// Buyer k (1..5) has k orders of 100k yuan, the latest 6 - k days ago, so
// each is better than the one before on all three measures. `twin` adds a
// sixth buyer with the figures of buyer 5.
std::unique_ptr<FeatureIndex> KnownPopulation(bool twin) {
  FeatureIndex::Builder b("CNY");
  for (int64_t k = 1; k <= (twin ? 6 : 5); ++k) {
    UserFeatures u;
    u.id = k;
    b.AddUser(u);
    const int64_t like = k == 6 ? 5 : k;
    for (int64_t i = 0; i < like; ++i) {
      b.AddOrder(k, kNow - (6 - like + i) * kDay, 10000 * like, "CNY");
    }
  }
  return std::move(b).Finish();
}

std::vector<int64_t> MembersOf(const FeatureIndex& index, const std::string& text) {
  auto f = ParseFilter(text, Features());
  EXPECT_TRUE(f.ok()) << text;
  return f.ok() ? index.Members(*f, At(kNow), INT64_MIN, 10) : std::vector<int64_t>{};
}

TEST(FeatureIndex, RfmScoresCellsAndTiersOfAKnownPopulation) {
  using V = std::vector<int64_t>;
  const auto five = KnownPopulation(false);
  // Buyer k has k - 1 worse buyers: score 1 + 5 (k - 1) / 5 = k; the mean is 3.
  for (const char* f : {"r_score", "f_score", "m_score"}) {
    for (int64_t k = 1; k <= 5; ++k) {
      EXPECT_EQ(MembersOf(*five, std::string(f) + " = " + std::to_string(k)), (V{k})) << f;
    }
  }
  // A score equal to the mean is high: buyer 3 is important value with 4 and 5.
  EXPECT_EQ(MembersOf(*five, "rfm_cell = \"important_value\""), (V{3, 4, 5}));
  EXPECT_EQ(MembersOf(*five, "rfm_cell = \"general_recall\""), (V{1, 2}));
  // Spend 1, 4, 9, 16, 25 (x 100 yuan) of 55: 25 + 16 + 9 = 50 reach 80 % (44);
  // of the remaining 5, buyer 2's 4 reaches 80 % (4).
  EXPECT_EQ(MembersOf(*five, "pareto_tier = \"head\""), (V{3, 4, 5}));
  EXPECT_EQ(MembersOf(*five, "pareto_tier = \"waist\""), (V{2}));
  EXPECT_EQ(MembersOf(*five, "pareto_tier = \"tail\""), (V{1}));
  EXPECT_EQ(MembersOf(*five, "lifecycle = \"new\""), (V{1, 2, 3, 4, 5}));

  // Equal figures share a score: buyers 5 and 6 both have 4 worse buyers of 6.
  const auto six = KnownPopulation(true);
  EXPECT_EQ(MembersOf(*six, "m_score = 4"), (V{5, 6}));
  EXPECT_EQ(MembersOf(*six, "m_score = 5"), (V{}));
  EXPECT_EQ(MembersOf(*six, "m_score = 1"), (V{1, 2}));  // 1 + 5 * 1 / 6 = 1
}

// An index of some users, ranked against an index of everyone, gives them
// the relative models (RFM scores and cells, Pareto tiers) everyone's gives.
TEST(FeatureIndex, RankedAgainstAnotherIndexUsersKeepTheirRelativeModels) {
  const std::shared_ptr<const FeatureIndex> everyone = MakeWorld(5, 800).index;
  auto third = [](int64_t id) { return id % 3 == 0; };
  const World ranked = MakeWorld(5, 800, third, everyone);
  const World alone = MakeWorld(5, 800, third);
  for (const int64_t at : {kNow, kNow - 100 * kDay}) {
    int buyers = 0;
    int differ_alone = 0;
    for (const auto& u : ranked.users) {
      if (!third(u.f.id) || u.erased) continue;
      const auto want = everyone->ModelsOf(u.f.id, At(at));
      const auto got = ranked.index->ModelsOf(u.f.id, At(at));
      const auto own = alone.index->ModelsOf(u.f.id, At(at));
      ASSERT_TRUE(want && got && own) << u.f.id;
      EXPECT_EQ(got->r_score, want->r_score) << u.f.id;
      EXPECT_EQ(got->f_score, want->f_score) << u.f.id;
      EXPECT_EQ(got->m_score, want->m_score) << u.f.id;
      EXPECT_EQ(got->rfm_cell, want->rfm_cell) << u.f.id;
      EXPECT_EQ(got->pareto_tier, want->pareto_tier) << u.f.id;
      buyers += want->r_score > 0 ? 1 : 0;
      differ_alone += own->rfm_cell != want->rfm_cell || own->pareto_tier != want->pareto_tier ||
                              own->m_score != want->m_score
                          ? 1
                          : 0;
    }
    EXPECT_GE(buyers, 50);
    EXPECT_GT(differ_alone, 0) << "ranked among themselves, the same users should differ";
  }
}

// Hidden users are left out of every query, as if erased; they still count
// for the models of the others (the population ranked, who invited whom).
TEST(FeatureIndex, HiddenUsersAreLeftOutOfEveryQuery) {
  const World w = MakeWorld(11, 500);
  std::vector<const NaiveUser*> live;
  std::vector<int64_t> hide = {424242};  // not in the index: ignored
  for (const auto& u : w.users) {
    if (!u.erased) live.push_back(&u);
    if (u.f.id % 4 == 0) hide.push_back(u.f.id);
  }
  std::sort(live.begin(), live.end(), [](auto* a, auto* b) { return a->f.id < b->f.id; });
  const auto shown = w.index->Without(hide);
  auto hidden = [&](int64_t id) { return id % 4 == 0; };
  const size_t visible = static_cast<size_t>(
      std::count_if(live.begin(), live.end(), [&](auto* u) { return !hidden(u->f.id); }));
  ASSERT_LT(visible, live.size());
  EXPECT_EQ(shown->size(), visible);
  const NaiveModels models = ComputeNaiveModels(live, kNow);
  g_models = &models;
  std::mt19937_64 rng(13);
  for (int q = 0; q < 200; ++q) {
    const Filter f = RandomFilter(rng, 3);
    std::vector<int64_t> expected;
    for (const auto* u : live) {
      if (!hidden(u->f.id) && NaiveMatch(*u, f, At(kNow))) expected.push_back(u->f.id);
    }
    const std::string text = FormatFilter(f, Features());
    ASSERT_EQ(shown->Count(f, At(kNow)), expected.size()) << text;
    ASSERT_EQ(shown->Members(f, At(kNow), INT64_MIN, expected.size() + 1), expected) << text;
    if (expected.size() > 2) {
      EXPECT_EQ(shown->Members(f, At(kNow), expected[0], 2),
                (std::vector<int64_t>{expected[1], expected[2]}))
          << text;
    }
    EXPECT_EQ(shown->Explain(f, At(kNow)).back(), expected.size()) << text;
    EXPECT_EQ(shown->Overlap({&f, nullptr}, {nullptr, &hide}, At(kNow)).both, 0u) << text;
  }
  uint64_t stages = 0;
  for (const auto& [name, n] : shown->SystemTagCounts(At(kNow))) {
    if (name.starts_with("sys:lifecycle/")) stages += n;
  }
  EXPECT_EQ(stages, visible);
  size_t seen = 0;
  shown->ForEachStage(At(kNow), [&](int64_t id, std::string_view) {
    EXPECT_FALSE(hidden(id)) << id;
    ++seen;
  });
  EXPECT_EQ(seen, visible);
  for (const auto* u : live) {
    EXPECT_EQ(shown->ModelsOf(u->f.id, At(kNow)).has_value(), !hidden(u->f.id)) << u->f.id;
  }
  // Hiding more keeps the first ones hidden.
  EXPECT_EQ(shown->Without({live.front()->f.id})->size(),
            visible - (hidden(live.front()->f.id) ? 0 : 1));
}

// Explain, overlap and pivot against the naive evaluator on random filters.
TEST(FeatureIndex, ExplainOverlapAndPivotAgreeWithTheNaiveEvaluator) {
  const World w = MakeWorld(9, 500);
  std::vector<const NaiveUser*> live;
  for (const auto& u : w.users) {
    if (!u.erased) live.push_back(&u);
  }
  const AsOf as_of = At(kNow);
  const NaiveModels models = ComputeNaiveModels(live, kNow);
  g_models = &models;
  std::mt19937_64 rng(21);
  for (int q = 0; q < 60; ++q) {
    Filter f;
    f.kind = Filter::Kind::kAnd;
    for (int i = 0; i < 3; ++i) f.children.push_back(RandomFilter(rng, 1));
    const Filter g = RandomFilter(rng, 2);
    // Explain: users left after each condition.
    std::vector<uint64_t> funnel(3, 0);
    uint64_t in_g = 0;
    uint64_t both = 0;
    for (const auto* u : live) {
      bool all = true;
      for (size_t i = 0; i < 3; ++i) {
        all = all && NaiveMatch(*u, f.children[i], as_of);
        funnel[i] += all ? 1 : 0;
      }
      const bool gm = NaiveMatch(*u, g, as_of);
      in_g += gm ? 1 : 0;
      both += (all && gm) ? 1 : 0;
    }
    ASSERT_EQ(w.index->Explain(f, as_of), funnel) << FormatFilter(f, Features());
    const OverlapCounts o = w.index->Overlap({&f}, {&g}, as_of);
    EXPECT_EQ(o.a, funnel[2]);
    EXPECT_EQ(o.b, in_g);
    EXPECT_EQ(o.both, both);

    // Pivot by city x lifecycle, summing spend(365d).
    std::map<std::pair<std::string, std::string>, std::pair<uint64_t, int64_t>> expected;
    Predicate spend;
    spend.field = "spend";
    spend.window_days = 365;
    for (const auto* u : live) {
      if (!NaiveMatch(*u, g, as_of)) continue;
      auto& cell = expected[{u->f.city.value_or("(none)"), models.stage.at(u->f.id)}];
      ++cell.first;
      cell.second += NaiveValue(*u, spend, as_of).value_or(0);
    }
    const auto cells = w.index->Pivot(g, as_of, {"city", "lifecycle"}, Measure{"spend", 365});
    std::map<std::pair<std::string, std::string>, std::pair<uint64_t, int64_t>> actual;
    for (const auto& c : cells) {
      actual[{c.key.at(0).value_or("(none)"), c.key.at(1).value_or("(none)")}] = {c.users, c.sum};
    }
    ASSERT_EQ(actual, expected) << FormatFilter(g, Features());
  }
}

// AARRR against a naive count over the same users, for a few periods and
// a sub-population.
TEST(FeatureIndex, AarrrAgreesWithANaiveCount) {
  const World w = MakeWorld(13, 700);
  std::vector<const NaiveUser*> live;
  for (const auto& u : w.users) {
    if (!u.erased) live.push_back(&u);
  }
  auto city = ParseFilter("city in (\"上海\", \"北京\")", Features());
  ASSERT_TRUE(city.ok());
  int nonzero = 0;
  for (const int64_t days : {30, 90, 365}) {
    const std::vector<const Filter*> populations = {nullptr, &*city};
    for (const Filter* filter : populations) {
      const int64_t lo = kNow - days * kDay;
      const int64_t hi = kNow;
      AarrrCounts expected;
      std::set<int64_t> referrers;
      for (const auto* u : live) {
        const auto reg = u->f.registered_at_micros;
        if (reg && *reg >= lo && *reg < hi && u->f.referrer_id) referrers.insert(*u->f.referrer_id);
      }
      for (const auto* u : live) {
        if (filter != nullptr && !NaiveMatch(*u, *filter, At(hi))) continue;
        const auto reg = u->f.registered_at_micros;
        expected.acquired += (reg && *reg >= lo && *reg < hi) ? 1U : 0U;
        bool before = false;
        bool during = false;
        for (const auto& [at, net] : u->orders) {
          before = before || at < lo;
          if (at >= lo && at < hi) {
            during = true;
            expected.revenue += net;
          }
        }
        expected.activated += (during && !before) ? 1U : 0U;
        expected.retained += (during && before) ? 1U : 0U;
        expected.paying += during ? 1U : 0U;
        expected.referring += referrers.contains(u->f.id) ? 1U : 0U;
      }
      const AarrrCounts got =
          w.index->Aarrr(core::FromUnixMicros(lo), core::FromUnixMicros(hi), filter, At(hi));
      EXPECT_EQ(got.acquired, expected.acquired) << days;
      EXPECT_EQ(got.activated, expected.activated) << days;
      EXPECT_EQ(got.retained, expected.retained) << days;
      EXPECT_EQ(got.referring, expected.referring) << days;
      EXPECT_EQ(got.paying, expected.paying) << days;
      EXPECT_EQ(got.revenue, expected.revenue) << days;
      nonzero +=
          (expected.referring > 0 && expected.retained > 0 && expected.activated > 0) ? 1 : 0;
    }
  }
  EXPECT_GE(nonzero, 4);
}

TEST(FeatureIndex, MembersPageFromTheCursor) {
  const World w = MakeWorld(3, 200);
  auto f = ParseFilter("orders >= 0", Features());
  ASSERT_TRUE(f.ok());
  const AsOf as_of = At(kNow);
  const auto all = w.index->Members(*f, as_of, INT64_MIN, 1000);
  ASSERT_EQ(all.size(), w.index->size());
  const auto page = w.index->Members(*f, as_of, all[9], 5);
  ASSERT_EQ(page.size(), 5u);
  EXPECT_EQ(page.front(), all[10]);
  EXPECT_EQ(page.back(), all[14]);
}

// Short pages are evaluated over growing ranges of users from the cursor;
// walking them must give exactly the whole list, across range boundaries.
TEST(FeatureIndex, ShortPagesWalkTheWholeListAcrossRanges) {
  FeatureIndex::Builder b("CNY");
  b.AddTagName(1, "ops", "vip");
  std::mt19937_64 rng(3);
  for (int64_t id = 1; id <= 300000; ++id) {
    UserFeatures u;
    u.id = id * 3;
    u.city = id % 7 == 0 ? "上海" : "北京";
    b.AddUser(u);
    if (rng() % 4 == 0)
      b.AddOrder(u.id, kNow - static_cast<int64_t>(rng() % 400) * kDay, 100, "CNY");
    if (rng() % 5 == 0) b.AddUserTag(u.id, 1);
  }
  const auto index = std::move(b).Finish();
  for (const char* text : {"recency <= 100 and has_tag(\"vip\")", "city = \"上海\" or orders >= 1",
                           "not has_tag(\"vip\") and lifecycle = \"churned\""}) {
    auto f = ParseFilter(text, Features());
    ASSERT_TRUE(f.ok()) << text;
    const auto all = index->Members(*f, At(kNow), INT64_MIN, SIZE_MAX);
    ASSERT_EQ(all.size(), index->Count(*f, At(kNow))) << text;
    ASSERT_GT(all.size(), 3000u) << text;
    std::vector<int64_t> walked;
    int64_t cursor = INT64_MIN;
    while (true) {
      const auto page = index->Members(*f, At(kNow), cursor, 997);
      walked.insert(walked.end(), page.begin(), page.end());
      if (page.size() < 997) break;
      cursor = page.back();
    }
    EXPECT_EQ(walked, all) << text;
  }
}

// Filters give money in major units with up to two decimals; amounts are in
// the business currency's own minor units (yen and won have none).
TEST(FeatureIndex, MoneyFollowsTheCurrencysMinorDigits) {
  auto one = [](const char* currency, std::vector<int64_t> amounts) {
    FeatureIndex::Builder b(currency);
    UserFeatures u;
    u.id = 1;
    b.AddUser(u);
    for (int64_t a : amounts) b.AddOrder(1, kNow - kDay, a, currency);
    return std::move(b).Finish();
  };
  auto count = [](const FeatureIndex& index, const char* text) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    return f.ok() ? index.Count(*f, At(kNow)) : 99;
  };
  const auto yen = one("JPY", {500, 1000});  // 1,500 yen
  EXPECT_EQ(count(*yen, "spend = 1500"), 1u);
  EXPECT_EQ(count(*yen, "spend >= 1000"), 1u);  // the bound of 1,000 yen, not 100,000
  EXPECT_EQ(count(*yen, "spend >= 1500 and orders >= 2"), 1u);
  EXPECT_EQ(count(*yen, "spend >= 1500.01"), 0u);
  EXPECT_EQ(count(*yen, "spend between 1499.99 and 1500"), 1u);
  EXPECT_EQ(count(*yen, "aov = 750"), 1u);
  const auto won = one("KRW", {12000});
  EXPECT_EQ(count(*won, "spend = 12000 and aov > 11999.99"), 1u);
  const auto yuan = one("CNY", {150, 25});  // 1.75 yuan
  EXPECT_EQ(count(*yuan, "spend = 1.75"), 1u);
}

// Counts and sums of orders are first narrowed by bitmaps of the users whose
// orders in all reach steps of a ladder (Columns::kOrderBounds, kSpendBounds).
// Users a fen either side of each step, with refunds netted below zero long
// ago, are counted exactly in any window, as of now and of the past.
TEST(FeatureIndex, OrderAndSpendBoundsKeepEveryUserWhoPasses) {
  std::mt19937_64 rng(11);
  FeatureIndex::Builder b("CNY");
  const int64_t steps[] = {10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000};
  std::vector<NaiveUser> users(6000);
  for (size_t i = 0; i < users.size(); ++i) {
    NaiveUser& u = users[i];
    u.f.id = static_cast<int64_t>(i) + 1;
    b.AddUser(u.f);
    if (i % 50 == 0) continue;  // no orders
    if (i % 97 == 0) {          // an amount beyond 32 bits, long ago
      const int64_t at = kNow - 250 * kDay;
      b.AddOrder(u.f.id, at, 5'000'000'000, "CNY");
      u.orders.emplace_back(WholeSecond(at), 5'000'000'000);
    }
    // Recent orders that sum to a step, or a fen either side of it.
    int64_t left = steps[rng() % std::size(steps)] * 100 + static_cast<int64_t>(rng() % 3) - 1;
    const int orders = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < orders; ++k) {
      const int64_t net = k + 1 == orders
                              ? left
                              : static_cast<int64_t>(rng() % static_cast<uint64_t>(left / 2 + 1));
      left -= net;
      const int64_t at = kNow - static_cast<int64_t>(rng() % (100 * kDay));
      b.AddOrder(u.f.id, at, net, "CNY");
      u.orders.emplace_back(WholeSecond(at), net);
    }
    if (rng() % 4 == 0) {  // an old order refunded beyond what was paid
      const int64_t at = kNow - 300 * kDay;
      b.AddOrder(u.f.id, at, -1, "CNY");
      u.orders.emplace_back(WholeSecond(at), -1);
    }
  }
  const auto index = std::move(b).Finish();
  const NaiveModels no_models;
  g_models = &no_models;
  std::vector<std::string> texts;
  for (const int64_t step : steps) {
    for (const char* window : {"", "(30d)", "(200d)"}) {
      const std::string spend = "spend" + std::string(window);
      texts.push_back(spend + " >= " + std::to_string(step));
      texts.push_back(spend + " > " + std::to_string(step - 1) + ".99");
      texts.push_back(spend + " between " + std::to_string(step) + ".01 and 99999");
    }
  }
  texts.push_back("not spend(30d) >= 500 and orders >= 1");
  texts.push_back("orders(60d) >= 3 or spend >= 1000");
  texts.push_back("orders = 0 or spend(200d) > 49999.99");
  for (int k = 1; k <= 11; ++k) {
    texts.push_back("orders >= " + std::to_string(k));
    texts.push_back("orders(60d) > " + std::to_string(k - 1));
    texts.push_back("orders(30d) between " + std::to_string(k) + " and " + std::to_string(k + 2));
  }
  for (const auto& text : texts) {
    // Alone (over everyone), and in an `and` over the users recency leaves.
    for (const std::string& full : {text, text + " and recency <= 400"}) {
      auto f = ParseFilter(full, Features());
      ASSERT_TRUE(f.ok()) << full;
      for (const int64_t at : {kNow, kNow - 40 * kDay}) {
        uint64_t expected = 0;
        for (const auto& u : users) expected += NaiveMatch(u, *f, At(at)) ? 1U : 0U;
        EXPECT_EQ(index->Count(*f, At(at)), expected) << full;
      }
    }
  }
}

TEST(FeatureIndex, ExactFiguresOfOneUser) {
  FeatureIndex::Builder b("CNY");
  UserFeatures u;
  u.id = 5;
  u.city = "上海";
  u.birthday = "1990-11-28";
  b.AddUser(u);
  b.AddOrder(5, kNow - 10 * kDay, 10000, "CNY");
  b.AddOrder(5, kNow - 40 * kDay, 5001, "CNY");
  b.AddOrder(5, kNow - 5 * kDay, 99999, "USD");  // another currency: left out
  b.AddEvent(5, "cart_add", kNow - kDay / 2);
  b.AddEvent(5, "visit", kNow - 3 * kDay);
  const auto index = std::move(b).Finish();
  const AsOf as_of = At(kNow);  // 2026-09-21
  auto count = [&](const char* text) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    return f.ok() ? index->Count(*f, as_of) : 99;
  };
  EXPECT_EQ(count("orders = 2"), 1u);
  EXPECT_EQ(count("orders(30d) = 1"), 1u);
  EXPECT_EQ(count("spend = 150.01"), 1u);
  EXPECT_EQ(count("aov = 75.01"), 1u);  // 15001 / 2 = 7500.5, half up
  EXPECT_EQ(count("recency = 10"), 1u);
  EXPECT_EQ(count("first_order_days = 40"), 1u);
  EXPECT_EQ(count("last_visit_days = 3"), 1u);
  EXPECT_EQ(count("cart_adds(7d) = 1 and cart_adds(1d) = 1"), 1u);
  EXPECT_EQ(count("age = 35"), 1u);  // 36 only from 2026-11-28
  EXPECT_EQ(count("city = \"上海\" and not city = \"北京\""), 1u);
  EXPECT_EQ(count("registered_days >= 0"), 0u);  // unknown: never matches
  EXPECT_EQ(count("not registered_days >= 0"), 1u);
}

TEST(FeatureIndex, FactTimesCountToTheWholeSecond) {
  FeatureIndex::Builder b("CNY");
  UserFeatures u;
  u.id = 1;
  b.AddUser(u);
  b.AddOrder(1, kNow + 400'000, 100, "CNY");              // 0.4 s after the instant, in its second
  b.AddOrder(1, kNow - 30 * kDay + 700'000, 100, "CNY");  // on the 30-day edge once cut
  const auto index = std::move(b).Finish();
  auto count = [&](const char* text) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    return f.ok() ? index->Count(*f, At(kNow)) : 99;
  };
  EXPECT_EQ(count("recency = 0"), 1u);
  EXPECT_EQ(count("orders(1d) = 1"), 1u);
  EXPECT_EQ(count("orders(30d) = 1"), 1u);  // (T - 30 d, T]: the second at T - 30 d is out
  EXPECT_EQ(count("orders(31d) = 2"), 1u);
  EXPECT_EQ(count("first_order_days = 30"), 1u);
}

// Recency by the days of latest orders, at the edges of the days there are:
// every order long before the instant (historical data counted as of now),
// and an instant before some orders (an analysis of the past).
TEST(FeatureIndex, RecencyAtTheEdgesOfTheOrderDays) {
  FeatureIndex::Builder b("CNY");
  b.AddTagName(1, "ops", "vip");
  for (int64_t id = 1; id <= 4; ++id) {
    UserFeatures u;
    u.id = id;
    b.AddUser(u);
    b.AddUserTag(id, 1);
  }
  b.AddOrder(1, kNow - 100 * kDay, 100, "CNY");
  b.AddOrder(2, kNow - 120 * kDay, 100, "CNY");
  b.AddOrder(3, kNow - 130 * kDay, 100, "CNY");
  b.AddOrder(3, kNow - 101 * kDay + kDay / 2, 100, "CNY");
  const auto index = std::move(b).Finish();
  auto count = [&](const std::string& text, int64_t at) {
    auto f = ParseFilter(text, Features());
    EXPECT_TRUE(f.ok()) << text;
    return f.ok() ? index->Count(*f, At(at)) : 99;
  };
  for (const std::string tag : {"", "has_tag(\"vip\") and "}) {
    EXPECT_EQ(count(tag + "recency <= 30", kNow), 0u) << tag;
    EXPECT_EQ(count(tag + "recency <= 100", kNow), 2u) << tag;  // 1, and 3 (100.5 days)
    EXPECT_EQ(count(tag + "recency between 101 and 500", kNow), 1u) << tag;
    EXPECT_EQ(count(tag + "recency >= 0", kNow), 3u) << tag;
    // As of 110 days ago: user 1's order is in the future, user 3's latest then is 130 days old.
    EXPECT_EQ(count(tag + "recency <= 15", kNow - 110 * kDay), 1u) << tag;  // user 2
    EXPECT_EQ(count(tag + "recency between 19 and 21", kNow - 110 * kDay), 1u) << tag;
    EXPECT_EQ(count(tag + "recency <= 30", kNow - 200 * kDay), 0u) << tag;
  }
}

TEST(FeatureIndex, AmountsBeyond32BitsStayExact) {
  FeatureIndex::Builder b("CNY");
  UserFeatures u;
  u.id = 1;
  b.AddUser(u);
  b.AddOrder(1, kNow - kDay / 2, 50'000'000'000, "CNY");  // 500 million yuan
  b.AddOrder(1, kNow - 2 * kDay, 2'147'483'647, "CNY");
  b.AddOrder(1, kNow - 3 * kDay, 2'147'483'648, "CNY");
  const auto index = std::move(b).Finish();
  auto f = ParseFilter("spend = 542949672.95 and spend(1d) = 500000000", Features());
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(index->Count(*f, At(kNow)), 1u);
}

TEST(FeatureIndex, ANameInTwoGroupsMatchesBothByItsBareName) {
  FeatureIndex::Builder b("CNY");
  b.AddTagName(1, "运营", "vip");
  b.AddTagName(2, "会员", "vip");
  for (int64_t id = 1; id <= 3; ++id) {
    UserFeatures u;
    u.id = id;
    b.AddUser(u);
  }
  b.AddUserTag(1, 1);
  b.AddUserTag(2, 2);
  const auto index = std::move(b).Finish();
  EXPECT_EQ(MembersOf(*index, "has_tag(\"vip\")"), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(MembersOf(*index, "has_tag(\"运营/vip\")"), (std::vector<int64_t>{1}));
  EXPECT_EQ(MembersOf(*index, "has_tag(\"会员/vip\")"), (std::vector<int64_t>{2}));
  EXPECT_LT(index->MemoryBytes(), 10'000u);
}

// Enough users that a scan is split among the cores (two parts or more on a
// machine with two): each filter's count and members agree with the naive
// evaluator, whichever part a user falls in.
TEST(FeatureIndex, ScansSplitAmongCoresAgreeWithTheNaiveEvaluator) {
  std::mt19937_64 rng(3);
  FeatureIndex::Builder b("CNY");
  b.AddTagName(1, "ops", "member");
  b.AddTagName(2, "ops", "blacklist");
  // Two parts need 65,536 users, and a second chunk of users starts there.
  std::vector<NaiveUser> users(66'000);
  const char* const cities[] = {"上海", "北京", "广州"};
  for (size_t i = 0; i < users.size(); ++i) {
    NaiveUser& u = users[i];
    u.f.id = static_cast<int64_t>(i) + 1;
    if (rng() % 3 == 0) {
      u.tags.push_back("ops/member");
      b.AddUserTag(u.f.id, 1);
    }
    if (rng() % 8 == 0) {
      u.tags.push_back("ops/blacklist");
      b.AddUserTag(u.f.id, 2);
    }
    if (rng() % 5 != 0) u.f.city = cities[rng() % 3];
    const int orders = static_cast<int>(rng() % 5);
    for (int k = 0; k < orders; ++k) {
      const int64_t at = kNow - static_cast<int64_t>(rng() % (200 * kDay));
      const int64_t net = 1 + static_cast<int64_t>(rng() % 100000);
      b.AddOrder(u.f.id, at, net, "CNY");
      u.orders.emplace_back(WholeSecond(at), net);
    }
    b.AddUser(u.f);
  }
  const auto index = std::move(b).Finish();
  const NaiveModels no_models;  // the filters name no model (naive RFM is quadratic)
  g_models = &no_models;
  for (const char* text :
       {"recency <= 30", "recency between 3 and 40", "not recency <= 10",
        "has_tag(\"ops/member\") and recency <= 30 and orders(90d) >= 2 and spend >= 500",
        "recency <= 60 and orders(60d) >= 2", "orders(30d) >= 1 or spend(200d) > 1500",
        "has_tag(\"ops/member\") and aov(90d) >= 400 and recency > 5",
        // Bitmap conditions read a chunk at a time, before the scans.
        "has_tag(\"ops/member\") and not has_tag(\"ops/blacklist\") and recency <= 30 and "
        "orders(90d) >= 2",
        "city != \"上海\" and orders(90d) >= 1",
        "city not in (\"上海\", \"广州\") and recency <= 20",
        "(has_tag(\"ops/member\") or city = \"广州\") and not (has_tag(\"ops/blacklist\") and "
        "city = \"上海\") and spend >= 1000",
        "not has_tag(\"ops/member\") and recency <= 30 and orders >= 1",
        "city in (\"北京\", \"深圳\") and not recency <= 10 and orders(200d) >= 3"}) {
    auto f = ParseFilter(text, Features());
    ASSERT_TRUE(f.ok()) << text;
    for (const int64_t at : {kNow, kNow - 50 * kDay}) {
      std::vector<int64_t> expected;
      for (const auto& u : users) {
        if (NaiveMatch(u, *f, At(at))) expected.push_back(u.f.id);
      }
      ASSERT_GT(expected.size(), 100u) << text;
      EXPECT_EQ(index->Count(*f, At(at)), expected.size()) << text;
      EXPECT_EQ(index->Members(*f, At(at), INT64_MIN, expected.size() + 1), expected) << text;
      // A short page evaluates the filter within ranges of users.
      const std::vector<int64_t> page(expected.begin() + 10, expected.begin() + 60);
      EXPECT_EQ(index->Members(*f, At(at), expected[9], 50), page) << text;
    }
  }
}

}  // namespace
}  // namespace shopcrm::segments
