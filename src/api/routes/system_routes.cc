// GET /healthz, /readyz, /metrics, /api/v1/system, /api/v1/openapi.json.
#include "api/routes/routes.h"

namespace shopcrm::api {

void AddSystemRoutes(Router& router, Services& s, const std::atomic<bool>& draining) {
  using identity::Permission;
  // Liveness: the process answers. Never touches the database.
  router.Add({"GET", "/healthz", Access::kPublic, Permission::kRead,
              [](Request&) -> core::Result<Response> {
                return JsonResponse(200, {{"status", "ok"}});
              }});

  // Readiness: the database answers.
  router.Add({"GET", "/readyz", Access::kPublic, Permission::kRead,
              [&s, &draining](Request&) -> core::Result<Response> {
                if (draining) {
                  return JsonResponse(
                      503, {{"status", "draining"}, {"checks", {{"server", "shutting_down"}}}});
                }
                auto ping = s.db.Ping();
                if (!ping.ok()) {
                  return JsonResponse(503, {{"status", "unavailable"},
                                            {"checks", {{"database", ping.error().reason()}}}});
                }
                return JsonResponse(200, {{"status", "ready"}, {"checks", {{"database", "ok"}}}});
              }});

  router.Add({"GET", "/metrics", Access::kPublic, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                Response r;
                r.content_type = "text/plain; version=0.0.4";
                r.body = s.metrics.Render();
                return r;
              }});

  router.Add({"GET", "/api/v1/system", Access::kAuthenticated, Permission::kRead,
              [&s](Request&) -> core::Result<Response> {
                const auto uptime =
                    std::chrono::duration_cast<std::chrono::seconds>(s.clock.Now() - s.started_at);
                return JsonResponse(200, {{"name", "shopcrm"},
                                          {"version", SHOPCRM_VERSION},
                                          {"database_backend", store::BackendName(s.db.backend())},
                                          {"time_zone", s.time_zone},
                                          {"started_at", core::FormatRfc3339(s.started_at)},
                                          {"uptime_seconds", uptime.count()},
                                          {"requests_served", s.metrics.total_requests()}});
              }});

  router.Add({"GET", "/api/v1/openapi.json", Access::kPublic, Permission::kRead,
              [](Request&) -> core::Result<Response> {
                Response r;
                r.body = std::string(OpenApiDocument());
                return r;
              }});
}

}  // namespace shopcrm::api
