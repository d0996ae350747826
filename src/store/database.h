// The storage seam: one interface over SQLite (embedded default) and
// PostgreSQL (server deployments), chosen by URL.
//
// SQL is written once, portably, with `?` placeholders (the PostgreSQL backend
// numbers them). Values are NULL, 64-bit integers, doubles or text; instants
// are stored as Unix microseconds (BIGINT), money as minor units (BIGINT).
//
// Errors from the backends are mapped to core errors with these reasons:
//   unique_violation (kConflict)     a UNIQUE / PRIMARY KEY constraint fired
//   constraint_violation (kConflict) another constraint (FK, CHECK, NOT NULL)
//   database_busy (kUnavailable)     lock or serialization conflict, retries exhausted
//   database_unavailable (kUnavailable) cannot connect, connection lost
//   database_error (kInternal)       anything else (SQL bug); text only in the log
//
// Thread-safety: Database is safe from any thread; a Session belongs to the
// one call that received it and must not escape it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"

namespace shopcrm::store {

enum class Backend { kSqlite, kPostgres };
std::string_view BackendName(Backend b);  // "sqlite" | "postgresql"

using Value = std::variant<std::monostate, int64_t, double, std::string>;
inline Value Null() { return std::monostate{}; }
// An optional becomes NULL when empty.
template <typename T>
Value OrNull(const std::optional<T>& v) {
  return v ? Value(*v) : Null();
}

// A materialised query result. Column accessors take the column index in the
// SELECT list; asking for the wrong type is a programming error (kInternal is
// not possible here, so it aborts via assertion in debug and returns a zero
// value in release).
class Row final {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  bool IsNull(size_t i) const { return std::holds_alternative<std::monostate>(values_.at(i)); }
  int64_t Int(size_t i) const;
  double Double(size_t i) const;
  const std::string& Text(size_t i) const;
  std::optional<int64_t> OptionalInt(size_t i) const;
  std::optional<std::string> OptionalText(size_t i) const;
  const Value& at(size_t i) const { return values_.at(i); }

 private:
  std::vector<Value> values_;
};

struct Rows {
  std::vector<std::string> columns;
  std::vector<Row> rows;
  bool empty() const { return rows.empty(); }
  size_t size() const { return rows.size(); }
};

// One connection, lent for the duration of a call.
class Session {
 public:
  virtual ~Session() = default;
  virtual Backend backend() const = 0;

  // Runs one statement and returns its rows (also for INSERT … RETURNING).
  virtual core::Result<Rows> Query(std::string_view sql, std::span<const Value> params) = 0;
  // Runs one statement and returns the number of rows it changed.
  virtual core::Result<int64_t> Execute(std::string_view sql, std::span<const Value> params) = 0;
  // Runs several `;`-separated statements without parameters (migrations).
  virtual core::Status ExecuteScript(std::string_view sql) = 0;

  core::Result<Rows> Query(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Query(sql, std::span<const Value>(params.begin(), params.size()));
  }
  core::Result<int64_t> Execute(std::string_view sql, std::initializer_list<Value> params = {}) {
    return Execute(sql, std::span<const Value>(params.begin(), params.size()));
  }
  // The first row, or not_found with `what` as the detail.
  core::Result<Row> QueryOne(std::string_view sql, std::initializer_list<Value> params,
                             std::string_view not_found_reason, std::string_view what);
};

enum class TxMode {
  kRead,   // SQLite: BEGIN DEFERRED; PostgreSQL: BEGIN READ ONLY
  kWrite,  // SQLite: BEGIN IMMEDIATE (takes the write lock up front); PostgreSQL: BEGIN
  // As kWrite, but where the commit would wait for the disk (SQLite with
  // synchronous "full") it does not: the caller must call SyncCommitted()
  // before telling anyone the transaction happened. Survives a process crash
  // at once, power loss once synced. Lets the next transaction start while
  // the disk flush runs (store/group_commit.h). Elsewhere the same as kWrite.
  kWriteSyncLater,
};

struct DatabaseOptions {
  // sqlite:PATH | sqlite::memory: | postgresql://… | postgres://…
  std::string url = "sqlite:./data/shopcrm.db";
  int pool_size = 8;  // connections kept open at most
  std::chrono::milliseconds busy_timeout{5000};
  std::chrono::milliseconds acquire_timeout{10000};  // waiting for a free connection
  int max_retries = 5;  // whole-transaction retries on busy / serialization failure
  // SQLite synchronous mode: "normal" (WAL; survives a process crash, may lose the
  // last commits on power loss) or "full" (survives power loss). PostgreSQL
  // follows the server's own synchronous_commit.
  std::string sqlite_synchronous = "normal";
  // SQLite page size in bytes for a new database file (a power of two, 4096 to
  // 65536); an existing file keeps the size it was made with.
  int sqlite_page_size = 4096;
  // The write-ahead log is copied back into the database file on a thread of
  // its own once it holds this many pages; the commit that finds four times as
  // many copies it in line.
  int sqlite_checkpoint_pages = 16384;

  // Returns invalid_config with field errors.
  core::Status Validate() const;
};

class Database {
 public:
  virtual ~Database() = default;

  // Opens the backend the URL names. Returns invalid_database_url or
  // database_unavailable.
  static core::Result<std::unique_ptr<Database>> Open(const DatabaseOptions& options);

  virtual Backend backend() const = 0;

  // Runs `fn` in one transaction: commits if it returns OK, rolls back if it
  // returns an error or throws. On busy / serialization failures the whole
  // `fn` is run again (so it must have no effects outside the session) up to
  // max_retries times, then database_busy. Transactions do not nest: start
  // no other Transact inside `fn` (on SQLite a nested write is refused).
  virtual core::Status Transact(TxMode mode, const std::function<core::Status(Session&)>& fn) = 0;

  // Runs `fn` on a pooled connection in autocommit mode.
  virtual core::Status WithSession(const std::function<core::Status(Session&)>& fn) = 0;

  // Checks the database answers (SELECT 1).
  virtual core::Status Ping() = 0;
  // Makes every transaction committed so far durable against power loss
  // (those of kWriteSyncLater included). A no-op where commits are durable
  // when they return; an fdatasync of the write-ahead log on SQLite "full".
  virtual core::Status SyncCommitted() = 0;
};

// Transact returning a value: `fn` fills `out`.
template <typename T>
core::Result<T> TransactFor(Database& db, TxMode mode,
                            const std::function<core::Result<T>(Session&)>& fn) {
  std::optional<T> out;
  auto status = db.Transact(mode, [&](Session& s) -> core::Status {
    auto r = fn(s);
    if (!r.ok()) return std::move(r).error();
    out = std::move(r).value();
    return core::Status::Ok();
  });
  if (!status.ok()) return std::move(status).error();
  return std::move(*out);
}

}  // namespace shopcrm::store
