// The segment service: keeps the feature index current and counts and lists
// the users a filter describes.
//
// The index is built from the facts (profiles::Facts) by Rebuild() and
// swapped in whole; readers keep the indexes they started with. What changes
// after is taken in by Update(): the users whose facts changed since the full
// build are read again into a small index beside it, and hidden in the full
// one. A refresher thread polls the facts' marks (profiles::Facts::Marks) and
// updates when they moved, so writes by any process show within one
// interval plus one update; it builds in full again when too many users
// changed, a tag changed, or the full build is old (docs/analytics.md,
// "Changes between full builds").
//
// Features are evaluated as of the clock's now (rounded up to the minute), or of `as_of` (options,
// or per call) to analyse historical data as if it were live.
//
// Thread-safety: safe from any thread. Error reasons: invalid_filter,
// segment_index_loading (no index built yet), and the database's.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "profiles/facts.h"
#include "segments/feature_index.h"
#include "segments/filter.h"
#include "segments/lifecycle_recorder.h"
#include "store/database.h"

namespace shopcrm::segments {

struct SegmentsOptions {
  std::string currency = "CNY";        // orders in other currencies are left out
  std::optional<core::Instant> as_of;  // default evaluation instant; now when unset
  std::chrono::milliseconds refresh_interval{500};
  // More users changed since the full build than this: build in full again.
  size_t update_max_users = 20000;
  // A full build at least this often while the facts change.
  std::chrono::seconds full_build_interval{3600};
  // How long a write may take to commit after taking its ids: changes are
  // looked for since marks read this long before (profiles::Facts::Marks).
  std::chrono::seconds straggler_window{10};
  ModelOptions models;
};

struct IndexInfo {
  bool ready = false;
  uint64_t generation = 0;  // 1 for the first build, +1 per rebuild or update
  uint32_t users = 0;
  size_t memory_bytes = 0;
  std::optional<core::Instant> built_at;
  double build_seconds = 0;
  uint32_t changed_users = 0;  // read again since the full build
  uint64_t updates = 0;        // since the full build
  std::optional<core::Instant> updated_at;
  double update_seconds = 0;
};

struct CountResult {
  uint64_t count = 0;
  uint32_t users = 0;  // users in the index (the universe)
  core::Instant as_of;
  uint64_t generation = 0;
};

class Segments final {
 public:
  Segments(store::Database& db, const core::Clock& clock, core::BusinessTimeZone tz,
           SegmentsOptions options);
  ~Segments();  // stops the refresher
  Segments(const Segments&) = delete;
  Segments& operator=(const Segments&) = delete;

  // Builds the index from the database now and swaps it in.
  core::Status Rebuild();
  // Reads again the users whose facts changed since the last full build and
  // swaps them in; builds in full instead when Rebuild() would be due (see
  // the header comment) or none was done yet.
  core::Status Update();
  // Starts the background refresher (idempotent). With a recorder, the
  // refresher also records lifecycle stage changes after each rebuild and on
  // each new business day. A second thread computes the models of the next
  // evaluation instant ahead of it (EvaluationTime: the next whole minute),
  // so the first query of each minute does not wait for them.
  void StartRefresher(LifecycleRecorder* recorder = nullptr);
  // Records stage changes now, as of the evaluation instant of `as_of`.
  core::Result<RecordReport> RecordStages(LifecycleRecorder& recorder,
                                          std::optional<core::Instant> as_of = std::nullopt);

  // The instant a call with `as_of` evaluates at.
  core::Instant EvaluationTime(std::optional<core::Instant> as_of) const;

  core::Result<CountResult> Count(const Filter& filter, std::optional<core::Instant> as_of) const;
  // Matching user ids above `after`, ascending, at most `limit`.
  core::Result<std::vector<int64_t>> Members(const Filter& filter,
                                             std::optional<core::Instant> as_of, int64_t after,
                                             size_t limit) const;
  core::Result<std::vector<uint64_t>> Explain(const Filter& filter,
                                              std::optional<core::Instant> as_of) const;
  core::Result<OverlapCounts> Overlap(const UserSet& a, const UserSet& b,
                                      std::optional<core::Instant> as_of) const;
  // Returns invalid_fields (dimensions, sum) unless there are one or two
  // distinct kPivotDimensions and the measure is a numeric feature.
  core::Result<std::vector<PivotCell>> Pivot(const Filter& filter,
                                             std::optional<core::Instant> as_of,
                                             const std::vector<std::string>& dimensions,
                                             const std::optional<Measure>& measure) const;
  // The AARRR funnel of [from, to) among the users `filter` matches (all when
  // null), as of `to`. invalid_fields (to) unless from < to.
  core::Result<AarrrCounts> Aarrr(core::Instant from, core::Instant to, const Filter* filter) const;
  // Members per system tag ("sys:lifecycle/rising" -> count).
  core::Result<std::vector<std::pair<std::string, uint64_t>>> SystemTagCounts() const;
  // A user's models; user_not_found when the index does not hold the user.
  core::Result<UserModels> ModelsOf(int64_t user_id, std::optional<core::Instant> as_of) const;
  IndexInfo Info() const;

 private:
  // The full build without the changed users, and the changed users (null
  // when none): every user is in at most one.
  struct Indexes {
    std::shared_ptr<const FeatureIndex> full;
    std::shared_ptr<const FeatureIndex> changed;
    explicit operator bool() const { return full != nullptr; }
  };
  // With `generation`, also the generation they are.
  Indexes Current(uint64_t* generation = nullptr) const;
  AsOf At(std::optional<core::Instant> as_of) const;
  void RefreshLoop();
  void PrepareLoop();
  // A full build not yet in use.
  struct FullBuild {
    std::shared_ptr<const FeatureIndex> index;
    profiles::FactMarks marks;                 // read before it
    std::optional<profiles::FactMarks> since;  // changes after these may be missing from it
    // Tag and group edits above this audit id, counted before it read the tags.
    int64_t edits_after = 0;
    int64_t edits = 0;
    std::chrono::steady_clock::time_point started;
    double seconds = 0;
  };
  // Reads every fact; stops early (an error) when the service stops.
  core::Result<FullBuild> BuildFull();
  // Under build_mu_: puts `b` in use, unless a later build already is, after
  // taking in what changed while it was built.
  core::Status InstallLocked(FullBuild b);
  // How many changed users an update may read again: update_max_users when a
  // full build may start (kDue: an old full build is due too), four times
  // that while one is under way, or any number (kNone: catching up).
  enum class Bound { kDue, kBuilding, kNone };
  // Under build_mu_: reads the changed users again and swaps them in. False
  // when that cannot stand for a full build: none yet, a tag changed, too
  // many users changed, or (kDue) the full build is old.
  core::Result<bool> UpdateLocked(Bound bound);
  // Under build_mu_ and mu_: puts `indexes` in use, as read after `marks`
  // (changed_ holds the changed users).
  void PublishLocked(Indexes indexes, const profiles::FactMarks& marks);
  // The refresher's round: an update, or a full build on a thread of its own
  // while updates go on (unbounded) beside the old one; a full build that
  // finished goes in first.
  enum class Refreshed { kNothing, kUpdated, kBuilt };
  core::Result<Refreshed> Refresh();
  bool BuiltInBackground();
  // Notes marks read now; returns the latest marks noted at least
  // straggler_window before `now` (nullopt when none is that old).
  std::optional<profiles::FactMarks> Observe(std::chrono::steady_clock::time_point now,
                                             const profiles::FactMarks& marks);

  store::Database& db_;
  const core::Clock& clock_;
  const core::BusinessTimeZone tz_;
  const SegmentsOptions options_;
  profiles::Facts facts_;

  mutable std::mutex mu_;
  Indexes indexes_;              // guarded by mu_
  IndexInfo info_;               // guarded by mu_
  profiles::FactMarks applied_;  // guarded by mu_: read before the last build or update
  std::mutex build_mu_;          // one update or install at a time; guards what follows
  std::shared_ptr<const FeatureIndex> built_;  // the full build in use, nothing hidden
  std::chrono::steady_clock::time_point built_when_;
  // Changes after these marks are yet to be read (set with built_).
  profiles::FactMarks since_;
  // Whether since_ was read a straggler window before the full build; if
  // not (at start-up), the refresher builds in full again in the background.
  bool since_exact_ = false;
  // The tag and group edits the full build read: those up to its
  // straggler-window marks' audit id, and the ones above it that it counted.
  int64_t built_edits_after_ = 0;
  int64_t built_edits_ = 0;
  std::vector<int64_t> changed_;  // users read again since the full build, ascending

  std::mutex seen_mu_;
  std::deque<std::pair<std::chrono::steady_clock::time_point, profiles::FactMarks>>
      seen_;  // guarded by seen_mu_

  // The refresher's full build in the background.
  std::thread full_thread_;  // joinable while a build runs or waits to go in
  std::mutex pending_mu_;
  std::optional<core::Result<FullBuild>> pending_;  // guarded by pending_mu_: its result
  std::atomic<bool> stopping_{false};

  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stop_ = false;         // guarded by stop_mu_
  bool prepare_now_ = false;  // guarded by stop_mu_: a new full build's models are wanted
  std::thread refresher_;
  std::thread preparer_;
  LifecycleRecorder* recorder_ = nullptr;       // set before the refresher starts
  std::optional<core::LocalDate> recorded_on_;  // refresher thread only
};

}  // namespace shopcrm::segments
