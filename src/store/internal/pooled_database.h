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

// True for the errors after which a whole transaction may simply be re-run.
bool IsRetryable(const core::Error& e);

class PooledDatabase final : public Database {
 public:
  PooledDatabase(Backend backend, DatabaseOptions options, ConnectionFactory factory);
  ~PooledDatabase() override;

  Backend backend() const override { return backend_; }
  core::Status Transact(TxMode mode, const std::function<core::Status(Session&)>& fn) override;
  core::Status WithSession(const std::function<core::Status(Session&)>& fn) override;
  core::Status Ping() override;

  // Opens one connection now so a bad URL or a down server fails at start-up.
  core::Status Warm();

 private:
  core::Result<std::unique_ptr<Connection>> Acquire();
  void Release(std::unique_ptr<Connection> c);
  core::Status RunOnce(Connection& c, TxMode mode, const std::function<core::Status(Session&)>& fn);

  const Backend backend_;
  const DatabaseOptions options_;
  const ConnectionFactory factory_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle + lent
};

}  // namespace shopcrm::store::internal
