// Coupon templates (marketing resources): the terms of a coupon, its claim
// limits, stock and budget, and its validity. Every change is audited; a change
// of terms makes a new version, and coupons keep the version they were issued
// with.
//
// Owns tables: coupon_templates, coupon_template_versions.
// Thread-safety: safe from any thread.
// Error reasons: invalid_fields, template_not_found.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "marketing/terms.h"
#include "store/database.h"

namespace shopcrm::marketing {

namespace internal {
class TermsCache;
}  // namespace internal

struct Limits {
  std::optional<int64_t> stock;           // coupons that may be issued in total
  std::optional<int64_t> budget;          // face value that may be issued in total, minor units
  std::optional<int64_t> per_user_daily;  // claims per user per business day
  std::optional<int64_t> per_user_total;  // claims per user ever
  bool operator==(const Limits&) const = default;
};

struct Validity {
  std::optional<core::Instant> claim_start;  // claims from (inclusive)
  std::optional<core::Instant> claim_end;    // claims until (exclusive)
  std::optional<core::Instant> use_start;    // a fixed use window …
  std::optional<core::Instant> use_end;
  std::optional<int64_t> use_days;  // … or usable for this many days from issue
  bool operator==(const Validity&) const = default;
};

// What an operator sends to create or replace a template.
struct TemplateSpec {
  std::string name;
  std::string description;
  Terms terms;
  Limits limits;
  Validity validity;
};

struct TemplateStats {
  int64_t issued = 0;       // coupons issued so far (the stock counter)
  int64_t budget_used = 0;  // face value issued so far
  int64_t unused = 0, locked = 0, used = 0, expired = 0;
  int64_t refunded = 0;  // used on an order refunded since, and not given back
  // Rates are computed by readers: used / issued.
};

struct CouponTemplate {
  int64_t id = 0;
  std::string name;
  std::string description;
  std::string status;  // active | paused | ended
  int64_t version = 1;
  Terms terms;
  Limits limits;
  Validity validity;
  TemplateStats stats;
  std::string created_by;
  core::Instant created_at{};
  core::Instant updated_at{};
};

// Checks a spec; returns invalid_fields naming every bad field
// ("terms.discount", "limits.stock", "validity.use_days", …).
core::Status ValidateSpec(const TemplateSpec& spec);

class Templates final {
 public:
  Templates(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
            const audit::AuditLog& audit)
      : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

  core::Result<CouponTemplate> Create(const TemplateSpec& spec, const audit::Actor& actor);
  // Replaces name, description, limits and validity in place; terms that
  // differ from the current version make version + 1.
  core::Result<CouponTemplate> Update(int64_t id, const TemplateSpec& spec,
                                      const audit::Actor& actor);
  // status: active | paused (no claims or grants) | ended (for good: no claims, grants, or edits).
  core::Result<CouponTemplate> SetStatus(int64_t id, std::string_view status,
                                         const audit::Actor& actor);
  core::Result<CouponTemplate> Get(int64_t id);
  // Newest first, with stats.
  core::Result<std::vector<CouponTemplate>> List();

  // `cache`, when given, decodes the terms (a hot path: every claim loads its template).
  static core::Result<CouponTemplate> Load(store::Session& s, int64_t id,
                                           internal::TermsCache* cache = nullptr);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
};

}  // namespace shopcrm::marketing
