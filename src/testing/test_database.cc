#include "testing/test_database.h"

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>

#include "store/migrator.h"

namespace shopcrm::testing {
namespace {

[[noreturn]] void Die(const std::string& what) {
  std::cerr << "TestDatabase: " << what << std::endl;
  std::abort();
}

std::string UniqueSuffix() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  return std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(rd() % 100000);
}

std::string PostgresBaseUrl() {
  const char* url = std::getenv("SHOPCRM_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    Die("SHOPCRM_TEST_POSTGRES_URL is not set. Run the tests with 'make test', or wrap ctest in "
        "scripts/with-postgres.sh, which starts a throwaway PostgreSQL on 127.0.0.1.");
  }
  return url;
}

std::unique_ptr<store::Database> OpenOrDie(const std::string& url, int pool_size) {
  store::DatabaseOptions o;
  o.url = url;
  o.pool_size = pool_size;
  auto db = store::Database::Open(o);
  if (!db.ok()) Die("cannot open " + url + ": " + db.error().ToString());
  return std::move(db).value();
}

}  // namespace

std::string TestBackendName(TestBackend b) {
  return b == TestBackend::kSqlite ? "Sqlite" : "Postgres";
}

std::unique_ptr<TestDatabase> TestDatabase::Create(TestBackend backend, int pool_size) {
  std::unique_ptr<TestDatabase> t(new TestDatabase());
  t->backend_ = backend;
  if (backend == TestBackend::kSqlite) {
    t->dir_ =
        (std::filesystem::temp_directory_path() / ("shopcrm_test_" + UniqueSuffix())).string();
    std::filesystem::create_directories(t->dir_);
    t->url_ = "sqlite:" + t->dir_ + "/test.db";
  } else {
    const std::string base = PostgresBaseUrl();
    t->schema_ = "t_" + UniqueSuffix();
    auto admin = OpenOrDie(base, 1);
    auto st = admin->WithSession(
        [&](store::Session& s) { return s.ExecuteScript("CREATE SCHEMA " + t->schema_); });
    if (!st.ok()) Die("cannot create schema: " + st.error().ToString());
    t->url_ = base + (base.find('?') == std::string::npos ? "?" : "&") +
              "options=-csearch_path%3D" + t->schema_;
  }
  t->db_ = OpenOrDie(t->url_, pool_size);
  auto migrations = store::LoadMigrations(store::BuiltinMigrations(), t->db_->backend());
  if (!migrations.ok()) Die(migrations.error().ToString());
  auto report = store::Migrate(*t->db_, *migrations, core::SystemClock());
  if (!report.ok()) Die("migration failed: " + report.error().ToString());
  return t;
}

std::unique_ptr<store::Database> TestDatabase::OpenAnother(int pool_size) const {
  return OpenOrDie(url_, pool_size);
}

TestDatabase::~TestDatabase() {
  db_.reset();
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!schema_.empty()) {
    auto admin = OpenOrDie(PostgresBaseUrl(), 1);
    (void)admin->WithSession(
        [&](store::Session& s) { return s.ExecuteScript("DROP SCHEMA " + schema_ + " CASCADE"); });
  }
}

}  // namespace shopcrm::testing
