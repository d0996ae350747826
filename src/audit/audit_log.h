// The audit log: who changed what configuration, when, with the state before
// and after. Entries are written in the same transaction as the change they
// describe, so a change without its entry (or the reverse) cannot exist.
// Append-only; read by admins at GET /api/v1/audit-log.
//
// Owns table: audit_log. Thread-safety: safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/id.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::audit {

// Who acted. `type` is "user" (console user), "api_key", "cli" or "system".
struct Actor {
  std::string type;
  std::string id;  // empty for cli / system
  std::string name;
  std::string ip;  // empty outside HTTP
};

struct Entry {
  int64_t id = 0;
  core::Instant at{};
  Actor actor;
  std::string action;       // "<thing>.<verb>": "api_key.create", "console_user.disable"
  std::string target_type;  // "api_key"
  std::string target_id;
  std::optional<std::string> before_json;  // JSON text of the state before, if any
  std::optional<std::string> after_json;   // JSON text of the state after, if any
  std::string request_id;
};

using EntryPage = store::Page<Entry>;

struct ListQuery {
  int limit = 50;                     // 1..200
  std::optional<int64_t> cursor;      // entries with id < cursor
  std::optional<std::string> action;  // exact match
  std::optional<std::string> target_type;
};

class AuditLog final {
 public:
  // `clock` and `ids` must outlive the log.
  AuditLog(const core::Clock& clock, core::IdGenerator& ids) : clock_(clock), ids_(ids) {}

  // Appends an entry inside the caller's transaction; id, time and the
  // current request id are filled in here.
  core::Status Record(store::Session& session, const Actor& actor, std::string_view action,
                      std::string_view target_type, std::string_view target_id,
                      std::optional<std::string> before_json,
                      std::optional<std::string> after_json) const;

  // Newest first. Returns invalid_fields for a bad limit.
  core::Result<EntryPage> List(store::Database& db, const ListQuery& query) const;
  // The id of the latest entry (0 when there is none): it grows with every
  // audited change, so a reader can tell whether anything changed.
  static core::Result<int64_t> LatestId(store::Session& session);

 private:
  const core::Clock& clock_;
  core::IdGenerator& ids_;
};

}  // namespace shopcrm::audit
