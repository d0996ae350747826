// A set of dense user indexes: the one place CRoaring is included.
// Thread-safety: like a std::vector (const use from many threads is safe).
#pragma once

#include <roaring/roaring.hh>

#include <algorithm>
#include <cstdint>
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

  // Calls fn(values, n) for the members in [from, to), ascending, at most
  // `cap` at a time, read in bulk into `buf`.
  template <typename Fn>
  void ForEachBlock(uint32_t from, uint32_t to, uint32_t* buf, uint32_t cap, Fn fn) const {
    roaring_uint32_iterator_t it;
    roaring_init_iterator(&r_.roaring, &it);
    if (!roaring_move_uint32_iterator_equalorlarger(&it, from)) return;
    while (it.has_value && it.current_value < to) {
      const uint32_t read = roaring_read_uint32_iterator(&it, buf, cap);
      const auto n = static_cast<uint32_t>(std::lower_bound(buf, buf + read, to) - buf);
      if (n > 0) fn(buf, size_t{n});
      if (n < read) return;
    }
  }

  // The union of sets whose members are all apart (each set's below the
  // next's): cheap, their containers are only moved together.
  static Bitmap Concat(std::vector<Bitmap>& parts) {
    Bitmap out;
    for (auto& p : parts) out.r_ |= p.r_;
    return out;
  }

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
  ::Roaring r_;
};

}  // namespace shopcrm::segments::internal
