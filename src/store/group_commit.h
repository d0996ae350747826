// Group commit: many small write operations from many threads share one
// transaction, so a durable commit (an fsync) is paid once per batch rather
// than once per operation. Each operation runs in its own savepoint: one that
// fails is rolled back alone and reports its own error; the others commit.
// A caller gets its result only after the shared transaction has committed
// and is durable (Database::SyncCommitted), so an acknowledged operation is
// as durable as a transaction of its own. The disk flush runs on a thread of
// its own while the next batch executes: one flush can cover several batches,
// and the writer never waits for the disk (TxMode::kWriteSyncLater).
//
// Operations must have no effects outside their session (like Transact's
// `fn`, they may run again when the whole transaction is retried).
//
// Thread-safety: Run may be called from any thread. The destructor finishes
// the queued operations and joins the writer threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::store {

struct GroupCommitOptions {
  int max_batch = 256;  // operations per transaction at most
  int writers = 1;      // threads committing batches (1 suits SQLite's single writer)
};

class GroupCommitter final {
 public:
  using Op = std::function<core::Result<std::string>(Session&)>;
  using Done = std::function<void(core::Result<std::string>)>;

  GroupCommitter(Database& db, GroupCommitOptions options);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Runs `op` in the next batch; returns its result once the batch committed,
  // or the commit's error (every operation of a failed batch gets it).
  core::Result<std::string> Run(Op op);
  // The same without waiting: `done` gets the result on the flushing thread
  // once the batch is durable (on the writer, when the batch failed). `done`
  // must not block: every later answer waits behind it.
  void Submit(Op op, Done done);

 private:
  struct Pending {
    Op op;
    Done done;
  };
  static void Answer(Pending& p, core::Result<std::string> result);
  using Results = std::vector<core::Result<std::string>>;
  struct Committed {
    std::vector<Pending> batch;
    Results results;
  };
  void WriterLoop();
  void SyncLoop();
  // Runs the batch in one transaction: the per-operation results, or the
  // error that failed the whole transaction.
  core::Result<Results> Execute(std::vector<Pending>& batch);

  Database& db_;
  GroupCommitOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::vector<std::thread> writers_;
  // Committed batches waiting for the flush, and the flushing thread.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::vector<Committed> unsynced_;
  int writers_running_ = 0;  // guarded by sync_mu_; the flusher ends after the last
  std::thread syncer_;
};

}  // namespace shopcrm::store
