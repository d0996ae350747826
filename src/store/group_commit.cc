#include "store/group_commit.h"

#include <pthread.h>

#include <future>
#include <memory>
#include <optional>

#include "core/log.h"

namespace shopcrm::store {
namespace {

core::Error BatchFailed() {
  return core::Error(core::ErrorCode::kInternal, "internal_error", "the operation failed");
}

}  // namespace

GroupCommitter::GroupCommitter(Database& db, GroupCommitOptions options)
    : db_(db), options_(options) {
  writers_running_ = std::max(1, options_.writers);
  for (int i = 0; i < writers_running_; ++i) {
    writers_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "commit-writer");
      WriterLoop();
    });
  }
  syncer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "commit-flush");
    SyncLoop();
  });
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : writers_) w.join();
  syncer_.join();
}

core::Result<std::string> GroupCommitter::Run(Op op) {
  auto done = std::make_shared<std::promise<core::Result<std::string>>>();
  auto result = done->get_future();
  Submit(std::move(op), [done](core::Result<std::string> r) { done->set_value(std::move(r)); });
  return result.get();
}

void GroupCommitter::Submit(Op op, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(op), std::move(done)});
  }
  cv_.notify_one();
}

void GroupCommitter::Answer(Pending& p, core::Result<std::string> result) {
  try {
    p.done(std::move(result));
  } catch (const std::exception& e) {
    core::log::Error("group commit answer failed", {{"error", e.what()}});
  }
}

void GroupCommitter::WriterLoop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) break;  // stopping, and nothing left
      const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    core::Result<Results> results = BatchFailed();
    try {
      results = Execute(batch);
    } catch (const std::exception& e) {
      // A worker loop is one of the two places exceptions are caught.
      core::log::Error("group commit failed", {{"error", e.what()}});
    }
    if (!results.ok()) {
      // Nothing of this batch committed: answer at once.
      for (auto& p : batch) Answer(p, results.error());
      continue;
    }
    {
      std::lock_guard lock(sync_mu_);
      unsynced_.push_back({std::move(batch), std::move(results).value()});
    }
    sync_cv_.notify_one();
  }
  {
    std::lock_guard lock(sync_mu_);
    --writers_running_;
  }
  sync_cv_.notify_one();
}

void GroupCommitter::SyncLoop() {
  for (;;) {
    std::vector<Committed> ready;
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [&] { return !unsynced_.empty() || writers_running_ == 0; });
      if (unsynced_.empty()) return;  // every writer has ended
      ready.swap(unsynced_);
    }
    // Every batch in `ready` committed before this flush began, so the flush
    // covers it.
    const core::Status synced = db_.SyncCommitted();
    if (!synced.ok()) {
      // The changes are committed but perhaps not on disk: say so rather than
      // acknowledge them. A retry with the same idempotency key finds them.
      core::log::Error("group commit flush failed", {{"error", synced.error().ToString()}});
    }
    for (auto& c : ready) {
      for (size_t i = 0; i < c.batch.size(); ++i) {
        Answer(c.batch[i],
               synced.ok() ? std::move(c.results[i]) : core::Result<std::string>(synced.error()));
      }
    }
  }
}

core::Result<GroupCommitter::Results> GroupCommitter::Execute(std::vector<Pending>& batch) {
  std::vector<std::optional<core::Result<std::string>>> results(batch.size());
  auto status = db_.Transact(TxMode::kWriteSyncLater, [&](Session& s) -> core::Status {
    for (size_t i = 0; i < batch.size(); ++i) {
      results[i].reset();
      SHOPCRM_RETURN_IF_ERROR(s.Execute("SAVEPOINT group_op").status());
      auto r = batch[i].op(s);
      if (r.ok()) {
        SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT group_op").status());
      } else {
        // Infrastructure trouble fails the whole batch (and lets Transact retry it).
        if (r.error().code() == core::ErrorCode::kUnavailable ||
            r.error().code() == core::ErrorCode::kInternal) {
          return std::move(r).error();
        }
        SHOPCRM_RETURN_IF_ERROR(s.Execute("ROLLBACK TO SAVEPOINT group_op").status());
        SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT group_op").status());
      }
      results[i] = std::move(r);
    }
    return core::Status::Ok();
  });
  if (!status.ok()) return std::move(status).error();
  Results out;
  out.reserve(batch.size());
  for (auto& r : results) out.push_back(std::move(*r));
  return out;
}

}  // namespace shopcrm::store
