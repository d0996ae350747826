// Level members (等级会员): a level scheme, growth value, upgrades, recycling.
//
// Rules (docs/membership.md has them for integrators):
// - One scheme is active at a time; saving a scheme makes a new version.
//   It has 4 to 7 levels numbered 1…n with growth thresholds, the first 0
//   and each above the one before, and each level's benefits.
// - Growth value comes from tasks: "order" gives `growth_per_yuan` per whole
//   yuan (major unit) paid; other tasks (check_in, review, profile, share or
//   any name the scheme lists) give their fixed amount. Each task may have a
//   daily cap (business day): growth beyond it is not given.
// - A member moves up at once when a threshold is crossed. Taking back what a
//   source (a refunded order) gave lowers growth, never below zero, but not
//   the level: levels go down only when recycled.
// - Recycling (保级 / 降级) at the end of each week, month, quarter or year
//   (business time zone): every member keeps `keep_percent` of their growth
//   (0 clears it), then the level is recomputed from what is kept. A member
//   keeps level X when their growth × keep_percent / 100 reaches X's
//   threshold by the period's end: "N more to keep level X by date D".
//   A recycle runs once per period end, in chunks, and resumes if stopped.
// - Every change of growth appends an entry; every level change is recorded
//   with its reason (upgrade, recycle) for plays and metrics.
//
// Owns tables: level_schemes, member_levels, growth_entries, level_changes,
// level_recycles. Thread-safety: safe from any thread. Error reasons:
// invalid_fields, no_level_scheme, user_not_found, unknown_task,
// nothing_to_take_back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "core/json.h"
#include "store/database.h"

namespace shopcrm::membership {

struct LevelBenefits {
  int points_percent = 100;  // points multiplier × 100 (150 = 1.5×)
  int free_shipping_per_month = 0;
  bool priority_service = false;
  int64_t birthday_points = 0;
  std::optional<int64_t> birthday_coupon_template_id;
  std::optional<int64_t> monthly_coupon_template_id;
};

// A level's benefits with an active paid plan's: the larger points multiplier
// and birthday points, free-shipping counts added, priority service from
// either, the level's coupons unless it has none.
LevelBenefits CombineBenefits(const LevelBenefits& level, const LevelBenefits& paid);

struct LevelDef {
  int level = 0;  // 1…n
  std::string name;
  int64_t threshold = 0;  // growth value
  LevelBenefits benefits;
};

struct GrowthTask {
  std::string task;       // "check_in", "review", … ("order" is per yuan instead)
  int64_t amount = 0;     // growth per completion
  int64_t daily_cap = 0;  // growth per business day at most; 0 = no cap
};

struct LevelSchemeSpec {
  std::vector<LevelDef> levels;
  int64_t growth_per_yuan = 1;
  int64_t order_daily_cap = 0;  // 0 = no cap
  std::vector<GrowthTask> tasks;
  std::string recycle_period = "none";  // none | week | month | quarter | year
  int keep_percent = 0;                 // 0…100
};

struct LevelScheme {
  int64_t id = 0;
  int version = 0;
  LevelSchemeSpec spec;
  std::string created_by;
  core::Instant created_at;
};

// The member's level and what they need next.
struct MemberLevel {
  int64_t user_id = 0;
  int level = 1;
  std::string level_name;
  int64_t growth = 0;
  std::optional<LevelDef> next;  // the next level up, if any
  int64_t to_next = 0;           // growth still needed for it
  std::optional<core::Instant> recycle_at;
  // Growth needed by recycle_at to keep `level`; nullopt when keeping it is
  // impossible (keep_percent 0 and a level above 1) or there is no recycling.
  std::optional<int64_t> to_keep;
  LevelBenefits benefits;
};

struct GrowthEntry {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string task;    // the task, "take_back" or "recycle"
  int64_t amount = 0;  // signed
  int64_t growth_after = 0;
  int level_after = 0;
  std::string source_ref;
  core::Instant at;
};

struct GrowthChange {
  std::optional<GrowthEntry> entry;  // none when a cap left nothing to give
  MemberLevel member;
  bool upgraded = false;
};

struct RecycleReport {
  core::Instant period_end;
  int version = 0;  // the scheme's
  int64_t members = 0;
  int64_t changed = 0;  // whose level changed
  std::string status;   // running | finished
};

// An optional coupon template id field (a decimal string); invalid_id when it is not one.
std::optional<int64_t> ReadTemplateId(core::JsonObjectReader& r, std::string_view name);

// Benefits as JSON and back; the reader appends its errors, with paths under `prefix`.
core::Json BenefitsJson(const LevelBenefits& b);
LevelBenefits ReadBenefits(const core::Json& json, const std::string& prefix,
                           std::vector<core::FieldError>& errors);

// The spec as JSON and back (invalid_fields naming every bad field).
core::Json LevelSchemeSpecJson(const LevelSchemeSpec& spec);
core::Result<LevelSchemeSpec> ReadLevelSchemeSpec(const core::Json& body);

class Levels final {
 public:
  Levels(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
         const core::BusinessTimeZone& tz, const audit::AuditLog& audit);

  core::Result<LevelScheme> Active();
  core::Result<LevelScheme> SetScheme(const LevelSchemeSpec& spec, const audit::Actor& actor);
  core::Result<MemberLevel> Member(int64_t user_id);
  core::Result<MemberLevel> MemberIn(store::Session& s, int64_t user_id, core::Instant now);

  // `task` "order" with `paid_minor` (minor units paid), or another task of
  // the scheme. In a caller's write transaction.
  core::Result<GrowthChange> AddGrowthIn(store::Session& s, int64_t user_id,
                                         const std::string& task, int64_t paid_minor,
                                         const std::string& source_ref, core::Instant now);
  // Takes back what `source_ref` gave (a refunded order).
  core::Result<GrowthChange> TakeBackIn(store::Session& s, int64_t user_id,
                                        const std::string& source_ref, core::Instant now);
  core::Result<std::vector<GrowthEntry>> Entries(int64_t user_id, std::optional<int64_t> before,
                                                 int limit);

  // The end of the recycling period that `now` falls in; nullopt without recycling.
  std::optional<core::Instant> PeriodEnd(const LevelSchemeSpec& spec, core::Instant now) const;
  // The last period end at or before `now` (the start of the period `now`
  // falls in); nullopt without recycling.
  std::optional<core::Instant> LastPeriodEnd(const LevelSchemeSpec& spec, core::Instant now) const;
  // Recycles every member for the period ending at `period_end` (once per
  // period end; a second call returns the first run's report, a stopped run
  // resumes).
  core::Result<RecycleReport> Recycle(core::Instant period_end);

 private:
  MemberLevel Describe(const LevelScheme& scheme, int64_t user_id, int level, int64_t growth,
                       core::Instant now) const;

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const core::BusinessTimeZone tz_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::membership
