// The storage suite, run on SQLite and on a real PostgreSQL.
#include "store/database.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store/migrator.h"
#include "store/postgres/postgres_database.h"
#include "testing/test_database.h"

namespace shopcrm::store {
namespace {

using testing::TestBackend;
using testing::TestDatabase;

class StorageTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = TestDatabase::Create(GetParam());
    ASSERT_TRUE(
        db().Transact(TxMode::kWrite,
                      [](Session& s) {
                        return s.ExecuteScript(
                            "CREATE TABLE items (id BIGINT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                            " qty BIGINT NOT NULL, price DOUBLE PRECISION, note TEXT)");
                      })
            .ok());
  }
  Database& db() { return t_->db(); }
  int64_t Count() {
    auto n = TransactFor<int64_t>(db(), TxMode::kRead, [](Session& s) -> core::Result<int64_t> {
      SHOPCRM_ASSIGN_OR_RETURN(Rows r, s.Query("SELECT COUNT(*) FROM items"));
      return r.rows.front().Int(0);
    });
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }
  std::unique_ptr<TestDatabase> t_;
};

TEST_P(StorageTest, RoundTripsEveryValueType) {
  ASSERT_TRUE(
      db().Transact(
              TxMode::kWrite,
              [](Session& s) {
                return s
                    .Execute(
                        "INSERT INTO items (id, name, qty, price, note) VALUES (?, ?, ?, ?, ?)",
                        {int64_t{9007199254740993}, "茶叶 'quoted' ?", int64_t{-5}, 12.5, Null()})
                    .status();
              })
          .ok());
  auto row = TransactFor<Row>(db(), TxMode::kRead, [](Session& s) {
    return s.QueryOne("SELECT id, name, qty, price, note FROM items WHERE name = ?",
                      {"茶叶 'quoted' ?"}, "missing", "row");
  });
  ASSERT_TRUE(row.ok()) << row.error().ToString();
  EXPECT_EQ(row->Int(0), 9007199254740993);
  EXPECT_EQ(row->Text(1), "茶叶 'quoted' ?");
  EXPECT_EQ(row->Int(2), -5);
  EXPECT_DOUBLE_EQ(row->Double(3), 12.5);
  EXPECT_TRUE(row->IsNull(4));
  EXPECT_EQ(row->OptionalText(4), std::nullopt);
}

TEST_P(StorageTest, FailedTransactionLeavesNothingBehind) {
  auto st = db().Transact(TxMode::kWrite, [](Session& s) -> core::Status {
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)").status());
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("INSERT INTO items (id, name, qty) VALUES (2, 'b', 1)").status());
    return core::InvalidArgument("stop", "business rule failed after two writes");
  });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason(), "stop");
  EXPECT_EQ(Count(), 0);
}

TEST_P(StorageTest, ExceptionRollsBackAndConnectionIsReusable) {
  EXPECT_THROW(
      (void)db().Transact(TxMode::kWrite,
                          [](Session& s) -> core::Status {
                            (void)s.Execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)");
                            throw std::runtime_error("boom");
                          }),
      std::runtime_error);
  EXPECT_EQ(Count(), 0);
  EXPECT_TRUE(db().Ping().ok());
}

TEST_P(StorageTest, UniqueViolationIsAConflict) {
  auto insert = [&](int64_t id) {
    return db().Transact(TxMode::kWrite, [id](Session& s) {
      return s.Execute("INSERT INTO items (id, name, qty) VALUES (?, 'same', 1)", {id}).status();
    });
  };
  ASSERT_TRUE(insert(1).ok());
  auto st = insert(2);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), core::ErrorCode::kConflict);
  EXPECT_EQ(st.error().reason(), "unique_violation");
  EXPECT_EQ(Count(), 1);
}

TEST_P(StorageTest, NotNullViolationIsAConstraintViolation) {
  auto st = db().Transact(TxMode::kWrite, [](Session& s) {
    return s.Execute("INSERT INTO items (id, name, qty) VALUES (1, NULL, 1)").status();
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().reason(), "constraint_violation");
}

TEST_P(StorageTest, SqlErrorIsInternalWithoutLeakingText) {
  auto st =
      db().WithSession([](Session& s) { return s.Query("SELECT nope FROM nowhere").status(); });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code(), core::ErrorCode::kInternal);
  EXPECT_EQ(st.error().reason(), "database_error");
  EXPECT_EQ(st.error().detail().find("nowhere"), std::string::npos);
}

TEST_P(StorageTest, ExecuteReportsChangedRows) {
  ASSERT_TRUE(
      db().Transact(TxMode::kWrite,
                    [](Session& s) {
                      return s.ExecuteScript(
                          "INSERT INTO items (id, name, qty) VALUES (1, 'a', 5), (2, 'b', 0)");
                    })
          .ok());
  auto changed = TransactFor<int64_t>(db(), TxMode::kWrite, [](Session& s) {
    return s.Execute("UPDATE items SET qty = qty - 1 WHERE qty >= 1");
  });
  ASSERT_TRUE(changed.ok());
  EXPECT_EQ(*changed, 1);
}

TEST_P(StorageTest, InsertReturningGivesTheRow) {
  auto rows = TransactFor<Rows>(db(), TxMode::kWrite, [](Session& s) {
    return s.Query("INSERT INTO items (id, name, qty) VALUES (?, ?, ?) RETURNING id, qty",
                   {int64_t{7}, "x", int64_t{3}});
  });
  ASSERT_TRUE(rows.ok()) << rows.error().ToString();
  ASSERT_EQ(rows->size(), 1U);
  EXPECT_EQ(rows->rows[0].Int(0), 7);
  EXPECT_EQ(rows->columns[1], "qty");
}

// The ledger pattern every stock and balance uses: a conditional update never
// lets concurrent writers take more than there is.
TEST_P(StorageTest, ConditionalDecrementNeverOverdrawsUnderConcurrency) {
  constexpr int64_t kStock = 50;
  constexpr int kThreads = 8;
  constexpr int kAttemptsEach = 20;
  ASSERT_TRUE(db().Transact(TxMode::kWrite,
                            [&](Session& s) {
                              return s
                                  .Execute(
                                      "INSERT INTO items (id, name, qty) VALUES (1, 'stock', ?)",
                                      {kStock})
                                  .status();
                            })
                  .ok());
  std::atomic<int> granted{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAttemptsEach; ++i) {
        int64_t changed = 0;
        auto st = db().Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
          SHOPCRM_ASSIGN_OR_RETURN(
              changed, s.Execute("UPDATE items SET qty = qty - 1 WHERE id = 1 AND qty >= 1"));
          return core::Status::Ok();
        });
        if (!st.ok()) ++failures;
        if (st.ok() && changed == 1) ++granted;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(granted.load(), kStock);
  auto left = TransactFor<int64_t>(db(), TxMode::kRead, [](Session& s) -> core::Result<int64_t> {
    SHOPCRM_ASSIGN_OR_RETURN(
        Row r, s.QueryOne("SELECT qty FROM items WHERE id = 1", {}, "missing", "row"));
    return r.Int(0);
  });
  ASSERT_TRUE(left.ok());
  EXPECT_EQ(*left, 0);
}

TEST_P(StorageTest, TwoHandlesSeeEachOthersCommits) {
  auto other = t_->OpenAnother(2);
  ASSERT_TRUE(
      other
          ->Transact(
              TxMode::kWrite,
              [](Session& s) {
                return s.Execute("INSERT INTO items (id, name, qty) VALUES (1, 'a', 1)").status();
              })
          .ok());
  EXPECT_EQ(Count(), 1);
}

TEST_P(StorageTest, MigrationsAreIdempotentAndRecorded) {
  auto migrations = LoadMigrations(BuiltinMigrations(), db().backend());
  ASSERT_TRUE(migrations.ok());
  ASSERT_FALSE(migrations->empty());
  auto again = Migrate(db(), *migrations, core::SystemClock());
  ASSERT_TRUE(again.ok()) << again.error().ToString();
  EXPECT_TRUE(again->applied.empty());
  EXPECT_EQ(again->from_version, migrations->back().version);
  auto version = CurrentSchemaVersion(db());
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, migrations->back().version);
}

TEST_P(StorageTest, RefusesASchemaNewerThanTheBinary) {
  ASSERT_TRUE(db().Transact(TxMode::kWrite,
                            [](Session& s) {
                              return s
                                  .Execute(
                                      "INSERT INTO schema_migrations (version, name, applied_at) "
                                      "VALUES (9999, 'future', 0)")
                                  .status();
                            })
                  .ok());
  auto migrations = LoadMigrations(BuiltinMigrations(), db().backend());
  ASSERT_TRUE(migrations.ok());
  auto r = Migrate(db(), *migrations, core::SystemClock());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason(), "schema_too_new");
}

TEST_P(StorageTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  // Two "instances" starting at once on an empty database.
  auto fresh = TestDatabase::Create(GetParam());
  ASSERT_TRUE(fresh->db()
                  .Transact(TxMode::kWrite,
                            [](Session& s) {
                              return s.ExecuteScript("CREATE TABLE counter (n BIGINT NOT NULL)");
                            })
                  .ok());
  const std::vector<Migration> ms = {{1, "a", "INSERT INTO counter (n) VALUES (1)"},
                                     {2, "b", "INSERT INTO counter (n) VALUES (2)"}};
  ASSERT_TRUE(
      fresh->db()
          .Transact(TxMode::kWrite,
                    [](Session& s) { return s.ExecuteScript("DELETE FROM schema_migrations"); })
          .ok());
  auto other = fresh->OpenAnother();
  std::thread a([&] { EXPECT_TRUE(Migrate(fresh->db(), ms, core::SystemClock()).ok()); });
  std::thread b([&] { EXPECT_TRUE(Migrate(*other, ms, core::SystemClock()).ok()); });
  a.join();
  b.join();
  auto n =
      TransactFor<int64_t>(fresh->db(), TxMode::kRead, [](Session& s) -> core::Result<int64_t> {
        SHOPCRM_ASSIGN_OR_RETURN(Rows r, s.Query("SELECT COUNT(*) FROM counter"));
        return r.rows.front().Int(0);
      });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return testing::TestBackendName(param_info.param);
                         });

TEST(PostgresPlaceholders, NumbersOnlyPlaceholdersOutsideQuotesAndComments) {
  EXPECT_EQ(postgres::NumberPlaceholders("SELECT ?, '?', \"a?\" -- why?\n, ?"),
            "SELECT $1, '?', \"a?\" -- why?\n, $2");
  EXPECT_EQ(postgres::NumberPlaceholders("a = 'it''s ?' AND b = ?"), "a = 'it''s ?' AND b = $1");
  EXPECT_EQ(postgres::NumberPlaceholders("/* why? */ x = ? /* ? */"), "/* why? */ x = $1 /* ? */");
}

TEST(LoadMigrations, PrefersTheBackendsOwnVariant) {
  const core::EmbeddedFile files[] = {{"0001_a.sql", "generic"},
                                      {"0002_b.sql", "generic2"},
                                      {"0002_b.postgresql.sql", "pg2"},
                                      {"0003_c.sqlite.sql", "lite3"}};
  auto lite = LoadMigrations(files, Backend::kSqlite);
  ASSERT_TRUE(lite.ok());
  ASSERT_EQ(lite->size(), 3U);
  EXPECT_EQ((*lite)[1].sql, "generic2");
  EXPECT_EQ((*lite)[2].sql, "lite3");
  auto pg = LoadMigrations(files, Backend::kPostgres);
  ASSERT_TRUE(pg.ok());
  ASSERT_EQ(pg->size(), 2U);
  EXPECT_EQ((*pg)[1].sql, "pg2");
}

TEST(LoadMigrations, RejectsMalformedNamesAndDuplicates) {
  const core::EmbeddedFile bad[] = {{"1_a.sql", ""}};
  EXPECT_EQ(LoadMigrations(bad, Backend::kSqlite).error().reason(), "invalid_migration");
  const core::EmbeddedFile dup[] = {{"0001_a.sql", ""}, {"0001_b.sql", ""}};
  EXPECT_EQ(LoadMigrations(dup, Backend::kSqlite).error().reason(), "invalid_migration");
}

TEST(DatabaseOpen, RejectsUnknownSchemes) {
  DatabaseOptions o;
  o.url = "mysql://x";
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().reason(), "invalid_config");
  EXPECT_EQ(db.error().fields().at(0).field, "database.url");
}

TEST(DatabaseOpen, UnreachablePostgresIsUnavailable) {
  DatabaseOptions o;
  o.url = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2";
  auto db = Database::Open(o);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().reason(), "database_unavailable");
}

// The log is copied into the database file by the checkpoint thread once it
// holds `sqlite_checkpoint_pages`, long before SQLite's own 1,000-page
// automatic checkpoint would.
TEST(SqliteCheckpoint, CopiesTheLogIntoTheFileInTheBackground) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("shopcrm-checkpoint-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto path = dir / "db.sqlite";
  {
    DatabaseOptions o;
    o.url = "sqlite:" + path.string();
    o.sqlite_checkpoint_pages = 16;
    auto db = Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.error().detail();
    ASSERT_TRUE((*db)
                    ->Transact(TxMode::kWrite,
                               [](Session& s) {
                                 return s.ExecuteScript(
                                     "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b TEXT)");
                               })
                    .ok());
    const auto empty_file = std::filesystem::file_size(path);
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*db)
                      ->Transact(TxMode::kWrite,
                                 [&](Session& s) {
                                   return s
                                       .Execute("INSERT INTO blobs (id, b) VALUES (?, ?)",
                                                {int64_t{i}, std::string(3000, 'x')})
                                       .status();
                                 })
                      .ok());
    }
    // 100 rows of 3 KB are about 75 pages: far below SQLite's threshold.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::filesystem::file_size(path) < empty_file + 100 * 1024 &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(std::filesystem::file_size(path), empty_file + 100 * 1024);
  }
  std::filesystem::remove_all(dir);
}

// A kWriteSyncLater transaction commits without the fsync, and the writer
// connection goes back to synchronous=FULL for the transactions after it;
// SyncCommitted then flushes the log.
TEST(SqliteSyncLater, RelaxesOneTransactionOnlyAndSyncsOnRequest) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("shopcrm-sync-later-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    DatabaseOptions o;
    o.url = "sqlite:" + (dir / "db.sqlite").string();
    o.sqlite_synchronous = "full";
    auto db = Database::Open(o);
    ASSERT_TRUE(db.ok()) << db.error().detail();
    auto synchronous = [&](TxMode mode) {
      int64_t level = -1;
      EXPECT_TRUE((*db)
                      ->Transact(mode,
                                 [&](Session& s) -> core::Status {
                                   SHOPCRM_ASSIGN_OR_RETURN(auto r, s.Query("PRAGMA synchronous"));
                                   level = r.rows.at(0).Int(0);
                                   return core::Status::Ok();
                                 })
                      .ok());
      return level;
    };
    EXPECT_EQ(synchronous(TxMode::kWrite), 2);           // FULL
    EXPECT_EQ(synchronous(TxMode::kWriteSyncLater), 1);  // NORMAL, inside it
    EXPECT_EQ(synchronous(TxMode::kWrite), 2);           // FULL again after it
    // A failed one restores it too.
    EXPECT_FALSE((*db)
                     ->Transact(TxMode::kWriteSyncLater,
                                [](Session&) { return core::Internal("fails on purpose"); })
                     .ok());
    EXPECT_EQ(synchronous(TxMode::kWrite), 2);
    EXPECT_TRUE((*db)->SyncCommitted().ok());
  }
  std::filesystem::remove_all(dir);
}

TEST(DatabaseOptions, CheckpointPagesAreBounded) {
  DatabaseOptions o;
  o.sqlite_checkpoint_pages = 8;
  auto st = o.Validate();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().fields().at(0).field, "database.sqlite_checkpoint_pages");
}

}  // namespace
}  // namespace shopcrm::store
