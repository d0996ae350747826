// A real shopcrm API server on 127.0.0.1 (free port) over a fresh test
// database, with a console admin ("admin" / vars()["admin_password"]), an
// analyst ("analyst.wang") and one API key per role (vars()["<role>_key"]).
// Used by the contract tests and the HTTP benchmarks.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "api/server.h"
#include "audit/audit_log.h"
#include "core/id.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::testing {

class TestServer final {
 public:
  explicit TestServer(TestBackend backend, api::ServerOptions options = DefaultOptions(),
                      bool fast_password_hash = true)
      : db_(TestDatabase::Create(backend)) {
    identity::ConsoleUsersOptions auth;
    auth.fast_password_hash = fast_password_hash;
    auth.max_failures_per_user = 3;
    users_ = std::make_unique<identity::ConsoleUsers>(db_->db(), clock_, ids_, audit_, auth);
    keys_ = std::make_unique<identity::ApiKeys>(db_->db(), clock_, ids_, audit_);
    const audit::Actor setup{"system", "", "test-setup", ""};
    vars_["admin_password"] = "admin-password-1";
    if (!users_->Create("admin", vars_["admin_password"], identity::Role::kAdmin, setup).ok())
      std::abort();
    if (!users_->Create("analyst.wang", "analyst-password-1", identity::Role::kAnalyst, setup).ok())
      std::abort();
    for (auto role : {identity::Role::kAdmin, identity::Role::kOperator, identity::Role::kAnalyst,
                      identity::Role::kIntegration}) {
      auto k = keys_->Create(std::string(identity::RoleName(role)) + "-key", role, setup);
      if (!k.ok()) std::abort();
      vars_[std::string(identity::RoleName(role)) + "_key"] = k->secret;
    }
    server_ = MakeServer(options);
    issuing_.StartWorker(std::chrono::milliseconds(20));
    if (!segments_.Rebuild().ok()) std::abort();
    if (!server_->Bind().ok()) std::abort();
    thread_ = std::thread([this] { (void)server_->Run(); });
  }
  ~TestServer() { Stop(); }

  // Stops the server and waits until it has finished every in-flight request.
  void Stop() {
    if (!thread_.joinable()) return;
    server_->Stop();
    thread_.join();
  }

  static api::ServerOptions DefaultOptions() {
    api::ServerOptions o;
    o.port = 0;
    o.threads = 4;
    o.max_body_bytes = 64 * 1024;
    o.json.max_depth = 16;
    return o;
  }

  // Another server over the same services, not bound.
  std::unique_ptr<api::ApiServer> MakeServer(const api::ServerOptions& options) {
    return std::make_unique<api::ApiServer>(
        options, api::Services{db_->db(),       clock_,          audit_,
                               *keys_,          *users_,         member_tokens_,
                               metrics_,        "Asia/Shanghai", clock_.Now(),
                               ingest_,         directory_,      tags_,
                               imports_,        segments_,       segment_store_,
                               facts_,          lifecycle_,      coupon_templates_,
                               coupons_,        issuing_,        points_,
                               stored_value_,   check_ins_,      levels_,
                               points_mall_,    paid_,           benefit_grants_,
                               tasks_,          medals_,         member_reports_,
                               order_rewards_,  member_rules_,   core::Currency::Cny(),
                               &member_commits_});
  }

  int port() const { return server_->port(); }
  const std::map<std::string, std::string>& vars() const { return vars_; }
  const api::ApiServer& server() const { return *server_; }

 private:
  std::unique_ptr<TestDatabase> db_;
  FakeClock clock_;
  core::IdGenerator ids_{clock_, 3};
  audit::AuditLog audit_{clock_, ids_};
  api::HttpMetrics metrics_;
  profiles::Ingest ingest_{db_->db(), clock_, ids_};
  profiles::Directory directory_{db_->db(), clock_, audit_, "Asia/Shanghai"};
  profiles::Tags tags_{db_->db(), clock_, ids_, audit_};
  profiles::ImportRuns imports_{db_->db(), clock_, ids_};
  segments::Segments segments_{
      db_->db(), clock_, *core::BusinessTimeZone::Load("Asia/Shanghai"), {}};
  segments::SegmentStore segment_store_{db_->db(), clock_, ids_, audit_};
  profiles::Facts facts_{db_->db()};
  segments::LifecycleRecorder lifecycle_{db_->db(), ids_};
  marketing::Templates coupon_templates_{db_->db(), clock_, ids_, audit_};
  marketing::Coupons coupons_{
      db_->db(), clock_, ids_, *core::BusinessTimeZone::Load("Asia/Shanghai"), {}};
  marketing::Issuing issuing_{db_->db(), clock_, ids_, audit_, coupons_};
  membership::Points points_{
      db_->db(), clock_, ids_, *core::BusinessTimeZone::Load("Asia/Shanghai"), {}};
  membership::StoredValue stored_value_{db_->db(), clock_, ids_, audit_};
  membership::Levels levels_{db_->db(), clock_, ids_,
                             *core::BusinessTimeZone::Load("Asia/Shanghai"), audit_};
  membership::CheckIns check_ins_{db_->db(), clock_, *core::BusinessTimeZone::Load("Asia/Shanghai"),
                                  points_,   {},     &levels_};
  std::unique_ptr<identity::ConsoleUsers> users_;
  std::unique_ptr<identity::ApiKeys> keys_;
  std::map<std::string, std::string> vars_;
  membership::PointsMall points_mall_{db_->db(), clock_, ids_, audit_, points_, coupons_};
  membership::PaidMemberships paid_{db_->db(), clock_, ids_, audit_, levels_};
  membership::BenefitGrants benefit_grants_{
      db_->db(), *core::BusinessTimeZone::Load("Asia/Shanghai"), levels_, paid_, points_, coupons_};
  membership::Tasks tasks_{
      db_->db(), clock_,  ids_,    *core::BusinessTimeZone::Load("Asia/Shanghai"),
      audit_,    points_, levels_, coupons_};
  membership::Medals medals_{db_->db(), clock_, ids_, audit_};
  membership::Reports member_reports_{db_->db(), clock_,
                                      *core::BusinessTimeZone::Load("Asia/Shanghai")};
  membership::OrderRewards order_rewards_{points_, levels_, paid_, {}};
  membership::Rules member_rules_{db_->db(), clock_, audit_, points_, check_ins_, order_rewards_};
  identity::MemberTokens member_tokens_{"test-member-token-secret-0123456789abcdef", clock_};
  store::GroupCommitter member_commits_{db_->db(), {}};
  std::unique_ptr<api::ApiServer> server_;
  std::thread thread_;
};

}  // namespace shopcrm::testing
