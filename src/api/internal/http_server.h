// The HTTP/1.1 server under ApiServer: one event-loop thread that accepts,
// reads and parses requests on non-blocking sockets (epoll), and a pool of
// worker threads for handlers that block (SQL, files).
//
// A request is first offered to `try_on_loop`, on the event loop: a handler
// that can start without blocking (its work is handed to another thread, as a
// coupon claim hands its transaction to the group committer) starts there and
// answers later from whichever thread finishes it. Every other request goes to
// a worker. Either way the answer comes through a Reply, callable once from
// any thread; whoever calls it writes the response to the socket itself, so
// no thread waits for another to send it.
//
// One request at a time per connection (pipelined requests wait their turn),
// keep-alive by default, Content-Length and chunked request bodies,
// `Expect: 100-continue`, chunked streamed responses, HEAD on GET routes.
// Connections idle or stalled mid-request for `read_timeout` are closed.
//
// Thread-safety: Bind and Run from one thread; Stop and Reply from any.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/http.h"
#include "core/error.h"

namespace shopcrm::api::internal {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0 picks a free port
  int threads = 16;
  size_t max_body_bytes = 8 << 20;
  std::chrono::seconds read_timeout{30};
};

// Sends the response for one request; call it exactly once, from any thread.
// A streamed response is written by the calling thread, which waits for the
// client to read it: only workers should answer with one.
using Reply = std::function<void(Response)>;

struct HttpCallbacks {
  // On the event loop; must not block. Returns false to send `req` to a
  // worker instead (then it must not have touched `reply`).
  std::function<bool(Request& req, Reply& reply)> try_on_loop;
  // On a worker thread.
  std::function<void(Request& req, Reply reply)> on_worker;
  // The answer to a request the server refuses itself: 400 (unparseable),
  // 413 (body too large), 414 (target too long), 431 (headers too large),
  // 501 (unknown transfer coding). The connection closes after it.
  std::function<Response(int status, const Request& req)> refuse;
};

class HttpServer final {
 public:
  HttpServer(HttpServerOptions options, HttpCallbacks callbacks);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Listens (backlog: the system's maximum); bind_failed when the address is
  // in use or not this machine's.
  core::Status Bind();
  int port() const;
  // Serves on the calling thread until Stop; then closes every connection,
  // lets the workers finish what they were given and waits for every
  // outstanding Reply before it returns.
  core::Status Run();
  // Makes Run return. Safe from any thread, before or during Run.
  void Stop();
  // When set, every response carries `Connection: close` (draining).
  void set_closing(bool closing);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shopcrm::api::internal
