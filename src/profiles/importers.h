// File importers behind `shopcrm import`: the generic CSV / NDJSON formats
// (users, orders with their items, order updates, events) and two public
// datasets (Olist, Taobao UserBehavior). docs/import.md describes every
// format and mapping.
//
// Each import reads its files as a stream, turns rows into records, and hands
// them to Ingest in chunks, so it is idempotent by the records' source ids: a
// second run of the same files changes nothing and reports duplicates. A
// malformed row is rejected with its file, row number and reason and never
// stops the import; only a failing database does. Every import is recorded as
// an import run (ImportRuns) with its counts and the first rejected rows.
//
// Thread-safety: an Importer runs one import at a time; it does not own the
// services it is given, which must outlive it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "profiles/import_runs.h"
#include "profiles/ingest.h"

namespace shopcrm::profiles {

enum class FileFormat { kCsv, kNdjson };

// "csv" → CSV; "ndjson" or "jsonl" → NDJSON; else unsupported_format.
core::Result<FileFormat> ParseFileFormat(std::string_view name);
// The format a file name's extension implies (.csv, .ndjson, .jsonl), or
// unsupported_format.
core::Result<FileFormat> FormatOfPath(std::string_view path);

struct ImportOptions {
  // Records handed to Ingest per call: 1 to kMaxBatchRecords.
  size_t chunk_records = 5000;
  // Recorded on the import run as who started it.
  std::string started_by = "cli";
  // Where a one-line progress display goes (rows per second and percent),
  // redrawn a few times a second; nullptr for none. Meant for a terminal.
  std::ostream* progress = nullptr;
  // The zone of Olist's local timestamps.
  std::string olist_time_zone = "America/Sao_Paulo";

  // invalid_config naming the bad field.
  core::Status Validate() const;
};

// The records of one kind an import handed over, and what became of them.
struct EntityCounts {
  std::string entity;  // users | stores | categories | products | orders | order_updates | events
  int64_t records = 0;
  int64_t accepted = 0;
  int64_t updated = 0;  // of the accepted: existing rows that changed
  int64_t duplicate = 0;
  int64_t held = 0;
  int64_t rejected = 0;
};

struct FileCounts {
  std::string file;  // the name within the source
  int64_t rows = 0;  // data rows read (CSV header not counted; NDJSON blank lines not counted)
};

struct ImportReport {
  int64_t run_id = 0;
  std::string kind;
  std::string source;
  // read = rows read from every file; the outcomes add up over every entity.
  ImportCounts counts;
  std::vector<EntityCounts> entities;  // in the order they were written
  std::vector<FileCounts> files;
  // Rows read on purpose but not turned into records, with why
  // ("payments of orders not in the orders file": 79250).
  std::vector<std::pair<std::string, int64_t>> skipped;
  std::vector<RowReject> rejects;  // the first ImportRuns::kMaxStoredRejects
  std::chrono::milliseconds elapsed{0};
  std::string error;  // why the import stopped early (the run then failed); empty on success

  bool ok() const { return error.empty(); }
  const EntityCounts* Entity(std::string_view name) const;
};

// The summary printed at the end of an import: the run, the counts per
// entity and file, skipped rows, and up to `max_rejects` rejected rows.
void PrintReport(const ImportReport& report, std::ostream& out, size_t max_rejects = 20);

class Importer final {
 public:
  Importer(Ingest& ingest, ImportRuns& runs, ImportOptions options = {})
      : ingest_(ingest), runs_(runs), options_(std::move(options)) {}

  // Each returns an error before anything is written when the options are
  // invalid (invalid_config), a file cannot be read (import_file_unreadable),
  // or a CSV header lacks a needed column or has an unknown one
  // (missing_columns, unknown_columns); the run is then not recorded. Once
  // the run is recorded the result is a report, whose `error` is set when a
  // database failure stopped the import (the run is then "failed").
  core::Result<ImportReport> Users(const std::string& path, FileFormat format);
  // For CSV, the lines are a second file (`items_path`) joined to the orders
  // by order_source_id; for NDJSON each order carries its "items" and
  // `items_path` must be empty.
  core::Result<ImportReport> Orders(const std::string& path,
                                    const std::optional<std::string>& items_path,
                                    FileFormat format);
  core::Result<ImportReport> OrderUpdates(const std::string& path, FileFormat format);
  core::Result<ImportReport> Events(const std::string& path, FileFormat format);

  // The Olist dataset directory (its eight CSV files under their original
  // names; sample_provenance.csv and others are not read).
  core::Result<ImportReport> Olist(const std::string& dir);
  // One Taobao UserBehavior CSV file.
  core::Result<ImportReport> Taobao(const std::string& path);

 private:
  Ingest& ingest_;
  ImportRuns& runs_;
  ImportOptions options_;
};

}  // namespace shopcrm::profiles
