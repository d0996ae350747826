// POST /api/v1/auth/login, POST /api/v1/auth/logout, GET /api/v1/auth/me.
#include "api/routes/routes.h"

namespace shopcrm::api {
namespace {

constexpr std::string_view kCookie = "shopcrm_session";

core::Json UserJson(const identity::Principal& p) {
  return {{"id", std::to_string(p.id)},
          {"username", p.name},
          {"role", identity::RoleName(p.role)},
          {"kind", p.kind == identity::Principal::Kind::kApiKey ? "api_key" : "console_user"}};
}

std::string Cookie(std::string_view value, int64_t max_age_seconds, bool secure) {
  std::string c = std::string(kCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds);
  if (secure) c += "; Secure";
  return c;
}

}  // namespace

void AddAuthRoutes(Router& router, Services& s, const ServerOptions& o) {
  using identity::Permission;
  router.Add(
      {"POST", "/api/v1/auth/login", Access::kPublic, Permission::kRead,
       [&s, &o](Request& req) -> core::Result<Response> {
         SHOPCRM_ASSIGN_OR_RETURN(core::Json body, ParseJsonBody(req, o.json));
         core::JsonObjectReader r(body);
         auto username = r.RequiredString("username", 64);
         auto password = r.RequiredString("password", 1024);
         SHOPCRM_RETURN_IF_ERROR(r.Finish());
         SHOPCRM_ASSIGN_OR_RETURN(identity::LoginResult login,
                                  s.console_users.Login(*username, *password, req.remote_ip));
         identity::Principal p;
         p.kind = identity::Principal::Kind::kConsoleUser;
         p.id = login.user.id;
         p.name = login.user.username;
         p.role = login.user.role;
         Response res = JsonResponse(200, {{"user", UserJson(p)},
                                           {"csrf_token", login.csrf_token},
                                           {"expires_at", core::FormatRfc3339(login.expires_at)}});
         const auto max_age =
             std::chrono::duration_cast<std::chrono::seconds>(login.expires_at - s.clock.Now());
         res.headers.emplace_back("Set-Cookie",
                                  Cookie(login.session_token, max_age.count(), o.cookie_secure));
         res.headers.emplace_back("Cache-Control", "no-store");
         return res;
       }});

  router.Add({"POST", "/api/v1/auth/logout", Access::kAuthenticated, Permission::kRead,
              [&s, &o](Request& req) -> core::Result<Response> {
                const std::string token = req.Cookie(kCookie);
                if (!token.empty()) SHOPCRM_RETURN_IF_ERROR(s.console_users.Logout(token));
                Response res = NoContent();
                res.headers.emplace_back("Set-Cookie", Cookie("", 0, o.cookie_secure));
                return res;
              }});

  router.Add({"GET", "/api/v1/auth/me", Access::kAuthenticated, Permission::kRead,
              [](Request& req) -> core::Result<Response> {
                const auto& p = *req.principal;
                Response res = JsonResponse(
                    200, {{"user", UserJson(p)},
                          {"csrf_token",
                           p.csrf_token.empty() ? core::Json(nullptr) : core::Json(p.csrf_token)}});
                res.headers.emplace_back("Cache-Control", "no-store");
                return res;
              }});
}

}  // namespace shopcrm::api
