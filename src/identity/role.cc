#include "identity/role.h"

namespace shopcrm::identity {

std::string_view RoleName(Role r) {
  switch (r) {
    case Role::kAdmin:
      return "admin";
    case Role::kOperator:
      return "operator";
    case Role::kAnalyst:
      return "analyst";
    case Role::kIntegration:
      return "integration";
  }
  return "analyst";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role r : {Role::kAdmin, Role::kOperator, Role::kAnalyst, Role::kIntegration}) {
    if (RoleName(r) == name) return r;
  }
  return std::nullopt;
}

bool Allows(Role role, Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return true;
    case Permission::kOperate:
      return role == Role::kAdmin || role == Role::kOperator;
    case Permission::kIntegrate:
      return role == Role::kAdmin || role == Role::kIntegration;
    case Permission::kAdminister:
      return role == Role::kAdmin;
  }
  return false;
}

}  // namespace shopcrm::identity
