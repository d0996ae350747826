// Route registration, one function per resource family. Each adds its routes
// to the router; the OpenAPI document must list exactly these.
#pragma once

#include "api/router.h"
#include "api/server.h"

namespace shopcrm::api {

void AddSystemRoutes(Router& router, Services& services);
void AddAuthRoutes(Router& router, Services& services, const ServerOptions& options);
void AddApiKeyRoutes(Router& router, Services& services, const ServerOptions& options);
void AddConsoleUserRoutes(Router& router, Services& services, const ServerOptions& options);
void AddAuditRoutes(Router& router, Services& services);

}  // namespace shopcrm::api
