// The feature index's data and the declarations its parts share:
// feature_index.cc (queries), feature_index_scan.cc (the scans of candidates,
// a chunk of users at a time) and feature_index_build.cc (the Builder).
// Internal to segments.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "segments/feature_index.h"
#include "segments/filter.h"
#include "segments/internal/bitmap.h"
#include "segments/internal/columns.h"
#include "segments/internal/models.h"

namespace shopcrm::segments {

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
  internal::Bitmap EvalText(const internal::Dict& dict, const Predicate& p) const;
  // The users who are members by the instant.
  internal::Bitmap MembersAt(const AsOf& as_of) const {
    const int64_t t = internal::Seconds(core::ToUnixMicros(as_of.at));
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
  const internal::Dict* DictOf(std::string_view field) const;
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
    const internal::Csr* csr = nullptr;
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
    const std::optional<internal::Time> latest = orders.LatestAt(u, t);
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

}  // namespace shopcrm::segments
