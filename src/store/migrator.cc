#include "store/migrator.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "core/clock.h"
#include "core/log.h"

namespace shopcrm::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
// Any fixed number; all shopcrm instances agree on it.
constexpr std::string_view kPgLock = "SELECT pg_advisory_xact_lock(73690001)";

core::Result<int> MaxVersion(Session& s) {
  SHOPCRM_ASSIGN_OR_RETURN(Rows rows, s.Query("SELECT MAX(version) FROM schema_migrations"));
  return static_cast<int>(rows.rows.front().OptionalInt(0).value_or(0));
}

}  // namespace

core::Result<std::vector<Migration>> LoadMigrations(std::span<const core::EmbeddedFile> files,
                                                    Backend backend) {
  // version -> (generic, specific)
  std::map<int, std::pair<const core::EmbeddedFile*, const core::EmbeddedFile*>> by_version;
  const std::string own_suffix = "." + std::string(BackendName(backend)) + ".sql";
  for (const auto& f : files) {
    const std::string_view name = f.name;
    int version = 0;
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    const bool well_formed = ec == std::errc() && p == name.data() + 4 && name.size() > 9 &&
                             name[4] == '_' && name.ends_with(".sql");
    if (!well_formed || version <= 0) {
      return core::InvalidArgument(
          "invalid_migration", "migration file name must be NNNN_name.sql: " + std::string(name));
    }
    auto& slot = by_version[version];
    const bool sqlite_only = name.ends_with(".sqlite.sql");
    const bool pg_only = name.ends_with(".postgresql.sql");
    if (!sqlite_only && !pg_only) {
      if (slot.first != nullptr) {
        return core::InvalidArgument("invalid_migration",
                                     "two migrations share version " + std::to_string(version));
      }
      slot.first = &f;
    } else if (name.ends_with(own_suffix)) {
      slot.second = &f;
    }
  }
  std::vector<Migration> out;
  for (const auto& [version, pair] : by_version) {
    const core::EmbeddedFile* f = pair.second != nullptr ? pair.second : pair.first;
    if (f == nullptr) continue;  // only another backend's variant exists
    std::string name(f->name.substr(5));
    name = name.substr(0, name.find('.'));
    out.push_back({version, std::move(name), std::string(f->contents)});
  }
  return out;
}

core::Result<int> CurrentSchemaVersion(Database& db) {
  int version = 0;
  auto st = db.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        Rows rows,
        s.Query(s.backend() == Backend::kSqlite
                    ? "SELECT COUNT(*) FROM sqlite_master WHERE name = 'schema_migrations'"
                    : "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                      "'schema_migrations' AND table_schema = current_schema()"));
    if (rows.rows.front().Int(0) == 0) return core::Status::Ok();
    SHOPCRM_ASSIGN_OR_RETURN(version, MaxVersion(s));
    return core::Status::Ok();
  });
  if (!st.ok()) return std::move(st).error();
  return version;
}

namespace {

// SQLite makes a column declared exactly "INTEGER PRIMARY KEY" the table's
// rowid (a 64-bit integer there), which saves a separate index per table;
// "BIGINT PRIMARY KEY" would not. PostgreSQL keeps BIGINT.
std::string SqliteDialect(std::string_view sql) {
  std::string out(sql);
  static constexpr std::string_view kFrom = "BIGINT PRIMARY KEY";
  static constexpr std::string_view kTo = "INTEGER PRIMARY KEY";
  for (size_t pos = out.find(kFrom); pos != std::string::npos;
       pos = out.find(kFrom, pos + kTo.size())) {
    out.replace(pos, kFrom.size(), kTo);
  }
  return out;
}

}  // namespace

core::Result<MigrationReport> Migrate(Database& db, const std::vector<Migration>& migrations,
                                      const core::Clock& clock) {
  MigrationReport report;
  auto st = db.Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
    if (s.backend() == Backend::kPostgres) SHOPCRM_RETURN_IF_ERROR(s.Query(kPgLock).status());
    return s.Execute(kCreateTable).status();
  });
  SHOPCRM_RETURN_IF_ERROR(st);
  SHOPCRM_ASSIGN_OR_RETURN(report.from_version, CurrentSchemaVersion(db));
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (report.from_version > newest) {
    return core::Error(core::ErrorCode::kFailedPrecondition, "schema_too_new",
                       "the database schema is at version " + std::to_string(report.from_version) +
                           " but this binary knows only up to " + std::to_string(newest) +
                           "; run a newer shopcrm");
  }
  report.to_version = report.from_version;
  for (const auto& m : migrations) {
    bool applied = false;
    SHOPCRM_RETURN_IF_ERROR(db.Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
      applied = false;
      if (s.backend() == Backend::kPostgres) SHOPCRM_RETURN_IF_ERROR(s.Query(kPgLock).status());
      SHOPCRM_ASSIGN_OR_RETURN(int current, MaxVersion(s));
      if (current >= m.version) return core::Status::Ok();  // another process got here first
      SHOPCRM_RETURN_IF_ERROR(
          s.ExecuteScript(s.backend() == Backend::kSqlite ? SqliteDialect(m.sql) : m.sql));
      SHOPCRM_RETURN_IF_ERROR(
          s.Execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    {int64_t{m.version}, m.name, core::ToUnixMicros(clock.Now())})
              .status());
      applied = true;
      return core::Status::Ok();
    }));
    if (applied) {
      core::log::Info("migration applied", {{"version", m.version}, {"name", m.name}});
      report.applied.push_back(m.name);
    }
    report.to_version = std::max(report.to_version, m.version);
  }
  return report;
}

}  // namespace shopcrm::store
