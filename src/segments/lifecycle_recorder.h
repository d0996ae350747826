// Records lifecycle stage changes: compares every indexed user's stage (from
// the feature index, as of one instant) with the stage last recorded for
// them, and for each difference updates `user_stages` and appends a row to
// `lifecycle_transitions` stamped with that instant. The first record of a
// user has no `from_stage`.
//
// A stage changes when facts arrive (an order) or when time passes a
// threshold (30 days without an order); the recorder sees the first when the
// index is rebuilt and the second when it runs on a new business day, so a
// transition is stamped when it was seen, at most a refresh (for facts) or a
// day (for time) after it happened. docs/analytics.md.
//
// Owns `user_stages` and `lifecycle_transitions`. Thread-safety: safe from
// any thread; Records run one at a time. Two processes recording into one
// database at once may both write a change (see docs/analytics.md).
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "segments/feature_index.h"
#include "store/database.h"

namespace shopcrm::segments {

struct RecordReport {
  uint64_t users = 0;    // users compared
  uint64_t changed = 0;  // transitions written
};

struct Flow {
  std::optional<std::string> from;  // nullopt: first recorded
  std::string to;
  uint64_t users = 0;  // transitions
};

class LifecycleRecorder final {
 public:
  LifecycleRecorder(store::Database& db, core::IdGenerator& ids) : db_(db), ids_(ids) {}

  // The users of `index`, and of `beside` (a small index of other users, or
  // null) with them.
  core::Result<RecordReport> Record(const FeatureIndex& index, const FeatureIndex* beside,
                                    const AsOf& as_of);
  // The users of `index` alone (a small index of changed users), reading
  // only their recorded stages.
  core::Result<RecordReport> RecordSome(const FeatureIndex& index, const AsOf& as_of);
  // Transitions stamped in [from, to), counted by (from stage, to stage).
  core::Result<std::vector<Flow>> Flows(core::Instant from, core::Instant to);

 private:
  core::Result<RecordReport> RecordOf(const FeatureIndex& index, const FeatureIndex* beside,
                                      bool some, const AsOf& as_of);
  store::Database& db_;
  core::IdGenerator& ids_;
  std::mutex record_mu_;  // one Record at a time
};

}  // namespace shopcrm::segments
