// The scans of candidates: an `and`'s bitmap conditions read a chunk of
// users at a time into words, then refines and sieves over the candidates.
#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <functional>
#include <string>
#include <tuple>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "segments/catalog.h"
#include "segments/internal/index_data.h"
#include "segments/internal/parallel.h"

namespace shopcrm::segments {
namespace {

using internal::Csr;
using internal::Dict;
using internal::kDay;
using internal::Seconds;
using internal::Time;

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

}  // namespace

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

}  // namespace shopcrm::segments
