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

core::Status Dispatcher::Authenticate(Request& req, bool may_block, bool& blocked) const {
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
    if (!may_block) {
      req.principal = services_.api_keys.Remembered(std::string_view(auth).substr(7));
      blocked = !req.principal;
      return core::Status::Ok();
    }
    SHOPCRM_ASSIGN_OR_RETURN(req.principal, services_.api_keys.Authenticate(auth.substr(7)));
    return core::Status::Ok();
  }
  if (!may_block) {
    blocked = true;  // console sessions are looked up in the database
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

void Dispatcher::AddCors(const std::string& origin, Response& res) const {
  if (origin.empty()) return;
  const auto& allowed = options_.cors_allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), origin) == allowed.end()) return;
  res.headers.emplace_back("Access-Control-Allow-Origin", origin);
  res.headers.emplace_back("Access-Control-Allow-Credentials", "true");
  res.headers.emplace_back("Vary", "Origin");
}

Dispatcher::Outcome Dispatcher::Run(Request& req, bool may_block, std::string& route_label,
                                    core::Result<Response>& answer,
                                    const std::function<Later()>& make_later) const {
  // A large body takes long to parse: it is read on a worker, never on the loop.
  constexpr size_t kLoopBodyLimit = 64 << 10;
  if (!may_block && req.body.size() > kLoopBodyLimit) return Outcome::kNotHere;
  RouteMatch match = router_.Match(req.method, req.path);
  if (match.route == nullptr || (!may_block && !match.route->submit)) {
    if (!may_block) return Outcome::kNotHere;
    route_label = "unmatched";
    if (req.method == "OPTIONS" && match.path_exists && !options_.cors_allowed_origins.empty()) {
      Response r = NoContent();
      r.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE");
      r.headers.emplace_back(
          "Access-Control-Allow-Headers",
          "Authorization, Content-Type, X-CSRF-Token, X-Request-Id, Idempotency-Key");
      r.headers.emplace_back("Access-Control-Max-Age", "600");
      answer = std::move(r);
    } else if (match.path_exists) {
      answer = core::Error(core::ErrorCode::kMethodNotAllowed, "method_not_allowed",
                           req.method + " is not allowed on " + req.path);
    } else {
      answer = core::NotFound("route_not_found", "no route for " + req.method + " " + req.path);
    }
    return Outcome::kAnswered;
  }
  const api::Route& route = *match.route;
  route_label = route.pattern;
  if (route.access == Access::kMember) {
    if (!may_block) return Outcome::kNotHere;
    if (auto st = AuthenticateMember(req); !st.ok()) {
      answer = std::move(st).error();
      return Outcome::kAnswered;
    }
  } else if (route.access == Access::kAuthenticated) {
    bool blocked = false;
    auto st = Authenticate(req, may_block, blocked);
    if (blocked) return Outcome::kNotHere;
    if (!st.ok()) {
      answer = std::move(st).error();
      return Outcome::kAnswered;
    }
    if (!identity::Allows(req.principal->role, route.permission)) {
      answer = core::Error(core::ErrorCode::kPermissionDenied, "insufficient_role",
                           "role '" + std::string(identity::RoleName(req.principal->role)) +
                               "' may not " + req.method + " " + route.pattern);
      return Outcome::kAnswered;
    }
  }
  req.route = route.pattern;
  req.path_params = std::move(match.params);
  if (route.submit) {
    route.submit(req, make_later());
    return Outcome::kSubmitted;
  }
  answer = route.handler(req);
  return Outcome::kAnswered;
}

void Dispatcher::Finish(Exchange& ex, core::Result<Response> result) const {
  if (ex.finished.exchange(true)) return;
  core::log::ScopedRequestId scoped(ex.request_id);
  Response res;
  if (result.ok()) {
    res = std::move(result).value();
  } else {
    const core::Error& e = result.error();
    if (e.code() == core::ErrorCode::kInternal || e.code() == core::ErrorCode::kUnavailable) {
      core::log::Error("request failed", {{"error", e.ToString()}});
    }
    res = ProblemResponse(e, ex.path, ex.request_id);
  }
  res.headers.emplace_back("X-Request-Id", ex.request_id);
  AddCors(ex.origin, res);

  const auto elapsed = std::chrono::steady_clock::now() - ex.start;
  services_.metrics.Observe(ex.method, ex.route_label, res.status, elapsed);
  core::log::Info(
      "request",
      {{"method", ex.method},
       {"path", ex.path},
       {"route", ex.route_label},
       {"status", res.status},
       {"duration_us", static_cast<int64_t>(
                           std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count())},
       {"ip", ex.remote_ip}});
  ex.done(std::move(res));
}

bool Dispatcher::Dispatch(Request& req, bool may_block, Done& done) const {
  auto ex = std::make_shared<Exchange>();
  ex->start = std::chrono::steady_clock::now();
  const std::string& incoming = req.Header("x-request-id");
  req.request_id = ValidRequestId(incoming) ? incoming : NewRequestId();
  core::log::ScopedRequestId scoped(req.request_id);
  ex->method = req.method;
  ex->path = req.path;
  ex->request_id = req.request_id;
  ex->origin = req.Header("origin");
  ex->remote_ip = req.remote_ip;

  bool taken = false;  // `done` moved into `ex`
  auto take = [&] {
    if (!taken) ex->done = std::move(done);
    taken = true;
  };
  core::Result<Response> answer = Response{};
  Outcome outcome = Outcome::kAnswered;
  try {
    outcome = Run(req, may_block, ex->route_label, answer, [&]() -> Later {
      take();
      return [this, ex](core::Result<Response> r) { Finish(*ex, std::move(r)); };
    });
  } catch (const std::exception& e) {
    core::log::Error("unhandled exception", {{"what", e.what()}, {"path", req.path}});
    answer = core::Internal(e.what());
    outcome = Outcome::kAnswered;
  }
  if (outcome == Outcome::kNotHere) return false;
  if (outcome == Outcome::kAnswered) {
    // After a submit that threw, this answers unless its work already did.
    take();
    Finish(*ex, std::move(answer));
  }
  return true;
}

void Dispatcher::Handle(Request& req, Done done) const { Dispatch(req, true, done); }

bool Dispatcher::HandleWithoutBlocking(Request& req, Done& done) const {
  return Dispatch(req, false, done);
}

}  // namespace shopcrm::api::internal
