// Saved segments: dynamic segments (a name and a filter; members are whoever
// the filter matches now) and snapshots (the members of a filter at one
// instant, stored, so a play reaches exactly the users it was aimed at).
//
// Owns the tables `segments` and `segment_members`. Every change is audited
// (segment.create, segment.update, segment.delete, segment.snapshot).
// Thread-safety: safe from any thread.
// Error reasons: segment_not_found, segment_name_taken, segment_is_snapshot
// (a snapshot's filter and members cannot change), invalid_filter (a stored
// filter the catalog no longer accepts), and the database's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "segments/filter.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::segments {

struct SavedSegment {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string kind;  // "dynamic" or "snapshot"
  Filter filter;
  std::string text;                          // the filter's canonical text
  std::optional<int64_t> snapshot_of;        // snapshots: the segment it was taken of
  std::optional<core::Instant> snapshot_at;  // snapshots: the instant evaluated
  std::optional<int64_t> member_count;       // snapshots: members stored
  std::string created_by;
  core::Instant created_at;
  core::Instant updated_at;
};

class SegmentStore final {
 public:
  SegmentStore(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
               const audit::AuditLog& audit)
      : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

  core::Result<SavedSegment> Create(const std::string& name, const std::string& description,
                                    const Filter& filter, const audit::Actor& actor);
  // Every segment, newest first.
  core::Result<std::vector<SavedSegment>> List();
  core::Result<SavedSegment> Get(int64_t id);
  // Changes what is given; a snapshot's filter cannot change (segment_is_snapshot).
  core::Result<SavedSegment> Update(int64_t id, const std::optional<std::string>& name,
                                    const std::optional<std::string>& description,
                                    const std::optional<Filter>& filter, const audit::Actor& actor);
  core::Status Delete(int64_t id, const audit::Actor& actor);
  // Stores `members` (user ids) as a new snapshot segment of `of`'s filter.
  core::Result<SavedSegment> Snapshot(const SavedSegment& of, const std::string& name,
                                      core::Instant at, const std::vector<int64_t>& members,
                                      const audit::Actor& actor);
  // A snapshot's members, ascending, above `after`, at most `limit`.
  core::Result<std::vector<int64_t>> Members(int64_t id, int64_t after, size_t limit);

 private:
  core::Status Insert(store::Session& s, SavedSegment& g, core::Instant now,
                      const audit::Actor& actor);

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::segments
