#include "segments/feature_index.h"

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstring>
#include <deque>
#include <functional>
#include <numeric>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/money.h"
#include "segments/catalog.h"
#include "segments/internal/bitmap.h"
#include "segments/internal/columns.h"
#include "segments/internal/models.h"
#include "segments/internal/parallel.h"

namespace shopcrm::segments {
namespace {

using internal::Csr;
using internal::Dict;
using internal::kDay;
using internal::Seconds;
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

bool Compare(Op op, int64_t v, const std::vector<Literal>& values) {
  auto num = [&](size_t i) { return std::get<int64_t>(values[i]); };
  switch (op) {
    case Op::kEq:
      return v == num(0);
    case Op::kNe:
      return v != num(0);
    case Op::kLt:
      return v < num(0);
    case Op::kLe:
      return v <= num(0);
    case Op::kGt:
      return v > num(0);
    case Op::kGe:
      return v >= num(0);
    case Op::kBetween:
      return v >= num(0) && v <= num(1);
    case Op::kIn:
    case Op::kNotIn: {
      bool found = false;
      for (size_t i = 0; i < values.size() && !found; ++i) found = num(i) == v;
      return op == Op::kIn ? found : !found;
    }
  }
  return false;
}

// The values a comparison accepts, when they are one interval [lo, hi].
std::optional<std::pair<int64_t, int64_t>> Interval(const Predicate& p) {
  auto num = [&](size_t i) { return std::get<int64_t>(p.values[i]); };
  switch (p.op) {
    case Op::kEq:
      return std::pair{num(0), num(0)};
    case Op::kLt:
      if (num(0) == INT64_MIN) return std::pair{int64_t{1}, int64_t{0}};  // nothing
      return std::pair{INT64_MIN, num(0) - 1};
    case Op::kLe:
      return std::pair{INT64_MIN, num(0)};
    case Op::kGt:
      if (num(0) == INT64_MAX) return std::pair{int64_t{1}, int64_t{0}};
      return std::pair{num(0) + 1, INT64_MAX};
    case Op::kGe:
      return std::pair{num(0), INT64_MAX};
    case Op::kBetween:
      return std::pair{num(0), num(1)};
    case Op::kNe:
    case Op::kIn:
    case Op::kNotIn:
      return std::nullopt;
  }
  return std::nullopt;
}

// The bitmap conditions of an `and`, read a chunk of users at a time
// (internal::ChunkReader): sets combined by and, or and not, evaluated into
// a chunk's 1024 words without building a bitmap per condition.
struct Words {
  enum class Kind { kSet, kNone, kAll, kAnd, kOr, kNot };
  explicit Words(Kind k, size_t s = 0, std::vector<Words> c = {})
      : kind(k), set(s), kids(std::move(c)) {}

  Kind kind;
  size_t set;  // kSet: which of the sets
  std::vector<Words> kids;

  // How many chunks of words evaluating it needs at once.
  size_t Depth() const {
    size_t d = 0;
    for (const auto& k : kids) d = std::max(d, k.Depth());
    return d + 1;
  }
};

// Evaluates `n` for the chunk `key` into w; `tmp` has room for n.Depth() - 1
// chunks more.
void RunWords(const Words& n, uint32_t key, std::vector<internal::ChunkReader>& readers,
              uint64_t* w, uint64_t* tmp) {
  using Op = internal::ChunkReader::Op;
  constexpr size_t kWords = internal::kChunkWords;
  switch (n.kind) {
    case Words::Kind::kNone:
      std::memset(w, 0, kWords * sizeof(uint64_t));
      return;
    case Words::Kind::kAll:
      std::memset(w, 0xff, kWords * sizeof(uint64_t));
      return;
    case Words::Kind::kSet:
      std::memset(w, 0, kWords * sizeof(uint64_t));
      readers[n.set].Apply(key, Op::kOr, w);
      return;
    case Words::Kind::kNot:
      RunWords(n.kids.front(), key, readers, w, tmp);
      for (size_t i = 0; i < kWords; ++i) w[i] = ~w[i];
      return;
    case Words::Kind::kAnd:
    case Words::Kind::kOr: {
      const bool all = n.kind == Words::Kind::kAnd;
      RunWords(n.kids.front(), key, readers, w, tmp);
      for (size_t k = 1; k < n.kids.size(); ++k) {
        const Words& c = n.kids[k];
        if (c.kind == Words::Kind::kSet) {
          readers[c.set].Apply(key, all ? Op::kAnd : Op::kOr, w);
        } else if (all && c.kind == Words::Kind::kNot && c.kids.front().kind == Words::Kind::kSet) {
          readers[c.kids.front().set].Apply(key, Op::kAndNot, w);
        } else {
          RunWords(c, key, readers, tmp, tmp + kWords);
          for (size_t i = 0; i < kWords; ++i) w[i] = all ? w[i] & tmp[i] : w[i] | tmp[i];
        }
      }
      return;
    }
  }
}
// A "days since" interval [a, b] as the interval of times it selects as of
// the instant t (seconds): days = floor((t - x) / D) >= 0, so days in [a, b]
// <=> t - (b + 1) D < x <= t - a D. Nullopt when no day is in it.
std::optional<std::pair<int64_t, int64_t>> TimesOfDays(std::pair<int64_t, int64_t> days,
                                                       int64_t t) {
  constexpr int64_t kMaxDays = 10'000'000;
  const int64_t a = std::max<int64_t>(days.first, 0);
  const int64_t b = std::min<int64_t>(days.second, kMaxDays);
  if (a > b) return std::nullopt;
  return std::pair{t - (b + 1) * kDay + 1, t - a * kDay};
}

}  // namespace

struct FeatureIndex::Data : internal::Columns {
  ModelOptions model_options;
  int money_digits = 2;  // of the business currency
  mutable internal::ModelCache models;
  // The index whose buyers the relative models rank against; null for this one's own.
  std::shared_ptr<const FeatureIndex> reference;

  std::shared_ptr<const internal::ModelColumns> ModelsAt(const AsOf& as_of) const {
    const int64_t at = core::ToUnixMicros(as_of.at);
    if (reference == nullptr) return models.Get(*this, at, model_options);
    const auto population = reference->d_->ModelsAt(as_of);
    return models.Get(*this, at, model_options, &population->population);
  }

  // The users `f` matches; with `within`, only those of `within` (a
  // condition then scans no one else).
  internal::Bitmap Eval(const Filter& f, const AsOf& as_of,
                        const internal::Bitmap* within = nullptr) const;
  int Cost(const Filter& f) const;
  // A condition answered by testing users one at a time (not by bitmaps).
  bool Scanned(const Filter& f) const { return f.kind == Filter::Kind::kPredicate && Cost(f) >= 2; }
  internal::Bitmap EvalPredicate(const Predicate& p, const AsOf& as_of,
                                 const internal::Bitmap* within) const;
  internal::Bitmap EvalText(const Dict& dict, const Predicate& p) const;
  // The users who are members by the instant.
  internal::Bitmap MembersAt(const AsOf& as_of) const {
    const int64_t t = Seconds(core::ToUnixMicros(as_of.at));
    std::vector<uint32_t> users;
    for (const Member& m : memberships) {
      if (int64_t{m.since} <= t) users.push_back(m.user);
    }
    return internal::Bitmap(users);
  }
  // What a recency comparison needs of the days of latest orders.
  struct RecencyDays {
    bool usable = false;                     // a recency interval, and orders to look at
    bool any = false;                        // the interval is not empty
    int64_t t = 0, lo = 0, hi = 0;           // seconds: the instant, the interval of times
    int64_t first = 0, last = 0;             // the positions of lo's and hi's days in last_days
    int64_t inner_begin = 0, inner_end = 0;  // the days wholly in the interval
    bool none_after = false;                 // no order is after hi
  };
  RecencyDays DaysOf(const Predicate& p, const AsOf& as_of) const;
  // Everyone whose recency is in the interval, from the days' bitmaps.
  internal::Bitmap EvalRecency(const RecencyDays& d) const;
  internal::Bitmap EvalModel(const Predicate& p, const internal::ModelColumns& m,
                             const internal::Bitmap* within) const;
  const Dict* DictOf(std::string_view field) const;
  // A numeric feature of one user, as of `as_of`; missing as nullopt.
  using ValueOf = std::function<std::optional<int64_t>(uint32_t)>;
  ValueOf Getter(const std::string& field, std::optional<int> window, const AsOf& as_of) const;
  // Calls visit(fn) with fn(u) -> std::optional<int64_t>, the feature's value
  // for user u: Getter without an indirect call per user, for scans.
  template <typename Visit>
  void WithGetter(const std::string& field, std::optional<int> window, const AsOf& as_of,
                  Visit&& visit, bool raw_time = false) const;
  // The users of each value of a text dimension, by value, then those with none.
  std::vector<std::pair<std::optional<std::string>, internal::Bitmap>> Values(
      const std::string& dim, const AsOf& as_of) const;
  // What a scan over scattered candidates fetches ahead: a user's run of
  // facts (and their amounts), or one fixed-size value per user.
  struct Prefetch {
    const Csr* csr = nullptr;
    const char* base = nullptr;
    size_t stride = 0;
  };
  // Calls visit(test, prefetch) with test(u) -> bool, whether user u passes
  // the scanned predicate `p`.
  template <typename Visit>
  void WithTest(const Predicate& p, const AsOf& as_of, Visit&& visit) const;
  // Keeps, of the users c[0, n), those that pass one test, in order, and
  // returns how many: the test inlined in a loop without a branch per user.
  using Sieve = std::function<size_t(uint32_t* c, size_t n)>;
  // Keeps, of a chunk's candidates (its words), those that pass one test:
  // for tests on a dense column, read word by word rather than user by user.
  using Refine = std::function<void(uint32_t key, uint64_t* w)>;
  template <typename Fn>
  static Sieve MakeSieve(Fn test, const Prefetch& prefetch);
  // What the scanned predicates of an `and` add to its bitmap conditions:
  // bounds (bitmaps of users who might pass, read with them), refines on
  // each chunk's words, then sieves on the users left.
  struct Scan {
    std::vector<const internal::Bitmap*> bounds;
    std::vector<Refine> refines;
    std::vector<Sieve> sieves;
  };
  // Adds what tests a scanned predicate. A count of orders or a spend of at
  // least some amount first keeps the users of the nearest bound at or below it
  // (Columns::kOrderBounds, kSpendBounds); a count of facts that must be at
  // least n, when no bound is exact, drops the users with fewer than n facts
  // in all from their offsets alone, before the facts' times are read. A
  // test that reads a chunk's words better (recency) is a refine.
  void AddScan(const Predicate& p, const AsOf& as_of, Scan* scan) const;
  // A recency interval tested on the day of each user's latest order.
  struct RecencyTest {
    uint16_t first = 0, last = 0, span = 0;  // days: lo's, hi's, and how many strictly inside
    bool none_after = false;                 // no order is after hi
    int64_t lo = 0, hi = 0, t = 0;           // seconds: the interval of times, the instant
  };
  std::optional<RecencyTest> RecencyOf(const Predicate& p, const AsOf& as_of) const;
  Refine RecencyWords(const RecencyTest& r) const;
  // Whether user u's latest order at or before t is in [lo, hi].
  bool LatestIn(uint32_t u, int64_t t, int64_t lo, int64_t hi) const {
    const std::optional<Time> latest = orders.LatestAt(u, t);
    return latest && int64_t{*latest} >= lo && int64_t{*latest} <= hi;
  }
  // The pure-bitmap condition `f` as words over `sets` (which it adds to);
  // what cannot be read a chunk at a time is evaluated into `owned`.
  Words Compile(const Filter& f, const AsOf& as_of, const internal::Bitmap* within,
                std::vector<const internal::Bitmap*>* sets,
                std::deque<internal::Bitmap>* owned) const;
  // The users that the `and` `cond` (over `sets`) holds for, of `within` when
  // given, and that pass every refine and sieve: chunks split between the
  // cores, each chunk's candidates read from its words into blocks that go
  // through the sieves.
  internal::Bitmap ScanChunks(Words cond, std::vector<const internal::Bitmap*> sets,
                              const internal::Bitmap* within, const Scan& scan) const;
};

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

template <typename Fn>
FeatureIndex::Data::Sieve FeatureIndex::Data::MakeSieve(Fn test, const Prefetch& prefetch) {
  return [test, p = prefetch](uint32_t* c, size_t n) {
    // Scattered users would miss the cache once per column and twice per run
    // of facts (the user's offset, then the facts), so all are fetched ahead.
    constexpr size_t kFar = 128;
    constexpr size_t kNear = 64;
    size_t k = 0;
    for (size_t i = 0; i < n; ++i) {
      if (p.csr != nullptr) {
        if (i + kFar < n) __builtin_prefetch(p.csr->off.data() + c[i + kFar]);
        if (i + kNear < n) {
          // The first and the last row (with the amounts beside the times):
          // a user's rows often end in the next line.
          const uint32_t* off = p.csr->off.data() + c[i + kNear];
          __builtin_prefetch(p.csr->Row(off[0]));
          __builtin_prefetch(p.csr->Row(off[1] > 0 ? off[1] - 1 : 0));
        }
      } else if (p.base != nullptr && i + kFar < n) {
        __builtin_prefetch(p.base + size_t{c[i + kFar]} * p.stride);
      }
      const uint32_t u = c[i];
      c[k] = u;  // k <= i: nothing unread is overwritten
      k += test(u) ? 1U : 0U;
    }
    return k;
  };
}

Words FeatureIndex::Data::Compile(const Filter& f, const AsOf& as_of,
                                  const internal::Bitmap* within,
                                  std::vector<const internal::Bitmap*>* sets,
                                  std::deque<internal::Bitmap>* owned) const {
  auto set = [&](const internal::Bitmap* b) {
    if (b == nullptr) return Words{Words::Kind::kNone};
    sets->push_back(b);
    return Words{Words::Kind::kSet, sets->size() - 1};
  };
  switch (f.kind) {
    case Filter::Kind::kHasTag:
      if (internal::FindSystemTags(f.tag).empty()) return set(Tag(f.tag));
      break;
    case Filter::Kind::kPredicate:
      if (const Dict* dict = DictOf(f.predicate.field)) {  // as EvalText
        Words hit(Words::Kind::kOr);
        for (const auto& v : f.predicate.values) {
          if (const auto* b = dict->Find(std::get<std::string>(v))) hit.kids.push_back(set(b));
        }
        if (hit.kids.empty()) hit.kind = Words::Kind::kNone;
        if (f.predicate.op == Op::kEq || f.predicate.op == Op::kIn) return hit;
        return Words{Words::Kind::kAnd, 0, {set(&dict->any), Words{Words::Kind::kNot, 0, {hit}}}};
      }
      break;
    case Filter::Kind::kNot:
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr:
      if (Cost(f) == 0) {
        Words out(f.kind == Filter::Kind::kNot   ? Words::Kind::kNot
                  : f.kind == Filter::Kind::kAnd ? Words::Kind::kAnd
                                                 : Words::Kind::kOr);
        for (const auto& c : f.children) out.kids.push_back(Compile(c, as_of, within, sets, owned));
        return out;
      }
      break;
  }
  owned->push_back(Eval(f, as_of, within));
  return set(&owned->back());
}

internal::Bitmap FeatureIndex::Data::ScanChunks(Words cond,
                                                std::vector<const internal::Bitmap*> sets,
                                                const internal::Bitmap* within,
                                                const Scan& scan) const {
  if (size() == 0 || (within != nullptr && within->Empty())) return {};
  constexpr size_t kWords = internal::kChunkWords;
  // The users past the last in the last chunk are never candidates.
  const uint32_t last_key = (size() - 1) / internal::kChunkUsers;
  const uint32_t tail = size() % internal::kChunkUsers;
  uint32_t first = 0;
  uint32_t end = last_key + 1;
  if (within != nullptr) {  // read first, as the cheapest
    first = within->Min() / internal::kChunkUsers;
    end = within->Max() / internal::kChunkUsers + 1;
    sets.push_back(within);
    cond.kids.insert(cond.kids.begin(), Words(Words::Kind::kSet, sets.size() - 1));
  }
  for (const auto* bound : scan.bounds) {
    sets.push_back(bound);
    cond.kids.emplace_back(Words::Kind::kSet, sets.size() - 1);
  }
  if (cond.kids.empty()) cond.kind = Words::Kind::kAll;
  const size_t depth = cond.Depth();
  const auto chunks = static_cast<size_t>(end - first);
  const size_t parts = std::clamp<size_t>(chunks, 1, internal::ScanThreads());
  std::vector<internal::Bitmap> hits(parts);
  internal::RunParts(parts, [&](size_t part) {
    const auto b = static_cast<uint32_t>(first + chunks * part / parts);
    const auto e = static_cast<uint32_t>(first + chunks * (part + 1) / parts);
    std::vector<internal::ChunkReader> readers;
    readers.reserve(sets.size());
    for (const auto* set : sets) readers.emplace_back(*set, b);
    std::vector<uint64_t> words(depth * kWords);
    uint64_t* w = words.data();
    constexpr size_t kBlock = 4096;
    std::array<uint32_t, kBlock> block;
    size_t n = 0;
    std::vector<uint32_t> mine;
    auto sift = [&] {
      for (size_t i = 0; i < scan.sieves.size() && n > 0; ++i) n = scan.sieves[i](block.data(), n);
      mine.insert(mine.end(), block.data(), block.data() + n);
      n = 0;
    };
    for (uint32_t key = b; key < e; ++key) {
      RunWords(cond, key, readers, w, w + kWords);
      if (key == last_key && tail != 0) {
        w[tail / 64] &= (uint64_t{1} << (tail % 64)) - 1;
        std::memset(w + tail / 64 + 1, 0, (kWords - tail / 64 - 1) * sizeof(uint64_t));
      }
      for (const auto& refine : scan.refines) refine(key, w);
      const uint32_t base = key * internal::kChunkUsers;
      internal::ForEachBit(w, [&](uint32_t v) {
        block[n++] = base + v;
        if (n == kBlock) sift();
      });
    }
    if (n > 0) sift();
    hits[part] = internal::Bitmap(mine);
  });
  return internal::Bitmap::Concat(hits);
}

void FeatureIndex::Data::AddScan(const Predicate& p, const AsOf& as_of, Scan* scan) const {
  if (const auto r = RecencyOf(p, as_of)) {
    scan->refines.push_back(RecencyWords(*r));
    return;
  }
  const auto range = Interval(p);
  // The nearest bound at or below the least value that passes, and whether
  // it is that value.
  auto bound = [&](const auto& ladder, int64_t scale, const std::vector<internal::Bitmap>& sets) {
    size_t i = 0;
    while (i < std::size(ladder) && int64_t{ladder[i]} * scale <= range->first) ++i;
    if (i == 0 || sets.size() != std::size(ladder)) return false;
    scan->bounds.push_back(&sets[i - 1]);
    return int64_t{ladder[i - 1]} * scale == range->first;
  };
  bool exact = false;
  if (range && p.field == "orders") {
    exact = bound(internal::Columns::kOrderBounds, 1, orders_at_least);
  } else if (range && p.field == "spend") {
    bound(internal::Columns::kSpendBounds, 100, spend_at_least);  // filter money is in hundredths
  }
  const Csr* counted = nullptr;
  if (p.field == "orders") {
    counted = &orders;
  } else if (const std::string_view type = EventTypeOf(p.field); !type.empty()) {
    auto it = events.find(std::string(type));
    if (it != events.end()) counted = &it->second;
  }
  if (counted != nullptr && range && range->first >= 1 && !exact) {
    const auto least = static_cast<uint64_t>(range->first);
    scan->sieves.push_back(MakeSieve(
        [counted, least](uint32_t u) { return counted->off[u + 1] - counted->off[u] >= least; },
        Prefetch{nullptr, reinterpret_cast<const char*>(counted->off.data()), sizeof(uint32_t)}));
  }
  WithTest(p, as_of, [&](auto test, const Prefetch& prefetch) {
    scan->sieves.push_back(MakeSieve(test, prefetch));
  });
}

std::optional<FeatureIndex::Data::RecencyTest> FeatureIndex::Data::RecencyOf(
    const Predicate& p, const AsOf& as_of) const {
  if (p.field != "recency") return std::nullopt;
  const auto range = Interval(p);
  if (!range) return std::nullopt;
  RecencyTest r;
  r.t = Seconds(core::ToUnixMicros(as_of.at));
  const auto times = TimesOfDays(*range, r.t);
  if (!times) return std::nullopt;  // nobody: WithTest says so
  std::tie(r.lo, r.hi) = *times;
  // A latest order on a day strictly inside the interval's is in it, one
  // before the first day is not. When no order is after `hi` (as in a count
  // as of now), one on the last day is in it too. The rest look at their
  // orders.
  const auto day = [](int64_t s) {
    return internal::DayOf(static_cast<Time>(std::clamp<int64_t>(s, 0, internal::kNoTime - 1)));
  };
  r.first = day(r.lo);
  r.last = day(r.hi);
  r.none_after = r.hi >= int64_t{latest_order};
  // d is strictly inside when (uint16_t)(d - first - 1) < span; no order (0) never is.
  r.span = static_cast<uint16_t>(r.none_after       ? UINT16_MAX - r.first
                                 : r.last > r.first ? r.last - r.first - 1
                                                    : 0);
  return r;
}

FeatureIndex::Data::Refine FeatureIndex::Data::RecencyWords(const RecencyTest& r) const {
  return [this, r](uint32_t key, uint64_t* w) {
    // Each word's 64 users' days are compared at once: bits of those inside
    // the interval's days, and of those on an edge day, who look at their
    // orders (RecencyOf).
    const uint32_t base = key * internal::kChunkUsers;
    const uint32_t users = std::min(internal::kChunkUsers, size() - base);
    const uint16_t* days = last_day.data() + base;
    // Users on an edge day are settled a batch at a time, their orders
    // fetched all at once.
    constexpr size_t kEdges = 256;
    std::array<uint32_t, kEdges> edges;
    size_t n = 0;
    auto settle = [&] {
      for (size_t i = 0; i < n; ++i) __builtin_prefetch(orders.off.data() + base + edges[i]);
      for (size_t i = 0; i < n; ++i) {
        __builtin_prefetch(orders.Row(orders.off[base + edges[i] + 1] - 1));
      }
      for (size_t i = 0; i < n; ++i) {
        if (LatestIn(base + edges[i], r.t, r.lo, r.hi))
          w[edges[i] / 64] |= uint64_t{1} << (edges[i] % 64);
      }
      n = 0;
    };
#if defined(__SSE2__)
    const __m128i bias = _mm_set1_epi16(static_cast<int16_t>(0x8000));
    const __m128i after_first = _mm_set1_epi16(static_cast<int16_t>(r.first + 1));
    const __m128i span = _mm_set1_epi16(static_cast<int16_t>(r.span ^ 0x8000));
    const __m128i first = _mm_set1_epi16(static_cast<int16_t>(r.first));
    const __m128i last = _mm_set1_epi16(static_cast<int16_t>(r.last ^ 0x8000));
    const __m128i ones = _mm_set1_epi16(-1);
    // 8 users' lanes: those inside, and those on an edge day.
    auto eight = [&](const uint16_t* d8, __m128i* on) {
      const __m128i d = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d8));
      __m128i e = _mm_cmpeq_epi16(d, first);
      if (!r.none_after) {  // d >= last
        e = _mm_or_si128(e, _mm_andnot_si128(_mm_cmplt_epi16(_mm_xor_si128(d, bias), last), ones));
      }
      *on = e;
      // (uint16_t)(d - first - 1) < span, unsigned, as a signed comparison
      return _mm_cmplt_epi16(_mm_xor_si128(_mm_sub_epi16(d, after_first), bias), span);
    };
    auto sixteen = [&](const uint16_t* d16, uint64_t* in, uint64_t* edge) {
      __m128i on0;
      __m128i on1;
      const __m128i in0 = eight(d16, &on0);
      const __m128i in1 = eight(d16 + 8, &on1);
      *in = static_cast<uint16_t>(_mm_movemask_epi8(_mm_packs_epi16(in0, in1)));
      *edge = static_cast<uint16_t>(_mm_movemask_epi8(_mm_packs_epi16(on0, on1)));
    };
#endif
    for (uint32_t j = 0; j < internal::kChunkWords; ++j) {
      if (w[j] == 0) continue;
      uint64_t in = 0;
      uint64_t edge = 0;
      const uint32_t from = j * 64;
#if defined(__SSE2__)
      if (from + 64 <= users) {
        for (uint32_t q = 0; q < 4; ++q) {
          uint64_t i16 = 0;
          uint64_t e16 = 0;
          sixteen(days + from + 16 * q, &i16, &e16);
          in |= i16 << (16 * q);
          edge |= e16 << (16 * q);
        }
      } else
#endif
      {
        for (uint32_t b = 0; b < 64 && from + b < users; ++b) {
          const uint16_t d = days[from + b];
          in |= uint64_t{static_cast<uint16_t>(d - r.first - 1) < r.span} << b;
          edge |= uint64_t{d == r.first || (!r.none_after && d >= r.last)} << b;
        }
      }
      const uint64_t on_edge = w[j] & edge;
      w[j] &= in;
      for (uint64_t e = on_edge; e != 0; e &= e - 1) {
        edges[n++] = from + static_cast<uint32_t>(std::countr_zero(e));
        if (n == kEdges) settle();
      }
    }
    settle();
  };
}

template <typename Visit>
void FeatureIndex::Data::WithTest(const Predicate& p, const AsOf& as_of, Visit&& visit) const {
  // Money in a filter is in hundredths of the major unit; amounts are in the
  // business currency's minor units. For a currency with two minor digits
  // they are the same; otherwise compare v * 10^(2 - d) (yen) or the literals
  // * 10^(d - 2) (dinar), both exact.
  if (money_digits != 2 && Features().Find(p.field) != nullptr &&
      Features().Find(p.field)->type == FieldType::kMoney) {
    Predicate scaled = p;
    int64_t value_scale = 1;
    for (int i = money_digits; i < 2; ++i) value_scale *= 10;
    for (int i = 2; i < money_digits; ++i) {
      for (auto& v : scaled.values) v = std::get<int64_t>(v) * 10;
    }
    WithGetter(p.field, p.window_days, as_of, [&](auto value_of) {
      visit(
          [value_of, scaled, value_scale](uint32_t u) {
            const std::optional<int64_t> v = value_of(u);
            return v && Compare(scaled.op, *v * value_scale, scaled.values);
          },
          Prefetch{&orders});
    });
    return;
  }
  Prefetch prefetch;
  const std::string& f = p.field;
  if (f == "recency" || f == "orders" || f == "spend" || f == "aov" || f == "first_order_days") {
    prefetch.csr = &orders;
  } else if (const auto type = f == "last_visit_days" ? std::string_view("visit") : EventTypeOf(f);
             !type.empty()) {
    auto it = events.find(std::string(type));
    if (it != events.end()) prefetch.csr = &it->second;
  } else if (f == "registered_days") {
    prefetch = {nullptr, reinterpret_cast<const char*>(registered.data()), sizeof(Time)};
  } else if (f == "age") {
    prefetch = {nullptr, reinterpret_cast<const char*>(birth_ymd.data()), sizeof(int32_t)};
  }
  const auto range = Interval(p);
  if (!range) {
    WithGetter(p.field, p.window_days, as_of, [&](auto value_of) {
      visit(
          [value_of, &p](uint32_t u) {
            const std::optional<int64_t> v = value_of(u);
            return v && Compare(p.op, *v, p.values);
          },
          prefetch);
    });
    return;
  }
  // Comparisons that select one interval of values test `lo <= v <= hi`;
  // on a "days since" feature, the interval of days becomes one of times.
  auto [lo, hi] = *range;
  const bool days =
      f == "recency" || f == "first_order_days" || f == "last_visit_days" || f == "registered_days";
  if (days) {
    const auto times = TimesOfDays({lo, hi}, Seconds(core::ToUnixMicros(as_of.at)));
    if (!times) {
      visit([](uint32_t) { return false; }, Prefetch{});
      return;
    }
    std::tie(lo, hi) = *times;
  }
  WithGetter(
      p.field, p.window_days, as_of,
      [&](auto value_of) {
        visit(
            [value_of, lo, hi](uint32_t u) {
              const std::optional<int64_t> v = value_of(u);
              return v && *v >= lo && *v <= hi;
            },
            prefetch);
      },
      days);
}

FeatureIndex::Data::RecencyDays FeatureIndex::Data::DaysOf(const Predicate& p,
                                                           const AsOf& as_of) const {
  RecencyDays d;
  if (p.field != "recency" || last_days.empty() || !Interval(p)) return d;
  d.usable = true;
  const auto r = RecencyOf(p, as_of);
  if (!r) return d;  // nobody
  d.t = r->t;
  d.lo = r->lo;
  d.hi = r->hi;
  // Days as positions in last_days, clamped to the days there are.
  const auto pos = [&](int64_t s) {
    const int64_t day = 1 + std::max<int64_t>(s, 0) / kDay;
    return std::clamp<int64_t>(day - first_day, -1, static_cast<int64_t>(last_days.size()));
  };
  d.first = pos(d.lo);
  d.last = pos(d.hi);
  // The days strictly inside, and with none after hi's its day too (RecencyOf).
  d.none_after = r->none_after;
  d.inner_begin = std::clamp<int64_t>(d.first + 1, 0, static_cast<int64_t>(last_days.size()));
  d.inner_end =
      std::max(d.inner_begin, d.none_after ? static_cast<int64_t>(last_days.size()) : d.last);
  d.any = true;
  return d;
}

internal::Bitmap FeatureIndex::Data::EvalRecency(const RecencyDays& d) const {
  if (!d.any) return {};
  std::vector<const internal::Bitmap*> inner;
  for (int64_t i = d.inner_begin; i < d.inner_end; ++i) {
    inner.push_back(&last_days[static_cast<size_t>(i)]);
  }
  internal::Bitmap out = internal::Bitmap::Union(inner);
  std::vector<uint32_t> edge;
  auto exact = [&](int64_t i) {
    if (i < 0 || i >= static_cast<int64_t>(last_days.size())) return;
    last_days[static_cast<size_t>(i)].ForEachFrom(0, [&](uint32_t u) {
      if (LatestIn(u, d.t, d.lo, d.hi)) edge.push_back(u);
      return true;
    });
  };
  exact(d.first);
  if (!d.none_after) {
    for (int64_t i = std::max(d.last, d.first + 1); i < static_cast<int64_t>(last_days.size());
         ++i) {
      exact(i);
    }
  }
  if (!edge.empty()) out.Or(internal::Bitmap(edge));
  return out;
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

template <typename Visit>
void FeatureIndex::Data::WithGetter(const std::string& f, std::optional<int> window,
                                    const AsOf& as_of, Visit&& visit, bool raw_time) const {
  const int64_t hi = Seconds(core::ToUnixMicros(as_of.at));
  const int64_t lo = window ? hi - int64_t{*window} * kDay : INT64_MIN;
  // With raw_time, a "days since" feature gives the time itself (the caller
  // turned its comparison into one on times: no division per user).
  auto days_since = [hi, raw_time](int64_t t) -> std::optional<int64_t> {
    return raw_time ? t : (hi - t) / kDay;
  };
  if (f == "r_score" || f == "f_score" || f == "m_score") {
    auto m = ModelsAt(as_of);
    const std::vector<uint8_t>* score = f == "r_score" ? &m->r : f == "f_score" ? &m->f : &m->m;
    return visit([m, score](uint32_t u) -> std::optional<int64_t> {
      if ((*score)[u] == 0) return std::nullopt;
      return (*score)[u];
    });
  }
  if (f == "orders") {
    return visit([this, lo, hi](uint32_t u) -> std::optional<int64_t> {
      return static_cast<int64_t>(orders.Count(u, lo, hi));
    });
  }
  if (f == "spend" || f == "aov") {
    const bool aov = f == "aov";
    return visit([this, lo, hi, aov](uint32_t u) -> std::optional<int64_t> {
      size_t count = 0;
      const int64_t sum = orders.Sum(u, lo, hi, &count);
      if (!aov) return sum;
      if (count == 0) return std::nullopt;
      const auto n = static_cast<int64_t>(count);
      return (2 * sum + n) / (2 * n);  // half up
    });
  }
  if (f == "recency") {
    // The latest order is at or before `hi` but in analyses of the past.
    return visit([this, hi, days_since](uint32_t u) -> std::optional<int64_t> {
      const std::optional<Time> latest = orders.LatestAt(u, hi);
      if (!latest) return std::nullopt;
      return days_since(*latest);
    });
  }
  if (f == "first_order_days") {
    return visit([this, hi, days_since](uint32_t u) -> std::optional<int64_t> {
      const uint32_t b = orders.off[u];
      if (b == orders.off[u + 1] || orders.At(b) > hi) return std::nullopt;
      return days_since(orders.At(b));
    });
  }
  if (f == "last_visit_days") {
    auto it = events.find("visit");
    if (it == events.end())
      return visit([](uint32_t) -> std::optional<int64_t> { return std::nullopt; });
    const Csr* visits = &it->second;
    return visit([visits, hi, days_since](uint32_t u) -> std::optional<int64_t> {
      const std::optional<Time> latest = visits->LatestAt(u, hi);
      if (!latest) return std::nullopt;
      return days_since(*latest);
    });
  }
  if (f == "registered_days") {
    return visit([this, hi, days_since](uint32_t u) -> std::optional<int64_t> {
      const Time r = registered[u];
      if (r == internal::kNoTime || r > hi) return std::nullopt;
      return days_since(r);
    });
  }
  if (f == "level") {
    return visit([this](uint32_t u) -> std::optional<int64_t> {
      const Member* m = MemberOf(u);
      if (m == nullptr || m->level == 0) return std::nullopt;
      return m->level;
    });
  }
  if (f == "age") {
    const int today = static_cast<int>(as_of.date.year()) * 10000 +
                      static_cast<int>(static_cast<unsigned>(as_of.date.month()) * 100 +
                                       static_cast<unsigned>(as_of.date.day()));
    return visit([this, today](uint32_t u) -> std::optional<int64_t> {
      const int32_t b = birth_ymd[u];
      if (b == 0 || b > today) return std::nullopt;
      return (today - b) / 10000;  // whole years: yyyymmdd differences carry
    });
  }
  if (const std::string_view type = EventTypeOf(f); !type.empty()) {
    auto it = events.find(std::string(type));
    if (it == events.end()) return visit([](uint32_t) -> std::optional<int64_t> { return 0; });
    const Csr* c = &it->second;
    return visit([c, lo, hi](uint32_t u) -> std::optional<int64_t> {
      return static_cast<int64_t>(c->Count(u, lo, hi));
    });
  }
  // Not a numeric feature of the catalog: the parser refuses it first.
  return visit([](uint32_t) -> std::optional<int64_t> { return std::nullopt; });
}

FeatureIndex::Data::ValueOf FeatureIndex::Data::Getter(const std::string& f,
                                                       std::optional<int> window,
                                                       const AsOf& as_of) const {
  ValueOf out;
  WithGetter(f, window, as_of, [&](auto fn) { out = fn; });
  return out;
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

// ---------------------------------------------------------------------------

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
