// Console users (people who log in to the admin console) and their sessions.
//
// Passwords are hashed with argon2id (libsodium). A login gives a session
// token (256 random bits, stored as SHA-256) for an HttpOnly cookie, and a
// CSRF token that state-changing requests must echo. Failed logins are
// counted in the database per username and per IP, so every instance
// sharing the database enforces the same limit.
//
// Owns tables: console_users, console_sessions, login_attempts.
// Thread-safety: safe from any thread.
// Error reasons: invalid_fields, username_taken, console_user_not_found,
// invalid_credentials, too_many_login_attempts, session_expired, empty_update,
// last_admin.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "identity/principal.h"
#include "identity/role.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::identity {

struct ConsoleUsersOptions {
  std::chrono::hours session_ttl{12};
  int max_failures_per_user = 5;  // within login_window, then too_many_login_attempts
  int max_failures_per_ip = 20;
  std::chrono::minutes login_window{15};
  bool fast_password_hash = false;  // tests only: the minimum argon2id cost
  size_t min_password_length = 10;

  core::Status Validate() const;
};

struct ConsoleUser {
  int64_t id = 0;
  std::string username;
  Role role = Role::kAnalyst;
  core::Instant created_at{};
  std::optional<core::Instant> disabled_at;
};

struct LoginResult {
  ConsoleUser user;
  std::string session_token;  // the cookie value
  std::string csrf_token;
  core::Instant expires_at{};
};

using ConsoleUserPage = store::Page<ConsoleUser>;

class ConsoleUsers final {
 public:
  ConsoleUsers(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
               const audit::AuditLog& audit, ConsoleUsersOptions options);

  // Returns invalid_fields (username 3..64 of [A-Za-z0-9_.-], password length)
  // or username_taken.
  core::Result<ConsoleUser> Create(std::string_view username, std::string_view password, Role role,
                                   const audit::Actor& actor);
  core::Result<ConsoleUserPage> List(int limit, std::optional<int64_t> cursor);
  // Changes password / role / disabled state; a disabled user's sessions end.
  // Returns console_user_not_found, invalid_fields, empty_update (nothing to
  // change), or last_admin (would leave no active admin).
  core::Result<ConsoleUser> Update(std::string_view username, std::optional<std::string> password,
                                   std::optional<Role> role, std::optional<bool> disabled,
                                   const audit::Actor& actor);

  // First start: when no console user exists, creates `admin` with a random
  // password and returns it; otherwise nullopt.
  core::Result<std::optional<std::string>> EnsureInitialAdmin();

  // Returns invalid_credentials (unknown user, wrong password, disabled) or
  // too_many_login_attempts.
  core::Result<LoginResult> Login(std::string_view username, std::string_view password,
                                  std::string_view ip);
  // The principal of a live session; session_expired otherwise.
  core::Result<Principal> Authenticate(std::string_view session_token);
  // Ends the session (idempotent).
  core::Status Logout(std::string_view session_token);

 private:
  core::Status CheckLoginRate(store::Session& s, std::string_view username, std::string_view ip);
  std::string Hash(std::string_view password) const;

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
  const ConsoleUsersOptions options_;
  std::string dummy_hash_;  // verified against for unknown users, to even out timing
};

}  // namespace shopcrm::identity
