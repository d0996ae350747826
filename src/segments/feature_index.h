// The feature index: every user's features in memory, in columns over a dense
// user index, with roaring bitmaps for tags and text attributes, so that a
// segment filter is counted without touching the database.
//
// The index is derived: a Builder takes the facts (from profiles::Facts at
// start-up, or generated ones in tests and benchmarks) and Finish() freezes
// them. Erased users are left out: no filter ever matches them. Orders in a
// currency other than the index's are left out of every order feature.
// Feature definitions: docs/analytics.md.
//
// Thread-safety: a finished index is immutable and safe to read from any
// number of threads; a Builder is for one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "segments/filter.h"

namespace shopcrm::segments {
namespace internal {
class Bitmap;
}

// The instant features are evaluated at, and its calendar date in the
// business time zone (for ages).
struct AsOf {
  core::Instant at;
  core::LocalDate date;
};

// Thresholds of the built-in models (docs/analytics.md).
struct ModelOptions {
  int new_days = 30;          // lifecycle: "recent" (new, silent, mature, rising)
  int churn_days = 180;       // lifecycle: churned, and the gap that makes a buyer new again
  int mature_orders = 5;      // lifecycle: recent orders that make a buyer mature
  int rfm_window_days = 365;  // RFM and Pareto: the window buyers and figures come from
  int pareto_percent = 80;    // Pareto: the share of revenue the head, then the waist, covers
  // Consumption values (motivations), over the RFM window:
  int motive_orders = 2;         // functional, conditional: at least this many orders
  int functional_percent = 25;   // functional: at most this share of them discounted
  int conditional_percent = 50;  // conditional: at least this share of them discounted
  int emotional_favourites = 2;  // emotional: this many favourites (or a review)
  int epistemic_categories = 2;  // epistemic: this many categories bought the first time

  // Returns invalid_config naming each bad threshold.
  core::Status Validate() const;
};

struct UserFeatures {
  int64_t id = 0;
  std::optional<std::string> gender;
  std::optional<std::string> birthday;  // YYYY-MM-DD; anything else counts as missing
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> source_channel;
  std::optional<int64_t> registered_at_micros;
  std::optional<int64_t> referrer_id;  // who invited them
};

// The AARRR funnel of a period [from, to) (docs/analytics.md).
struct AarrrCounts {
  uint64_t acquired = 0;   // registered in the period
  uint64_t activated = 0;  // first counting order in the period
  uint64_t retained = 0;   // ordered in the period and before it
  uint64_t referring = 0;  // invited someone who registered in the period
  uint64_t paying = 0;     // ordered in the period
  int64_t revenue = 0;     // net amount of the orders paid in the period, minor units
};

// The dimensions a pivot may group by: every text feature of the catalog.
inline constexpr std::string_view kPivotDimensions[] = {"city",           "province",  "gender",
                                                        "source_channel", "lifecycle", "rfm_cell",
                                                        "pareto_tier",    "aidees"};

// A numeric feature to sum over the users of each pivot cell: spend(365d).
struct Measure {
  std::string field;
  std::optional<int> window_days;
};

struct PivotCell {
  std::vector<std::optional<std::string>> key;  // one value per dimension; nullopt = none
  uint64_t users = 0;
  int64_t sum = 0;  // of the measure over the users that have a value; 0 without a measure
};

// A set of users: what a filter matches, or fixed user ids (a snapshot; ids
// no longer in the index are left out).
struct UserSet {
  const Filter* filter = nullptr;
  const std::vector<int64_t>* ids = nullptr;
};

struct OverlapCounts {
  uint64_t a = 0;
  uint64_t b = 0;
  uint64_t both = 0;
};

// One user's built-in models; empty strings and zero scores when they have none.
struct UserModels {
  std::string lifecycle;
  std::string rfm_cell;
  int r_score = 0;
  int f_score = 0;
  int m_score = 0;
  std::string pareto_tier;
  std::string aidees;
  std::string customer;                  // new_customer, repeat_customer, or empty
  std::string member;                    // member or non_member
  std::vector<std::string> motivations;  // of kMotivations, in that order
};

class FeatureIndex final {
 public:
  class Builder;

  ~FeatureIndex();
  FeatureIndex(const FeatureIndex&) = delete;
  FeatureIndex& operator=(const FeatureIndex&) = delete;

  // Users the index holds (erased and hidden ones are not).
  uint32_t size() const;
  // This index with the given users hidden as well (ids it does not hold are
  // ignored): no query sees them, as if erased. Shares the columns.
  std::shared_ptr<const FeatureIndex> Without(const std::vector<int64_t>& user_ids) const;
  // The number of users `filter` matches. `filter` must have been parsed
  // against Features().
  uint64_t Count(const Filter& filter, const AsOf& as_of) const;
  // The matching user ids in ascending order, those above `after` only, at
  // most `limit` of them.
  std::vector<int64_t> Members(const Filter& filter, const AsOf& as_of, int64_t after,
                               size_t limit) const;
  // The users left after each condition of a top-level `and`, in order (a
  // funnel); for any other filter, its one count.
  std::vector<uint64_t> Explain(const Filter& filter, const AsOf& as_of) const;
  OverlapCounts Overlap(const UserSet& a, const UserSet& b, const AsOf& as_of) const;
  // Counts (and sums of `measure`) of the users `filter` matches, grouped by
  // one or two of kPivotDimensions; cells without users are left out. The
  // caller checks the dimensions and the measure (a numeric catalog feature).
  std::vector<PivotCell> Pivot(const Filter& filter, const AsOf& as_of,
                               const std::vector<std::string>& dimensions,
                               const std::optional<Measure>& measure) const;
  // The AARRR counts of the period [from, to) among the users `filter`
  // matches as of `as_of` (everyone when null).
  AarrrCounts Aarrr(core::Instant from, core::Instant to, const Filter* filter,
                    const AsOf& as_of) const;
  // The members of every system tag ("sys:lifecycle/rising" -> count), in
  // one pass over the models.
  std::vector<std::pair<std::string, uint64_t>> SystemTagCounts(const AsOf& as_of) const;
  // Calls fn(user id, lifecycle stage) for every user, in id order.
  void ForEachStage(const AsOf& as_of,
                    const std::function<void(int64_t, std::string_view)>& fn) const;
  // The models of the user with id `user_id`, or nullopt when the index does
  // not hold them (unknown or erased).
  std::optional<UserModels> ModelsOf(int64_t user_id, const AsOf& as_of) const;
  // Computes and keeps the models of the instant (RFM and Pareto rank every
  // buyer), so that the first query at it does not wait for them.
  void Prepare(const AsOf& as_of) const;
  // Who invited the user with id `user_id`, as the index holds it (hidden
  // users included); nullopt when no one or unknown.
  std::optional<int64_t> ReferrerOf(int64_t user_id) const;
  // Bytes held by the columns and bitmaps (approximate).
  size_t MemoryBytes() const;

 private:
  struct Data;
  FeatureIndex(std::shared_ptr<const Data> d, std::shared_ptr<const internal::Bitmap> hidden);
  // Whether the dense user `u` is hidden.
  bool Hidden(uint32_t u) const;
  // `users` without the hidden ones.
  void Hide(internal::Bitmap& users) const;
  std::shared_ptr<const Data> d_;
  std::shared_ptr<const internal::Bitmap> hidden_;  // dense users; null when none
};

class FeatureIndex::Builder final {
 public:
  explicit Builder(std::string currency, ModelOptions models = {});
  ~Builder();

  void AddUser(const UserFeatures& u);
  void AddErasedUser(int64_t id);
  // Facts of users never added (or erased) are ignored by Finish().
  void AddOrder(int64_t user_id, int64_t paid_at_micros, int64_t net_minor,
                std::string_view currency, bool discounted = false);
  // The user first bought from some category then (one call per category).
  void AddCategoryFirst(int64_t user_id, int64_t first_at_micros);
  void AddEvent(int64_t user_id, std::string_view type, int64_t occurred_at_micros);
  // A member since `since_micros` (their first growth or paid purchase), at
  // `level` now (none for paid-only members).
  void AddMember(int64_t user_id, int64_t since_micros, std::optional<int> level);
  void AddTagName(int64_t tag_id, std::string_view group, std::string_view name);
  void AddUserTag(int64_t user_id, int64_t tag_id);
  // Rank the relative models (RFM scores and cells, Pareto tiers) against
  // `reference`'s buyers instead of among this index's own: for an index of a
  // few changed users beside a full one.
  void RankAgainst(std::shared_ptr<const FeatureIndex> reference);

  std::unique_ptr<FeatureIndex> Finish() &&;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace shopcrm::segments
