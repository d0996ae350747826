// Route registration, one function per resource family. Each adds its routes
// to the router; the OpenAPI document must list exactly these.
#pragma once

#include <atomic>

#include "api/router.h"
#include "api/server.h"

namespace shopcrm::api {

// `draining` turns /readyz to 503 while the server shuts down.
void AddSystemRoutes(Router& router, Services& services, const std::atomic<bool>& draining);
void AddAuthRoutes(Router& router, Services& services, const ServerOptions& options);
void AddApiKeyRoutes(Router& router, Services& services, const ServerOptions& options);
void AddConsoleUserRoutes(Router& router, Services& services, const ServerOptions& options);
void AddAuditRoutes(Router& router, Services& services);
void AddIngestRoutes(Router& router, Services& services, const ServerOptions& options);
void AddUserRoutes(Router& router, Services& services);
void AddTagRoutes(Router& router, Services& services, const ServerOptions& options);
void AddImportRoutes(Router& router, Services& services);
void AddSegmentRoutes(Router& router, Services& services, const ServerOptions& options);
void AddSavedSegmentRoutes(Router& router, Services& services, const ServerOptions& options);
void AddCouponRoutes(Router& router, Services& services, const ServerOptions& options);
// /api/v1/me: the member centre (Access::kMember).
// Tasks and medals: definitions, completions, a member's view.
void AddTaskAndMedalRoutes(Router& router, Services& services, const ServerOptions& options);
// /api/v1/membership/…: the members list, metrics and the points rules for the console.
void AddMemberReportRoutes(Router& router, Services& services, const ServerOptions& options);
void AddMeRoutes(Router& router, Services& services);
void AddMemberRoutes(Router& router, Services& services, const ServerOptions& options);

}  // namespace shopcrm::api
