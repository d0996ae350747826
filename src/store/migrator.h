// Numbered schema migrations (store/migrations/NNNN_name.sql, compiled into
// the binary), applied in order at start-up and by `shopcrm migrate`.
//
// A migration named NNNN_name.sql runs on both backends; NNNN_name.sqlite.sql /
// NNNN_name.postgresql.sql, when present, replace it on that backend. Each
// migration runs in its own transaction together with its row in
// schema_migrations, so a failure leaves the schema at the previous version.
// Concurrent starts are safe: PostgreSQL takes an advisory lock, SQLite's
// BEGIN IMMEDIATE serialises writers.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/embedded_file.h"
#include "store/database.h"

namespace shopcrm::store {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

struct MigrationReport {
  int from_version = 0;
  int to_version = 0;
  std::vector<std::string> applied;  // names, in order
};

// The migrations for `backend`, sorted by version. Returns invalid_migration
// when a file name is malformed or a version repeats.
core::Result<std::vector<Migration>> LoadMigrations(std::span<const core::EmbeddedFile> files,
                                                    Backend backend);

// The migrations shipped in this binary.
std::span<const core::EmbeddedFile> BuiltinMigrations();

// Applies every pending migration. Returns the database's errors, or
// schema_too_new when the database is ahead of this binary.
// `clock` stamps schema_migrations.applied_at.
core::Result<MigrationReport> Migrate(Database& db, const std::vector<Migration>& migrations,
                                      const core::Clock& clock);

// The highest applied version (0 for an empty database).
core::Result<int> CurrentSchemaVersion(Database& db);

}  // namespace shopcrm::store
