// /api/v1/console-users: list, create, update (password, role, disabled).
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

core::Json UserJson(const identity::ConsoleUser& u) {
  return {{"id", std::to_string(u.id)},
          {"username", u.username},
          {"role", identity::RoleName(u.role)},
          {"created_at", core::FormatRfc3339(u.created_at)},
          {"disabled_at", TimeOrNull(u.disabled_at)}};
}

const std::vector<std::string_view> kRoles = {"admin", "operator", "analyst", "integration"};

}  // namespace

void AddConsoleUserRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  router.Add({"GET", "/api/v1/console-users", Access::kAuthenticated, Permission::kAdminister,
              [&s](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(PageParams page, ParsePageParams(req));
                SHOPCRM_ASSIGN_OR_RETURN(identity::ConsoleUserPage users,
                                         s.console_users.List(page.limit, page.cursor));
                core::Json items = core::Json::array();
                for (const auto& u : users.items) items.push_back(UserJson(u));
                return JsonResponse(200, {{"items", std::move(items)},
                                          {"next_cursor", CursorOrNull(users.next_cursor)}});
              }});

  router.Add({"POST", "/api/v1/console-users", Access::kAuthenticated, Permission::kAdminister,
              [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto username = r.RequiredString("username", 64);
                auto password = r.RequiredString("password", 1024);
                auto role = r.RequiredEnum("role", kRoles);
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    identity::ConsoleUser user,
                    s.console_users.Create(*username, *password, *identity::ParseRole(*role),
                                           req.Actor()));
                return JsonResponse(201, UserJson(user));
              }});

  router.Add({"PATCH", "/api/v1/console-users/{username}", Access::kAuthenticated,
              Permission::kAdminister, [&s, &o](Request& req) -> core::Result<Response> {
                SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
                core::JsonObjectReader r(body);
                auto password = r.OptionalString("password", 1024);
                std::optional<identity::Role> role;
                if (body.contains("role")) {
                  if (auto name = r.RequiredEnum("role", kRoles)) role = identity::ParseRole(*name);
                }
                auto disabled = r.OptionalBool("disabled");
                SHOPCRM_RETURN_IF_ERROR(r.Finish());
                SHOPCRM_ASSIGN_OR_RETURN(
                    identity::ConsoleUser user,
                    s.console_users.Update(req.path_params.at("username"), password, role, disabled,
                                           req.Actor()));
                return JsonResponse(200, UserJson(user));
              }});
}

}  // namespace shopcrm::api
