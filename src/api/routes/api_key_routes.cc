// /api/v1/api-keys: list, create (the secret is in the answer once), revoke.
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

core::Json KeyJson(const identity::ApiKey& k) {
  return {{"id", std::to_string(k.id)},
          {"name", k.name},
          {"role", identity::RoleName(k.role)},
          {"prefix", k.prefix},
          {"created_at", core::FormatRfc3339(k.created_at)},
          {"created_by", k.created_by},
          {"last_used_at", TimeOrNull(k.last_used_at)},
          {"revoked_at", TimeOrNull(k.revoked_at)}};
}

const std::vector<std::string_view> kRoles = {"admin", "operator", "analyst", "integration"};

}  // namespace

void AddApiKeyRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  router.Add({"GET", "/api/v1/api-keys", Access::kAuthenticated, Permission::kAdminister,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(identity::ApiKeyPage keys,
                                         s.api_keys.List(page.limit, page.cursor));
                core::Json items = core::Json::array();
                for (const auto& k : keys.items) items.push_back(KeyJson(k));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(keys.next_cursor)}});
              }});

  router.Add({"POST", "/api/v1/api-keys", Access::kAuthenticated, Permission::kAdminister,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto name = r.RequiredString("name", 100);
                auto role = r.RequiredEnum("role", kRoles);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    identity::CreatedApiKey created,
                    s.api_keys.Create(*name, *identity::ParseRole(*role), req.Actor()));
                Response res =
                    JsonResponse(201, {{"key", KeyJson(created.key)}, {"secret", created.secret}});
                res.headers.emplace_back("Cache-Control", "no-store");
                return res;
              }});

  router.Add({"DELETE", "/api/v1/api-keys/{id}", Access::kAuthenticated, Permission::kAdminister,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(int64_t id, PathId(req, "id"));
                SHOPCRM_RETURN_IF_ERROR(s.api_keys.Revoke(id, req.Actor()));
                return NoContent();
              }});
}

}  // namespace shopcrm::api
