// Paid members (付费会员): plans with a term, a price, a grace period and
// benefits; purchases and renewals the mall reports; expiry.
//
// Rules (docs/membership.md has them for integrators):
// - A purchase is reported with the plan, the amount paid (it must be the
//   plan's price) and the mall's payment reference (each used once).
// - With no membership, or one past its grace period, the purchase starts a
//   term now. While a membership is active or in grace, a purchase renews
//   it: the new term starts when the current one ends, so no day is lost or
//   given twice; the plan becomes the one bought.
// - Status at an instant: active before expires_at, grace until grace_days
//   after it (the member can still renew without a gap; benefits are
//   paused), expired after that.
// - Paid and level membership coexist; a member's benefits combine both
//   (the larger points multiplier and birthday points, free-shipping counts
//   added, priority service from either), the paid plan's only while active.
//
// Owns tables: paid_plans, paid_memberships, paid_membership_events.
// Thread-safety: safe from any thread. Error reasons: invalid_fields,
// plan_not_found, plan_not_active, duplicate_payment_ref, user_not_found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "membership/levels.h"
#include "store/database.h"

namespace shopcrm::membership {

struct PaidPlanSpec {
  std::string name;
  int term_days = 0;
  int64_t price = 0;  // minor units
  int grace_days = 0;
  LevelBenefits benefits;
};

struct PaidPlan {
  int64_t id = 0;
  PaidPlanSpec spec;
  std::string status;  // active | archived
  core::Instant created_at, updated_at;
};

struct PaidMembership {
  int64_t user_id = 0;
  std::string status = "none";  // none | active | grace | expired
  std::optional<PaidPlan> plan;
  std::optional<core::Instant> started_at, expires_at, grace_until;
  int terms = 0;  // purchases and renewals so far
};

struct PaidPurchase {
  std::string kind;  // purchase | renewal
  PaidMembership membership;
};

// The member's benefits now: level and paid plan together.
struct MemberBenefits {
  std::optional<int> level;  // none without a level scheme
  bool paid = false;         // an active paid membership counts
  LevelBenefits benefits;
};

class PaidMemberships final {
 public:
  PaidMemberships(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
                  const audit::AuditLog& audit, Levels& levels);

  core::Result<std::vector<PaidPlan>> Plans();
  core::Result<PaidPlan> CreatePlan(const PaidPlanSpec& spec, const audit::Actor& actor);
  core::Result<PaidPlan> SetPlanStatus(int64_t id, const std::string& status,
                                       const audit::Actor& actor);

  core::Result<PaidPurchase> PurchaseIn(store::Session& s, int64_t user_id, int64_t plan_id,
                                        int64_t amount, const std::string& payment_ref,
                                        core::Instant now);
  core::Result<PaidPurchase> Purchase(int64_t user_id, int64_t plan_id, int64_t amount,
                                      const std::string& payment_ref);
  core::Result<PaidMembership> Member(int64_t user_id);
  core::Result<MemberBenefits> Benefits(int64_t user_id);
  core::Result<MemberBenefits> BenefitsIn(store::Session& s, int64_t user_id, core::Instant now);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
  Levels& levels_;
};

}  // namespace shopcrm::membership
