// Wiring: opens the database, applies migrations, and builds every service
// from a Config. Subcommands and the server share it.
#pragma once

#include <memory>

#include "api/metrics.h"
#include "app/config.h"
#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "identity/member_tokens.h"
#include "marketing/coupons.h"
#include "marketing/issuing.h"
#include "marketing/templates.h"
#include "membership/check_ins.h"
#include "membership/housekeeping.h"
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
#include "profiles/directory.h"
#include "profiles/import_runs.h"
#include "profiles/ingest.h"
#include "profiles/tags.h"
#include "store/database.h"
#include "store/group_commit.h"

namespace shopcrm::app {

struct App {
  Config config;
  core::SystemClock clock;
  std::unique_ptr<core::IdGenerator> ids;
  std::unique_ptr<store::Database> db;
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<identity::ApiKeys> api_keys;
  std::unique_ptr<identity::ConsoleUsers> console_users;
  std::unique_ptr<profiles::Ingest> ingest;
  std::unique_ptr<profiles::Directory> directory;
  std::unique_ptr<profiles::Tags> tags;
  std::unique_ptr<profiles::ImportRuns> import_runs;
  // Before `segments`, so it outlives the refresher thread that uses it.
  std::unique_ptr<segments::LifecycleRecorder> lifecycle;
  std::unique_ptr<segments::Segments> segments;
  std::unique_ptr<segments::SegmentStore> segment_store;
  std::unique_ptr<profiles::Facts> facts;
  std::unique_ptr<marketing::Templates> coupon_templates;
  std::unique_ptr<marketing::Coupons> coupons;
  std::unique_ptr<marketing::Issuing> issuing;  // after coupons: its worker uses them
  std::unique_ptr<membership::Points> points;
  std::unique_ptr<membership::StoredValue> stored_value;
  std::unique_ptr<membership::Levels> levels;
  std::unique_ptr<membership::CheckIns> check_ins;  // after points and levels: it uses both
  std::unique_ptr<membership::PointsMall> points_mall;
  std::unique_ptr<membership::PaidMemberships> paid;
  std::unique_ptr<identity::MemberTokens> member_tokens;
  std::unique_ptr<membership::BenefitGrants> benefit_grants;
  std::unique_ptr<membership::Tasks> tasks;
  std::unique_ptr<membership::Medals> medals;
  std::unique_ptr<membership::Reports> member_reports;
  std::unique_ptr<membership::OrderRewards> order_rewards;
  std::unique_ptr<membership::Rules> member_rules;  // after points, check_ins and order_rewards
  // After points, levels and benefit_grants: it uses them.
  std::unique_ptr<membership::Housekeeping> housekeeping;
  std::unique_ptr<store::GroupCommitter>
      member_commits;  // null when membership.group_commit is off
  api::HttpMetrics metrics;
};

// Returns the database's errors (database_unavailable, schema_too_new…).
core::Result<std::unique_ptr<App>> OpenApp(const Config& config);

}  // namespace shopcrm::app
