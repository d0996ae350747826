#include "audit/audit_log.h"

#include "core/log.h"

namespace shopcrm::audit {
namespace {

Entry EntryFromRow(const store::Row& r) {
  Entry e;
  e.id = r.Int(0);
  e.at = core::FromUnixMicros(r.Int(1));
  e.actor = {r.Text(2), r.OptionalText(3).value_or(""), r.Text(4), r.OptionalText(11).value_or("")};
  e.action = r.Text(5);
  e.target_type = r.Text(6);
  e.target_id = r.OptionalText(7).value_or("");
  e.before_json = r.OptionalText(8);
  e.after_json = r.OptionalText(9);
  e.request_id = r.OptionalText(10).value_or("");
  return e;
}

}  // namespace

core::Status AuditLog::Record(store::Session& session, const Actor& actor, std::string_view action,
                              std::string_view target_type, std::string_view target_id,
                              std::optional<std::string> before_json,
                              std::optional<std::string> after_json) const {
  using store::OrNull;
  const std::string& request_id = core::log::CurrentRequestId();
  return session
      .Execute(
          "INSERT INTO audit_log (id, at, actor_type, actor_id, actor_name, action, target_type,"
          " target_id, before_json, after_json, request_id, ip)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {ids_.Next(), core::ToUnixMicros(clock_.Now()), actor.type,
           actor.id.empty() ? store::Null() : store::Value(actor.id), actor.name,
           std::string(action), std::string(target_type),
           target_id.empty() ? store::Null() : store::Value(std::string(target_id)),
           OrNull(before_json), OrNull(after_json),
           request_id.empty() ? store::Null() : store::Value(request_id),
           actor.ip.empty() ? store::Null() : store::Value(actor.ip)})
      .status();
}

core::Result<EntryPage> AuditLog::List(store::Database& db, const ListQuery& q) const {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(q.limit));
  std::string sql =
      "SELECT id, at, actor_type, actor_id, actor_name, action, target_type, target_id,"
      " before_json, after_json, request_id, ip FROM audit_log WHERE 1 = 1";
  std::vector<store::Value> params;
  if (q.cursor) {
    sql += " AND id < ?";
    params.emplace_back(*q.cursor);
  }
  if (q.action) {
    sql += " AND action = ?";
    params.emplace_back(*q.action);
  }
  if (q.target_type) {
    sql += " AND target_type = ?";
    params.emplace_back(*q.target_type);
  }
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(int64_t{q.limit} + 1);  // one extra tells whether a next page exists

  EntryPage page;
  SHOPCRM_RETURN_IF_ERROR(db.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows, s.Query(sql, params));
    page = store::MakePage<Entry>(rows, q.limit, EntryFromRow, [](const Entry& e) { return e.id; });
    return core::Status::Ok();
  }));
  return page;
}

core::Result<int64_t> AuditLog::LatestId(store::Session& session) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, session.Query("SELECT COALESCE(MAX(id), 0) FROM audit_log"));
  return rows.rows.at(0).Int(0);
}

}  // namespace shopcrm::audit
