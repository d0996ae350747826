// The request pipeline independent of the HTTP library: request id, CORS,
// routing, authentication, CSRF, permission, the handler, the one catch of
// exceptions, the access log line and the metrics.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>

#include "api/http.h"
#include "api/router.h"
#include "api/server.h"

namespace shopcrm::api::internal {

class Dispatcher final {
 public:
  Dispatcher(const ServerOptions& options, Services& services, const Router& router)
      : options_(options), services_(services), router_(router) {}

  using Done = std::function<void(Response)>;

  // Handles `req` (method, path, query, headers, body and remote_ip set) and
  // calls `done` once with the answer: before returning, or — for a route
  // that submits its work (Route::submit) — later, from the thread that
  // finishes the work.
  void Handle(Request& req, Done done) const;
  // The same on a thread that must not block (the server's event loop): only
  // a submitting route whose caller's API key is remembered is handled here.
  // Otherwise returns false having done nothing, and `done` is untouched.
  bool HandleWithoutBlocking(Request& req, Done& done) const;

 private:
  // What answering needs once the handler is done, perhaps on another thread.
  struct Exchange {
    std::string method, path, route_label, request_id, origin, remote_ip;
    std::chrono::steady_clock::time_point start;
    Done done;
    std::atomic<bool> finished{false};  // answered once, whatever goes wrong
  };
  enum class Outcome { kAnswered, kSubmitted, kNotHere };
  bool Dispatch(Request& req, bool may_block, Done& done) const;
  // Routes and authenticates `req`, then runs its handler (kAnswered, with
  // `answer`) or submits it with the Later `make_later` gives (kSubmitted).
  // kNotHere, before anything ran, when `may_block` is false and a step would block.
  Outcome Run(Request& req, bool may_block, std::string& route_label,
              core::Result<Response>& answer, const std::function<Later()>& make_later) const;
  void Finish(Exchange& ex, core::Result<Response> result) const;
  // Sets `blocked` when only a blocking lookup could tell (may_block false).
  core::Status Authenticate(Request& req, bool may_block, bool& blocked) const;
  // A member route's caller: the member token in `Authorization: Member …`.
  core::Status AuthenticateMember(Request& req) const;
  void AddCors(const std::string& origin, Response& res) const;

  const ServerOptions& options_;
  Services& services_;
  const Router& router_;
};

// A fresh request id: 16 hex digits.
std::string NewRequestId();

}  // namespace shopcrm::api::internal
