// The request pipeline independent of the HTTP library: request id, CORS,
// routing, authentication, CSRF, permission, the handler, the one catch of
// exceptions, the access log line and the metrics.
#pragma once

#include "api/http.h"
#include "api/router.h"
#include "api/server.h"

namespace shopcrm::api::internal {

class Dispatcher final {
 public:
  Dispatcher(const ServerOptions& options, Services& services, const Router& router)
      : options_(options), services_(services), router_(router) {}

  // `req` has method, path, query, headers, body and remote_ip set.
  Response Handle(Request& req) const;

 private:
  core::Result<Response> Route(Request& req, std::string& route_label) const;
  core::Status Authenticate(Request& req) const;
  // A member route's caller: the member token in `Authorization: Member …`.
  core::Status AuthenticateMember(Request& req) const;
  void AddCors(const Request& req, Response& res) const;

  const ServerOptions& options_;
  Services& services_;
  const Router& router_;
};

// A fresh request id: 16 hex digits.
std::string NewRequestId();

}  // namespace shopcrm::api::internal
