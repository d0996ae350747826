// Import runs: one row per `shopcrm import` (or demo) run with its status,
// counts and a sample of rejected rows, for the console's Imports page.
//
// Owns table: import_runs. Thread-safety: safe from any thread.
// Error reasons: import_run_not_found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::profiles {

// A rejected input row: where it was and why.
struct RowReject {
  std::string file;  // file name within the source
  int64_t row = 0;   // 1-based record number within the file (header = row 1 for CSV)
  std::string reason;
  std::string field;
  std::string detail;
};

struct ImportCounts {
  int64_t read = 0;
  int64_t accepted = 0;
  int64_t duplicate = 0;
  int64_t held = 0;
  int64_t rejected = 0;
};

struct ImportRun {
  int64_t id = 0;
  std::string kind;    // olist | taobao | users | orders | order_items | events | demo | …
  std::string source;  // path or description
  std::string status;  // running | succeeded | failed
  core::Instant started_at{};
  std::optional<core::Instant> finished_at;
  std::string started_by;
  ImportCounts counts;
  std::vector<RowReject> rejects;  // the first kMaxStoredRejects
  std::string summary_json;        // per-file / per-entity counts, a JSON object's text
  std::string error;               // why a failed run failed
};

using ImportRunPage = store::Page<ImportRun>;

class ImportRuns final {
 public:
  static constexpr size_t kMaxStoredRejects = 200;

  ImportRuns(store::Database& db, const core::Clock& clock, core::IdGenerator& ids)
      : db_(db), clock_(clock), ids_(ids) {}

  core::Result<int64_t> Start(std::string_view kind, std::string_view source,
                              std::string_view started_by);
  // Records progress of a running import (counts so far).
  core::Status Progress(int64_t id, const ImportCounts& counts);
  // Ends the run: succeeded when `error` is empty, failed otherwise.
  core::Status Finish(int64_t id, const ImportCounts& counts, const std::vector<RowReject>& rejects,
                      std::string_view summary_json, std::string_view error);
  // Newest first (rejects left empty).
  core::Result<ImportRunPage> List(int limit, std::optional<int64_t> cursor);
  core::Result<ImportRun> Get(int64_t id);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
};

}  // namespace shopcrm::profiles
