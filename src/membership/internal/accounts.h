// What the membership modules share: making a member's balance row on first use,
// checking a coupon template named by a definition.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::membership::internal {

// Runs `insert_sql` (an INSERT … ON CONFLICT DO NOTHING of the member's row)
// with `params`; user_not_found when the users table has no such user.
inline core::Status EnsureMemberRow(store::Session& s, std::string_view insert_sql, int64_t user_id,
                                    std::initializer_list<store::Value> params) {
  auto made = s.Execute(insert_sql, params);
  if (made.ok()) return core::Status::Ok();
  if (made.error().reason() == "constraint_violation") {
    return core::NotFound("user_not_found", "no user with id " + std::to_string(user_id));
  }
  return std::move(made).error();
}

// invalid_fields on coupon_template_id when `id` is set and names no coupon template.
inline core::Status CheckTemplate(store::Session& s, const std::optional<int64_t>& id) {
  if (!id) return core::Status::Ok();
  SHOPCRM_ASSIGN_OR_RETURN(auto t, s.Query("SELECT 1 FROM coupon_templates WHERE id = ?", {*id}));
  if (!t.empty()) return core::Status::Ok();
  return core::InvalidFields("invalid_fields",
                             {{"coupon_template_id", "not_found", "no such coupon template"}});
}

}  // namespace shopcrm::membership::internal
