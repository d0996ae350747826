// Fresh, migrated databases for tests, on either backend.
//
// SQLite: a new file in a temporary directory. PostgreSQL: a new schema in
// the server named by SHOPCRM_TEST_POSTGRES_URL (make test starts one; see
// scripts/with-postgres.sh); the schema is dropped when the handle dies.
// Without that variable, PostgreSQL tests fail with a message saying so:
// they are never skipped silently.
#pragma once

#include <memory>
#include <string>

#include "store/database.h"

namespace shopcrm::testing {

enum class TestBackend { kSqlite, kPostgres };
std::string TestBackendName(TestBackend b);

class TestDatabase final {
 public:
  // Creates and migrates the database; aborts the test binary on failure.
  static std::unique_ptr<TestDatabase> Create(TestBackend backend, int pool_size = 8);
  ~TestDatabase();

  store::Database& db() { return *db_; }
  // The URL another process (a second server) can open.
  const std::string& url() const { return url_; }

  // Opens another handle on the same database (a second "instance").
  std::unique_ptr<store::Database> OpenAnother(int pool_size = 8) const;

 private:
  TestDatabase() = default;
  TestBackend backend_ = TestBackend::kSqlite;
  std::string url_;
  std::string dir_;     // SQLite temp dir
  std::string schema_;  // PostgreSQL schema
  std::unique_ptr<store::Database> db_;
};

}  // namespace shopcrm::testing
