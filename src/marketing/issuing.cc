#include "marketing/issuing.h"

#include <random>
#include <unordered_set>

#include "core/json.h"
#include "core/log.h"
#include "store/idempotency.h"

namespace shopcrm::marketing {
namespace {

using store::Row;
using store::Session;
using store::Value;

// No 0/O, 1/I/L: codes are read aloud and typed from paper.
constexpr std::string_view kAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
constexpr size_t kCodeLength = 12;  // 31^12 ≈ 7.9e17 codes

std::string NewCode(std::random_device& rd) {
  std::string code(kCodeLength, 'A');
  for (auto& ch : code) ch = kAlphabet[rd() % kAlphabet.size()];
  return code;
}

GrantJob JobFromRow(const Row& r) {
  GrantJob j;
  j.id = r.Int(0);
  j.template_id = r.Int(1);
  j.target = r.Text(2);
  j.status = r.Text(3);
  j.total = r.Int(4);
  j.position = r.Int(5);
  j.granted = r.Int(6);
  if (auto skipped = core::ParseJson(r.Text(7)); skipped.ok() && skipped->is_object()) {
    for (const auto& [k, v] : skipped->items()) {
      if (v.is_number_integer()) j.skipped[k] = v.get<int64_t>();
    }
  }
  j.channel = r.Text(8);
  j.error = r.Text(9);
  j.created_by = r.Text(10);
  j.created_at = core::FromUnixMicros(r.Int(11));
  j.updated_at = core::FromUnixMicros(r.Int(12));
  return j;
}

constexpr std::string_view kJobSelect =
    "SELECT id, template_id, target, status, total, position, granted, skipped, channel, error, "
    "created_by, created_at, updated_at FROM coupon_grant_jobs";

constexpr std::string_view kBatchSelect =
    "SELECT b.id, b.template_id, b.name, b.size, (SELECT COUNT(*) FROM coupon_codes c WHERE "
    "c.batch_id = b.id AND c.user_id IS NOT NULL), b.created_by, b.created_at FROM "
    "coupon_code_batches b";

CodeBatch BatchFromRow(const Row& r) {
  return {
      r.Int(0), r.Int(1), r.Text(2), r.Int(3), r.Int(4), r.Text(5), core::FromUnixMicros(r.Int(6))};
}

// A refusal a bulk grant counts and goes on from; anything else stops the job.
bool Skippable(const core::Error& e) {
  return e.code() == core::ErrorCode::kFailedPrecondition || e.code() == core::ErrorCode::kNotFound;
}

}  // namespace

Issuing::~Issuing() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

core::Result<CodeBatch> Issuing::GenerateCodes(int64_t template_id, std::string_view name,
                                               int64_t size, const audit::Actor& actor) {
  std::vector<core::FieldError> errors;
  if (name.empty() || name.size() > 100) {
    errors.push_back({"name", "invalid_length", "must be 1 to 100 bytes"});
  }
  if (size < 1 || size > kMaxCodeBatch) {
    errors.push_back({"size", "out_of_range", "must be 1 to 100000"});
  }
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  const int64_t now = core::ToUnixMicros(clock_.Now());
  const int64_t id = ids_.Next();
  std::random_device rd;
  return store::TransactFor<CodeBatch>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<CodeBatch> {
        SHOPCRM_RETURN_IF_ERROR(Templates::Load(s, template_id).status());
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO coupon_code_batches (id, template_id, name, size, created_by, "
                      "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                      {id, template_id, std::string(name), size, actor.name, now})
                .status());
        // A code that happens to exist already is skipped and drawn again.
        int64_t made = 0;
        while (made < size) {
          const int64_t n = std::min<int64_t>(500, size - made);
          std::string sql = "INSERT INTO coupon_codes (code, batch_id, template_id) VALUES ";
          std::vector<Value> params;
          for (int64_t i = 0; i < n; ++i) {
            sql += i == 0 ? "(?, ?, ?)" : ", (?, ?, ?)";
            params.emplace_back(NewCode(rd));
            params.emplace_back(id);
            params.emplace_back(template_id);
          }
          sql += " ON CONFLICT (code) DO NOTHING";
          SHOPCRM_ASSIGN_OR_RETURN(int64_t added, s.Execute(sql, params));
          made += added;
        }
        SHOPCRM_RETURN_IF_ERROR(
            audit_.Record(s, actor, "coupon_code_batch.create", "coupon_code_batch",
                          std::to_string(id), std::nullopt,
                          core::DumpJson({{"template_id", std::to_string(template_id)},
                                          {"name", std::string(name)},
                                          {"size", size}})));
        return CodeBatch{id, template_id, std::string(name),        size,
                         0,  actor.name,  core::FromUnixMicros(now)};
      });
}

core::Result<std::vector<CodeBatch>> Issuing::CodeBatches(int64_t template_id) {
  return store::TransactFor<std::vector<CodeBatch>>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<std::vector<CodeBatch>> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows,
            s.Query(std::string(kBatchSelect) + " WHERE b.template_id = ? ORDER BY b.id DESC",
                    {template_id}));
        std::vector<CodeBatch> out;
        for (const auto& r : rows.rows) out.push_back(BatchFromRow(r));
        return out;
      });
}

core::Result<CodeBatch> Issuing::CodeBatchOf(int64_t batch_id) {
  return store::TransactFor<CodeBatch>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<CodeBatch> {
        SHOPCRM_ASSIGN_OR_RETURN(
            Row r, s.QueryOne(std::string(kBatchSelect) + " WHERE b.id = ?", {batch_id},
                              "code_batch_not_found", "no code batch with that id"));
        return BatchFromRow(r);
      });
}

core::Result<std::vector<CodeRow>> Issuing::Codes(int64_t batch_id) {
  return store::TransactFor<std::vector<CodeRow>>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<std::vector<CodeRow>> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows, s.Query("SELECT code, redeemed_at, user_id FROM coupon_codes WHERE "
                               "batch_id = ? ORDER BY code",
                               {batch_id}));
        std::vector<CodeRow> out;
        out.reserve(rows.size());
        for (const auto& r : rows.rows) {
          CodeRow c{r.Text(0), std::nullopt, r.OptionalInt(2)};
          if (!r.IsNull(1)) c.redeemed_at = core::FromUnixMicros(r.Int(1));
          out.push_back(std::move(c));
        }
        return out;
      });
}

core::Result<GrantJob> Issuing::StartGrant(int64_t template_id, std::string target,
                                           const std::vector<int64_t>& user_ids,
                                           std::string channel, const audit::Actor& actor) {
  if (user_ids.empty() || user_ids.size() > kMaxGrantUsers) {
    return core::InvalidFields("invalid_fields",
                               {{"user_ids", "invalid_length", "grant to 1 to 10,000,000 users"}});
  }
  if (channel.size() > 32) {
    return core::InvalidFields("invalid_fields", {{"channel", "too_long", "at most 32 bytes"}});
  }
  std::vector<int64_t> users;
  users.reserve(user_ids.size());
  std::unordered_set<int64_t> seen;
  for (int64_t u : user_ids) {
    if (seen.insert(u).second) users.push_back(u);
  }
  const int64_t now = core::ToUnixMicros(clock_.Now());
  const int64_t id = ids_.Next();
  auto job = store::TransactFor<GrantJob>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<GrantJob> {
        SHOPCRM_RETURN_IF_ERROR(Templates::Load(s, template_id).status());
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO coupon_grant_jobs (id, template_id, target, status, total, "
                      "channel, created_by, created_at, updated_at) VALUES (?, ?, ?, 'queued', ?, "
                      "?, ?, ?, ?)",
                      {id, template_id, target, static_cast<int64_t>(users.size()), channel,
                       actor.name, now, now})
                .status());
        for (size_t first = 0; first < users.size(); first += 500) {
          std::string sql =
              "INSERT INTO coupon_grant_job_users (job_id, position, user_id) VALUES ";
          for (size_t i = first; i < users.size() && i < first + 500; ++i) {
            if (i != first) sql += ",";
            sql += "(" + std::to_string(id) + "," + std::to_string(i) + "," +
                   std::to_string(users[i]) + ")";
          }
          SHOPCRM_RETURN_IF_ERROR(s.Execute(sql).status());
        }
        SHOPCRM_RETURN_IF_ERROR(
            audit_.Record(s, actor, "coupon_grant_job.create", "coupon_grant_job",
                          std::to_string(id), std::nullopt,
                          core::DumpJson({{"template_id", std::to_string(template_id)},
                                          {"target", target},
                                          {"total", users.size()}})));
        SHOPCRM_ASSIGN_OR_RETURN(Row r, s.QueryOne(std::string(kJobSelect) + " WHERE id = ?", {id},
                                                   "grant_job_not_found", "no such grant job"));
        return JobFromRow(r);
      });
  if (job.ok()) {
    {
      std::lock_guard lock(mu_);
      wake_ = true;
    }
    cv_.notify_all();
  }
  return job;
}

core::Result<GrantJob> Issuing::Job(int64_t job_id) {
  return store::TransactFor<GrantJob>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<GrantJob> {
        SHOPCRM_ASSIGN_OR_RETURN(Row r,
                                 s.QueryOne(std::string(kJobSelect) + " WHERE id = ?", {job_id},
                                            "grant_job_not_found", "no grant job with that id"));
        return JobFromRow(r);
      });
}

core::Result<std::vector<GrantJob>> Issuing::Jobs(int64_t template_id) {
  return store::TransactFor<std::vector<GrantJob>>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<std::vector<GrantJob>> {
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows, s.Query(std::string(kJobSelect) + " WHERE template_id = ? ORDER BY id DESC",
                               {template_id}));
        std::vector<GrantJob> out;
        for (const auto& r : rows.rows) out.push_back(JobFromRow(r));
        return out;
      });
}

core::Result<bool> Issuing::GrantChunk(int64_t job_id) {
  const core::Instant now_t = clock_.Now();
  const int64_t now = core::ToUnixMicros(now_t);
  bool more = false;
  auto status = db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    more = false;
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query(std::string(kJobSelect) + " WHERE id = ?", {job_id}));
    if (rows.empty()) return core::Status::Ok();
    GrantJob job = JobFromRow(rows.rows[0]);
    if (job.status == "done" || job.status == "failed") return core::Status::Ok();
    // Taking the job at the position read: the row stays locked (PostgreSQL;
    // SQLite writers are serial) until this chunk commits, and a worker that
    // read an older position changes nothing — so no user is granted twice.
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t taken,
        s.Execute("UPDATE coupon_grant_jobs SET status = 'running', updated_at = ? WHERE id = ? "
                  "AND position = ? AND status IN ('queued', 'running')",
                  {now, job_id, job.position}));
    if (taken == 0) return core::Status::Ok();  // another worker moved it on
    SHOPCRM_ASSIGN_OR_RETURN(
        auto users, s.Query("SELECT user_id FROM coupon_grant_job_users WHERE job_id = ? AND "
                            "position >= ? ORDER BY position LIMIT ?",
                            {job_id, job.position, kChunk}));
    auto tmpl = Templates::Load(s, job.template_id);
    for (const auto& u : users.rows) {
      IssueRequest r{job.template_id, u.Int(0), Source::kCrm, "grant_job:" + std::to_string(job_id),
                     job.channel};
      SHOPCRM_RETURN_IF_ERROR(s.Execute("SAVEPOINT grant_one").status());
      auto issued =
          tmpl.ok() ? coupons_.IssueIn(s, r, now_t, &*tmpl) : core::Result<Coupon>(tmpl.error());
      if (issued.ok()) {
        ++job.granted;
        SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT grant_one").status());
      } else {
        if (!Skippable(issued.error())) return std::move(issued).error();
        SHOPCRM_RETURN_IF_ERROR(s.Execute("ROLLBACK TO SAVEPOINT grant_one").status());
        SHOPCRM_RETURN_IF_ERROR(s.Execute("RELEASE SAVEPOINT grant_one").status());
        const auto& e = issued.error();
        const std::string reason = e.reason() == "grant_refused" && !e.fields().empty()
                                       ? e.fields()[0].reason
                                       : e.reason();
        ++job.skipped[reason];
        if (e.reason() == "grant_refused") {
          SHOPCRM_RETURN_IF_ERROR(coupons_.RecordRefusal(s, r, reason, now_t));
        }
      }
    }
    job.position += static_cast<int64_t>(users.size());
    const bool finished = job.position >= job.total;
    core::Json skipped = core::Json::object();
    for (const auto& [k, v] : job.skipped) skipped[k] = v;
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE coupon_grant_jobs SET position = ?, granted = ?, skipped = ?, status = "
                  "?, updated_at = ? WHERE id = ?",
                  {job.position, job.granted, core::DumpJson(skipped),
                   std::string(finished ? "done" : "running"), now, job_id})
            .status());
    more = !finished;
    return core::Status::Ok();
  });
  if (!status.ok()) return std::move(status).error();
  return more;
}

core::Status Issuing::RunPendingJobs() {
  std::vector<int64_t> ids;
  const int64_t stale = core::ToUnixMicros(clock_.Now()) -
                        std::chrono::duration_cast<std::chrono::microseconds>(kLease).count();
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT id FROM coupon_grant_jobs WHERE status = 'queued' OR (status = "
                           "'running' AND updated_at <= ?) ORDER BY id",
                           {stale}));
    for (const auto& r : rows.rows) ids.push_back(r.Int(0));
    return core::Status::Ok();
  }));
  for (int64_t id : ids) {
    for (;;) {
      auto more = GrantChunk(id);
      if (!more.ok()) {
        // The job stops with the error; its granted chunks stay granted.
        core::log::Error("grant job failed", {{"job", id}, {"error", more.error().ToString()}});
        (void)db_.WithSession([&](Session& s) {
          return s
              .Execute("UPDATE coupon_grant_jobs SET status = 'failed', error = ? WHERE id = ?",
                       {more.error().detail(), id})
              .status();
        });
        break;
      }
      if (!*more) break;
    }
  }
  return core::Status::Ok();
}

void Issuing::StartWorker(std::chrono::milliseconds poll) {
  std::lock_guard lock(mu_);
  if (worker_.joinable()) return;
  worker_ = std::thread([this, poll] { WorkerLoop(poll); });
}

void Issuing::WorkerLoop(std::chrono::milliseconds poll) {
  auto next_sweep = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, poll, [&] { return stop_ || wake_; });
      if (stop_) return;
      wake_ = false;
    }
    try {
      auto st = RunPendingJobs();
      if (!st.ok()) core::log::Warn("grant jobs", {{"error", st.error().ToString()}});
      if (std::chrono::steady_clock::now() >= next_sweep) {
        next_sweep = std::chrono::steady_clock::now() + kSweepInterval;
        auto expired = coupons_.SweepExpired();
        if (!expired.ok()) {
          core::log::Warn("coupon expiry sweep", {{"error", expired.error().ToString()}});
        } else if (*expired > 0) {
          core::log::Info("coupons expired", {{"count", *expired}});
        }
        const int64_t before = core::ToUnixMicros(
            clock_.Now() - std::chrono::duration_cast<std::chrono::microseconds>(kKeyRetention));
        auto forgotten = store::ForgetIdempotencyKeys(db_, before);
        if (!forgotten.ok()) {
          core::log::Warn("idempotency keys", {{"error", forgotten.error().ToString()}});
        }
      }
    } catch (const std::exception& e) {
      core::log::Error("grant job worker", {{"error", e.what()}});
    }
  }
}

}  // namespace shopcrm::marketing
