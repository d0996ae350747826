// GET /api/v1/audit-log (admins): newest first, filter by action / target_type.
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

core::Json JsonOrNull(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto parsed = core::ParseJson(*text);
  return parsed.ok() ? std::move(parsed).value() : core::Json(*text);
}

}  // namespace

void AddAuditRoutes(Router& router, Services& s) {
  router.Add(
      {"GET", "/api/v1/audit-log", Access::kAuthenticated, identity::Permission::kAdminister,
       [&s](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
         audit::ListQuery q;
         q.limit = page.limit;
         q.cursor = page.cursor;
         q.action = req.Query("action");
         q.target_type = req.Query("target_type");
         SHOPCRM_ASSIGN_OR_RETURN(audit::EntryPage entries, s.audit.List(s.db, q));
         core::Json items = core::Json::array();
         for (const auto& e : entries.items) {
           items.push_back(
               {{"id", std::to_string(e.id)},
                {"at", core::FormatRfc3339(e.at)},
                {"actor",
                 {{"type", e.actor.type},
                  {"id", e.actor.id.empty() ? core::Json(nullptr) : core::Json(e.actor.id)},
                  {"name", e.actor.name},
                  {"ip", e.actor.ip.empty() ? core::Json(nullptr) : core::Json(e.actor.ip)}}},
                {"action", e.action},
                {"target", {{"type", e.target_type}, {"id", e.target_id}}},
                {"before", JsonOrNull(e.before_json)},
                {"after", JsonOrNull(e.after_json)},
                {"request_id",
                 e.request_id.empty() ? core::Json(nullptr) : core::Json(e.request_id)}});
         }
         return JsonResponse(200, {{"items", std::move(items)},
                                   {"next_cursor", CursorOrNull(entries.next_cursor)}});
       }});
}

}  // namespace shopcrm::api
