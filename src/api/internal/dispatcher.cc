#include "api/internal/dispatcher.h"

#include <algorithm>
#include <random>

#include "api/problem.h"
#include "core/log.h"

namespace shopcrm::api::internal {
namespace {

bool ValidRequestId(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

bool IsStateChanging(std::string_view method) {
  return method == "POST" || method == "PUT" || method == "PATCH" || method == "DELETE";
}

bool EqualConstantTime(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

std::string NewRequestId() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = rng();
  std::string id(16, '0');
  for (auto& c : id) {
    c = kHex[v & 0xf];
    v >>= 4;
  }
  return id;
}

core::Status Dispatcher::Authenticate(Request& req) const {
  const std::string& auth = req.Header("authorization");
  if (!auth.empty()) {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const bool bearer = auth.size() > 7 && auth[6] == ' ' &&
                        std::equal(auth.begin(), auth.begin() + 6, "bearer", [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == b;
                        });
    if (!bearer) {
      return core::Error(core::ErrorCode::kUnauthenticated, "invalid_authorization",
                         "the Authorization header must be 'Bearer <api key>'");
    }
    SHOPCRM_ASSIGN_OR_RETURN(req.principal, services_.api_keys.Authenticate(auth.substr(7)));
    return core::Status::Ok();
  }
  const std::string token = req.Cookie("shopcrm_session");
  if (token.empty()) {
    return core::Error(core::ErrorCode::kUnauthenticated, "authentication_required",
                       "send an API key as 'Authorization: Bearer …' or log in to the console");
  }
  SHOPCRM_ASSIGN_OR_RETURN(req.principal, services_.console_users.Authenticate(token));
  if (IsStateChanging(req.method) &&
      !EqualConstantTime(req.Header("x-csrf-token"), req.principal->csrf_token)) {
    return core::Error(
        core::ErrorCode::kPermissionDenied, "csrf_token_invalid",
        "state-changing console requests must send the session's X-CSRF-Token header");
  }
  return core::Status::Ok();
}

core::Status Dispatcher::AuthenticateMember(Request& req) const {
  const std::string& auth = req.Header("authorization");
  const bool member = auth.size() > 7 && auth[6] == ' ' &&
                      std::equal(auth.begin(), auth.begin() + 6, "member", [](char a, char b) {
                        return std::tolower(static_cast<unsigned char>(a)) == b;
                      });
  if (!member) {
    return core::Error(core::ErrorCode::kUnauthenticated, "authentication_required",
                       "send the token the mall signed as 'Authorization: Member <token>'");
  }
  SHOPCRM_ASSIGN_OR_RETURN(req.member_external_id, services_.member_tokens.Verify(auth.substr(7)));
  SHOPCRM_ASSIGN_OR_RETURN(auto ids, services_.directory.IdsByExternalId({req.member_external_id}));
  if (ids.empty()) {
    return core::NotFound("user_not_found",
                          "no user with external id '" + req.member_external_id + "'");
  }
  req.member_id = ids[0];
  return core::Status::Ok();
}

void Dispatcher::AddCors(const Request& req, Response& res) const {
  const std::string& origin = req.Header("origin");
  if (origin.empty()) return;
  const auto& allowed = options_.cors_allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
  res.headers.emplace_back("Access-Control-Allow-Origin", origin);
  res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res.headers.emplace_back("Vary", "Origin");
}

core::Result<Response> Dispatcher::Route(Request& req, std::string& route_label) const {
  RouteMatch match = router_.Match(req.method, req.path);
  if (match.route == nullptr) {
    route_label = "unmatched";
    if (req.method == "OPTIONS" && match.path_exists && !options_.cors_allowed_origins.empty()) {
      Response r = NoContent();
      r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
      r.headers.emplace_back(
          "Access-Control-Allow-Headers",
          "Authorization, Content-Type, X-CSRF-Token, X-Request-Id, Idempotency-Key");
      r.headers.emplace_back("Access-Control-Max-Age", "600");
      return r;
    }
    if (match.path_exists) {
      return core::Error(core::ErrorCode::kMethodNotAllowed, "method_not_allowed",
                         req.method + " is not allowed on " + req.path);
    }
    return core::NotFound("route_not_found", "no route for " + req.method + " " + req.path);
  }
  route_label = match.route->pattern;
  req.route = match.route->pattern;
  req.path_params = std::move(match.params);
  if (match.route->access == Access::kMember) {
    SHOPCRM_RETURN_IF_ERROR(AuthenticateMember(req));
  } else if (match.route->access == Access::kAuthenticated) {
    SHOPCRM_RETURN_IF_ERROR(Authenticate(req));
    if (!identity::Allows(req.principal->role, match.route->permission)) {
      return core::Error(core::ErrorCode::kPermissionDenied, "insufficient_role",
                         "role '" + std::string(identity::RoleName(req.principal->role)) +
                             "' may not " + req.method + " " + match.route->pattern);
    }
  }
  return match.route->handler(req);
}

Response Dispatcher::Handle(Request& req) const {
  const auto start = std::chrono::steady_clock::now();
  const std::string& incoming = req.Header("x-request-id");
  req.request_id = ValidRequestId(incoming) ? incoming : NewRequestId();
  core::log::ScopedRequestId scoped(req.request_id);

  std::string route_label;
  Response res;
  try {
    auto result = Route(req, route_label);
    if (result.ok()) {
      res = std::move(result).value();
    } else {
      const core::Error& e = result.error();
      if (e.code() == core::ErrorCode::kInternal || e.code() == core::ErrorCode::kUnavailable) {
        core::log::Error("request failed", {{"error", e.ToString()}});
      }
      res = ProblemResponse(e, req.path, req.request_id);
    }
  } catch (const std::exception& ex) {
    core::log::Error("unhandled exception", {{"what", ex.what()}, {"path", req.path}});
    res = ProblemResponse(core::Internal(ex.what()), req.path, req.request_id);
  }
  res.headers.emplace_back("X-Request-Id", req.request_id);
  AddCors(req, res);

  const auto elapsed = std::chrono::steady_clock::now() - start;
  services_.metrics.Observe(req.method, route_label, res.status, elapsed);
  core::log::Info(
      "request",
      {{"method", req.method},
       {"path", req.path},
       {"route", route_label},
       {"status", res.status},
       {"duration_us", static_cast<int64_t>(
                           std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count())},
       {"ip", req.remote_ip}});
  return res;
}

}  // namespace shopcrm::api::internal
