// The HTTP face of shopcrm: the API under /api/v1, health and metrics, and
// the console's static files at /.
//
// Every response carries X-Request-Id; every error is RFC 9457 problem JSON
// (api/problem.h). Authentication: `Authorization: Bearer <api key>` or the
// console session cookie, which must be paired with `X-CSRF-Token` on
// state-changing methods. Thread-safety: Start/Stop from one thread; requests
// are served on the server's worker pool.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "api/metrics.h"
#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/json.h"
#include "core/money.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "identity/member_tokens.h"
#include "marketing/coupons.h"
#include "marketing/issuing.h"
#include "marketing/templates.h"
#include "membership/benefit_grants.h"
#include "membership/check_ins.h"
#include "membership/levels.h"
#include "membership/medals.h"
#include "membership/order_rewards.h"
#include "membership/paid.h"
#include "membership/points.h"
#include "membership/points_mall.h"
#include "membership/reports.h"
#include "membership/rules.h"
#include "membership/stored_value.h"
#include "membership/tasks.h"
#include "profiles/attitudes.h"
#include "profiles/directory.h"
#include "profiles/facts.h"
#include "profiles/import_runs.h"
#include "profiles/ingest.h"
#include "profiles/tags.h"
#include "segments/segment_store.h"
#include "segments/segments.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace shopcrm::api {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                                // 0 picks a free port (tests)
  int threads = 16;                               // worker threads
  size_t max_body_bytes = 8 << 20;                // larger bodies get 413
  core::JsonLimits json;                          // per-body JSON limits
  std::string static_dir;                         // the console's built files; "" serves none
  std::vector<std::string> cors_allowed_origins;  // empty: CORS off
  bool cookie_secure = false;                     // add Secure to the session cookie (behind HTTPS)
  std::chrono::seconds read_timeout{30};
  // On Stop: keep serving (with /readyz answering 503 "draining") until no
  // request has been in flight for drain_quiet, or shutdown_grace has passed.
  std::chrono::milliseconds drain_quiet{100};
  std::chrono::seconds shutdown_grace{10};

  core::Status Validate() const;
};

// What the handlers need, owned by the caller (app/), which must keep it
// alive while the server runs.
struct Services {
  store::Database& db;
  const core::Clock& clock;
  const audit::AuditLog& audit;
  identity::ApiKeys& api_keys;
  identity::ConsoleUsers& console_users;
  const identity::MemberTokens& member_tokens;
  HttpMetrics& metrics;
  std::string time_zone;
  core::Instant started_at;
  profiles::Ingest& ingest;
  profiles::Directory& directory;
  profiles::Tags& tags;
  profiles::ImportRuns& imports;
  segments::Segments& segments;
  segments::SegmentStore& segment_store;
  profiles::Facts& facts;
  segments::LifecycleRecorder& lifecycle;
  marketing::Templates& coupon_templates;
  marketing::Coupons& coupons;
  marketing::Issuing& issuing;
  membership::Points& points;
  membership::StoredValue& stored_value;
  membership::CheckIns& check_ins;
  membership::Levels& levels;
  membership::PointsMall& points_mall;
  membership::PaidMemberships& paid;
  membership::BenefitGrants& benefit_grants;
  membership::Tasks& tasks;
  membership::Medals& medals;
  membership::Reports& member_reports;
  membership::OrderRewards& order_rewards;
  membership::Rules& member_rules;
  core::Currency currency;  // the business currency: every amount on the wire
  // When set, membership changes arriving together share one transaction
  // (store/group_commit.h); otherwise each has its own.
  store::GroupCommitter* member_commits = nullptr;
  // The Fishbein model's attributes and weights.
  std::vector<profiles::AttitudeAttribute> attitude_attributes =
      profiles::DefaultAttitudeAttributes();
};

class Router;

class ApiServer final {
 public:
  ApiServer(ServerOptions options, Services services);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds the listening socket; address_in_use / bind_failed on failure.
  core::Status Bind();
  // The bound port (after Bind).
  int port() const;
  // Serves until Stop; in-flight requests finish before it returns.
  // Returns listen_failed when the listener broke for another reason.
  core::Status Run();
  // Drains, then stops accepting: requests in flight, and connections
  // already queued for a worker, are answered first (see ServerOptions).
  // Blocks until the listener is closed. Safe from any thread.
  void Stop();

  // All routes, for the OpenAPI test and docs.
  const Router& router() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The OpenAPI 3 document served at /api/v1/openapi.json.
std::string_view OpenApiDocument();

}  // namespace shopcrm::api
