#include "profiles/internal/import_session.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/json.h"

namespace shopcrm::profiles::internal {
namespace {

std::string SummaryJson(const ImportReport& r) {
  core::Json entities = core::Json::object();
  for (const auto& e : r.entities) {
    entities[e.entity] = {{"records", e.records}, {"accepted", e.accepted},
                          {"updated", e.updated}, {"duplicate", e.duplicate},
                          {"held", e.held},       {"rejected", e.rejected}};
  }
  core::Json files = core::Json::array();
  for (const auto& f : r.files) files.push_back({{"file", f.file}, {"rows", f.rows}});
  core::Json skipped = core::Json::array();
  for (const auto& [why, n] : r.skipped) skipped.push_back({{"reason", why}, {"rows", n}});
  return core::DumpJson({{"entities", std::move(entities)},
                         {"files", std::move(files)},
                         {"skipped", std::move(skipped)},
                         {"elapsed_ms", r.elapsed.count()}});
}

}  // namespace

core::Result<std::unique_ptr<std::ifstream>> OpenInput(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return core::InvalidArgument("import_file_unreadable", path + " is a directory, not a file");
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!in->is_open()) {
    return core::InvalidArgument("import_file_unreadable",
                                 "cannot read " + path + ": " + std::strerror(errno));
  }
  return in;
}

int64_t FileSize(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : static_cast<int64_t>(size);
}

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

ImportSession::ImportSession(ImportRuns& runs, const ImportOptions& options, std::string kind,
                             std::string source)
    : runs_(runs), options_(options), started_(std::chrono::steady_clock::now()) {
  report_.kind = std::move(kind);
  report_.source = std::move(source);
}

core::Status ImportSession::Start() {
  started_ = std::chrono::steady_clock::now();
  SHOPCRM_ASSIGN_OR_RETURN(report_.run_id,
                           runs_.Start(report_.kind, report_.source, options_.started_by));
  return core::Status::Ok();
}

size_t ImportSession::AddFile(std::string name) {
  report_.files.push_back({std::move(name), 0});
  return report_.files.size() - 1;
}

void ImportSession::CountSkipped(const std::string& why, int64_t n) {
  for (auto& [w, count] : report_.skipped) {
    if (w == why) {
      count += n;
      return;
    }
  }
  report_.skipped.emplace_back(why, n);
}

size_t ImportSession::EntityIndex(std::string_view entity) {
  for (size_t i = 0; i < report_.entities.size(); ++i) {
    if (report_.entities[i].entity == entity) return i;
  }
  report_.entities.push_back({.entity = std::string(entity)});
  return report_.entities.size() - 1;
}

void ImportSession::Reject(size_t entity, const Origin& origin, std::string reason,
                           std::string field, std::string detail) {
  ++report_.entities[entity].records;
  ++report_.entities[entity].rejected;
  ++report_.counts.rejected;
  if (report_.rejects.size() < ImportRuns::kMaxStoredRejects) {
    report_.rejects.push_back({report_.files.at(origin.file).file, origin.row, std::move(reason),
                               std::move(field), std::move(detail)});
  }
}

void ImportSession::Reject(size_t entity, const Origin& origin, const core::Error& error) {
  const RecordResult r = Rejected("", error);
  Reject(entity, origin, r.reason, r.field, r.detail);
}

void ImportSession::Tally(size_t entity, const BatchResult& result,
                          std::span<const Origin> origins) {
  EntityCounts& e = report_.entities[entity];
  e.records += static_cast<int64_t>(result.results.size());
  e.accepted += result.accepted;
  e.duplicate += result.duplicate;
  e.held += result.held;
  report_.counts.accepted += result.accepted;
  report_.counts.duplicate += result.duplicate;
  report_.counts.held += result.held;
  for (size_t i = 0; i < result.results.size(); ++i) {
    const RecordResult& r = result.results[i];
    if (r.outcome == Outcome::kAccepted && r.updated) ++e.updated;
    if (r.outcome != Outcome::kRejected) continue;
    ++e.rejected;
    ++report_.counts.rejected;
    if (report_.rejects.size() < ImportRuns::kMaxStoredRejects && i < origins.size()) {
      report_.rejects.push_back(
          {report_.files.at(origins[i].file).file, origins[i].row, r.reason, r.field, r.detail});
    }
  }
}

void ImportSession::ShowProgress(std::string_view label, int64_t done, int64_t total,
                                 int64_t rows) {
  if (options_.progress == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (drew_ && now - last_draw_ < std::chrono::milliseconds(125)) return;
  last_draw_ = now;
  drew_ = true;
  const double seconds = std::chrono::duration<double>(now - started_).count();
  const double rate = seconds > 0 ? static_cast<double>(rows) / seconds : 0.0;
  const double percent =
      total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 0.0;
  char line[256];
  std::snprintf(line, sizeof line, "\r%s: %.*s %5.1f%%  %lld rows  %.0f rows/s\x1b[K",
                report_.kind.c_str(), static_cast<int>(label.size()), label.data(),
                percent > 100.0 ? 100.0 : percent, static_cast<long long>(rows), rate);
  *options_.progress << line << std::flush;
}

core::Status ImportSession::RecordProgress() {
  report_.counts.read = 0;
  for (const auto& f : report_.files) report_.counts.read += f.rows;
  return runs_.Progress(report_.run_id, report_.counts);
}

ImportReport ImportSession::Finish(std::string error) {
  if (options_.progress != nullptr && drew_) *options_.progress << "\r\x1b[K" << std::flush;
  report_.counts.read = 0;
  for (const auto& f : report_.files) report_.counts.read += f.rows;
  report_.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started_);
  report_.error = std::move(error);
  if (report_.run_id != 0) {
    auto st = runs_.Finish(report_.run_id, report_.counts, report_.rejects, SummaryJson(report_),
                           report_.error);
    // The import itself is over; a run that cannot be closed is worth saying
    // but must not hide the counts.
    if (!st.ok() && report_.error.empty()) {
      report_.error = "could not record the end of the run: " + st.error().ToString();
    }
  }
  return std::move(report_);
}

}  // namespace shopcrm::profiles::internal
