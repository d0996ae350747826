// Medals (勋章): awarded by rules, kept for good, shown on the member's page.
//
// Rules (docs/membership.md has them for integrators):
// - A medal has a code (1–40 of [a-z0-9_], unique), a name, a description
//   and a rule: a metric of the member reaching a threshold. The metrics:
//   check_ins (check-ins ever, made-up ones too), check_in_streak (the
//   longest run of days), redemptions (points-mall redemptions), tasks (task
//   completions), level (the current level), paid_terms (paid-membership
//   terms bought).
// - AwardIn checks the active medals the member does not hold yet and awards
//   those whose rule holds. The API runs it in the transaction of every
//   change that moves a metric (check-in, make-up, redemption, task
//   completion, growth, paid purchase), so a medal comes with the change that
//   earned it; a medal made later is awarded at the member's next such change.
// - A medal once awarded stays, also when the metric falls (a level recycled
//   down) or the medal is archived. Awarding twice is impossible: the
//   (member, medal) primary key decides.
//
// Owns tables: medals, member_medals. Thread-safety: safe from any thread.
// Error reasons: invalid_fields, medal_not_found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "store/database.h"

namespace shopcrm::membership {

struct MedalSpec {
  std::string code;
  std::string name;
  std::string description;
  std::string metric;  // check_ins | check_in_streak | redemptions | tasks | level | paid_terms
  int64_t threshold = 1;
};

struct Medal {
  int64_t id = 0;
  MedalSpec spec;
  std::string status;  // active | archived
  core::Instant created_at, updated_at;
};

// A medal as one member sees it: awarded, or not yet with their progress.
struct MemberMedal {
  Medal medal;
  std::optional<core::Instant> awarded_at;
  int64_t progress = 0;  // the metric now (for medals not yet awarded)
};

class Medals final {
 public:
  Medals(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
         const audit::AuditLog& audit);

  core::Result<std::vector<Medal>> List();
  core::Result<Medal> Create(const MedalSpec& spec, const audit::Actor& actor);
  core::Result<Medal> SetStatus(int64_t id, const std::string& status, const audit::Actor& actor);

  // Awards the medals the member has earned and does not hold; returns them.
  core::Result<std::vector<Medal>> AwardIn(store::Session& s, int64_t user_id, core::Instant now);
  // Held medals (newest first), then the active ones not yet held with progress.
  core::Result<std::vector<MemberMedal>> ForMember(int64_t user_id);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::membership
