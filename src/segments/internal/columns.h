// The raw columns of a feature index, shared by the engine
// (feature_index.cc) and the models (models.cc). Internal to segments.
#pragma once

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "segments/internal/bitmap.h"

namespace shopcrm::segments::internal {

inline constexpr uint32_t kNone = UINT32_MAX;

// Times are kept as whole seconds since 1970 (the fraction dropped), in 32
// bits: facts and the evaluation instant alike (docs/analytics.md, "The
// evaluation instant"). Times before 1970 are kept as 0, after 2106 as
// kNoTime - 1.
inline constexpr int64_t kDay = 86'400;  // seconds
using Time = uint32_t;
inline constexpr Time kNoTime = UINT32_MAX;  // unknown

// Whole seconds of a Unix time in microseconds, rounded down.
inline int64_t Seconds(int64_t micros) {
  return micros / 1'000'000 - (micros % 1'000'000 < 0 ? 1 : 0);
}
inline Time ToTime(int64_t micros) {
  return static_cast<Time>(std::clamp<int64_t>(Seconds(micros), 0, int64_t{kNoTime} - 1));
}
// A day number for coarse tests: 1 + whole days since 1970 of a time (0 = none).
inline uint16_t DayOf(Time t) { return static_cast<uint16_t>(1 + t / kDay); }

// Memory for the large columns in 2 MiB pages where the kernel gives them
// (transparent huge pages in "madvise" mode): scans reach users' facts out of
// order, and with 4 KiB pages nearly every reach also misses the TLB.
template <typename T>
struct PageAllocator {
  using value_type = T;
  static constexpr size_t kPage = size_t{2} << 20;
  static constexpr size_t kLarge = 2 * kPage;  // smaller ones come from malloc

  PageAllocator() = default;
  template <typename U>
  explicit PageAllocator(const PageAllocator<U>&) {}

  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLarge) return std::allocator<T>().allocate(n);
    const size_t len = Rounded(bytes);
    // Map a page more than needed and trim both ends to a page boundary.
    void* raw =
        mmap(nullptr, len + kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto at = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (at + kPage - 1) & ~(kPage - 1);
    if (aligned > at) munmap(raw, aligned - at);
    if (at + kPage > aligned) munmap(reinterpret_cast<void*>(aligned + len), at + kPage - aligned);
    madvise(reinterpret_cast<void*>(aligned), len, MADV_HUGEPAGE);
    return reinterpret_cast<T*>(aligned);
  }
  void deallocate(T* p, size_t n) {
    const size_t bytes = n * sizeof(T);
    if (bytes < kLarge) return std::allocator<T>().deallocate(p, n);
    munmap(p, Rounded(bytes));
  }
  friend bool operator==(const PageAllocator&, const PageAllocator&) { return true; }

 private:
  static size_t Rounded(size_t bytes) { return (bytes + kPage - 1) & ~(kPage - 1); }
};
template <typename T>
using Column = std::vector<T, PageAllocator<T>>;

// A text attribute: one code per user (0 = missing) and a bitmap per value.
struct Dict {
  std::unordered_map<std::string, uint32_t> codes;  // value -> position in `bitmaps`
  std::vector<Bitmap> bitmaps;
  Bitmap any;  // users with a value

  void Add(uint32_t user, const std::optional<std::string>& value) {
    if (!value || value->empty()) return;
    auto [it, fresh] = codes.emplace(*value, static_cast<uint32_t>(bitmaps.size()));
    if (fresh) bitmaps.emplace_back();
    bitmaps[it->second].Add(user);
    any.Add(user);
  }
  const Bitmap* Find(const std::string& value) const {
    auto it = codes.find(value);
    return it == codes.end() ? nullptr : &bitmaps[it->second];
  }
};

// Facts per user, sorted by time within each user: rows off[u] .. off[u+1].
// A row is the fact's time and, for orders, its net amount beside it (two
// words), so that one cache line holds both: a scan that counts a user's
// orders and sums them reads one line where two arrays took two.
struct Csr {
  Column<uint32_t> off;
  Column<uint32_t> rows;
  uint32_t stride = 1;  // words per row: 2 with amounts
  // An amount that does not fit is kBig in its row and exact in `big`, by row.
  static constexpr int32_t kBig = INT32_MIN;
  static constexpr uint32_t kShort = 16;
  std::unordered_map<uint32_t, int64_t> big;
  Bitmap flagged;  // orders: the rows of discounted orders

  size_t Rows() const { return rows.size() / stride; }
  Time At(size_t row) const { return rows[row * stride]; }
  const uint32_t* Row(size_t row) const { return rows.data() + row * stride; }
  void Add(Time t) { rows.push_back(t); }
  void Add(Time t, int64_t amount) {
    const auto row = static_cast<uint32_t>(Rows());
    rows.push_back(t);
    if (amount > INT32_MIN && amount <= INT32_MAX) {
      rows.push_back(static_cast<uint32_t>(static_cast<int32_t>(amount)));
    } else {
      big.emplace(row, amount);
      rows.push_back(static_cast<uint32_t>(kBig));
    }
  }

  // The first of rows [b, e) of one user later than v (seconds), or e.
  size_t After(size_t b, size_t e, int64_t v) const {
    while (b < e) {
      const size_t m = b + (e - b) / 2;
      if (int64_t{At(m)} <= v) {
        b = m + 1;
      } else {
        e = m;
      }
    }
    return b;
  }
  // The time of user `u`'s latest row at or before `t` (seconds), if any.
  std::optional<Time> LatestAt(uint32_t u, int64_t t) const {
    const size_t last = After(off[u], off[u + 1], t);
    if (last == off[u]) return std::nullopt;
    return At(last - 1);
  }
  // The rows of user `u` at or before `hi` and after `lo` (seconds).
  std::pair<size_t, size_t> Range(uint32_t u, int64_t lo, int64_t hi) const {
    const size_t last = After(off[u], off[u + 1], hi);
    return {After(off[u], last, lo), last};
  }
  // How many rows of user `u` are in (lo, hi], and their amounts' sum: a
  // user's few facts are looked at one by one, without a branch each; many
  // are searched.
  size_t Count(uint32_t u, int64_t lo, int64_t hi) const {
    const uint32_t b = off[u];
    const uint32_t e = off[u + 1];
    if (e - b > kShort) {
      const auto [first, last] = Range(u, lo, hi);
      return last - first;
    }
    size_t n = 0;
    for (uint32_t i = b; i < e; ++i) n += (At(i) > lo && At(i) <= hi) ? 1U : 0U;
    return n;
  }
  int64_t Sum(uint32_t u, int64_t lo, int64_t hi, size_t* count = nullptr) const {
    const uint32_t b = off[u];
    const uint32_t e = off[u + 1];
    int64_t sum = 0;
    size_t n = 0;
    if (e - b > kShort) {
      const auto [first, last] = Range(u, lo, hi);
      for (size_t i = first; i < last; ++i) sum += Amount(i);
      n = last - first;
    } else {
      for (uint32_t i = b; i < e; ++i) {
        const bool in = At(i) > lo && At(i) <= hi;
        sum += in ? Amount(i) : 0;
        n += in ? 1U : 0U;
      }
    }
    if (count != nullptr) *count = n;
    return sum;
  }
  int64_t Amount(size_t row) const {
    const auto a = static_cast<int32_t>(Row(row)[1]);
    return a != kBig ? a : big.at(static_cast<uint32_t>(row));
  }
};

struct Columns {
  std::vector<int64_t> ids;  // dense index -> user id, ascending
  Dict city;
  Dict province;
  Dict gender;
  Dict source_channel;
  std::vector<int32_t> birth_ymd;  // yyyymmdd, 0 = unknown
  std::vector<Time> registered;    // kNoTime = unknown
  std::vector<uint32_t> referrer;  // dense index of who invited them, kNone = none
  Csr orders;
  // Bounds on every window's orders and spend, read with the bitmap
  // conditions so that fewer users reach the exact tests on their orders:
  // orders_at_least[i] holds the users with at least kOrderBounds[i] orders
  // in all, spend_at_least[i] those whose orders' positive amounts sum to at
  // least kSpendBounds[i] major units of the business currency (the sums are
  // compared in its minor units).
  static constexpr uint32_t kOrderBounds[] = {1, 2, 3, 5, 10};
  static constexpr int64_t kSpendBounds[] = {10,   20,   50,   100,   200,   500,
                                             1000, 2000, 5000, 10000, 20000, 50000};
  std::vector<Bitmap> orders_at_least;
  std::vector<Bitmap> spend_at_least;
  Column<uint16_t> last_day;  // DayOf each user's latest order, 0 = none
  // The users whose latest order is on each day: day first_day + i at i.
  std::vector<Bitmap> last_days;
  uint16_t first_day = 0;
  Time latest_order = 0;                        // the latest order of all
  std::unordered_map<std::string, Csr> events;  // by event type
  Csr category_firsts;  // when each user first bought from each category; empty without any
  // Members only (few of all users, so not a column): by dense user.
  struct Member {
    uint32_t user;
    Time since;     // their first growth or paid purchase
    uint8_t level;  // now; 0 for paid-only members
  };
  std::vector<Member> memberships;
  const Member* MemberOf(uint32_t u) const {
    auto it = std::lower_bound(memberships.begin(), memberships.end(), u,
                               [](const Member& m, uint32_t v) { return m.user < v; });
    return it != memberships.end() && it->user == u ? &*it : nullptr;
  }
  // Tags by "name" and by "group/name": positions in `tag_bitmaps`, shared
  // where a name is in one group only.
  std::unordered_map<std::string, uint32_t> tags;
  std::vector<Bitmap> tag_bitmaps;

  const Bitmap* Tag(const std::string& name) const {
    auto it = tags.find(name);
    return it == tags.end() ? nullptr : &tag_bitmaps[it->second];
  }

  uint32_t size() const { return static_cast<uint32_t>(ids.size()); }
  // The dense index of the user with id `id`; nullopt when not held.
  std::optional<uint32_t> DenseOf(int64_t id) const {
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id) return std::nullopt;
    return static_cast<uint32_t>(it - ids.begin());
  }
};

}  // namespace shopcrm::segments::internal
