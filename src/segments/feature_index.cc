// FeatureIndex's queries: filters evaluated over the index (the scans of
// candidates are in feature_index_scan.cc), pivots, AARRR and models.
#include "segments/feature_index.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "core/money.h"
#include "segments/catalog.h"
#include "segments/internal/bitmap.h"
#include "segments/internal/columns.h"
#include "segments/internal/index_data.h"
#include "segments/internal/models.h"
#include "segments/internal/parallel.h"

namespace shopcrm::segments {
namespace {

using internal::Csr;
using internal::Dict;
using internal::Seconds;
using internal::Time;

}  // namespace

// How much a condition costs to evaluate: bitmaps first, then the models
// (ranked once per instant), then scans of per-user facts. An `and`
// evaluates its cheap conditions first and scans only the users they leave.
int FeatureIndex::Data::Cost(const Filter& f) const {
  switch (f.kind) {
    case Filter::Kind::kHasTag:
      for (const auto& st : internal::FindSystemTags(f.tag)) {
        if (st.group != internal::SystemGroup::kMemberGroup) return 1;  // the models
      }
      return 0;
    case Filter::Kind::kPredicate:
      if (DictOf(f.predicate.field) != nullptr) return 0;
      if (internal::IsTextModel(f.predicate.field)) return 1;
      // One value per user (days since, age, scores) before sums over a window.
      if (f.predicate.field == "orders" || f.predicate.field == "spend" ||
          f.predicate.field == "aov" || !EventTypeOf(f.predicate.field).empty()) {
        return 3;
      }
      return 2;
    case Filter::Kind::kNot:
      return Cost(f.children.front());
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr: {
      int cost = 0;
      for (const auto& c : f.children) cost = std::max(cost, Cost(c));
      return cost;
    }
  }
  return 2;
}

internal::Bitmap FeatureIndex::Data::Eval(const Filter& f, const AsOf& as_of,
                                          const internal::Bitmap* within) const {
  switch (f.kind) {
    case Filter::Kind::kAnd: {
      std::vector<const Filter*> order;
      for (const auto& c : f.children) order.push_back(&c);
      std::stable_sort(order.begin(), order.end(),
                       [&](const Filter* a, const Filter* b) { return Cost(*a) < Cost(*b); });
      // The scanned predicates go last, all in one pass over the users the
      // others leave.
      std::stable_partition(order.begin(), order.end(),
                            [&](const Filter* c) { return !Scanned(*c); });
      const auto scanned = static_cast<size_t>(
          std::find_if(order.begin(), order.end(), [&](const Filter* c) { return Scanned(*c); }) -
          order.begin());
      if (order.size() == scanned ||
          (scanned == 0 && within == nullptr && order.size() - scanned < 2)) {
        // No scans, or one over everyone (recency then unites days' bitmaps).
        internal::Bitmap acc = Eval(*order.front(), as_of, within);
        for (size_t i = 1; i < order.size() && !acc.Empty(); ++i) {
          acc = Eval(*order[i], as_of, &acc);
        }
        return acc;
      }
      // Pure bitmap conditions are read a chunk at a time, and only the
      // chunks' candidates go through the sieves; the models' conditions
      // (ranked once per instant) look at the users the others leave, so
      // all come first then.
      std::vector<const internal::Bitmap*> sets;
      std::deque<internal::Bitmap> owned;
      Words cond(Words::Kind::kAnd);
      internal::Bitmap acc;
      const internal::Bitmap* users = within;
      if (scanned > 0 && Cost(*order[scanned - 1]) > 0) {
        for (size_t i = 0; i < scanned; ++i) {
          acc = Eval(*order[i], as_of, users);
          users = &acc;
          if (acc.Empty()) return acc;
        }
      } else {
        for (size_t i = 0; i < scanned; ++i) {
          cond.kids.push_back(Compile(*order[i], as_of, within, &sets, &owned));
        }
      }
      Scan scan;
      for (size_t i = scanned; i < order.size(); ++i) AddScan(order[i]->predicate, as_of, &scan);
      return ScanChunks(std::move(cond), std::move(sets), users, scan);
    }
    case Filter::Kind::kOr: {
      // Manual tags are united where they lie; other parts are evaluated first.
      std::vector<internal::Bitmap> parts;
      parts.reserve(f.children.size());
      std::vector<const internal::Bitmap*> inputs;
      for (const auto& c : f.children) {
        if (c.kind == Filter::Kind::kHasTag && internal::FindSystemTags(c.tag).empty()) {
          if (const internal::Bitmap* b = Tag(c.tag)) inputs.push_back(b);
          continue;
        }
        parts.push_back(Eval(c, as_of, within));
      }
      for (const auto& b : parts) inputs.push_back(&b);
      internal::Bitmap out = internal::Bitmap::Union(inputs);
      if (within != nullptr) out.And(*within);
      return out;
    }
    case Filter::Kind::kNot: {
      internal::Bitmap b = Eval(f.children.front(), as_of, within);
      if (within == nullptr) {
        b.Flip(size());
        return b;
      }
      internal::Bitmap out = *within;
      out.AndNot(b);
      return out;
    }
    case Filter::Kind::kHasTag: {
      internal::Bitmap out;
      if (const internal::Bitmap* b = Tag(f.tag)) out = *b;
      // Members come straight from the memberships; the other system tags
      // from the models of the instant.
      std::vector<internal::SystemTag> system;
      for (const auto& st : internal::FindSystemTags(f.tag)) {
        if (st.group != internal::SystemGroup::kMemberGroup) {
          system.push_back(st);
          continue;
        }
        internal::Bitmap members = MembersAt(as_of);
        if (st.code != 1) members.Flip(size());  // non_member
        out.Or(members);
      }
      if (!system.empty()) {
        auto m = ModelsAt(as_of);
        std::vector<uint32_t> members;
        auto test = [&](uint32_t u) {
          for (const auto& st : system) {
            if (internal::Holds(*m, st, u)) {
              members.push_back(u);
              break;
            }
          }
          return true;
        };
        if (within != nullptr) {
          within->ForEachFrom(0, test);
        } else {
          for (uint32_t u = 0; u < size(); ++u) test(u);
        }
        out.Or(internal::Bitmap(members));
      }
      if (within != nullptr) out.And(*within);
      return out;
    }
    case Filter::Kind::kPredicate: {
      internal::Bitmap out = EvalPredicate(f.predicate, as_of, within);
      if (within != nullptr && Cost(f) < 2) out.And(*within);  // bitmaps ignore `within`
      return out;
    }
  }
  return {};
}

internal::Bitmap FeatureIndex::Data::EvalText(const Dict& dict, const Predicate& p) const {
  std::vector<const internal::Bitmap*> found;
  for (const auto& v : p.values) {
    if (const auto* b = dict.Find(std::get<std::string>(v))) found.push_back(b);
  }
  internal::Bitmap hit = internal::Bitmap::Union(found);
  if (p.op == Op::kEq || p.op == Op::kIn) return hit;
  internal::Bitmap out = dict.any;  // != and not in: users with some other value
  out.AndNot(hit);
  return out;
}

// A model's value names are its codes' positions in `names`; an unknown name
// matches nobody. Code 0 is "none": a missing value.
// With `within`, only its members are looked at.
internal::Bitmap MatchCodes(const std::vector<uint8_t>& codes,
                            std::span<const std::string_view> names, const Predicate& p,
                            const internal::Bitmap* within) {
  std::vector<bool> wanted(names.size(), false);
  for (const auto& v : p.values) {
    for (size_t i = 1; i < names.size(); ++i) {
      wanted[i] = wanted[i] || names[i] == std::get<std::string>(v);
    }
  }
  const bool positive = p.op == Op::kEq || p.op == Op::kIn;
  std::vector<uint32_t> hits;
  auto test = [&](uint32_t u) {
    if (codes[u] != 0 && wanted[codes[u]] == positive) hits.push_back(u);
    return true;
  };
  if (within != nullptr) {
    within->ForEachFrom(0, test);
  } else {
    for (uint32_t u = 0; u < codes.size(); ++u) test(u);
  }
  return internal::Bitmap(hits);
}

internal::Bitmap FeatureIndex::Data::EvalModel(const Predicate& p, const internal::ModelColumns& m,
                                               const internal::Bitmap* within) const {
  const internal::TextModel t = internal::TextModelOf(m, p.field);
  return MatchCodes(*t.codes, t.names, p, within);
}

internal::Bitmap FeatureIndex::Data::EvalPredicate(const Predicate& p, const AsOf& as_of,
                                                   const internal::Bitmap* within) const {
  if (const Dict* dict = DictOf(p.field)) return EvalText(*dict, p);
  // Recency over everyone unites the days of latest orders; over candidates,
  // their days are compared a word of users at a time (RecencyWords).
  if (within == nullptr) {
    if (const RecencyDays days = DaysOf(p, as_of); days.usable) return EvalRecency(days);
  }
  if (internal::IsTextModel(p.field)) {
    return EvalModel(p, *ModelsAt(as_of), within);
  }
  Scan scan;
  AddScan(p, as_of, &scan);
  return ScanChunks(Words(Words::Kind::kAnd), {}, within, scan);
}

const Dict* FeatureIndex::Data::DictOf(std::string_view field) const {
  if (field == "city") return &city;
  if (field == "province") return &province;
  if (field == "gender") return &gender;
  if (field == "source_channel") return &source_channel;
  return nullptr;
}

std::vector<std::pair<std::optional<std::string>, internal::Bitmap>> FeatureIndex::Data::Values(
    const std::string& dim, const AsOf& as_of) const {
  std::vector<std::pair<std::optional<std::string>, internal::Bitmap>> out;
  internal::Bitmap none;
  if (const Dict* dict = DictOf(dim)) {
    std::vector<std::pair<std::string, uint32_t>> sorted(dict->codes.begin(), dict->codes.end());
    std::sort(sorted.begin(), sorted.end());
    for (const auto& [value, code] : sorted) out.emplace_back(value, dict->bitmaps[code]);
    none = dict->any;
    none.Flip(size());
  } else {
    auto m = ModelsAt(as_of);
    const internal::TextModel t = internal::TextModelOf(*m, dim);
    std::vector<std::vector<uint32_t>> members(t.names.size());
    for (uint32_t u = 0; u < t.codes->size(); ++u) members[(*t.codes)[u]].push_back(u);
    for (size_t i = 1; i < t.names.size(); ++i) {
      out.emplace_back(std::string(t.names[i]), internal::Bitmap(members[i]));
    }
    none = internal::Bitmap(members[0]);
  }
  out.emplace_back(std::nullopt, std::move(none));
  return out;
}

core::Status ModelOptions::Validate() const {
  std::vector<core::FieldError> errors;
  auto check = [&](const char* name, int v, int lo, int hi) {
    if (v < lo || v > hi) {
      errors.push_back({std::string("segments.") + name, "out_of_range",
                        "must be between " + std::to_string(lo) + " and " + std::to_string(hi)});
    }
  };
  check("new_days", new_days, 1, 3650);
  check("churn_days", churn_days, 1, 3650);
  check("mature_orders", mature_orders, 1, 10000);
  check("rfm_window_days", rfm_window_days, 1, 3650);
  check("pareto_percent", pareto_percent, 1, 99);
  check("motive_orders", motive_orders, 1, 10000);
  check("functional_percent", functional_percent, 0, 100);
  check("conditional_percent", conditional_percent, 0, 100);
  check("emotional_favourites", emotional_favourites, 1, 10000);
  check("epistemic_categories", epistemic_categories, 1, 10000);
  if (errors.empty() && churn_days <= new_days) {
    errors.push_back({"segments.churn_days", "out_of_range", "must be more than new_days"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_config", std::move(errors));
}

FeatureIndex::FeatureIndex(std::shared_ptr<const Data> d,
                           std::shared_ptr<const internal::Bitmap> hidden)
    : d_(std::move(d)), hidden_(std::move(hidden)) {}
FeatureIndex::~FeatureIndex() = default;

uint32_t FeatureIndex::size() const {
  return d_->size() - (hidden_ ? static_cast<uint32_t>(hidden_->Cardinality()) : 0);
}

bool FeatureIndex::Hidden(uint32_t u) const { return hidden_ && hidden_->Contains(u); }

void FeatureIndex::Hide(internal::Bitmap& users) const {
  if (hidden_) users.AndNot(*hidden_);
}

std::shared_ptr<const FeatureIndex> FeatureIndex::Without(
    const std::vector<int64_t>& user_ids) const {
  auto hidden = std::make_shared<internal::Bitmap>();
  if (hidden_) *hidden = *hidden_;
  for (int64_t id : user_ids) {
    if (auto u = d_->DenseOf(id)) hidden->Add(*u);
  }
  hidden->Optimize();
  return std::shared_ptr<const FeatureIndex>(new FeatureIndex(d_, std::move(hidden)));
}

uint64_t FeatureIndex::Count(const Filter& filter, const AsOf& as_of) const {
  const internal::Bitmap users = d_->Eval(filter, as_of);
  return users.Cardinality() - (hidden_ ? users.AndCardinality(*hidden_) : 0);
}

std::vector<int64_t> FeatureIndex::Members(const Filter& filter, const AsOf& as_of, int64_t after,
                                           size_t limit) const {
  auto start = static_cast<uint32_t>(std::upper_bound(d_->ids.begin(), d_->ids.end(), after) -
                                     d_->ids.begin());
  std::vector<int64_t> out;
  if (limit == 0) return out;
  auto take = [&](uint32_t u) {
    if (!Hidden(u)) out.push_back(d_->ids[u]);
    return out.size() < limit;
  };
  // A page stops early: the filter is evaluated over growing ranges of users
  // from the cursor until the page is full. Long lists take the whole set.
  const uint32_t n = d_->size();
  if (limit >= n / 8) {
    d_->Eval(filter, as_of).ForEachFrom(start, take);
    return out;
  }
  uint32_t chunk = 1u << 16;
  while (start < n && out.size() < limit) {
    const uint32_t end = n - start > chunk ? start + chunk : n;
    internal::Bitmap range;
    range.AddRange(start, end);
    d_->Eval(filter, as_of, &range).ForEachFrom(start, take);
    start = end;
    chunk = std::min<uint32_t>(chunk * 2, 1u << 22);
  }
  return out;
}

std::vector<uint64_t> FeatureIndex::Explain(const Filter& filter, const AsOf& as_of) const {
  if (filter.kind != Filter::Kind::kAnd) return {Count(filter, as_of)};
  std::vector<uint64_t> out;
  internal::Bitmap acc = d_->Eval(filter.children.front(), as_of);
  Hide(acc);
  out.push_back(acc.Cardinality());
  for (size_t i = 1; i < filter.children.size(); ++i) {
    if (!acc.Empty()) acc = d_->Eval(filter.children[i], as_of, &acc);
    out.push_back(acc.Cardinality());
  }
  return out;
}

OverlapCounts FeatureIndex::Overlap(const UserSet& a, const UserSet& b, const AsOf& as_of) const {
  auto resolve = [&](const UserSet& set) {
    internal::Bitmap users;
    if (set.filter != nullptr) {
      users = d_->Eval(*set.filter, as_of);
    } else if (set.ids != nullptr) {
      std::vector<uint32_t> dense;
      for (int64_t id : *set.ids) {
        if (auto u = d_->DenseOf(id)) dense.push_back(*u);
      }
      users = internal::Bitmap(dense);
    }
    Hide(users);
    return users;
  };
  const internal::Bitmap x = resolve(a);
  const internal::Bitmap y = resolve(b);
  return {x.Cardinality(), y.Cardinality(), x.AndCardinality(y)};
}

std::vector<PivotCell> FeatureIndex::Pivot(const Filter& filter, const AsOf& as_of,
                                           const std::vector<std::string>& dimensions,
                                           const std::optional<Measure>& measure) const {
  internal::Bitmap matched = d_->Eval(filter, as_of);
  Hide(matched);
  Data::ValueOf value_of;
  if (measure) value_of = d_->Getter(measure->field, measure->window_days, as_of);
  std::vector<PivotCell> out;
  auto emit = [&](std::vector<std::optional<std::string>> key, internal::Bitmap cell) {
    cell.And(matched);
    if (cell.Empty()) return;
    PivotCell c;
    c.key = std::move(key);
    c.users = cell.Cardinality();
    if (value_of) {
      cell.ForEachFrom(0, [&](uint32_t u) {
        c.sum += value_of(u).value_or(0);
        return true;
      });
    }
    out.push_back(std::move(c));
  };
  const auto first = d_->Values(dimensions.at(0), as_of);
  if (dimensions.size() == 1) {
    for (const auto& [value, users] : first) emit({value}, users);
    return out;
  }
  const auto second = d_->Values(dimensions.at(1), as_of);
  for (const auto& [v1, u1] : first) {
    internal::Bitmap left = u1;
    left.And(matched);
    if (left.Empty()) continue;
    for (const auto& [v2, u2] : second) {
      internal::Bitmap cell = left;
      cell.And(u2);
      emit({v1, v2}, std::move(cell));
    }
  }
  return out;
}

AarrrCounts FeatureIndex::Aarrr(core::Instant from, core::Instant to, const Filter* filter,
                                const AsOf& as_of) const {
  const Data& d = *d_;
  const int64_t lo = Seconds(core::ToUnixMicros(from));
  const int64_t hi = Seconds(core::ToUnixMicros(to));
  internal::Bitmap population;
  if (filter != nullptr) population = d.Eval(*filter, as_of);
  auto in = [&](uint32_t u) { return (filter == nullptr || population.Contains(u)) && !Hidden(u); };
  AarrrCounts out;
  internal::Bitmap referrers;  // who invited someone acquired in the period
  for (uint32_t u = 0; u < d.size(); ++u) {
    const Time reg = d.registered[u];
    const bool acquired = reg != internal::kNoTime && reg >= lo && reg < hi;
    if (acquired && d.referrer[u] != internal::kNone) referrers.Add(d.referrer[u]);
    if (!in(u)) continue;
    out.acquired += acquired ? 1U : 0U;
    bool before = false;
    bool during = false;
    for (uint32_t i = d.orders.off[u]; i < d.orders.off[u + 1]; ++i) {
      const int64_t t = d.orders.At(i);
      before = before || t < lo;
      if (t >= lo && t < hi) {
        during = true;
        out.revenue += d.orders.Amount(i);
      }
    }
    out.activated += (during && !before) ? 1U : 0U;
    out.retained += (during && before) ? 1U : 0U;
    out.paying += during ? 1U : 0U;
  }
  referrers.ForEachFrom(0, [&](uint32_t u) {
    out.referring += in(u) ? 1U : 0U;
    return true;
  });
  return out;
}

std::vector<std::pair<std::string, uint64_t>> FeatureIndex::SystemTagCounts(
    const AsOf& as_of) const {
  auto m = d_->ModelsAt(as_of);
  std::vector<std::pair<std::string, uint64_t>> out;
  using G = internal::SystemGroup;
  auto tally = [&](std::string_view group, G g, auto names) {
    const std::vector<uint64_t> n = internal::TallyOf(*m, g, names.size(), hidden_.get());
    for (size_t i = 1; i < names.size(); ++i) {
      out.emplace_back(std::string(group) + "/" + std::string(names[i]), n[i]);
    }
  };
  tally("sys:lifecycle", G::kStageGroup, internal::kStages);
  tally("sys:rfm", G::kRfmGroup, internal::kRfmCells);
  tally("sys:pareto", G::kParetoGroup, internal::kTiers);
  tally("sys:aidees", G::kAideesGroup, internal::kAidees);
  tally("sys:customer", G::kCustomerGroup, internal::kCustomer);
  tally("sys:member", G::kMemberGroup, internal::kMember);
  tally("sys:motivation", G::kMotivationGroup, internal::kMotivations);
  return out;
}

void FeatureIndex::ForEachStage(const AsOf& as_of,
                                const std::function<void(int64_t, std::string_view)>& fn) const {
  auto m = d_->ModelsAt(as_of);
  for (uint32_t u = 0; u < d_->size(); ++u) {
    if (!Hidden(u)) fn(d_->ids[u], internal::kStages[m->stage[u]]);
  }
}

std::optional<UserModels> FeatureIndex::ModelsOf(int64_t user_id, const AsOf& as_of) const {
  const std::optional<uint32_t> dense = d_->DenseOf(user_id);
  if (!dense || Hidden(*dense)) return std::nullopt;
  const uint32_t u = *dense;
  auto m = d_->ModelsAt(as_of);
  UserModels out;
  out.lifecycle = internal::kStages[m->stage[u]];
  out.rfm_cell = internal::kRfmCells[m->cell[u]];
  out.r_score = m->r[u];
  out.f_score = m->f[u];
  out.m_score = m->m[u];
  out.pareto_tier = internal::kTiers[m->tier[u]];
  out.aidees = internal::kAidees[m->aidees[u]];
  out.customer = internal::kCustomer[m->customer[u]];
  out.member = internal::kMember[m->member[u]];
  for (size_t k = 1; k < internal::kMotivations.size(); ++k) {
    if (internal::HasBit(m->motivation[u], k))
      out.motivations.emplace_back(internal::kMotivations[k]);
  }
  return out;
}

void FeatureIndex::Prepare(const AsOf& as_of) const { d_->ModelsAt(as_of); }

std::optional<int64_t> FeatureIndex::ReferrerOf(int64_t user_id) const {
  const std::optional<uint32_t> u = d_->DenseOf(user_id);
  if (!u) return std::nullopt;
  const uint32_t r = d_->referrer[*u];
  if (r == internal::kNone) return std::nullopt;
  return d_->ids[r];
}

size_t FeatureIndex::MemoryBytes() const {
  const Data& d = *d_;
  size_t n =
      d.ids.capacity() * sizeof(int64_t) + d.last_day.capacity() * sizeof(uint16_t) +
      (d.registered.capacity() + d.birth_ymd.capacity() + d.referrer.capacity()) * sizeof(int32_t);
  for (const auto& b : d.last_days) n += b.Bytes();
  for (const auto* bounds : {&d.orders_at_least, &d.spend_at_least}) {
    for (const auto& b : *bounds) n += b.Bytes();
  }
  auto csr = [](const Csr& c) {
    return (c.off.capacity() + c.rows.capacity()) * sizeof(uint32_t) + c.big.size() * 32;
  };
  n += csr(d.orders);
  for (const auto& [type, c] : d.events) n += csr(c);
  for (const Dict* dict : {&d.city, &d.province, &d.gender, &d.source_channel}) {
    n += dict->any.Bytes();
    for (const auto& b : dict->bitmaps) n += b.Bytes();
  }
  for (const auto& b : d.tag_bitmaps) n += b.Bytes();
  if (hidden_) n += hidden_->Bytes();
  return n;
}

}  // namespace shopcrm::segments
