#include "store/internal/pooled_database.h"

#include <random>
#include <thread>

#include "core/log.h"

namespace shopcrm::store::internal {

bool IsRetryable(const core::Error& e) { return e.reason() == "database_busy"; }

PooledDatabase::PooledDatabase(Backend backend, DatabaseOptions options, ConnectionFactory factory,
                               bool single_writer, CommitSync sync)
    : backend_(backend),
      options_(std::move(options)),
      factory_(std::move(factory)),
      single_writer_(single_writer),
      sync_(std::move(sync)) {}

PooledDatabase::~PooledDatabase() = default;

core::Result<std::unique_ptr<Connection>> PooledDatabase::Acquire() {
  std::unique_lock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  while (true) {
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    if (open_ < options_.pool_size) {
      ++open_;
      lock.unlock();
      auto c = factory_();
      if (!c.ok()) {
        lock.lock();
        --open_;
        cv_.notify_one();
      }
      return c;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.pool_size) {
      return core::Unavailable("database_busy", "no database connection became free in time");
    }
  }
}

void PooledDatabase::Release(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (c->broken()) {
    --open_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

core::Status PooledDatabase::RunOnce(Connection& c, TxMode mode,
                                     const std::function<core::Status(Session&)>& fn) {
  SHOPCRM_RETURN_IF_ERROR(c.Begin(mode));
  core::Status st;
  try {
    st = fn(c);
  } catch (...) {
    (void)c.Rollback();
    throw;
  }
  if (!st.ok()) {
    auto rb = c.Rollback();
    if (!rb.ok()) core::log::Warn("rollback failed", {{"error", rb.error().ToString()}});
    return st;
  }
  auto commit = c.Commit();
  if (!commit.ok()) (void)c.Rollback();
  return commit;
}

core::Status PooledDatabase::Transact(TxMode mode,
                                      const std::function<core::Status(Session&)>& fn) {
  if (!single_writer_ || mode == TxMode::kRead) return RunWithRetries(mode, fn, false);
  // A write transaction started inside another on the same thread would wait
  // for itself; refuse it at once.
  thread_local bool in_write = false;
  if (in_write) return core::Internal("write transaction nested in another");
  std::unique_lock lock(writer_mu_, std::defer_lock);
  if (!lock.try_lock_for(options_.acquire_timeout)) {
    return core::Unavailable("database_busy", "the database writer did not become free in time");
  }
  in_write = true;
  struct Reset {
    bool& flag;
    ~Reset() { flag = false; }
  } reset{in_write};
  return RunWithRetries(mode, fn, true);
}

core::Status PooledDatabase::RunWithRetries(TxMode mode,
                                            const std::function<core::Status(Session&)>& fn,
                                            bool use_writer) {
  thread_local std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> conn;
    if (use_writer) {
      if (!writer_ || writer_->broken()) {
        SHOPCRM_ASSIGN_OR_RETURN(writer_, factory_());
      }
    } else {
      SHOPCRM_ASSIGN_OR_RETURN(conn, Acquire());
    }
    Connection& c = use_writer ? *writer_ : *conn;
    core::Status st;
    try {
      st = RunOnce(c, mode, fn);
    } catch (...) {
      if (!use_writer) Release(std::move(conn));
      throw;
    }
    if (!use_writer) Release(std::move(conn));
    if (st.ok() || !IsRetryable(st.error()) || attempt >= options_.max_retries) return st;
    // Back off with jitter so colliding writers spread out: 1, 2, 4 … ms.
    const auto base = std::chrono::milliseconds(1 << std::min(attempt, 6));
    std::this_thread::sleep_for(base + std::chrono::microseconds(jitter() % 1000));
  }
}

core::Status PooledDatabase::WithSession(const std::function<core::Status(Session&)>& fn) {
  SHOPCRM_ASSIGN_OR_RETURN(auto conn, Acquire());
  core::Status st;
  try {
    st = fn(*conn);
  } catch (...) {
    Release(std::move(conn));
    throw;
  }
  Release(std::move(conn));
  return st;
}

core::Status PooledDatabase::Ping() {
  return WithSession([](Session& s) { return s.Query("SELECT 1").status(); });
}

core::Status PooledDatabase::Warm() { return Ping(); }

}  // namespace shopcrm::store::internal
