#include "store/sqlite/sqlite_database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/log.h"
#include "store/internal/pooled_database.h"

namespace shopcrm::store::sqlite {
namespace {

using core::Error;
using core::ErrorCode;

Error MapError(sqlite3* db, int rc, std::string_view sql) {
  const int primary = rc & 0xff;
  const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    return core::Unavailable("database_busy", "the database is busy; retry");
  }
  if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return core::Conflict("unique_violation", msg);
  }
  if (primary == SQLITE_CONSTRAINT) return core::Conflict("constraint_violation", msg);
  if (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_FULL ||
      primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    core::log::Error("sqlite unavailable", {{"code", rc}, {"error", msg}});
    return core::Unavailable("database_unavailable", "the database cannot be used: " + msg);
  }
  core::log::Error("sqlite error",
                   {{"code", rc}, {"error", msg}, {"sql", std::string(sql.substr(0, 200))}});
  return Error(ErrorCode::kInternal, "database_error", "a database statement failed");
}

// Copies the write-ahead log back into the database file on a thread of its
// own, so the writer's commits do not wait for it. SQLite's own automatic
// checkpoint would run inside the commit that crosses the threshold, every
// 1,000 pages; a larger threshold also lets a page that many commits rewrite
// (a hot index page) be copied once instead of once per checkpoint.
class Checkpointer final {
 public:
  // A checkpoint starts once the log holds `pages`; should the thread fall
  // behind, the commit that finds four times as many checkpoints in line,
  // which bounds the log.
  Checkpointer(std::string path, int pages)
      : path_(std::move(path)), soft_pages_(pages), hard_pages_(4 * pages) {}
  ~Checkpointer() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // sqlite3_wal_hook's callback: runs after every commit in WAL mode.
  static int OnCommit(void* self, sqlite3* db, const char* schema, int pages) {
    auto* c = static_cast<Checkpointer*>(self);
    if (pages >= c->hard_pages_) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    } else if (pages >= c->soft_pages_) {
      c->Request();
    }
    return SQLITE_OK;
  }

 private:
  void Request() {
    {
      std::lock_guard lock(mu_);
      if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
      requested_ = true;
    }
    cv_.notify_one();
  }

  void Run() {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      core::log::Error("sqlite checkpointer cannot open the database", {{"path", path_}});
      sqlite3_close_v2(db);
      return;  // the hard limit still bounds the log
    }
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [&] { return stop_ || requested_; });
      if (stop_) break;
      requested_ = false;
      lock.unlock();
      const int rc =
          sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
        core::log::Warn("sqlite checkpoint failed", {{"code", rc}, {"error", sqlite3_errmsg(db)}});
      }
      lock.lock();
    }
    lock.unlock();
    sqlite3_close_v2(db);
  }

  const std::string path_;
  const int soft_pages_;
  const int hard_pages_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  bool stop_ = false;
  std::thread thread_;  // started by the first request
};

class Statement final {
 public:
  explicit Statement(sqlite3_stmt* s) : s_(s) {}
  ~Statement() { sqlite3_finalize(s_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  sqlite3_stmt* get() const { return s_; }

 private:
  sqlite3_stmt* s_;
};

class SqliteConnection final : public internal::Connection {
 public:
  SqliteConnection(sqlite3* db, std::shared_ptr<Checkpointer> checkpointer,
                   std::chrono::milliseconds busy_timeout, bool full_sync)
      : db_(db),
        checkpointer_(std::move(checkpointer)),
        busy_timeout_(busy_timeout),
        full_sync_(full_sync) {
    if (checkpointer_) sqlite3_wal_hook(db_, &Checkpointer::OnCommit, checkpointer_.get());
    sqlite3_busy_handler(db_, &SqliteConnection::OnBusy, this);
  }

  // SQLite's own busy timeout sleeps 1, 2, 5, 10 … up to 100 ms between tries,
  // so a writer that meets the lock a few times in a row sleeps ~180 ms while
  // the lock is free for most of it. Short, even waits keep the queue moving:
  // 100 µs for the first 10 ms, then 1 ms, until the timeout.
  static int OnBusy(void* self, int count) {
    auto* c = static_cast<SqliteConnection*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) c->busy_since_ = now;
    if (now - c->busy_since_ >= c->busy_timeout_) return 0;
    std::this_thread::sleep_for(count < 100 ? std::chrono::microseconds(100)
                                            : std::chrono::microseconds(1000));
    return 1;
  }
  ~SqliteConnection() override {
    cache_.clear();
    sqlite3_close_v2(db_);
  }

  Backend backend() const override { return Backend::kSqlite; }

  core::Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    SHOPCRM_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql, params));
    Rows out;
    const int ncol = sqlite3_column_count(st);
    out.columns.reserve(static_cast<size_t>(ncol));
    for (int i = 0; i < ncol; ++i) out.columns.emplace_back(sqlite3_column_name(st, i));
    while (true) {
      const int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return MapError(db_, rc, sql);
      }
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncol));
      for (int i = 0; i < ncol; ++i) values.push_back(Column(st, i));
      out.rows.emplace_back(std::move(values));
    }
    sqlite3_reset(st);
    return out;
  }

  core::Result<int64_t> Execute(std::string_view sql, std::span<const Value> params) override {
    SHOPCRM_ASSIGN_OR_RETURN(sqlite3_stmt * st, Prepare(sql, params));
    int rc = 0;
    do {
      rc = sqlite3_step(st);
    } while (rc == SQLITE_ROW);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) return MapError(db_, rc, sql);
    return static_cast<int64_t>(sqlite3_changes64(db_));
  }

  core::Status ExecuteScript(std::string_view sql) override {
    const std::string text(sql);
    char* err = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return MapError(db_, rc, sql);
    return core::Status::Ok();
  }

  core::Status Begin(TxMode mode) override {
    if (mode == TxMode::kRead) return ExecuteScript("BEGIN DEFERRED");
    if (mode == TxMode::kWriteSyncLater && full_sync_) {
      // This one transaction commits without the fsync; SyncCommitted() pays it.
      SHOPCRM_RETURN_IF_ERROR(ExecuteScript("PRAGMA synchronous=NORMAL"));
      sync_relaxed_ = true;
    }
    auto st = ExecuteScript("BEGIN IMMEDIATE");
    if (!st.ok()) RestoreSync();
    return st;
  }
  core::Status Commit() override {
    auto st = ExecuteScript("COMMIT");
    if (sqlite3_get_autocommit(db_) != 0) RestoreSync();
    return st;
  }
  core::Status Rollback() override {
    if (sqlite3_get_autocommit(db_) != 0) return core::Status::Ok();  // nothing open
    auto st = ExecuteScript("ROLLBACK");
    if (!st.ok()) broken_ = true;
    RestoreSync();
    return st;
  }
  bool broken() const override { return broken_ || sqlite3_get_autocommit(db_) == 0; }

 private:
  void RestoreSync() {
    if (!sync_relaxed_) return;
    sync_relaxed_ = false;
    if (!ExecuteScript("PRAGMA synchronous=FULL").ok()) broken_ = true;
  }

  core::Result<sqlite3_stmt*> Prepare(std::string_view sql, std::span<const Value> params) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
      sqlite3_stmt* raw = nullptr;
      const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                        SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
      if (rc != SQLITE_OK) return MapError(db_, rc, sql);
      it = cache_.emplace(std::string(sql), std::make_unique<Statement>(raw)).first;
    }
    sqlite3_stmt* st = it->second->get();
    sqlite3_clear_bindings(st);
    if (static_cast<size_t>(sqlite3_bind_parameter_count(st)) != params.size()) {
      return core::Internal("statement expects " +
                            std::to_string(sqlite3_bind_parameter_count(st)) + " parameters, got " +
                            std::to_string(params.size()));
    }
    for (size_t i = 0; i < params.size(); ++i) {
      const int idx = static_cast<int>(i) + 1;
      int rc = SQLITE_OK;
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(st, idx, *v);
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        rc = sqlite3_bind_double(st, idx, *d);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        rc = sqlite3_bind_text64(st, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
      } else {
        rc = sqlite3_bind_null(st, idx);
      }
      if (rc != SQLITE_OK) return MapError(db_, rc, sql);
    }
    return st;
  }

  static Value Column(sqlite3_stmt* st, int i) {
    switch (sqlite3_column_type(st, i)) {
      case SQLITE_INTEGER:
        return static_cast<int64_t>(sqlite3_column_int64(st, i));
      case SQLITE_FLOAT:
        return sqlite3_column_double(st, i);
      case SQLITE_NULL:
        return Null();
      default: {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, i));  // NOLINT
        return std::string(p, static_cast<size_t>(sqlite3_column_bytes(st, i)));
      }
    }
  }

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  sqlite3* db_;
  std::shared_ptr<Checkpointer> checkpointer_;  // outlives db_'s hook
  std::chrono::milliseconds busy_timeout_;
  std::chrono::steady_clock::time_point busy_since_;
  const bool full_sync_;       // the database runs with synchronous=FULL
  bool sync_relaxed_ = false;  // this transaction runs with NORMAL (kWriteSyncLater)
  bool broken_ = false;
  std::unordered_map<std::string, std::unique_ptr<Statement>, Hash, std::equal_to<>> cache_;
};

// Library-wide settings, before SQLite initialises itself: without memory
// statistics, its allocations take no global mutex (they were a twentieth of
// the group-commit writer's time). Too late when SQLite is already in use,
// which only costs that speed.
void ConfigureLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { (void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

core::Result<std::unique_ptr<internal::Connection>> Connect(
    const std::string& path, const DatabaseOptions& options,
    std::shared_ptr<Checkpointer> checkpointer) {
  ConfigureLibrary();
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return core::Unavailable("database_unavailable",
                             "cannot open SQLite database '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(db, 1);
  const bool full = options.sqlite_synchronous == "full";
  auto conn =
      std::make_unique<SqliteConnection>(db, std::move(checkpointer), options.busy_timeout, full);
  const std::string sync = full ? "FULL" : "NORMAL";
  // 1 GiB of memory-mapped reads per connection keeps hot pages out of
  // read(2) calls (an upper bound, not an allocation). The page cache is
  // 16 MiB: SQLite walks its whole hash table at the end of some transactions,
  // and at 64 MiB that walk took an eighth of the writer's time in the flash
  // sale benchmark; pages read through the map cost little to fetch again.
  // (8 MiB made large ingest transactions spill: 8 % slower.)
  SHOPCRM_RETURN_IF_ERROR(conn->ExecuteScript(
      "PRAGMA page_size=" + std::to_string(options.sqlite_page_size) +
      "; PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=" + sync +
      "; PRAGMA cache_size=-16384; PRAGMA mmap_size=1073741824; PRAGMA temp_store=MEMORY;"));
  return std::unique_ptr<internal::Connection>(std::move(conn));
}

// Database::SyncCommitted for synchronous=FULL: an fdatasync of the
// write-ahead log, which holds every committed transaction not yet copied
// into the database file (a checkpoint syncs what it copies). The log is
// opened for each call, so a log SQLite removed and made anew is the one
// synced. No log yet means nothing is committed in it.
core::Status SyncWriteAheadLog(const std::string& path) {
  const std::string wal = path + "-wal";
  const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return core::Status::Ok();
    return core::Unavailable("database_unavailable",
                             "cannot open the write-ahead log: " + std::string(strerror(errno)));
  }
  const int rc = ::fdatasync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) {
    return core::Unavailable("database_unavailable",
                             "cannot sync the write-ahead log: " + std::string(strerror(err)));
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<std::unique_ptr<Database>> OpenSqlite(const std::string& path,
                                                   const DatabaseOptions& options) {
  DatabaseOptions opts = options;
  if (path == ":memory:") opts.pool_size = 1;  // each connection would be its own database
  if (path != ":memory:") {
    const auto parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  }
  auto db = std::make_unique<internal::PooledDatabase>(
      Backend::kSqlite, opts,
      [path, opts,
       checkpointer = path == ":memory:"
                          ? nullptr
                          : std::make_shared<Checkpointer>(path, opts.sqlite_checkpoint_pages)] {
        return Connect(path, opts, checkpointer);
      },
      /*single_writer=*/path != ":memory:",
      opts.sqlite_synchronous == "full" && path != ":memory:"
          ? internal::CommitSync([path] { return SyncWriteAheadLog(path); })
          : nullptr);
  SHOPCRM_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace shopcrm::store::sqlite
