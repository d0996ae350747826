// Issuing in bulk: code batches (unique codes that put a coupon in the wallet
// of whoever redeems them, each once) and grant jobs (one template granted to
// a fixed list of users — a segment's members when the job starts, or an
// uploaded list — by a background worker).
//
// A grant job is resumable and safe with several servers: each chunk of users
// is granted in one transaction together with the job's new position and
// counts, and that transaction only changes anything if the position is still
// the one it read; a server that stops mid-job leaves the position at the last
// committed chunk, and any server's worker picks the job up again once it has
// made no progress for kLease.
//
// Owns tables: coupon_code_batches, coupon_codes, coupon_grant_jobs,
// coupon_grant_job_users. Thread-safety: safe from any thread.
// Error reasons: template_not_found, code_batch_not_found, grant_job_not_found,
// invalid_fields.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "marketing/coupons.h"

namespace shopcrm::marketing {

struct CodeBatch {
  int64_t id = 0;
  int64_t template_id = 0;
  std::string name;
  int64_t size = 0;
  int64_t redeemed = 0;
  std::string created_by;
  core::Instant created_at{};
};

struct CodeRow {
  std::string code;
  std::optional<core::Instant> redeemed_at;
  std::optional<int64_t> user_id;
};

struct GrantJob {
  int64_t id = 0;
  int64_t template_id = 0;
  std::string target;  // "segment:<id>" | "list"
  std::string status;  // queued | running | done | failed
  int64_t total = 0;
  int64_t position = 0;  // users processed
  int64_t granted = 0;
  std::map<std::string, int64_t> skipped;  // by reason
  std::string channel;
  std::string error;
  std::string created_by;
  core::Instant created_at{}, updated_at{};
};

inline constexpr int64_t kMaxCodeBatch = 100000;
inline constexpr size_t kMaxGrantUsers = 10'000'000;

class Issuing final {
 public:
  static constexpr std::chrono::seconds kLease{30};
  static constexpr int64_t kChunk = 1000;  // users per grant transaction

  Issuing(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
          const audit::AuditLog& audit, Coupons& coupons)
      : db_(db), clock_(clock), ids_(ids), audit_(audit), coupons_(coupons) {}
  ~Issuing();

  // size 1..kMaxCodeBatch, name 1..100 bytes.
  core::Result<CodeBatch> GenerateCodes(int64_t template_id, std::string_view name, int64_t size,
                                        const audit::Actor& actor);
  core::Result<std::vector<CodeBatch>> CodeBatches(int64_t template_id);
  core::Result<CodeBatch> CodeBatchOf(int64_t batch_id);
  // Every code of a batch, in code order.
  core::Result<std::vector<CodeRow>> Codes(int64_t batch_id);

  // Queues a grant of `template_id` to `user_ids` (duplicates removed, order kept).
  core::Result<GrantJob> StartGrant(int64_t template_id, std::string target,
                                    const std::vector<int64_t>& user_ids, std::string channel,
                                    const audit::Actor& actor);
  core::Result<GrantJob> Job(int64_t job_id);
  core::Result<std::vector<GrantJob>> Jobs(int64_t template_id);

  // Starts the background worker (idempotent). It runs queued grant jobs and
  // resumes unfinished ones; every kSweepInterval it also marks expired coupons
  // (Coupons::SweepExpired) and forgets idempotency keys older than kKeyRetention.
  void StartWorker(std::chrono::milliseconds poll = std::chrono::milliseconds(500));

  static constexpr std::chrono::seconds kSweepInterval{60};
  static constexpr std::chrono::hours kKeyRetention{24 * 7};
  // Runs every runnable job to the end on the calling thread (tests, CLI).
  core::Status RunPendingJobs();

 private:
  // Grants the next chunk of a job; returns false when the job is finished
  // or another worker holds it.
  core::Result<bool> GrantChunk(int64_t job_id);
  void WorkerLoop(std::chrono::milliseconds poll);

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
  Coupons& coupons_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool wake_ = false;
  std::thread worker_;
};

}  // namespace shopcrm::marketing
