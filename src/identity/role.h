// Roles and what each may do.
//   admin        everything, including keys, console users and the audit log
//   operator     reads and changes business configuration (segments, plays, coupons…)
//   analyst      reads only
//   integration  the mall's servers: ingestion, claims, checkout; reads what those need
#pragma once

#include <optional>
#include <string_view>

namespace shopcrm::identity {

enum class Role { kAdmin, kOperator, kAnalyst, kIntegration };

std::string_view RoleName(Role r);
std::optional<Role> ParseRole(std::string_view name);

// What a route requires; see api/router.h.
enum class Permission {
  kRead,        // admin, operator, analyst, integration
  kOperate,     // admin, operator
  kIntegrate,   // admin, integration
  kAdminister,  // admin
};

bool Allows(Role role, Permission permission);

}  // namespace shopcrm::identity
