// The part of Database both backends share: a bounded connection pool and the
// transaction loop with retries. Backends supply connections.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "store/database.h"

namespace shopcrm::store::internal {

class Connection : public Session {
 public:
  virtual core::Status Begin(TxMode mode) = 0;
  virtual core::Status Commit() = 0;
  virtual core::Status Rollback() = 0;
  // True once the connection is unusable (lost, or left in an unknown state);
  // the pool closes it instead of lending it again.
  virtual bool broken() const = 0;
};

using ConnectionFactory = std::function<core::Result<std::unique_ptr<Connection>>()>;
// Makes the commits so far durable (Database::SyncCommitted); null when they are already.
using CommitSync = std::function<core::Status()>;

// True for the errors after which a whole transaction may simply be re-run.
bool IsRetryable(const core::Error& e);

class PooledDatabase final : public Database {
 public:
  // With `single_writer` (SQLite), write transactions take one dedicated
  // connection in turn instead of any pooled one: SQLite admits one writer at
  // a time anyway, and a connection's page cache stays warm only while no
  // other connection writes, so one writer keeps the hot index pages cached.
  PooledDatabase(Backend backend, DatabaseOptions options, ConnectionFactory factory,
                 bool single_writer = false, CommitSync sync = nullptr);
  ~PooledDatabase() override;

  Backend backend() const override { return backend_; }
  core::Status Transact(TxMode mode, const std::function<core::Status(Session&)>& fn) override;
  core::Status WithSession(const std::function<core::Status(Session&)>& fn) override;
  core::Status Ping() override;
  core::Status SyncCommitted() override { return sync_ ? sync_() : core::Status::Ok(); }

  // Opens one connection now so a bad URL or a down server fails at start-up.
  core::Status Warm();

 private:
  core::Result<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> c);
  core::Status RunOnce(Connection& c, TxMode mode, const std::function<core::Status(Session&)>& fn);

  const Backend backend_;
  const DatabaseOptions options_;
  const ConnectionFactory factory_;
  core::Status RunWithRetries(TxMode mode, const std::function<core::Status(Session&)>& fn,
                              bool use_writer);

  const bool single_writer_;
  const CommitSync sync_;
  std::timed_mutex writer_mu_;          // held for a whole write transaction
  std::unique_ptr<Connection> writer_;  // guarded by writer_mu_
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + lent
};

}  // namespace shopcrm::store::internal
