#include "profiles/import_runs.h"

#include <algorithm>

#include "core/json.h"

namespace shopcrm::profiles {
namespace {

constexpr std::string_view kListColumns =
    "id, kind, source, status, started_at, finished_at, started_by, rows_read, rows_accepted, "
    "rows_duplicate, rows_held, rows_rejected, summary, error";

ImportRun FromRow(const store::Row& r) {
  ImportRun run;
  run.id = r.Int(0);
  run.kind = r.Text(1);
  run.source = r.Text(2);
  run.status = r.Text(3);
  run.started_at = core::FromUnixMicros(r.Int(4));
  if (auto v = r.OptionalInt(5)) run.finished_at = core::FromUnixMicros(*v);
  run.started_by = r.Text(6);
  run.counts.read = r.Int(7);
  run.counts.accepted = r.Int(8);
  run.counts.duplicate = r.Int(9);
  run.counts.held = r.Int(10);
  run.counts.rejected = r.Int(11);
  run.summary_json = r.OptionalText(12).value_or("{}");
  run.error = r.OptionalText(13).value_or("");
  return run;
}

std::string RejectsJson(const std::vector<RowReject>& rejects) {
  core::Json list = core::Json::array();
  const size_t n = std::min(rejects.size(), ImportRuns::kMaxStoredRejects);
  for (size_t i = 0; i < n; ++i) {
    const RowReject& r = rejects[i];
    list.push_back({{"file", r.file},
                    {"row", r.row},
                    {"reason", r.reason},
                    {"field", r.field},
                    {"detail", r.detail}});
  }
  return core::DumpJson(list);
}

// Stored text is ours, but a damaged row must not take the whole page down.
std::vector<RowReject> RejectsFromJson(const std::string& text) {
  std::vector<RowReject> out;
  auto parsed = core::ParseJson(text, {.max_bytes = 64 << 20, .max_depth = 4});
  if (!parsed.ok() || !parsed->is_array()) return out;
  for (const auto& j : *parsed) {
    if (!j.is_object()) continue;
    RowReject r;
    r.file = j.value("file", "");
    r.row = j.value("row", int64_t{0});
    r.reason = j.value("reason", "");
    r.field = j.value("field", "");
    r.detail = j.value("detail", "");
    out.push_back(std::move(r));
  }
  return out;
}

core::Status ValidateCounts(const ImportCounts& c) {
  if (c.read < 0 || c.accepted < 0 || c.duplicate < 0 || c.held < 0 || c.rejected < 0) {
    return core::InvalidFields("invalid_fields",
                               {{"counts", "must_not_be_negative", "counts must be >= 0"}});
  }
  return core::Status::Ok();
}

core::Error RunNotFound(int64_t id) {
  return core::NotFound("import_run_not_found", "no import run has id " + std::to_string(id));
}

}  // namespace

core::Result<int64_t> ImportRuns::Start(std::string_view kind, std::string_view source,
                                        std::string_view started_by) {
  std::vector<core::FieldError> bad;
  if (kind.empty() || kind.size() > 64) {
    bad.push_back({"kind", "invalid_length", "must be 1 to 64 bytes"});
  }
  if (source.size() > 4096)
    bad.push_back({"source", "invalid_length", "must be at most 4096 bytes"});
  if (started_by.empty() || started_by.size() > 128) {
    bad.push_back({"started_by", "invalid_length", "must be 1 to 128 bytes"});
  }
  if (!bad.empty()) return core::InvalidFields("invalid_fields", std::move(bad));
  const int64_t id = ids_.Next();
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        return s
            .Execute(
                "INSERT INTO import_runs (id, kind, source, status, started_at, started_by)"
                " VALUES (?, ?, ?, 'running', ?, ?)",
                {id, std::string(kind), std::string(source), core::ToUnixMicros(clock_.Now()),
                 std::string(started_by)})
            .status();
      }));
  return id;
}

core::Status ImportRuns::Progress(int64_t id, const ImportCounts& counts) {
  SHOPCRM_RETURN_IF_ERROR(ValidateCounts(counts));
  int64_t changed = 0;
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        SHOPCRM_ASSIGN_OR_RETURN(
            changed, s.Execute("UPDATE import_runs SET rows_read = ?, rows_accepted = ?,"
                               " rows_duplicate = ?, rows_held = ?, rows_rejected = ? WHERE id = ?",
                               {counts.read, counts.accepted, counts.duplicate, counts.held,
                                counts.rejected, id}));
        return core::Status::Ok();
      }));
  if (changed == 0) return RunNotFound(id);
  return core::Status::Ok();
}

core::Status ImportRuns::Finish(int64_t id, const ImportCounts& counts,
                                const std::vector<RowReject>& rejects,
                                std::string_view summary_json, std::string_view error) {
  SHOPCRM_RETURN_IF_ERROR(ValidateCounts(counts));
  const std::string status = error.empty() ? "succeeded" : "failed";
  const store::Value summary =
      summary_json.empty() ? store::Null() : store::Value(std::string(summary_json));
  const store::Value error_text = error.empty() ? store::Null() : store::Value(std::string(error));
  int64_t changed = 0;
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        SHOPCRM_ASSIGN_OR_RETURN(
            changed,
            s.Execute("UPDATE import_runs SET status = ?, finished_at = ?, rows_read = ?,"
                      " rows_accepted = ?, rows_duplicate = ?, rows_held = ?, rows_rejected = ?,"
                      " rejects = ?, summary = ?, error = ? WHERE id = ?",
                      {status, core::ToUnixMicros(clock_.Now()), counts.read, counts.accepted,
                       counts.duplicate, counts.held, counts.rejected, RejectsJson(rejects),
                       summary, error_text, id}));
        return core::Status::Ok();
      }));
  if (changed == 0) return RunNotFound(id);
  return core::Status::Ok();
}

core::Result<ImportRunPage> ImportRuns::List(int limit, std::optional<int64_t> cursor) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(limit));
  ImportRunPage page;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows,
                             s.Query("SELECT " + std::string(kListColumns) +
                                         " FROM import_runs WHERE id < ? ORDER BY id DESC LIMIT ?",
                                     {store::CursorBound(cursor), int64_t{limit} + 1}));
    page =
        store::MakePage<ImportRun>(rows, limit, FromRow, [](const ImportRun& r) { return r.id; });
    return core::Status::Ok();
  }));
  return page;
}

core::Result<ImportRun> ImportRuns::Get(int64_t id) {
  std::optional<ImportRun> run;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Row row,
        s.QueryOne(
            "SELECT " + std::string(kListColumns) + ", rejects FROM import_runs WHERE id = ?", {id},
            "import_run_not_found", "no import run has id " + std::to_string(id)));
    run = FromRow(row);
    if (auto text = row.OptionalText(14)) run->rejects = RejectsFromJson(*text);
    return core::Status::Ok();
  }));
  return std::move(*run);
}

}  // namespace shopcrm::profiles
