#include "api/server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "api/internal/dispatcher.h"
#include "api/internal/http_server.h"
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
      : options(std::move(o)),
        services(s),
        dispatcher(options, services, router),
        http(internal::HttpServerOptions{options.host, options.port, options.threads,
                                         options.max_body_bytes, options.read_timeout},
             internal::HttpCallbacks{
                 [this](Request& req, internal::Reply& reply) { return OnLoop(req, reply); },
                 [this](Request& req, internal::Reply reply) { OnWorker(req, std::move(reply)); },
                 [](int status, const Request& req) { return Refusal(status, req); }}) {}

  // Wraps `reply` to count the request in flight until it is answered (or
  // its reply is dropped unanswered, which the HTTP server answers with 500).
  internal::Reply Counted(internal::Reply reply) {
    struct Count {
      Impl* impl;
      std::atomic<bool> done{false};
      void Finish() {
        if (done.exchange(true)) return;
        impl->last_done_ns = std::chrono::steady_clock::now().time_since_epoch().count();
        --impl->in_flight;
      }
      ~Count() { Finish(); }
    };
    ++in_flight;
    auto count = std::make_shared<Count>();
    count->impl = this;
    // The counters first: once the reply is sent, Run may return and this
    // object go.
    return [count, reply = std::move(reply)](Response r) {
      count->Finish();
      reply(std::move(r));
    };
  }

  bool OnLoop(Request& req, internal::Reply& reply) {
    internal::Dispatcher::Done done = Counted(reply);
    // Not taken, `done` goes uncalled and uncounts itself; the worker counts it again.
    return dispatcher.HandleWithoutBlocking(req, done);
  }

  void OnWorker(Request& req, internal::Reply reply) {
    internal::Reply done = Counted(std::move(reply));
    if (req.method == "GET" && !IsApiPath(req.path)) {
      if (auto file = ServeStatic(req)) {
        done(std::move(*file));
        return;
      }
    }
    dispatcher.Handle(req, std::move(done));
  }

  // Requests the HTTP layer refuses itself (413 body too large, 400
  // unparseable, 414 target too long, 431 headers too large, 501 transfer
  // coding) are problem JSON too.
  static Response Refusal(int status, const Request& req) {
    core::ErrorCode code = core::ErrorCode::kInvalidArgument;
    std::string reason = "bad_request";
    std::string detail = "the request could not be parsed";
    if (status == 413) {
      code = core::ErrorCode::kPayloadTooLarge;
      reason = "body_too_large";
      detail = "the request body is larger than the server accepts";
    } else if (status == 414) {
      detail = "the request target is longer than 8 KiB";
    } else if (status == 431) {
      detail = "the request's header fields are larger than 64 KiB";
    } else if (status == 501) {
      detail = "the only transfer coding accepted is chunked";
    }
    const std::string id = internal::NewRequestId();
    Response r = ProblemResponse(core::Error(code, reason, detail), req.path, id, status);
    r.headers.emplace_back("X-Request-Id", id);
    return r;
  }

  // The console is a single-page app: a real file is served as is; any other
  // path without an extension gets index.html so client routes reload (the
  // member centre's, under /m/, get m/index.html).
  std::optional<Response> ServeStatic(const Request& in) const {
    if (options.static_dir.empty()) return std::nullopt;
    namespace fs = std::filesystem;
    std::error_code ec;
    const fs::path root = fs::weakly_canonical(options.static_dir, ec);
    if (ec) return std::nullopt;
    fs::path file = fs::weakly_canonical(root / fs::path(in.path).relative_path(), ec);
    const auto [root_end, _] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
    if (ec || root_end != root.end()) return std::nullopt;  // outside the static root
    if (fs::is_directory(file, ec)) file /= "index.html";
    if (!fs::is_regular_file(file, ec)) {
      if (fs::path(in.path).has_extension()) return std::nullopt;
      // The member centre (/m/…) is a page of its own.
      const bool member_centre = in.path == "/m" || in.path.starts_with("/m/");
      file = root / (member_centre ? "m/index.html" : "index.html");
    }
    auto body = ReadFile(file);
    if (!body) return std::nullopt;
    Response out;
    const bool hashed_asset = in.path.starts_with("/assets/");
    out.headers.emplace_back("Cache-Control",
                             hashed_asset ? "public, max-age=31536000, immutable" : "no-cache");
    out.headers.emplace_back("X-Content-Type-Options", "nosniff");
    out.headers.emplace_back("X-Request-Id", internal::NewRequestId());
    if (file.extension() == ".html") {
      out.headers.emplace_back(
          "Content-Security-Policy",
          "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "frame-ancestors 'none'");
    }
    out.content_type = std::string(MimeType(file));
    out.body = std::move(*body);
    return out;
  }

  ServerOptions options;
  Services services;
  Router router;
  internal::Dispatcher dispatcher;
  internal::HttpServer http;
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
}

ApiServer::~ApiServer() = default;

core::Status ApiServer::Bind() { return impl_->http.Bind(); }

int ApiServer::port() const { return impl_->http.port(); }

core::Status ApiServer::Run() { return impl_->http.Run(); }

void ApiServer::Stop() {
  // Drain: /readyz answers 503 and responses carry `Connection: close` while
  // requests still arrive; once none has been in flight for a quiet period
  // (or the grace period is over) the server stops reading, finishes what it
  // was given and closes.
  impl_->draining = true;
  impl_->http.set_closing(true);
  const auto deadline = std::chrono::steady_clock::now() + impl_->options.shutdown_grace;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto idle = std::chrono::steady_clock::now().time_since_epoch() -
                      std::chrono::steady_clock::duration(impl_->last_done_ns.load());
    if (impl_->in_flight == 0 && idle >= impl_->options.drain_quiet) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->http.Stop();
}

const Router& ApiServer::router() const { return impl_->router; }

}  // namespace shopcrm::api
