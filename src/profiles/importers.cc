#include "profiles/importers.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace shopcrm::profiles {

core::Result<FileFormat> ParseFileFormat(std::string_view name) {
  if (name == "csv") return FileFormat::kCsv;
  if (name == "ndjson" || name == "jsonl") return FileFormat::kNdjson;
  return core::InvalidArgument(
      "unsupported_format",
      "the format must be csv, ndjson or jsonl, not '" + std::string(name) + "'");
}

core::Result<FileFormat> FormatOfPath(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  const std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string_view::npos) {
    std::string ext(name.substr(dot + 1));
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (ext == "csv" || ext == "ndjson" || ext == "jsonl") return ParseFileFormat(ext);
  }
  return core::InvalidArgument(
      "unsupported_format",
      "cannot tell the format of '" + std::string(name) +
          "' from its extension (.csv, .ndjson or .jsonl); name it with --format");
}

core::Status ImportOptions::Validate() const {
  std::vector<core::FieldError> bad;
  if (chunk_records < 1 || chunk_records > kMaxBatchRecords) {
    bad.push_back(
        {"chunk_records", "out_of_range", "must be 1 to " + std::to_string(kMaxBatchRecords)});
  }
  if (started_by.empty() || started_by.size() > 128) {
    bad.push_back({"started_by", "invalid_length", "must be 1 to 128 bytes"});
  }
  if (!core::BusinessTimeZone::Load(olist_time_zone).ok()) {
    bad.push_back({"olist_time_zone", "unknown_time_zone", "not a time zone tzdata knows"});
  }
  if (bad.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_config", std::move(bad));
}

const EntityCounts* ImportReport::Entity(std::string_view name) const {
  for (const auto& e : entities) {
    if (e.entity == name) return &e;
  }
  return nullptr;
}

namespace {

// 1234567 → "1,234,567": counts are easier to compare at a glance.
std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string Pad(std::string s, size_t width, bool right) {
  if (s.size() >= width) return s;
  const std::string fill(width - s.size(), ' ');
  return right ? fill + s : s + fill;
}

}  // namespace

void PrintReport(const ImportReport& r, std::ostream& out, size_t max_rejects) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(r.elapsed.count()) / 1000.0);
  // The demo's source already reads as its command line.
  out << (r.kind == "demo" ? "" : "import " + r.kind + " ") << r.source << ": "
      << (r.ok() ? "succeeded" : "FAILED") << " in " << seconds << " s (run " << r.run_id << ")\n";
  if (!r.ok()) out << "error: " << r.error << "\n";
  out << "\n"
      << Pad("", 15, false) << Pad("records", 11, true) << Pad("accepted", 11, true)
      << Pad("updated", 10, true) << Pad("duplicate", 11, true) << Pad("held", 8, true)
      << Pad("rejected", 10, true) << "\n";
  for (const auto& e : r.entities) {
    out << Pad(e.entity, 15, false) << Pad(Grouped(e.records), 11, true)
        << Pad(Grouped(e.accepted), 11, true) << Pad(Grouped(e.updated), 10, true)
        << Pad(Grouped(e.duplicate), 11, true) << Pad(Grouped(e.held), 8, true)
        << Pad(Grouped(e.rejected), 10, true) << "\n";
  }
  out << "\nrows read: " << Grouped(r.counts.read) << "\n";
  for (const auto& f : r.files)
    out << "  " << Pad(Grouped(f.rows), 11, true) << "  " << f.file << "\n";
  for (const auto& [why, n] : r.skipped) out << "skipped: " << Grouped(n) << " " << why << "\n";
  if (r.counts.rejected > 0) {
    const size_t shown = std::min(max_rejects, r.rejects.size());
    out << "\nrejected rows: " << Grouped(r.counts.rejected);
    if (shown < static_cast<size_t>(r.counts.rejected)) out << " (the first " << shown << ")";
    out << "\n";
    for (size_t i = 0; i < shown; ++i) {
      const RowReject& x = r.rejects[i];
      out << "  " << x.file << ":" << x.row << ": " << x.reason;
      if (!x.field.empty()) out << " [" << x.field << "]";
      if (!x.detail.empty()) out << ": " << x.detail;
      out << "\n";
    }
    if (shown < static_cast<size_t>(r.counts.rejected)) {
      out << "  … " << Grouped(r.counts.rejected - static_cast<int64_t>(shown))
          << " more; the import run keeps the first " << ImportRuns::kMaxStoredRejects << "\n";
    }
  }
}

}  // namespace shopcrm::profiles
