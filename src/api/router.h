// Routes: method + path pattern ("/api/v1/api-keys/{id}") + what the caller
// must be allowed to do + handler. The table is also what the OpenAPI test
// compares with the published document.
//
// Thread-safety: built once at start-up, then read-only.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/http.h"
#include "identity/role.h"

namespace shopcrm::api {

using Handler = std::function<core::Result<Response>(Request&)>;
// The answer to a submitted request; called once, perhaps from another thread.
using Later = std::function<void(core::Result<Response>)>;
// A handler that hands its work to another thread and returns at once; the
// work answers through `later` when it is done. It must not block: the
// server may run it on its event loop (api/internal/http_server.h).
using Submit = std::function<void(Request&, Later later)>;

enum class Access {
  kPublic,         // no credentials (health, login, static files)
  kAuthenticated,  // any principal; Route::permission decides more
  kMember,         // a member, by a token the mall signed (identity/member_tokens.h)
};

struct Route {
  std::string method;
  std::string pattern;
  Access access = Access::kAuthenticated;
  identity::Permission permission = identity::Permission::kRead;
  Handler handler;
  Submit submit = nullptr;  // when set, used instead of `handler`
};

struct RouteMatch {
  const Route* route = nullptr;  // null when nothing matched
  bool path_exists = false;      // the path matched some route with another method
  std::map<std::string, std::string> params;
};

class Router final {
 public:
  void Add(Route route);
  RouteMatch Match(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;  // each pattern split at '/', as routes_
};

}  // namespace shopcrm::api
