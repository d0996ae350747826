#include "store/group_commit.h"

#include <optional>

#include "core/log.h"

namespace shopcrm::store {

GroupCommitter::GroupCommitter(Database& db, GroupCommitOptions options)
    : db_(db), options_(options) {
  for (int i = 0; i < std::max(1, options_.writers); ++i) {
    writers_.emplace_back([this] { WriterLoop(); });
  }
}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& w : writers_) w.join();
}

core::Result<std::string> GroupCommitter::Run(Op op) {
  Pending p{std::move(op), {}};
  auto result = p.done.get_future();
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
  return result.get();
}

void GroupCommitter::WriterLoop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left
      const size_t n = std::min(queue_.size(), static_cast<size_t>(options_.max_batch));
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    try {
      Commit(batch);
    } catch (const std::exception& e) {
      // A worker loop is one of the two places exceptions are caught.
      core::log::Error("group commit failed", {{"error", e.what()}});
      for (auto& p : batch) {
        try {
          p.done.set_value(
              core::Error(core::ErrorCode::kInternal, "internal_error", "the operation failed"));
        } catch (const std::future_error&) {
          // Already answered before the failure.
        }
      }
    }
  }
}

void GroupCommitter::Commit(std::vector<Pending>& batch) {
  std::vector<std::optional<core::Result<std::string>>> results(batch.size());
  auto status = db_.Transact(TxMode::kWrite, [&](Session& s) -> core::Status {
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
  for (size_t i = 0; i < batch.size(); ++i) {
    if (!status.ok()) {
      batch[i].done.set_value(status.error());
    } else {
      batch[i].done.set_value(std::move(*results[i]));
    }
  }
}

}  // namespace shopcrm::store
