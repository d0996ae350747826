#include "api/server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/internal/dispatcher.h"
#include "api/problem.h"
#include "api/router.h"
#include "api/routes/routes.h"
#include "core/log.h"

namespace shopcrm::api {
namespace {

std::string_view MimeType(const std::filesystem::path& p) {
  const std::string ext = p.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".woff") return "font/woff";
  if (ext == ".ttf") return "font/ttf";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

bool IsApiPath(std::string_view path) {
  return path.starts_with("/api/") || path == "/api" || path == "/healthz" || path == "/readyz" ||
         path == "/metrics";
}

std::optional<std::string> ReadFile(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::move(ss).str();
}

void Apply(const Response& from, httplib::Response& to) {
  to.status = from.status;
  for (const auto& [k, v] : from.headers) to.set_header(k, v);
  if (from.stream) {
    to.set_chunked_content_provider(
        from.content_type, [stream = from.stream](size_t, httplib::DataSink& sink) {
          std::string chunk;
          // A producer that throws aborts the connection without the final
          // chunk, so the client sees an incomplete body, never a short
          // complete one.
          bool more = false;
          try {
            more = stream(chunk);
          } catch (const std::exception& e) {
            core::log::Error("streamed response failed", {{"error", e.what()}});
            return false;
          }
          if (!chunk.empty() && !sink.write(chunk.data(), chunk.size())) return false;
          if (!more) sink.done();
          return true;
        });
    return;
  }
  if (!from.body.empty() || !from.content_type.empty())
    to.set_content(from.body, from.content_type);
}

}  // namespace

core::Status ServerOptions::Validate() const {
  std::vector<core::FieldError> errors;
  if (port < 0 || port > 65535)
    errors.push_back({"server.port", "out_of_range", "must be 0 to 65535"});
  if (threads < 1 || threads > 1024)
    errors.push_back({"server.threads", "out_of_range", "must be 1 to 1024"});
  if (max_body_bytes < 1024)
    errors.push_back({"server.max_body_bytes", "out_of_range", "must be at least 1024"});
  if (json.max_depth < 2 || json.max_depth > 512) {
    errors.push_back({"server.max_json_depth", "out_of_range", "must be 2 to 512"});
  }
  if (host.empty())
    errors.push_back({"server.host", "required", "must be an address to listen on"});
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidArgument("invalid_config", "the server configuration is invalid",
                               std::move(errors));
}

struct ApiServer::Impl {
  Impl(ServerOptions o, Services s)
      : options(std::move(o)), services(s), dispatcher(options, services, router) {}

  void HandleHttp(const httplib::Request& in, httplib::Response& out) {
    ++in_flight;
    struct Done {
      Impl& impl;
      ~Done() {
        impl.last_done_ns = std::chrono::steady_clock::now().time_since_epoch().count();
        --impl.in_flight;
      }
    } done{*this};
    if (draining) out.set_header("Connection", "close");
    if (in.method == "GET" && !IsApiPath(in.path) && ServeStatic(in, out)) return;
    Request req;
    req.method = in.method;
    req.path = in.path;
    req.body = in.body;
    req.remote_ip = in.remote_addr;
    for (const auto& [k, v] : in.params) req.query.emplace(k, v);
    for (const auto& [k, v] : in.headers) {
      std::string key = k;
      for (char& c : key) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      }
      req.headers.emplace(std::move(key), v);
    }
    Apply(dispatcher.Handle(req), out);
  }

  // The console is a single-page app: a real file is served as is; any other
  // path without an extension gets index.html so client routes reload (the
  // member centre's, under /m/, get m/index.html).
  bool ServeStatic(const httplib::Request& in, httplib::Response& out) const {
    if (options.static_dir.empty()) return false;
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(options.static_dir, ec);
    if (ec) return false;
    fs::path file = fs::weakly_canonical(root / fs::path(in.path).relative_path(), ec);
    const auto [root_end, _] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (ec || root_end != root.end()) return false;  // outside the static root
    if (fs::is_directory(file, ec)) file /= "index.html";
    if (!fs::is_regular_file(file, ec)) {
      if (fs::path(in.path).has_extension()) return false;
      // The member centre (/m/…) is a page of its own.
      const bool member_centre = in.path == "/m" || in.path.starts_with("/m/");
      file = root / (member_centre ? "m/index.html" : "index.html");
    }
    auto body = ReadFile(file);
    if (!body) return false;
    const bool hashed_asset = in.path.starts_with("/assets/");
    out.set_header("Cache-Control",
                   hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
    out.set_header("X-Content-Type-Options", "nosniff");
    out.set_header("X-Request-Id", internal::NewRequestId());
    if (file.extension() == ".html") {
      out.set_header("Content-Security-Policy",
                     "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                     "frame-ancestors 'none'");
    }
    out.set_content(*body, std::string(MimeType(file)));
    return true;
  }

  ServerOptions options;
  Services services;
  Router router;
  internal::Dispatcher dispatcher;
  httplib::Server http;
  int listen_fd = -1;  // the listening socket, seen as the library creates it
  int port = 0;
  std::atomic<bool> run_started{false};
  std::atomic<bool> run_finished{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> draining{false};
  std::atomic<int> in_flight{0};
  std::atomic<int64_t> last_done_ns{0};
};

ApiServer::ApiServer(ServerOptions options, Services services)
    : impl_(std::make_unique<Impl>(std::move(options), services)) {
  AddSystemRoutes(impl_->router, impl_->services, impl_->draining);
  AddAuthRoutes(impl_->router, impl_->services, impl_->options);
  AddApiKeyRoutes(impl_->router, impl_->services, impl_->options);
  AddConsoleUserRoutes(impl_->router, impl_->services, impl_->options);
  AddAuditRoutes(impl_->router, impl_->services);
  AddIngestRoutes(impl_->router, impl_->services, impl_->options);
  AddUserRoutes(impl_->router, impl_->services);
  AddTagRoutes(impl_->router, impl_->services, impl_->options);
  AddImportRoutes(impl_->router, impl_->services);
  AddSegmentRoutes(impl_->router, impl_->services, impl_->options);
  AddSavedSegmentRoutes(impl_->router, impl_->services, impl_->options);
  AddCouponRoutes(impl_->router, impl_->services, impl_->options);
  AddMemberRoutes(impl_->router, impl_->services, impl_->options);
  AddMeRoutes(impl_->router, impl_->services);
  AddTaskAndMedalRoutes(impl_->router, impl_->services, impl_->options);
  AddMemberReportRoutes(impl_->router, impl_->services, impl_->options);

  auto& http = impl_->http;
  const auto threads = static_cast<size_t>(impl_->options.threads);
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(impl_->options.max_body_bytes);
  http.set_read_timeout(impl_->options.read_timeout.count(), 0);
  http.set_keep_alive_timeout(2);
  // The packaged library listens with a backlog of 5: a burst of new
  // connections overflows it and the kernel drops their handshakes, which
  // the clients only retry after a second or more. Bind() listens again with
  // the system's maximum. SO_REUSEADDR alone (the library's default adds
  // SO_REUSEPORT) also makes a second server on a port in use fail to bind.
  http.set_socket_options([impl = impl_.get()](int sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    impl->listen_fd = sock;
  });
  http.set_tcp_nodelay(true);  // small JSON answers must not wait for delayed ACKs
  // A keep-alive connection serves many requests (the library closes it after 5 by default).
  http.set_keep_alive_max_count(10000);
  auto handler = [this](const httplib::Request& in, httplib::Response& out) {
    impl_->HandleHttp(in, out);
  };
  http.Get(".*", handler);
  http.Post(".*", handler);
  http.Put(".*", handler);
  http.Patch(".*", handler);
  http.Delete(".*", handler);
  http.Options(".*", handler);
  // Errors the library raises itself (413 body too large, 400 unparseable
  // request, 414 URI too long) become problem JSON too.
  http.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& in, httplib::Response& out) {
        if (!out.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        core::ErrorCode code = core::ErrorCode::kInvalidArgument;
        std::string reason = "bad_request";
        std::string detail = "the request could not be parsed";
        if (out.status == 413) {
          code = core::ErrorCode::kPayloadTooLarge;
          reason = "body_too_large";
          detail = "the request body is larger than the server accepts";
        } else if (out.status == 404) {
          code = core::ErrorCode::kNotFound;
          reason = "route_not_found";
          detail = "no route for " + in.method + " " + in.path;
        } else if (out.status == 405) {
          code = core::ErrorCode::kMethodNotAllowed;
          reason = "method_not_allowed";
          detail = in.method + " is not supported";
        }
        const std::string id = internal::NewRequestId();
        Response r = ProblemResponse(core::Error(code, reason, detail), in.path, id);
        r.status = out.status;
        r.headers.emplace_back("X-Request-Id", id);
        Apply(r, out);
        return httplib::Server::HandlerResponse::Handled;
      }));
  http.set_exception_handler(
      [](const httplib::Request& in, httplib::Response& out, std::exception_ptr) {
        const std::string id = internal::NewRequestId();
        Apply(ProblemResponse(core::Internal("unhandled exception in the HTTP layer"), in.path, id),
              out);
      });
}

ApiServer::~ApiServer() = default;

core::Status ApiServer::Bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host);
  } else {
    impl_->port = impl_->http.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (impl_->port > 0 && ::listen(impl_->listen_fd, SOMAXCONN) != 0) impl_->port = -1;
  if (impl_->port <= 0) {
    return core::Unavailable("bind_failed", "cannot listen on " + o.host + ":" +
                                                std::to_string(o.port) +
                                                " (in use, or not an address of this machine)");
  }
  return core::Status::Ok();
}

int ApiServer::port() const { return impl_->port; }

// Stop may come before Run has started listening (a signal at start-up, a
// test tearing down at once); the library ignores stop() until then. The
// flags below close that gap: whichever of the two sees the other's write
// first takes care of it (both are sequentially consistent atomics).
core::Status ApiServer::Run() {
  impl_->run_started = true;
  const bool clean =
      impl_->stop_requested || impl_->http.listen_after_bind() || impl_->stop_requested;
  impl_->run_finished = true;
  if (!clean) return core::Unavailable("listen_failed", "the HTTP listener stopped unexpectedly");
  return core::Status::Ok();
}

void ApiServer::Stop() {
  // Drain: the library closes connections it has accepted but not yet
  // started on once its listener closes, so wait until the workers have been
  // idle for a quiet period (every queued connection picked up and answered)
  // before closing it.
  impl_->draining = true;
  const auto deadline = std::chrono::steady_clock::now() + impl_->options.shutdown_grace;
  while (impl_->run_started && !impl_->run_finished &&
         std::chrono::steady_clock::now() < deadline) {
    const auto idle = std::chrono::steady_clock::now().time_since_epoch() -
                      std::chrono::steady_clock::duration(impl_->last_done_ns.load());
    if (impl_->in_flight == 0 && idle >= impl_->options.drain_quiet) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->stop_requested = true;
  if (!impl_->run_started) return;  // Run will see the request and return at once
  while (!impl_->http.is_running() && !impl_->run_finished) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  impl_->http.stop();
}

const Router& ApiServer::router() const { return impl_->router; }

}  // namespace shopcrm::api
