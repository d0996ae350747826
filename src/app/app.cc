#include "app/app.h"

#include <random>

#include "core/log.h"
#include "store/migrator.h"

namespace shopcrm::app {

core::Result<std::unique_ptr<App>> OpenApp(const Config& config) {
  auto app = std::make_unique<App>();
  app->config = config;
  // Day boundaries depend on tzdata; fail at start, not at the first "per day" rule.
  SHOPCRM_RETURN_IF_ERROR(core::BusinessTimeZone::Load(config.time_zone).status());
  std::random_device seed;
  const uint32_t node = config.node_id.value_or(
      std::uniform_int_distribution<uint32_t>(0, core::IdGenerator::kMaxNode)(seed));
  app->ids = std::make_unique<core::IdGenerator>(app->clock, node);
  SHOPCRM_ASSIGN_OR_RETURN(app->db, store::Database::Open(config.database));
  SHOPCRM_ASSIGN_OR_RETURN(auto migrations,
                           store::LoadMigrations(store::BuiltinMigrations(), app->db->backend()));
  SHOPCRM_ASSIGN_OR_RETURN(auto report, store::Migrate(*app->db, migrations, app->clock));
  core::log::Debug("schema ready", {{"version", report.to_version}});
  app->audit = std::make_unique<audit::AuditLog>(app->clock, *app->ids);
  app->api_keys = std::make_unique<identity::ApiKeys>(*app->db, app->clock, *app->ids, *app->audit);
  app->console_users = std::make_unique<identity::ConsoleUsers>(*app->db, app->clock, *app->ids,
                                                                *app->audit, config.auth);
  app->ingest = std::make_unique<profiles::Ingest>(*app->db, app->clock, *app->ids);
  app->directory =
      std::make_unique<profiles::Directory>(*app->db, app->clock, *app->audit, config.time_zone);
  app->tags = std::make_unique<profiles::Tags>(*app->db, app->clock, *app->ids, *app->audit);
  app->import_runs = std::make_unique<profiles::ImportRuns>(*app->db, app->clock, *app->ids);
  SHOPCRM_ASSIGN_OR_RETURN(auto tz, core::BusinessTimeZone::Load(config.time_zone));
  segments::SegmentsOptions seg = config.segments;
  seg.currency = config.currency;
  app->segments = std::make_unique<segments::Segments>(*app->db, app->clock, tz, seg);
  app->segment_store =
      std::make_unique<segments::SegmentStore>(*app->db, app->clock, *app->ids, *app->audit);
  app->facts = std::make_unique<profiles::Facts>(*app->db);
  app->lifecycle = std::make_unique<segments::LifecycleRecorder>(*app->db, *app->ids);
  app->coupon_templates =
      std::make_unique<marketing::Templates>(*app->db, app->clock, *app->ids, *app->audit);
  // Shared transactions by default on SQLite only (Config::coupons_group_commit).
  const bool sqlite = app->db->backend() == store::Backend::kSqlite;
  marketing::CouponsOptions coupons = config.coupons;
  coupons.group_commit = config.coupons_group_commit.value_or(sqlite);
  app->coupons = std::make_unique<marketing::Coupons>(*app->db, app->clock, *app->ids, tz, coupons);
  app->issuing = std::make_unique<marketing::Issuing>(*app->db, app->clock, *app->ids, *app->audit,
                                                      *app->coupons);
  app->points =
      std::make_unique<membership::Points>(*app->db, app->clock, *app->ids, tz, config.points);
  app->stored_value =
      std::make_unique<membership::StoredValue>(*app->db, app->clock, *app->ids, *app->audit);
  app->levels =
      std::make_unique<membership::Levels>(*app->db, app->clock, *app->ids, tz, *app->audit);
  app->check_ins = std::make_unique<membership::CheckIns>(*app->db, app->clock, tz, *app->points,
                                                          config.check_ins, app->levels.get(),
                                                          app->coupons.get());
  app->points_mall = std::make_unique<membership::PointsMall>(
      *app->db, app->clock, *app->ids, *app->audit, *app->points, *app->coupons);
  app->paid = std::make_unique<membership::PaidMemberships>(*app->db, app->clock, *app->ids,
                                                            *app->audit, *app->levels);
  app->member_tokens = std::make_unique<identity::MemberTokens>(
      config.member_token_secret.empty() ? identity::MemberTokens::RandomSecret()
                                         : config.member_token_secret,
      app->clock);
  app->benefit_grants = std::make_unique<membership::BenefitGrants>(
      *app->db, tz, *app->levels, *app->paid, *app->points, *app->coupons);
  app->tasks = std::make_unique<membership::Tasks>(*app->db, app->clock, *app->ids, tz, *app->audit,
                                                   *app->points, *app->levels, *app->coupons);
  app->medals = std::make_unique<membership::Medals>(*app->db, app->clock, *app->ids, *app->audit);
  app->member_reports = std::make_unique<membership::Reports>(*app->db, app->clock, tz);
  SHOPCRM_ASSIGN_OR_RETURN(core::Currency currency, core::Currency::Parse(config.currency));
  membership::OrderRewardOptions rewards = config.order_rewards;
  rewards.minor_per_major = 1;
  for (int i = 0; i < currency.minor_digits(); ++i) rewards.minor_per_major *= 10;
  app->order_rewards =
      std::make_unique<membership::OrderRewards>(*app->points, *app->levels, *app->paid, rewards);
  app->member_rules = std::make_unique<membership::Rules>(
      *app->db, app->clock, *app->audit, *app->points, *app->check_ins, *app->order_rewards);
  // The points rules operators saved replace the configured ones.
  SHOPCRM_RETURN_IF_ERROR(app->member_rules->Load());
  app->housekeeping = std::make_unique<membership::Housekeeping>(
      app->clock, *app->points, *app->levels, app->benefit_grants.get(), app->member_rules.get());
  if (config.membership_group_commit.value_or(sqlite)) {
    app->member_commits = std::make_unique<store::GroupCommitter>(
        *app->db, store::GroupCommitOptions{config.coupons.group_commit_batch,
                                            config.coupons.group_commit_writers});
  }
  return app;
}

}  // namespace shopcrm::app
