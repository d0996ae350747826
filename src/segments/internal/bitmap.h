// A set of dense user indexes: the one place CRoaring is included.
// Thread-safety: like a std::vector (const use from many threads is safe).
#pragma once

#include <roaring/roaring.hh>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <vector>

namespace shopcrm::segments::internal {

class Bitmap final {
 public:
  Bitmap() = default;
  // From ascending or unordered indexes.
  explicit Bitmap(const std::vector<uint32_t>& values) : r_(values.size(), values.data()) {}

  void Add(uint32_t v) { r_.add(v); }
  // Adds [lo, hi).
  void AddRange(uint32_t lo, uint32_t hi) { r_.addRange(lo, hi); }
  void And(const Bitmap& o) { r_ &= o.r_; }
  void Or(const Bitmap& o) { r_ |= o.r_; }
  void AndNot(const Bitmap& o) { r_ -= o.r_; }
  // Complements within [0, universe).
  void Flip(uint32_t universe) { r_.flip(0, universe); }
  void Optimize() {
    r_.runOptimize();
    r_.shrinkToFit();
  }

  bool Empty() const { return r_.isEmpty(); }
  uint64_t Cardinality() const { return r_.cardinality(); }
  uint64_t AndCardinality(const Bitmap& o) const { return r_.and_cardinality(o.r_); }
  bool Contains(uint32_t v) const { return r_.contains(v); }
  size_t Bytes() const { return r_.getSizeInBytes(false); }

  // The union of many at once (cheaper than one Or after another).
  static Bitmap Union(const std::vector<const Bitmap*>& parts) {
    std::vector<const ::Roaring*> raw;
    raw.reserve(parts.size());
    for (const Bitmap* b : parts) raw.push_back(&b->r_);
    Bitmap out;
    if (!raw.empty()) out.r_ = ::Roaring::fastunion(raw.size(), raw.data());
    return out;
  }

  // Every member, ascending.
  std::vector<uint32_t> ToVector() const {
    std::vector<uint32_t> out(r_.cardinality());
    if (!out.empty()) r_.toUint32Array(out.data());
    return out;
  }

  // The union of sets whose members are all apart (each set's below the
  // next's): cheap, their containers are only moved together.
  static Bitmap Concat(std::vector<Bitmap>& parts) {
    Bitmap out;
    for (auto& p : parts) out.r_ |= p.r_;
    return out;
  }

  // The first member and the last, when not empty.
  uint32_t Min() const { return r_.minimum(); }
  uint32_t Max() const { return r_.maximum(); }

  // Calls fn(v) for each member v >= from in ascending order while it returns true.
  template <typename Fn>
  void ForEachFrom(uint32_t from, Fn fn) const {
    auto it = r_.begin();
    it.equalorlarger(from);
    for (; it != r_.end(); ++it) {
      if (!fn(*it)) return;
    }
  }

 private:
  friend class ChunkReader;
  ::Roaring r_;
};

// Sets of users are also read a chunk at a time: the 2^16 users whose indexes
// share their upper 16 bits (the chunk's key), as 1024 words of 64 bits.
inline constexpr uint32_t kChunkUsers = 1U << 16;
inline constexpr size_t kChunkWords = kChunkUsers / 64;

// Sets bits [lo, hi] of a chunk's words.
inline void SetBits(uint64_t* w, uint32_t lo, uint32_t hi) {
  const uint32_t a = lo / 64;
  const uint32_t b = hi / 64;
  const uint64_t first = ~uint64_t{0} << (lo % 64);
  const uint64_t last = ~uint64_t{0} >> (63 - hi % 64);
  if (a == b) {
    w[a] |= first & last;
    return;
  }
  w[a] |= first;
  for (uint32_t i = a + 1; i < b; ++i) w[i] = ~uint64_t{0};
  w[b] |= last;
}

// Reads the chunks of one set, by ascending keys, into words. It reads
// CRoaring's containers directly (the headers of Debian 12's 0.2.66 declare
// them): a bitset is 1024 words already, an array a list of low halves, a run
// a list of [value, value + length] intervals. docs/decisions/0006.
//
// Thread-safety: one reader per thread; the set must outlive it and not change.
class ChunkReader final {
 public:
  ChunkReader(const Bitmap& b, uint32_t first_key) : ra_(&b.r_.roaring.high_low_container) {
    while (i_ < ra_->size && ra_->keys[i_] < first_key) ++i_;
  }

  enum class Op { kOr, kAnd, kAndNot };
  // w = w op (the chunk `key` of the set). Keys never go down between calls.
  void Apply(uint32_t key, Op op, uint64_t* w) {
    uint8_t type = 0;
    const void* c = Find(key, &type);
    if (c == nullptr) {
      if (op == Op::kAnd) std::memset(w, 0, kChunkWords * sizeof(uint64_t));
      return;
    }
    switch (type) {
      case BITSET_CONTAINER_TYPE_CODE: {
        const uint64_t* bits = static_cast<const bitset_container_t*>(c)->array;
        if (op == Op::kOr) {
          for (size_t i = 0; i < kChunkWords; ++i) w[i] |= bits[i];
        } else if (op == Op::kAnd) {
          for (size_t i = 0; i < kChunkWords; ++i) w[i] &= bits[i];
        } else {
          for (size_t i = 0; i < kChunkWords; ++i) w[i] &= ~bits[i];
        }
        return;
      }
      case ARRAY_CONTAINER_TYPE_CODE: {
        const auto* a = static_cast<const array_container_t*>(c);
        const uint16_t* v = a->array;
        const int32_t n = a->cardinality;
        if (op == Op::kOr) {
          for (int32_t i = 0; i < n; ++i) w[v[i] / 64] |= uint64_t{1} << (v[i] % 64);
        } else if (op == Op::kAndNot) {
          for (int32_t i = 0; i < n; ++i) w[v[i] / 64] &= ~(uint64_t{1} << (v[i] % 64));
        } else {
          // Keep the members' bits only: word by word, since members are ascending.
          int32_t i = 0;
          for (uint32_t word = 0; word < kChunkWords; ++word) {
            uint64_t keep = 0;
            for (; i < n && v[i] / 64 == word; ++i) keep |= uint64_t{1} << (v[i] % 64);
            w[word] &= keep;
          }
        }
        return;
      }
      case RUN_CONTAINER_TYPE_CODE: {
        const auto* r = static_cast<const run_container_t*>(c);
        if (op == Op::kOr) {
          for (int32_t i = 0; i < r->n_runs; ++i) {
            SetBits(w, r->runs[i].value, uint32_t{r->runs[i].value} + r->runs[i].length);
          }
          return;
        }
        uint64_t runs[kChunkWords] = {};
        for (int32_t i = 0; i < r->n_runs; ++i) {
          SetBits(runs, r->runs[i].value, uint32_t{r->runs[i].value} + r->runs[i].length);
        }
        for (size_t i = 0; i < kChunkWords; ++i) w[i] &= op == Op::kAnd ? runs[i] : ~runs[i];
        return;
      }
      default:
        return;
    }
  }

 private:
  const void* Find(uint32_t key, uint8_t* type) {
    while (i_ < ra_->size && ra_->keys[i_] < key) ++i_;
    if (i_ == ra_->size || ra_->keys[i_] != key) return nullptr;
    *type = ra_->typecodes[i_];
    return container_unwrap_shared(ra_->containers[i_], type);
  }

  const roaring_array_t* ra_;
  int32_t i_ = 0;
};

// Calls fn(v) for each set bit v of a chunk's words (v in [0, 2^16)), ascending.
template <typename Fn>
void ForEachBit(const uint64_t* w, Fn fn) {
  for (uint32_t i = 0; i < kChunkWords; ++i) {
    for (uint64_t bits = w[i]; bits != 0; bits &= bits - 1) {
      fn(i * 64 + static_cast<uint32_t>(std::countr_zero(bits)));
    }
  }
}

}  // namespace shopcrm::segments::internal
