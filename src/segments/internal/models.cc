#include "segments/internal/models.h"

#include <algorithm>
#include <numeric>

namespace shopcrm::segments::internal {
namespace {

// Scores 1..5 by quintile among the buyers: 1 + floor(5 * worse / n), where
// `worse` is how many buyers have a strictly worse value, so equal values
// share a score. `better` orders values best last. Without a reference, also
// writes the value each score from 2 up needs to beat (`thresholds`); with
// one, scores by its thresholds.
template <typename Better>
void Score(const std::vector<uint32_t>& buyers, const std::vector<int64_t>& value, Better better,
           const std::array<int64_t, 4>* reference, std::array<int64_t, 4>& thresholds,
           std::vector<uint8_t>& out) {
  if (reference != nullptr) {
    for (size_t i = 0; i < buyers.size(); ++i) {
      int score = 1;
      for (int64_t t : *reference) score += better(t, value[i]) ? 1 : 0;
      out[buyers[i]] = static_cast<uint8_t>(score);
    }
    return;
  }
  std::vector<uint32_t> order(buyers.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return better(value[a], value[b]); });
  const auto n = static_cast<int64_t>(buyers.size());
  size_t first = 0;  // first position of the current run of equal values
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && value[order[i]] != value[order[i - 1]]) first = i;
    out[buyers[order[i]]] = static_cast<uint8_t>(1 + (5 * static_cast<int64_t>(first)) / n);
  }
  // Score k needs worse >= ceil((k - 1) n / 5): to beat the value at that
  // position, counted from 1 among the worst first.
  for (int64_t k = 2; k <= 5; ++k) {
    const int64_t need = ((k - 1) * n + 4) / 5;
    thresholds[static_cast<size_t>(k - 2)] = value[order[static_cast<size_t>(need - 1)]];
  }
}

// The furthest AIDEES stage each user's touch points in (window, at] show:
// attention (a visit or login), interest (a search), desire (a favourite or
// cart add), experience (one counting order), enthusiasm (two or more, or a
// review), share (a share, or inviting someone who registered in the window).
void Aidees(const Columns& c, int64_t window, int64_t at, std::vector<uint8_t>& out) {
  auto raise = [&](const char* type, uint8_t stage) {
    auto it = c.events.find(type);
    if (it == c.events.end()) return;
    for (uint32_t u = 0; u < c.size(); ++u) {
      if (out[u] >= stage) continue;
      const auto [b, e] = it->second.Range(u, window, at);
      if (b != e) out[u] = stage;
    }
  };
  raise("visit", 1);
  raise("login", 1);
  raise("search", 2);
  raise("favourite", 3);
  raise("cart_add", 3);
  for (uint32_t u = 0; u < c.size(); ++u) {
    const auto [b, e] = c.orders.Range(u, window, at);
    if (e - b >= 2) {
      out[u] = std::max<uint8_t>(out[u], 5);
    } else if (e - b == 1) {
      out[u] = std::max<uint8_t>(out[u], 4);
    }
  }
  raise("review", 5);
  raise("share", 6);
  for (uint32_t u = 0; u < c.size(); ++u) {
    const Time reg = c.registered[u];
    if (c.referrer[u] != kNone && reg != kNoTime && reg > window && reg <= at) {
      out[c.referrer[u]] = 6;
    }
  }
}

// The consumption values each user's facts in (window, at] show
// (docs/analytics.md, "Consumption values").
void Motivations(const Columns& c, int64_t window, int64_t at, const ModelOptions& o,
                 std::vector<uint8_t>& out) {
  auto bit = [](size_t value) { return static_cast<uint8_t>(1u << (value - 1)); };
  constexpr size_t kFunctional = 1, kSocial = 2, kEmotional = 3, kEpistemic = 4, kConditional = 5;
  auto count = [&](const char* type, uint32_t u) -> size_t {
    auto it = c.events.find(type);
    return it == c.events.end() ? 0 : it->second.Count(u, window, at);
  };
  for (uint32_t u = 0; u < c.size(); ++u) {
    uint8_t bits = 0;
    const auto [b, e] = c.orders.Range(u, window, at);
    const auto n = static_cast<int64_t>(e - b);
    if (n >= o.motive_orders) {
      int64_t discounted = 0;
      for (size_t i = b; i < e; ++i)
        discounted += c.orders.flagged.Contains(static_cast<uint32_t>(i)) ? 1 : 0;
      if (100 * discounted <= int64_t{o.functional_percent} * n) bits |= bit(kFunctional);
      if (100 * discounted >= int64_t{o.conditional_percent} * n) bits |= bit(kConditional);
    }
    if (count("share", u) > 0) bits |= bit(kSocial);
    if (count("favourite", u) >= static_cast<size_t>(o.emotional_favourites) ||
        count("review", u) > 0) {
      bits |= bit(kEmotional);
    }
    if (!c.category_firsts.off.empty() &&
        c.category_firsts.Count(u, window, at) >= static_cast<size_t>(o.epistemic_categories)) {
      bits |= bit(kEpistemic);
    }
    out[u] |= bits;
  }
  // Inviting someone who registered in the window is social too.
  for (uint32_t u = 0; u < c.size(); ++u) {
    const Time reg = c.registered[u];
    if (c.referrer[u] != kNone && reg != kNoTime && reg > window && reg <= at) {
      out[c.referrer[u]] |= bit(kSocial);
    }
  }
}

}  // namespace

ModelColumns ComputeModels(const Columns& c, int64_t at_micros, const ModelOptions& o,
                           const Population* reference) {
  const uint32_t n = c.size();
  const int64_t at = Seconds(at_micros);
  const int64_t day = kDay;
  const int64_t recent = at - int64_t{o.new_days} * day;  // "within new_days": t > recent
  const int64_t churned = at - int64_t{o.churn_days} * day;
  const int64_t window = at - int64_t{o.rfm_window_days} * day;
  ModelColumns m;
  m.stage.assign(n, 0);
  m.r.assign(n, 0);
  m.f.assign(n, 0);
  m.m.assign(n, 0);
  m.cell.assign(n, 0);
  m.tier.assign(n, 0);
  m.aidees.assign(n, 0);
  Aidees(c, window, at, m.aidees);
  m.motivation.assign(n, 0);
  Motivations(c, window, at, o, m.motivation);
  m.member.assign(n, 2);
  for (const Columns::Member& x : c.memberships) {
    if (x.since <= at) m.member[x.user] = 1;
  }
  m.customer.assign(n, 0);
  for (uint32_t u = 0; u < n; ++u) {
    const auto [b, e] = c.orders.Range(u, INT64_MIN, at);
    m.customer[u] = static_cast<uint8_t>(std::min<size_t>(e - b, 2));
  }

  std::vector<uint32_t> buyers;
  std::vector<int64_t> r_days;
  std::vector<int64_t> f_count;
  std::vector<int64_t> m_spend;
  for (uint32_t u = 0; u < n; ++u) {
    const auto [b, e] = c.orders.Range(u, INT64_MIN, at);
    const auto t = [&c](size_t row) { return int64_t{c.orders.At(row)}; };
    if (b == e) {
      m.stage[u] = 1;  // potential
      continue;
    }
    const int64_t last = t(e - 1);
    if (last <= churned) {
      m.stage[u] = 2;
    } else if (last <= recent) {
      m.stage[u] = 3;
    } else {
      // The start of the current run of orders: the first order, or the first
      // after a gap of churn_days or more.
      size_t k = e - 1;
      while (k > b && t(k) - t(k - 1) < int64_t{o.churn_days} * day) --k;
      if (t(k) > recent) {
        m.stage[u] = 4;  // new
      } else {
        const auto [rb, re] = c.orders.Range(u, recent, at);
        const auto [pb, pe] = c.orders.Range(u, recent - int64_t{o.new_days} * day, recent);
        const auto now_count = static_cast<int64_t>(re - rb);
        const auto before = static_cast<int64_t>(pe - pb);
        m.stage[u] = now_count >= o.mature_orders ? 5 : now_count >= before ? 6 : 7;
      }
    }
    if (last > window) {
      const auto [wb, we] = c.orders.Range(u, window, at);
      int64_t spend = 0;
      for (size_t i = wb; i < we; ++i) spend += c.orders.Amount(i);
      buyers.push_back(u);
      r_days.push_back((at - last) / day);
      f_count.push_back(static_cast<int64_t>(we - wb));
      m_spend.push_back(spend);
    }
  }
  if (buyers.empty()) return m;
  if (reference != nullptr && reference->buyers == 0) reference = nullptr;
  Population& own = m.population;
  own.buyers = static_cast<int64_t>(buyers.size());

  // Scores: fewer days since the last order is better; more orders and spend.
  auto fewer = [](int64_t a, int64_t b) { return a > b; };
  auto more = [](int64_t a, int64_t b) { return a < b; };
  Score(buyers, r_days, fewer, reference ? &reference->r : nullptr, own.r, m.r);
  Score(buyers, f_count, more, reference ? &reference->f : nullptr, own.f, m.f);
  Score(buyers, m_spend, more, reference ? &reference->m : nullptr, own.m, m.m);
  // A score is high when it is at least the mean score of the buyers.
  for (uint32_t u : buyers) {
    own.sum_r += m.r[u];
    own.sum_f += m.f[u];
    own.sum_m += m.m[u];
  }
  const Population& mean = reference != nullptr ? *reference : own;
  for (uint32_t u : buyers) {
    const bool hr = m.r[u] * mean.buyers >= mean.sum_r;
    const bool hf = m.f[u] * mean.buyers >= mean.sum_f;
    const bool hm = m.m[u] * mean.buyers >= mean.sum_m;
    m.cell[u] = static_cast<uint8_t>(1 + (hr ? 1 : 0) + (hf ? 2 : 0) + (hm ? 4 : 0));
  }

  // Pareto: buyers by spend, largest first (then by id); the head is the
  // shortest prefix reaching pareto_percent of the revenue, the waist the
  // same of what remains, the tail the rest.
  if (reference != nullptr) {
    // Where the buyer would stand in the reference's order.
    auto within = [&](const Population::Last& last, size_t i) {
      const int64_t id = c.ids[buyers[i]];
      return last.any && (m_spend[i] != last.spend ? m_spend[i] > last.spend : id <= last.id);
    };
    for (size_t i = 0; i < buyers.size(); ++i) {
      m.tier[buyers[i]] = within(reference->head, i) ? 1 : within(reference->waist, i) ? 2 : 3;
    }
    return m;
  }
  std::vector<uint32_t> order(buyers.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
    return m_spend[a] != m_spend[b] ? m_spend[a] > m_spend[b] : buyers[a] < buyers[b];
  });
  const int64_t total = std::accumulate(m_spend.begin(), m_spend.end(), int64_t{0});
  size_t i = 0;
  int64_t covered = 0;
  // 100 * part >= percent * whole, without overflow: with whole = 100q + r,
  // part >= q * percent + ceil(r * percent / 100).
  auto reached = [&](int64_t part, int64_t whole) {
    const int64_t q = whole / 100;
    const int64_t r = whole % 100;
    return part >= q * o.pareto_percent + (r * o.pareto_percent + 99) / 100;
  };
  auto mark = [&](Population::Last& last, size_t k) {
    last = {true, m_spend[order[k]], c.ids[buyers[order[k]]]};
  };
  for (; i < order.size() && !reached(covered, total); ++i) {
    covered += m_spend[order[i]];
    m.tier[buyers[order[i]]] = 1;
    mark(own.head, i);
  }
  const int64_t rest = total - covered;
  int64_t covered_rest = 0;
  for (; i < order.size() && rest > 0 && !reached(covered_rest, rest); ++i) {
    covered_rest += m_spend[order[i]];
    m.tier[buyers[order[i]]] = 2;
    mark(own.waist, i);
  }
  for (; i < order.size(); ++i) m.tier[buyers[order[i]]] = 3;
  return m;
}

std::vector<SystemTag> FindSystemTags(std::string_view tag) {
  struct Group {
    std::string_view name;
    SystemGroup group;
    const std::string_view* values;
    size_t size;
  };
  static const Group kGroups[] = {
      {"sys:lifecycle", SystemGroup::kStageGroup, kStages.data(), kStages.size()},
      {"sys:rfm", SystemGroup::kRfmGroup, kRfmCells.data(), kRfmCells.size()},
      {"sys:pareto", SystemGroup::kParetoGroup, kTiers.data(), kTiers.size()},
      {"sys:aidees", SystemGroup::kAideesGroup, kAidees.data(), kAidees.size()},
      {"sys:customer", SystemGroup::kCustomerGroup, kCustomer.data(), kCustomer.size()},
      {"sys:member", SystemGroup::kMemberGroup, kMember.data(), kMember.size()},
      {"sys:motivation", SystemGroup::kMotivationGroup, kMotivations.data(), kMotivations.size()},
  };
  std::string_view group;
  std::string_view name = tag;
  if (const auto slash = tag.find('/'); slash != std::string_view::npos) {
    group = tag.substr(0, slash);
    name = tag.substr(slash + 1);
  }
  std::vector<SystemTag> out;
  for (const auto& g : kGroups) {
    if (!group.empty() && group != g.name) continue;
    for (size_t i = 1; i < g.size; ++i) {
      if (g.values[i] == name) out.push_back({g.group, static_cast<uint8_t>(i)});
    }
  }
  return out;
}

bool IsTextModel(std::string_view field) {
  return field == "lifecycle" || field == "rfm_cell" || field == "pareto_tier" || field == "aidees";
}

TextModel TextModelOf(const ModelColumns& m, std::string_view field) {
  if (field == "lifecycle") return {&m.stage, kStages};
  if (field == "rfm_cell") return {&m.cell, kRfmCells};
  if (field == "aidees") return {&m.aidees, kAidees};
  return {&m.tier, kTiers};
}

const std::vector<uint8_t>& CodesOf(const ModelColumns& m, SystemGroup g) {
  switch (g) {
    case SystemGroup::kStageGroup:
      return m.stage;
    case SystemGroup::kRfmGroup:
      return m.cell;
    case SystemGroup::kParetoGroup:
      return m.tier;
    case SystemGroup::kAideesGroup:
      return m.aidees;
    case SystemGroup::kCustomerGroup:
      return m.customer;
    case SystemGroup::kMemberGroup:
      return m.member;
    case SystemGroup::kMotivationGroup:
      return m.motivation;
  }
  return m.stage;
}

bool Holds(const ModelColumns& m, const SystemTag& tag, uint32_t u) {
  const uint8_t code = CodesOf(m, tag.group)[u];
  if (tag.group == SystemGroup::kMotivationGroup) return HasBit(code, tag.code);
  return code == tag.code;
}

std::vector<uint64_t> TallyOf(const ModelColumns& m, SystemGroup g, size_t codes,
                              const Bitmap* skip) {
  std::vector<uint64_t> n(codes, 0);
  const std::vector<uint8_t>& of = CodesOf(m, g);
  auto tally = [&](uint8_t c, uint64_t one) {
    if (g != SystemGroup::kMotivationGroup) {
      n[c] += one;
      return;
    }
    for (size_t k = 1; k < codes; ++k) n[k] += HasBit(c, k) ? one : 0U;
  };
  for (uint8_t c : of) tally(c, 1);
  if (skip != nullptr) {
    skip->ForEachFrom(0, [&](uint32_t u) {
      tally(of[u], ~uint64_t{0});  // adds -1, modulo 2^64
      return true;
    });
  }
  return n;
}

std::shared_ptr<const ModelColumns> ModelCache::Get(const Columns& c, int64_t at,
                                                    const ModelOptions& o,
                                                    const Population* reference) {
  std::promise<std::shared_ptr<const ModelColumns>> promise;
  Shared result;
  bool mine = false;
  {
    std::lock_guard lock(mu_);
    for (const auto& [t, shared] : entries_) {
      if (t == at) result = shared;
    }
    if (!result.valid()) {
      result = promise.get_future().share();
      entries_.emplace_back(at, result);
      if (entries_.size() > kEntries) entries_.erase(entries_.begin());
      mine = true;
    }
  }
  if (mine) {
    // Computed outside the lock; callers for other instants go on meanwhile.
    try {
      promise.set_value(std::make_shared<const ModelColumns>(ComputeModels(c, at, o, reference)));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return result.get();
}

}  // namespace shopcrm::segments::internal
