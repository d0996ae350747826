// Identity on both backends: API keys, console users, sessions, login limits,
// and the audit entries each change leaves.
#include <gtest/gtest.h>

#include "audit/audit_log.h"
#include "identity/api_keys.h"
#include "identity/console_users.h"
#include "testing/fake_clock.h"
#include "testing/test_database.h"

namespace shopcrm::identity {
namespace {

using shopcrm::testing::TestBackend;

class IdentityTest : public ::testing::TestWithParam<TestBackend> {
 protected:
  void SetUp() override {
    t_ = shopcrm::testing::TestDatabase::Create(GetParam());
    ConsoleUsersOptions o;
    o.fast_password_hash = true;
    o.max_failures_per_user = 3;
    o.max_failures_per_ip = 5;
    users_ = std::make_unique<ConsoleUsers>(t_->db(), clock_, ids_, audit_, o);
  }
  audit::EntryPage Audit() {
    auto page = audit_.List(t_->db(), {});
    EXPECT_TRUE(page.ok());
    return page.ok() ? *page : audit::EntryPage{};
  }

  const audit::Actor actor_{"cli", "", "tester", ""};
  shopcrm::testing::FakeClock clock_;
  core::IdGenerator ids_{clock_, 1};
  audit::AuditLog audit_{clock_, ids_};
  std::unique_ptr<shopcrm::testing::TestDatabase> t_;
  std::unique_ptr<ConsoleUsers> users_;
};

TEST_P(IdentityTest, ApiKeyAuthenticatesUntilRevoked) {
  ApiKeys keys(t_->db(), clock_, ids_, audit_);
  auto created = keys.Create("mall-server", Role::kIntegration, actor_);
  ASSERT_TRUE(created.ok()) << created.error().ToString();
  EXPECT_TRUE(created->secret.starts_with(created->key.prefix));
  auto p = keys.Authenticate(created->secret);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kIntegration);
  EXPECT_EQ(p->name, "mall-server");

  ASSERT_TRUE(keys.Revoke(created->key.id, actor_).ok());
  EXPECT_EQ(keys.Authenticate(created->secret).error().reason(), "invalid_api_key");
  EXPECT_EQ(keys.Revoke(created->key.id, actor_).error().reason(), "api_key_already_revoked");
  EXPECT_EQ(keys.Revoke(12345, actor_).error().reason(), "api_key_not_found");

  auto entries = Audit().items;
  ASSERT_EQ(entries.size(), 2U);
  EXPECT_EQ(entries[0].action, "api_key.revoke");
  EXPECT_NE(entries[0].before_json->find("\"revoked\":false"), std::string::npos);
  EXPECT_NE(entries[0].after_json->find("\"revoked\":true"), std::string::npos);
  EXPECT_EQ(entries[1].action, "api_key.create");
  EXPECT_EQ(entries[1].actor.name, "tester");
  // The secret itself is never stored or audited.
  EXPECT_EQ(entries[1].after_json->find(created->secret), std::string::npos);
}

TEST_P(IdentityTest, ApiKeyRejectsGarbageAndRecordsLastUse) {
  ApiKeys keys(t_->db(), clock_, ids_, audit_);
  EXPECT_EQ(keys.Authenticate("").error().reason(), "invalid_api_key");
  EXPECT_EQ(keys.Authenticate("shk_" + std::string(48, '0')).error().reason(), "invalid_api_key");
  EXPECT_EQ(keys.Create("", Role::kAdmin, actor_).error().fields().at(0).field, "name");
  auto created = keys.Create("k", Role::kAnalyst, actor_);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(keys.Authenticate(created->secret).ok());
  auto page = keys.List(10, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1U);
  EXPECT_EQ(page->items[0].last_used_at, clock_.Now());
}

TEST_P(IdentityTest, ListPagesByCursor) {
  ApiKeys keys(t_->db(), clock_, ids_, audit_);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(keys.Create("k" + std::to_string(i), Role::kAnalyst, actor_).ok());
  auto first = keys.List(2, std::nullopt);
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->items.size(), 2U);
  EXPECT_EQ(first->items[0].name, "k4");
  ASSERT_TRUE(first->next_cursor.has_value());
  auto second = keys.List(3, first->next_cursor);
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->items.size(), 3U);
  EXPECT_EQ(second->items[2].name, "k0");
  EXPECT_FALSE(second->next_cursor.has_value());
  EXPECT_EQ(keys.List(0, std::nullopt).error().reason(), "invalid_fields");
}

TEST_P(IdentityTest, LoginGivesASessionAndLogoutEndsIt) {
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  auto login = users_->Login("ops.li", "correct horse battery", "10.0.0.1");
  ASSERT_TRUE(login.ok()) << login.error().ToString();
  auto p = users_->Authenticate(login->session_token);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->role, Role::kOperator);
  EXPECT_EQ(p->csrf_token, login->csrf_token);
  ASSERT_TRUE(users_->Logout(login->session_token).ok());
  EXPECT_EQ(users_->Authenticate(login->session_token).error().reason(), "session_expired");
}

TEST_P(IdentityTest, SessionsExpire) {
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  auto login = users_->Login("ops.li", "correct horse battery", "10.0.0.1");
  ASSERT_TRUE(login.ok());
  clock_.Advance(std::chrono::hours(13));
  EXPECT_EQ(users_->Authenticate(login->session_token).error().reason(), "session_expired");
}

TEST_P(IdentityTest, WrongPasswordUnknownUserAndDisabledUserLookTheSame) {
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  EXPECT_EQ(users_->Login("ops.li", "wrong password!", "ip").error().reason(),
            "invalid_credentials");
  EXPECT_EQ(users_->Login("nobody", "whatever12345", "ip").error().reason(), "invalid_credentials");
  ASSERT_TRUE(users_->Update("ops.li", std::nullopt, std::nullopt, true, actor_).ok());
  EXPECT_EQ(users_->Login("ops.li", "correct horse battery", "ip").error().reason(),
            "invalid_credentials");
}

TEST_P(IdentityTest, LoginAttemptsAreLimitedPerUserThenWindowReopens) {
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(users_->Login("ops.li", "bad password", "1.1.1.1").error().reason(),
              "invalid_credentials");
  }
  // Even the right password is refused while the limit holds, until the
  // oldest counted failure leaves the 15-minute window.
  clock_.Advance(std::chrono::minutes(5));
  auto limited = users_->Login("ops.li", "correct horse battery", "2.2.2.2");
  EXPECT_EQ(limited.error().reason(), "too_many_login_attempts");
  EXPECT_EQ(limited.error().code(), core::ErrorCode::kResourceExhausted);
  EXPECT_EQ(limited.error().retry_after_seconds(), 10 * 60);
  clock_.Advance(std::chrono::minutes(9));
  EXPECT_FALSE(users_->Login("ops.li", "correct horse battery", "2.2.2.2").ok());
  clock_.Advance(std::chrono::minutes(1));
  EXPECT_TRUE(users_->Login("ops.li", "correct horse battery", "2.2.2.2").ok());
}

TEST_P(IdentityTest, LoginAttemptsAreLimitedPerIp) {
  for (int i = 0; i < 5; ++i) {
    (void)users_->Login("user" + std::to_string(i), "bad password", "6.6.6.6");
  }
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  EXPECT_EQ(users_->Login("ops.li", "correct horse battery", "6.6.6.6").error().reason(),
            "too_many_login_attempts");
  EXPECT_TRUE(users_->Login("ops.li", "correct horse battery", "7.7.7.7").ok());
}

TEST_P(IdentityTest, PasswordChangeAndDisableEndSessions) {
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  auto login = users_->Login("ops.li", "correct horse battery", "ip");
  ASSERT_TRUE(login.ok());
  ASSERT_TRUE(
      users_
          ->Update("ops.li", std::string("another long secret"), std::nullopt, std::nullopt, actor_)
          .ok());
  EXPECT_FALSE(users_->Authenticate(login->session_token).ok());
  EXPECT_TRUE(users_->Login("ops.li", "another long secret", "ip").ok());
  auto entries = Audit().items;
  ASSERT_FALSE(entries.empty());
  EXPECT_EQ(entries[0].action, "console_user.update");
  EXPECT_NE(entries[0].after_json->find("password_changed"), std::string::npos);
  EXPECT_EQ(entries[0].after_json->find("another long secret"), std::string::npos);
}

TEST_P(IdentityTest, CreateValidatesAndRefusesDuplicates) {
  auto bad = users_->Create("a b", "short", Role::kAnalyst, actor_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().fields().size(), 2U);
  ASSERT_TRUE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  auto dup = users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_);
  EXPECT_EQ(dup.error().reason(), "username_taken");
  EXPECT_EQ(
      users_->Update("ghost", std::nullopt, Role::kAdmin, std::nullopt, actor_).error().reason(),
      "console_user_not_found");
}

TEST_P(IdentityTest, TheLastActiveAdminCannotBeDisabledOrDemoted) {
  ASSERT_TRUE(users_->Create("root.a", "correct horse battery", Role::kAdmin, actor_).ok());
  EXPECT_EQ(users_->Update("root.a", std::nullopt, std::nullopt, true, actor_).error().reason(),
            "last_admin");
  EXPECT_EQ(users_->Update("root.a", std::nullopt, Role::kOperator, std::nullopt, actor_)
                .error()
                .reason(),
            "last_admin");
  ASSERT_TRUE(users_->Create("root.b", "correct horse battery", Role::kAdmin, actor_).ok());
  EXPECT_TRUE(users_->Update("root.a", std::nullopt, Role::kOperator, std::nullopt, actor_).ok());
  EXPECT_EQ(users_->Update("root.b", std::nullopt, std::nullopt, true, actor_).error().reason(),
            "last_admin");
  EXPECT_EQ(
      users_->Update("root.b", std::nullopt, std::nullopt, std::nullopt, actor_).error().reason(),
      "empty_update");
}

TEST_P(IdentityTest, InitialAdminIsCreatedOnce) {
  auto first = users_->EnsureInitialAdmin();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE(users_->Login("admin", **first, "ip").ok());
  auto second = users_->EnsureInitialAdmin();
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->has_value());
}

// Fault injection with the real database: when the audit entry cannot be
// written, the change it describes must not be written either.
TEST_P(IdentityTest, AFailedAuditWriteLeavesNoHalfWrittenChange) {
  ApiKeys keys(t_->db(), clock_, ids_, audit_);
  auto kept = keys.Create("kept", Role::kAnalyst, actor_);
  ASSERT_TRUE(kept.ok());
  ASSERT_TRUE(t_->db()
                  .Transact(store::TxMode::kWrite,
                            [](store::Session& s) {
                              return s.ExecuteScript(
                                  "ALTER TABLE audit_log RENAME TO audit_log_gone");
                            })
                  .ok());
  EXPECT_FALSE(keys.Create("lost", Role::kAnalyst, actor_).ok());
  EXPECT_FALSE(keys.Revoke(kept->key.id, actor_).ok());
  EXPECT_FALSE(users_->Create("ops.li", "correct horse battery", Role::kOperator, actor_).ok());
  ASSERT_TRUE(t_->db()
                  .Transact(store::TxMode::kWrite,
                            [](store::Session& s) {
                              return s.ExecuteScript(
                                  "ALTER TABLE audit_log_gone RENAME TO audit_log");
                            })
                  .ok());
  auto page = keys.List(10, std::nullopt);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->items.size(), 1U);
  EXPECT_EQ(page->items[0].name, "kept");
  EXPECT_FALSE(page->items[0].revoked_at.has_value());
  EXPECT_EQ(users_->Login("ops.li", "correct horse battery", "ip").error().reason(),
            "invalid_credentials");
}

INSTANTIATE_TEST_SUITE_P(Backends, IdentityTest,
                         ::testing::Values(TestBackend::kSqlite, TestBackend::kPostgres),
                         [](const auto& param_info) {
                           return shopcrm::testing::TestBackendName(param_info.param);
                         });

TEST(Roles, PermissionsFollowTheRoleTable) {
  EXPECT_TRUE(Allows(Role::kAnalyst, Permission::kRead));
  EXPECT_FALSE(Allows(Role::kAnalyst, Permission::kOperate));
  EXPECT_FALSE(Allows(Role::kIntegration, Permission::kOperate));
  EXPECT_TRUE(Allows(Role::kIntegration, Permission::kIntegrate));
  EXPECT_FALSE(Allows(Role::kOperator, Permission::kIntegrate));
  EXPECT_FALSE(Allows(Role::kOperator, Permission::kAdminister));
  EXPECT_TRUE(Allows(Role::kAdmin, Permission::kAdminister));
  EXPECT_EQ(ParseRole("root"), std::nullopt);
}

}  // namespace
}  // namespace shopcrm::identity
