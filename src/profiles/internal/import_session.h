// The machinery every importer shares: the import run, chunked hand-over to
// Ingest, counts per entity and file, rejected rows with their origin, and
// the progress display.
#pragma once

#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "profiles/importers.h"

namespace shopcrm::profiles::internal {

// Opens a file for reading; import_file_unreadable (with the OS's reason) when
// it cannot be.
core::Result<std::unique_ptr<std::ifstream>> OpenInput(const std::string& path);
// The file's size in bytes, or 0 when unknown (progress then shows no percent).
int64_t FileSize(const std::string& path);
// The last component of a path ("dir/users.csv" → "users.csv").
std::string BaseName(const std::string& path);

// Where a record came from: a file registered with the session, and the
// 1-based row (CSV record number, header = 1; NDJSON line number).
struct Origin {
  size_t file = 0;
  int64_t row = 0;
};

class ImportSession final {
 public:
  ImportSession(ImportRuns& runs, const ImportOptions& options, std::string kind,
                std::string source);

  // Records the run. Call once, before any record is fed.
  core::Status Start();

  // Registers a file (name shown in rejects and the summary); returns its index.
  size_t AddFile(std::string name);
  void CountRow(size_t file) { ++report_.files[file].rows; }
  void CountSkipped(const std::string& why, int64_t n = 1);

  // The index of an entity's counts, created on first use.
  size_t EntityIndex(std::string_view entity);

  // A row rejected before it became a record (counted against `entity`).
  void Reject(size_t entity, const Origin& origin, std::string reason, std::string field,
              std::string detail);
  void Reject(size_t entity, const Origin& origin, const core::Error& error);

  // Progress: the work done so far out of `total` units (bytes or records),
  // and the rows handled so far, shown as `label`. Redrawn at most ~8 times
  // a second; does nothing without a progress stream.
  void ShowProgress(std::string_view label, int64_t done, int64_t total, int64_t rows);

  // Writes the counts to the run (cheap; called after every chunk).
  core::Status RecordProgress();

  // Ends the run (succeeded, or failed with `error`) and returns the report.
  ImportReport Finish(std::string error);

  // Tallies one chunk's results against `entity`, rejects with their origins.
  void Tally(size_t entity, const BatchResult& result, std::span<const Origin> origins);

  const ImportOptions& options() const { return options_; }
  const ImportReport& report() const { return report_; }

 private:
  ImportRuns& runs_;
  const ImportOptions& options_;
  ImportReport report_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_{};
  bool drew_ = false;
};

// Buffers records of one kind and hands them to Ingest a chunk at a time.
template <typename T>
class Feed final {
 public:
  using Write = std::function<core::Result<BatchResult>(std::span<const Incoming<T>>)>;

  Feed(ImportSession& session, std::string_view entity, Write write)
      : session_(session), entity_(session.EntityIndex(entity)), write_(std::move(write)) {}

  // Queues a record; writes the chunk when it is full.
  core::Status Add(Incoming<T> record, const Origin& origin) {
    records_.push_back(std::move(record));
    origins_.push_back(origin);
    if (records_.size() >= session_.options().chunk_records) return Flush();
    return core::Status::Ok();
  }

  core::Status Flush() {
    if (records_.empty()) return core::Status::Ok();
    auto result = write_(records_);
    if (!result.ok()) return std::move(result).error();
    session_.Tally(entity_, *result, origins_);
    records_.clear();
    origins_.clear();
    return session_.RecordProgress();
  }

  size_t pending() const { return records_.size(); }
  size_t entity() const { return entity_; }

 private:
  ImportSession& session_;
  size_t entity_;
  Write write_;
  std::vector<Incoming<T>> records_;
  std::vector<Origin> origins_;
};

}  // namespace shopcrm::profiles::internal
