// Small SQL fixtures for storage tests: bare users inserted directly (ids 1..n,
// external ids "u-<id>") and single-number queries.
#pragma once

#include <cstdint>
#include <string>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::testing {

// Users 1..n in one transaction.
inline core::Status InsertUsers(store::Database& db, int64_t n) {
  return db.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
    for (int64_t i = 1; i <= n; ++i) {
      SHOPCRM_RETURN_IF_ERROR(s.Execute("INSERT INTO users (id, external_id, created_at, "
                                        "updated_at) VALUES (?, ?, 0, 0)",
                                        {i, "u-" + std::to_string(i)})
                                  .status());
    }
    return core::Status::Ok();
  });
}

// The first column of the first row of `sql` as an integer; -1 when the query fails.
inline int64_t QueryInt(store::Database& db, const std::string& sql) {
  int64_t n = -1;
  (void)db.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql));
    if (!rows.empty() && !rows.rows[0].IsNull(0)) n = rows.rows[0].Int(0);
    return core::Status::Ok();
  });
  return n;
}

}  // namespace shopcrm::testing
