#include "membership/tasks.h"

#include "core/json.h"
#include "membership/internal/accounts.h"
#include "membership/internal/codes.h"

namespace shopcrm::membership {
namespace {

using store::Row;
using store::Session;

constexpr const char* kTaskColumns =
    "id, code, name, kind, points, coupon_template_id, status, created_at, updated_at";

Task TaskOf(const Row& r) {
  Task t;
  t.id = r.Int(0);
  t.spec = {r.Text(1), r.Text(2), r.Text(3), r.Int(4), r.OptionalInt(5)};
  t.status = r.Text(6);
  t.created_at = core::FromUnixMicros(r.Int(7));
  t.updated_at = core::FromUnixMicros(r.Int(8));
  return t;
}

std::string TaskText(const Task& t) {
  return core::DumpJson({{"code", t.spec.code},
                         {"name", t.spec.name},
                         {"kind", t.spec.kind},
                         {"points", t.spec.points},
                         {"status", t.status}});
}

core::Status Validate(const TaskSpec& s) {
  std::vector<core::FieldError> errors;
  if (internal::CheckCode(s.code, errors) && s.code == "order") {
    errors.push_back({"code", "reserved", "orders give growth per yuan, not as a task"});
  }
  if (s.name.empty() || s.name.size() > 100) {
    errors.push_back({"name", "required", "must be 1 to 100 characters"});
  }
  if (s.kind != "once" && s.kind != "daily") {
    errors.push_back({"kind", "not_allowed", "must be once or daily"});
  }
  if (s.points < 0 || s.points > int64_t{1'000'000'000}) {
    errors.push_back({"points", "out_of_range", "must be 0 to 1,000,000,000 points"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields", std::move(errors));
}

}  // namespace

Tasks::Tasks(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
             const core::BusinessTimeZone& tz, const audit::AuditLog& audit, Points& points,
             Levels& levels, marketing::Coupons& coupons)
    : db_(db),
      clock_(clock),
      ids_(ids),
      tz_(tz),
      audit_(audit),
      points_(points),
      levels_(levels),
      coupons_(coupons) {}

core::Result<std::vector<Task>> Tasks::List() {
  std::vector<Task> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(std::string("SELECT ") + kTaskColumns +
                                                " FROM member_tasks ORDER BY id"));
    for (const auto& r : rows.rows) out.push_back(TaskOf(r));
    return core::Status::Ok();
  }));
  return out;
}

core::Result<Task> Tasks::Create(const TaskSpec& spec, const audit::Actor& actor) {
  SHOPCRM_RETURN_IF_ERROR(Validate(spec));
  return store::TransactFor<Task>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Task> {
        SHOPCRM_RETURN_IF_ERROR(internal::CheckTemplate(s, spec.coupon_template_id));
        Task t{ids_.Next(), spec, "active", clock_.Now(), {}};
        t.updated_at = t.created_at;
        const int64_t now = core::ToUnixMicros(t.created_at);
        auto inserted = s.Execute(
            "INSERT INTO member_tasks (id, code, name, kind, points, coupon_template_id, "
            "status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'active', ?, ?)",
            {t.id, spec.code, spec.name, spec.kind, spec.points,
             store::OrNull(spec.coupon_template_id), now, now});
        if (!inserted.ok() && inserted.error().reason() == "unique_violation") {
          return core::InvalidFields("invalid_fields",
                                     {{"code", "taken", "a task with this code exists"}});
        }
        SHOPCRM_RETURN_IF_ERROR(inserted.status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "member_task.create", "member_task",
                                              std::to_string(t.id), std::nullopt, TaskText(t)));
        return t;
      });
}

core::Result<Task> Tasks::SetStatus(int64_t id, const std::string& status,
                                    const audit::Actor& actor) {
  if (status != "active" && status != "archived") {
    return core::InvalidFields("invalid_fields",
                               {{"status", "not_allowed", "must be active or archived"}});
  }
  return store::TransactFor<Task>(
      db_, store::TxMode::kWrite, [&](Session& s) -> core::Result<Task> {
        SHOPCRM_ASSIGN_OR_RETURN(
            Row r,
            s.QueryOne(std::string("SELECT ") + kTaskColumns + " FROM member_tasks WHERE id = ?",
                       {id}, "task_not_found", "no task " + std::to_string(id)));
        const Task before = TaskOf(r);
        Task after = before;
        after.status = status;
        after.updated_at = clock_.Now();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE member_tasks SET status = ?, updated_at = ? WHERE id = ?",
                      {status, core::ToUnixMicros(after.updated_at), id})
                .status());
        SHOPCRM_RETURN_IF_ERROR(audit_.Record(s, actor, "member_task.status", "member_task",
                                              std::to_string(id), TaskText(before),
                                              TaskText(after)));
        return after;
      });
}

core::Result<TaskCompletion> Tasks::CompleteIn(Session& s, int64_t user_id, const std::string& code,
                                               core::Instant now) {
  SHOPCRM_ASSIGN_OR_RETURN(
      Row r, s.QueryOne(std::string("SELECT ") + kTaskColumns + " FROM member_tasks WHERE code = ?",
                        {code}, "task_not_found", "no task '" + code + "'"));
  const Task task = TaskOf(r);
  if (task.status != "active") {
    return core::Error(core::ErrorCode::kFailedPrecondition, "task_not_active",
                       "the task '" + code + "' is archived");
  }
  TaskCompletion c;
  c.user_id = user_id;
  c.task_id = task.id;
  c.code = code;
  c.name = task.spec.name;
  c.period = task.spec.kind == "daily" ? core::FormatDate(tz_.DateOf(now)) : "once";
  c.points = task.spec.points;
  c.at = now;
  const std::string ref = "task:" + code + ":" + c.period;
  auto inserted = s.Execute(
      "INSERT INTO member_task_completions (user_id, task_id, period, points, growth, at) VALUES "
      "(?, ?, ?, ?, 0, ?)",
      {user_id, task.id, c.period, c.points, core::ToUnixMicros(now)});
  if (!inserted.ok()) {
    if (inserted.error().reason() == "unique_violation") {
      return core::Error(core::ErrorCode::kConflict, "task_done",
                         task.spec.kind == "daily"
                             ? "the member completed '" + code + "' today already"
                             : "the member completed '" + code + "' already");
    }
    if (inserted.error().reason() == "constraint_violation") {
      return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
    }
    return std::move(inserted).error();
  }
  if (c.points > 0) {
    EarnRequest earn{user_id, c.points, "task", ref, task.spec.name};
    SHOPCRM_RETURN_IF_ERROR(points_.EarnIn(s, earn, now, "task").status());
  }
  auto grown = levels_.AddGrowthIn(s, user_id, code, 0, ref, now);
  if (grown.ok()) {
    if (grown->entry) c.growth = grown->entry->amount;
  } else if (grown.error().reason() != "no_level_scheme" &&
             grown.error().reason() != "unknown_task") {
    return std::move(grown).error();
  }
  if (task.spec.coupon_template_id) {
    marketing::IssueRequest issue{*task.spec.coupon_template_id, user_id,
                                  marketing::Source::kBenefit, ref, "task"};
    SHOPCRM_ASSIGN_OR_RETURN(auto attempt, coupons_.TryIssueIn(s, issue, now));
    if (attempt.coupon) c.coupon_id = attempt.coupon->id;
    c.coupon_outcome = attempt.coupon ? "granted" : attempt.refusal;
  }
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute(
           "UPDATE member_task_completions SET growth = ?, coupon_id = ?, coupon_outcome = ? "
           "WHERE user_id = ? AND task_id = ? AND period = ?",
           {c.growth, store::OrNull(c.coupon_id), c.coupon_outcome, user_id, task.id, c.period})
          .status());
  return c;
}

core::Result<std::vector<MemberTask>> Tasks::ForMember(int64_t user_id) {
  const std::string today = core::FormatDate(tz_.DateOf(clock_.Now()));
  std::vector<MemberTask> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows,
        s.Query(std::string("SELECT ") + kTaskColumns +
                    ", (SELECT MAX(c.at) FROM member_task_completions c WHERE c.user_id = ? AND "
                    "c.task_id = member_tasks.id AND c.period IN ('once', ?)) FROM member_tasks "
                    "WHERE status = 'active' ORDER BY id",
                {user_id, today}));
    for (const auto& r : rows.rows) {
      MemberTask m{TaskOf(r), std::nullopt};
      if (auto at = r.OptionalInt(9)) m.done_at = core::FromUnixMicros(*at);
      out.push_back(std::move(m));
    }
    return core::Status::Ok();
  }));
  return out;
}

}  // namespace shopcrm::membership
