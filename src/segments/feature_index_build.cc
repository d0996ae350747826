// FeatureIndex::Builder: the facts gathered, then frozen into columns.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <numeric>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/money.h"
#include "segments/internal/index_data.h"

namespace shopcrm::segments {
namespace {

using internal::Csr;
using internal::Time;

// An order or event as added to a Builder.
struct Fact {
  int64_t user_id;
  int64_t at;
  int64_t amount;  // orders only
  bool flagged;    // orders: discounted
};

int32_t ParseYmd(const std::optional<std::string>& s) {
  if (!s || s->size() != 10 || (*s)[4] != '-' || (*s)[7] != '-') return 0;
  int y = 0;
  int m = 0;
  int d = 0;
  const char* p = s->data();
  if (std::from_chars(p, p + 4, y).ptr != p + 4 || std::from_chars(p + 5, p + 7, m).ptr != p + 7 ||
      std::from_chars(p + 8, p + 10, d).ptr != p + 10) {
    return 0;
  }
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(m)},
                                        std::chrono::day{unsigned(d)}};
  if (!ymd.ok()) return 0;
  return y * 10000 + m * 100 + d;
}

}  // namespace

struct FeatureIndex::Builder::State {
  std::string currency;
  ModelOptions models;
  std::vector<UserFeatures> users;
  std::unordered_set<int64_t> erased;
  std::vector<Fact> orders;
  std::vector<Fact> category_firsts;
  std::unordered_map<std::string, std::vector<Fact>> events;
  std::unordered_map<int64_t, std::pair<std::string, std::string>> tag_names;
  std::vector<std::tuple<int64_t, int64_t, std::optional<int>>> members;
  std::vector<std::pair<int64_t, int64_t>> user_tags;
  std::shared_ptr<const FeatureIndex> reference;
};

FeatureIndex::Builder::Builder(std::string currency, ModelOptions models)
    : s_(std::make_unique<State>()) {
  s_->currency = std::move(currency);
  s_->models = models;
}
FeatureIndex::Builder::~Builder() = default;

void FeatureIndex::Builder::AddUser(const UserFeatures& u) { s_->users.push_back(u); }
void FeatureIndex::Builder::AddErasedUser(int64_t id) { s_->erased.insert(id); }
void FeatureIndex::Builder::AddOrder(int64_t user_id, int64_t paid_at_micros, int64_t net_minor,
                                     std::string_view currency, bool discounted) {
  if (currency == s_->currency) {
    s_->orders.push_back({user_id, paid_at_micros, net_minor, discounted});
  }
}
void FeatureIndex::Builder::AddCategoryFirst(int64_t user_id, int64_t first_at_micros) {
  s_->category_firsts.push_back({user_id, first_at_micros, 0, false});
}
void FeatureIndex::Builder::AddEvent(int64_t user_id, std::string_view type,
                                     int64_t occurred_at_micros) {
  s_->events[std::string(type)].push_back({user_id, occurred_at_micros, 0, false});
}
void FeatureIndex::Builder::AddMember(int64_t user_id, int64_t since_micros,
                                      std::optional<int> level) {
  s_->members.emplace_back(user_id, since_micros, level);
}
void FeatureIndex::Builder::AddTagName(int64_t tag_id, std::string_view group,
                                       std::string_view name) {
  s_->tag_names[tag_id] = {std::string(group), std::string(name)};
}
void FeatureIndex::Builder::RankAgainst(std::shared_ptr<const FeatureIndex> reference) {
  s_->reference = std::move(reference);
}
void FeatureIndex::Builder::AddUserTag(int64_t user_id, int64_t tag_id) {
  s_->user_tags.emplace_back(user_id, tag_id);
}

namespace {

// Groups facts by dense user, each user's sorted by time.
template <typename DenseOf>
Csr BuildCsr(uint32_t users, std::vector<Fact>& facts, DenseOf dense_of, bool amounts) {
  std::vector<std::pair<uint32_t, size_t>> keyed;  // (dense user, fact)
  keyed.reserve(facts.size());
  for (size_t i = 0; i < facts.size(); ++i) {
    if (auto u = dense_of(facts[i].user_id)) keyed.emplace_back(*u, i);
  }
  std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return a.first != b.first ? a.first < b.first : facts[a.second].at < facts[b.second].at;
  });
  Csr c;
  c.off.assign(users + 1, 0);
  c.stride = amounts ? 2 : 1;
  c.rows.reserve(keyed.size() * c.stride);
  std::vector<uint32_t> flagged;
  for (const auto& [u, i] : keyed) {
    ++c.off[u + 1];
    if (facts[i].flagged) flagged.push_back(static_cast<uint32_t>(c.Rows()));
    if (amounts) {
      c.Add(internal::ToTime(facts[i].at), facts[i].amount);
    } else {
      c.Add(internal::ToTime(facts[i].at));
    }
  }
  c.flagged = internal::Bitmap(flagged);
  c.flagged.Optimize();
  std::partial_sum(c.off.begin(), c.off.end(), c.off.begin());
  facts.clear();
  facts.shrink_to_fit();
  return c;
}

// The bounds on every window's orders and spend (Columns::orders_at_least,
// spend_at_least): a window holds at most all of a user's orders, and sums at
// most their positive amounts.
void BoundOrders(internal::Columns& c, int money_digits) {
  using internal::Columns;
  const Csr& o = c.orders;
  const uint32_t n = c.size();
  std::vector<int64_t> spend(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    int64_t sum = 0;
    for (uint32_t r = o.off[u]; r < o.off[u + 1]; ++r) {
      const int64_t a = std::max<int64_t>(o.Amount(r), 0);
      sum = a > INT64_MAX - sum ? INT64_MAX : sum + a;
    }
    spend[u] = sum;
  }
  std::vector<uint32_t> users;
  auto add = [&](std::vector<internal::Bitmap>& out, auto passes) {
    users.clear();
    for (uint32_t u = 0; u < n; ++u) {
      if (passes(u)) users.push_back(u);
    }
    out.emplace_back(users);
    out.back().Optimize();
  };
  for (const uint32_t least : Columns::kOrderBounds) {
    add(c.orders_at_least, [&](uint32_t u) { return o.off[u + 1] - o.off[u] >= least; });
  }
  int64_t major = 1;
  for (int i = 0; i < money_digits; ++i) major *= 10;
  for (const int64_t least : Columns::kSpendBounds) {
    add(c.spend_at_least, [&](uint32_t u) { return spend[u] >= least * major; });
  }
}

}  // namespace

std::unique_ptr<FeatureIndex> FeatureIndex::Builder::Finish() && {
  State& s = *s_;
  auto d = std::make_shared<Data>();
  d->model_options = s.models;
  d->reference = std::move(s.reference);
  if (auto currency = core::Currency::Parse(s.currency); currency.ok()) {
    d->money_digits = currency->minor_digits();
  }
  std::sort(s.users.begin(), s.users.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  std::vector<UserFeatures> kept;
  kept.reserve(s.users.size());
  for (auto& u : s.users) {
    if (s.erased.contains(u.id)) continue;
    if (!kept.empty() && kept.back().id == u.id) {
      kept.back() = std::move(u);  // the last one added wins
    } else {
      kept.push_back(std::move(u));
    }
  }
  s.users.clear();
  const auto n = static_cast<uint32_t>(kept.size());
  d->ids.reserve(n);
  d->birth_ymd.reserve(n);
  d->registered.reserve(n);
  for (uint32_t i = 0; i < n; ++i) {
    const UserFeatures& u = kept[i];
    d->ids.push_back(u.id);
    d->city.Add(i, u.city);
    d->province.Add(i, u.province);
    d->gender.Add(i, u.gender);
    d->source_channel.Add(i, u.source_channel);
    d->birth_ymd.push_back(ParseYmd(u.birthday));
    d->registered.push_back(u.registered_at_micros ? internal::ToTime(*u.registered_at_micros)
                                                   : internal::kNoTime);
  }
  auto dense_of = [&](int64_t id) { return d->DenseOf(id); };
  d->referrer.assign(n, internal::kNone);
  for (uint32_t i = 0; i < n; ++i) {
    if (kept[i].referrer_id) {
      d->referrer[i] = dense_of(*kept[i].referrer_id).value_or(internal::kNone);
    }
  }
  kept = {};
  d->orders = BuildCsr(n, s.orders, dense_of, true);
  BoundOrders(*d, d->money_digits);
  {
    std::vector<std::vector<uint32_t>> by_day;
    d->last_day.assign(n, 0);
    for (uint32_t u = 0; u < n; ++u) {
      if (d->orders.off[u] == d->orders.off[u + 1]) continue;
      const Time t = d->orders.At(d->orders.off[u + 1] - 1);
      d->latest_order = std::max(d->latest_order, t);
      const uint16_t day = internal::DayOf(t);
      d->last_day[u] = day;
      if (by_day.empty()) d->first_day = day;
      if (day < d->first_day) {
        by_day.insert(by_day.begin(), d->first_day - day, {});
        d->first_day = day;
      }
      if (size_t{day} - d->first_day >= by_day.size())
        by_day.resize(size_t{day} - d->first_day + 1);
      by_day[day - d->first_day].push_back(u);
    }
    d->last_days.reserve(by_day.size());
    for (auto& users : by_day) {
      d->last_days.emplace_back(users);
      d->last_days.back().Optimize();
      users = {};
    }
  }
  for (auto& [type, facts] : s.events) d->events[type] = BuildCsr(n, facts, dense_of, false);
  if (!s.category_firsts.empty()) {
    d->category_firsts = BuildCsr(n, s.category_firsts, dense_of, false);
  }
  // Members by dense user; the last one added for a user wins.
  std::stable_sort(s.members.begin(), s.members.end(),
                   [](const auto& a, const auto& b) { return std::get<0>(a) < std::get<0>(b); });
  for (size_t i = 0; i < s.members.size(); ++i) {
    const auto& [user_id, since, level] = s.members[i];
    if (i + 1 < s.members.size() && std::get<0>(s.members[i + 1]) == user_id) continue;
    if (auto u = dense_of(user_id)) {
      d->memberships.push_back({*u, internal::ToTime(since),
                                static_cast<uint8_t>(std::clamp(level.value_or(0), 0, 255))});
    }
  }
  s.members = {};

  std::unordered_map<int64_t, std::vector<uint32_t>> by_tag;
  for (const auto& [user_id, tag_id] : s.user_tags) {
    if (auto u = dense_of(user_id)) by_tag[tag_id].push_back(*u);
  }
  // One bitmap per "group/name"; a bare name shares it when it is in one
  // group only, and has a union of its own otherwise.
  std::unordered_map<std::string, std::vector<uint32_t>> by_name;
  for (auto& [tag_id, users] : by_tag) {
    auto name = s.tag_names.find(tag_id);
    if (name == s.tag_names.end()) continue;
    const std::string full = name->second.first + "/" + name->second.second;
    auto [it, fresh] = d->tags.emplace(full, static_cast<uint32_t>(d->tag_bitmaps.size()));
    if (fresh) d->tag_bitmaps.emplace_back();
    d->tag_bitmaps[it->second].Or(internal::Bitmap(users));
    by_name[name->second.second].push_back(it->second);
  }
  for (auto& [name, positions] : by_name) {
    std::sort(positions.begin(), positions.end());
    positions.erase(std::unique(positions.begin(), positions.end()), positions.end());
    if (positions.size() == 1) {
      d->tags.emplace(name, positions.front());
      continue;
    }
    std::vector<const internal::Bitmap*> parts;
    for (uint32_t p : positions) parts.push_back(&d->tag_bitmaps[p]);
    internal::Bitmap all = internal::Bitmap::Union(parts);
    d->tags.emplace(name, static_cast<uint32_t>(d->tag_bitmaps.size()));
    d->tag_bitmaps.push_back(std::move(all));
  }
  for (auto& b : d->tag_bitmaps) b.Optimize();
  return std::unique_ptr<FeatureIndex>(new FeatureIndex(std::move(d), nullptr));
}

}  // namespace shopcrm::segments
