// What the ledgers share: making a member's balance row on first use.
#pragma once

#include <cstdint>
#include <initializer_list>
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

}  // namespace shopcrm::membership::internal
