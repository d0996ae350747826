// Tasks (任务): what a member does that the mall rewards — complete the
// profile, write a first review, invite a friend, or any task the operators
// define — once ever or once a business day.
//
// Rules (docs/membership.md has them for integrators):
// - A task has a code (1–40 of [a-z0-9_], unique), a name, a kind (`once` or
//   `daily`) and rewards: points, the level scheme's growth task of the same
//   code (when the scheme lists one, with its daily cap), and a coupon.
// - The mall reports a completion (it knows the review was written). A
//   second completion of a `once` task, or of a `daily` task on the same
//   business day, is refused (task_done), exactly under concurrent reports:
//   the (member, task, period) primary key decides.
// - The rewards come in the completion's transaction: points (kind "task"),
//   growth, and a coupon with source "benefit", channel "task" (exempt from
//   anti-harassment). A coupon the engine refuses (stock, budget, validity)
//   is recorded as the completion's coupon outcome and leaves the rest.
//
// Owns tables: member_tasks, member_task_completions. Thread-safety: safe
// from any thread. Error reasons: invalid_fields, task_not_found,
// task_not_active, task_done, user_not_found, and those of Points.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "marketing/coupons.h"
#include "membership/levels.h"
#include "membership/points.h"
#include "store/database.h"

namespace shopcrm::membership {

struct TaskSpec {
  std::string code;
  std::string name;
  std::string kind = "once";  // once | daily
  int64_t points = 0;
  std::optional<int64_t> coupon_template_id;
};

struct Task {
  int64_t id = 0;
  TaskSpec spec;
  std::string status;  // active | archived
  core::Instant created_at, updated_at;
};

struct TaskCompletion {
  int64_t user_id = 0;
  int64_t task_id = 0;
  std::string code, name;
  std::string period;  // "once" | the business day
  int64_t points = 0;
  int64_t growth = 0;
  std::optional<int64_t> coupon_id;
  std::string coupon_outcome;  // "" without a coupon, granted, or the refusal's reason
  core::Instant at;
};

// A task as one member sees it: done (ever, or today for a daily task) or not.
struct MemberTask {
  Task task;
  std::optional<core::Instant> done_at;
};

class Tasks final {
 public:
  Tasks(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
        const core::BusinessTimeZone& tz, const audit::AuditLog& audit, Points& points,
        Levels& levels, marketing::Coupons& coupons);

  core::Result<std::vector<Task>> List();
  core::Result<Task> Create(const TaskSpec& spec, const audit::Actor& actor);
  core::Result<Task> SetStatus(int64_t id, const std::string& status, const audit::Actor& actor);

  // The mall reports that the member completed task `code`; in a caller's
  // write transaction.
  core::Result<TaskCompletion> CompleteIn(store::Session& s, int64_t user_id,
                                          const std::string& code, core::Instant now);
  // The active tasks with the member's state, in the order they were made.
  core::Result<std::vector<MemberTask>> ForMember(int64_t user_id);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const core::BusinessTimeZone tz_;
  const audit::AuditLog& audit_;
  Points& points_;
  Levels& levels_;
  marketing::Coupons& coupons_;
};

}  // namespace shopcrm::membership
