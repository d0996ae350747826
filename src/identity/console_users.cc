#include "identity/console_users.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/log.h"
#include "identity/internal/secrets.h"

namespace shopcrm::identity {
namespace {

constexpr std::string_view kUserColumns =
    "id, username, role, created_at, disabled_at, password_hash";
constexpr size_t kSessionTokenBytes = 32;
constexpr size_t kCsrfTokenBytes = 16;
constexpr size_t kInitialPasswordBytes = 12;

ConsoleUser UserFromRow(const store::Row& r) {
  ConsoleUser u;
  u.id = r.Int(0);
  u.username = r.Text(1);
  u.role = ParseRole(r.Text(2)).value_or(Role::kAnalyst);
  u.created_at = core::FromUnixMicros(r.Int(3));
  if (auto v = r.OptionalInt(4)) u.disabled_at = core::FromUnixMicros(*v);
  return u;
}

std::string UserAuditJson(const ConsoleUser& u) {
  return nlohmann::json{{"id", std::to_string(u.id)},
                        {"username", u.username},
                        {"role", RoleName(u.role)},
                        {"disabled", u.disabled_at.has_value()}}
      .dump();
}

bool ValidUsername(std::string_view name) {
  return name.size() >= 3 && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
         });
}

core::Error InvalidCredentials() {
  return {core::ErrorCode::kUnauthenticated, "invalid_credentials", "wrong username or password"};
}

}  // namespace

core::Status ConsoleUsersOptions::Validate() const {
  std::vector<core::FieldError> errors;
  if (session_ttl.count() < 1)
    errors.push_back({"auth.session_ttl_hours", "out_of_range", "must be at least 1"});
  if (max_failures_per_user < 1)
    errors.push_back({"auth.max_login_failures", "out_of_range", "must be at least 1"});
  if (max_failures_per_ip < 1)
    errors.push_back({"auth.max_login_failures_per_ip", "out_of_range", "must be at least 1"});
  if (login_window.count() < 1)
    errors.push_back({"auth.login_window_minutes", "out_of_range", "must be at least 1"});
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidArgument("invalid_config", "the auth configuration is invalid",
                               std::move(errors));
}

ConsoleUsers::ConsoleUsers(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
                           const audit::AuditLog& audit, ConsoleUsersOptions options)
    : db_(db), clock_(clock), ids_(ids), audit_(audit), options_(options) {
  if (!internal::InitSodium()) throw std::runtime_error("libsodium failed to initialise");
  dummy_hash_ = Hash(internal::RandomHex(16));
}

std::string ConsoleUsers::Hash(std::string_view password) const {
  std::string h =
      internal::HashPassword(password, options_.fast_password_hash ? internal::MinimumCost()
                                                                   : internal::InteractiveCost());
  if (h.empty()) throw std::runtime_error("out of memory hashing a password");
  return h;
}

core::Result<ConsoleUser> ConsoleUsers::Create(std::string_view username, std::string_view password,
                                               Role role, const audit::Actor& actor) {
  std::vector<core::FieldError> errors;
  if (!ValidUsername(username)) {
    errors.push_back({"username", "invalid_username", "3 to 64 of letters, digits, '_', '.', '-'"});
  }
  if (password.size() < options_.min_password_length || password.size() > 1024) {
    errors.push_back(
        {"password", "invalid_length",
         "must be " + std::to_string(options_.min_password_length) + " to 1024 bytes"});
  }
  if (!errors.empty()) {
    return core::InvalidFields("invalid_fields", std::move(errors));
  }
  ConsoleUser user;
  user.id = ids_.Next();
  user.username = std::string(username);
  user.role = role;
  user.created_at = clock_.Now();
  const std::string hash = Hash(password);
  auto st = db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
    const int64_t now = core::ToUnixMicros(user.created_at);
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute(
             "INSERT INTO console_users (id, username, password_hash, role, created_at, updated_at)"
             " VALUES (?, ?, ?, ?, ?, ?)",
             {user.id, user.username, hash, std::string(RoleName(role)), now, now})
            .status());
    return audit_.Record(s, actor, "console_user.create", "console_user", std::to_string(user.id),
                         std::nullopt, UserAuditJson(user));
  });
  if (!st.ok()) {
    if (st.error().reason() == "unique_violation") {
      return core::Error(core::ErrorCode::kConflict, "username_taken",
                         "a console user named '" + user.username + "' exists already",
                         {{"username", "taken", "already in use"}});
    }
    return std::move(st).error();
  }
  return user;
}

core::Result<ConsoleUserPage> ConsoleUsers::List(int limit, std::optional<int64_t> cursor) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(limit));
  ConsoleUserPage page;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Rows rows, s.Query("SELECT " + std::string(kUserColumns) +
                                      " FROM console_users WHERE id < ? ORDER BY id DESC LIMIT ?",
                                  {store::CursorBound(cursor), int64_t{limit} + 1}));
    page = store::MakePage<ConsoleUser>(rows, limit, UserFromRow,
                                        [](const ConsoleUser& u) { return u.id; });
    return core::Status::Ok();
  }));
  return page;
}

core::Result<ConsoleUser> ConsoleUsers::Update(std::string_view username,
                                               std::optional<std::string> password,
                                               std::optional<Role> role,
                                               std::optional<bool> disabled,
                                               const audit::Actor& actor) {
  if (!password && !role && !disabled) {
    return core::InvalidArgument("empty_update", "send at least one of password, role, disabled");
  }
  if (password && (password->size() < options_.min_password_length || password->size() > 1024)) {
    return core::InvalidArgument(
        "invalid_fields", "password is too short or too long",
        {{"password", "invalid_length",
          "must be " + std::to_string(options_.min_password_length) + " to 1024 bytes"}});
  }
  const std::optional<std::string> hash = password ? std::optional(Hash(*password)) : std::nullopt;
  ConsoleUser after;
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        SHOPCRM_ASSIGN_OR_RETURN(
            store::Row row, s.QueryOne("SELECT " + std::string(kUserColumns) +
                                           " FROM console_users WHERE username = ?",
                                       {std::string(username)}, "console_user_not_found",
                                       "no console user is named '" + std::string(username) + "'"));
        const ConsoleUser before = UserFromRow(row);
        const bool loses_admin = before.role == Role::kAdmin && !before.disabled_at &&
                                 ((role && *role != Role::kAdmin) || disabled.value_or(false));
        if (loses_admin) {
          // Lock the active admins (PostgreSQL; SQLite's BEGIN IMMEDIATE already
          // serialises writers) so two concurrent demotions cannot both pass.
          SHOPCRM_ASSIGN_OR_RETURN(
              store::Rows admins,
              s.Query(
                  std::string(
                      "SELECT id FROM console_users WHERE role = 'admin' AND disabled_at IS NULL") +
                  (s.backend() == store::Backend::kPostgres ? " FOR UPDATE" : "")));
          if (admins.size() <= 1) {
            return core::Error(
                core::ErrorCode::kFailedPrecondition, "last_admin",
                "'" + before.username + "' is the last active admin; make another admin first");
          }
        }
        after = before;
        const int64_t now = core::ToUnixMicros(clock_.Now());
        if (role) after.role = *role;
        if (disabled)
          after.disabled_at =
              *disabled ? std::optional(before.disabled_at.value_or(clock_.Now())) : std::nullopt;
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE console_users SET role = ?, disabled_at = ?, updated_at = ?,"
                      " password_hash = COALESCE(?, password_hash) WHERE id = ?",
                      {std::string(RoleName(after.role)),
                       after.disabled_at ? store::Value(core::ToUnixMicros(*after.disabled_at))
                                         : store::Null(),
                       now, store::OrNull(hash), before.id})
                .status());
        if (after.disabled_at || hash) {
          // A disabled user, or one whose password changed, must log in again.
          SHOPCRM_RETURN_IF_ERROR(
              s.Execute("DELETE FROM console_sessions WHERE user_id = ?", {before.id}).status());
        }
        auto after_json = nlohmann::json::parse(UserAuditJson(after));
        if (hash) after_json["password_changed"] = true;
        return audit_.Record(s, actor, "console_user.update", "console_user",
                             std::to_string(before.id), UserAuditJson(before), after_json.dump());
      }));
  return after;
}

core::Result<std::optional<std::string>> ConsoleUsers::EnsureInitialAdmin() {
  SHOPCRM_ASSIGN_OR_RETURN(
      int64_t count, store::TransactFor<int64_t>(
                         db_, store::TxMode::kRead, [](store::Session& s) -> core::Result<int64_t> {
                           SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows,
                                                    s.Query("SELECT COUNT(*) FROM console_users"));
                           return rows.rows.front().Int(0);
                         }));
  if (count > 0) return std::optional<std::string>();
  std::string password = internal::RandomHex(kInitialPasswordBytes);
  auto created = Create("admin", password, Role::kAdmin, {"system", "", "first-start", ""});
  if (!created.ok()) {
    // Another instance created it between our count and insert: fine.
    if (created.error().reason() == "username_taken") return std::optional<std::string>();
    return std::move(created).error();
  }
  return std::optional<std::string>(std::move(password));
}

core::Status ConsoleUsers::CheckLoginRate(store::Session& s, std::string_view username,
                                          std::string_view ip) {
  const int64_t now = core::ToUnixMicros(clock_.Now());
  const int64_t window_us =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.login_window).count();
  // The limit holds until the oldest counted failure leaves the window.
  int64_t blocked_until = 0;
  auto check = [&](std::string_view column, std::string_view value, int limit) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Rows rows, s.Query("SELECT at FROM login_attempts WHERE " + std::string(column) +
                                      " = ? AND at > ? AND succeeded = 0 ORDER BY at DESC LIMIT ?",
                                  {std::string(value), now - window_us, int64_t{limit}}));
    if (rows.size() >= static_cast<size_t>(limit)) {
      blocked_until = std::max(blocked_until, rows.rows.back().Int(0) + window_us);
    }
    return core::Status::Ok();
  };
  SHOPCRM_RETURN_IF_ERROR(check("username", username, options_.max_failures_per_user));
  SHOPCRM_RETURN_IF_ERROR(check("ip", ip, options_.max_failures_per_ip));
  if (blocked_until == 0) return core::Status::Ok();
  const int64_t wait_s = std::max<int64_t>(1, (blocked_until - now + 999'999) / 1'000'000);
  core::Error e(
      core::ErrorCode::kResourceExhausted, "too_many_login_attempts",
      "too many failed logins; try again in " + std::to_string((wait_s + 59) / 60) + " minute(s)");
  e.WithRetryAfter(static_cast<int>(wait_s));
  return e;
}

core::Result<LoginResult> ConsoleUsers::Login(std::string_view username, std::string_view password,
                                              std::string_view ip) {
  const std::string name(username.substr(0, 64));
  std::optional<store::Row> row;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_RETURN_IF_ERROR(CheckLoginRate(s, name, ip));
    SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows, s.Query("SELECT " + std::string(kUserColumns) +
                                                           " FROM console_users WHERE username = ?",
                                                       {name}));
    if (!rows.empty()) row = rows.rows.front();
    return core::Status::Ok();
  }));
  // Verify outside any transaction: argon2id takes tens of milliseconds.
  const bool verified = internal::VerifyPassword(row ? row->Text(5) : dummy_hash_, password);
  const bool ok = row && verified && row->IsNull(4);

  LoginResult result;
  const core::Instant now = clock_.Now();
  if (ok) {
    result.user = UserFromRow(*row);
    result.session_token = internal::RandomHex(kSessionTokenBytes);
    result.csrf_token = internal::RandomHex(kCsrfTokenBytes);
    result.expires_at =
        now + std::chrono::duration_cast<std::chrono::microseconds>(options_.session_ttl);
  }
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        SHOPCRM_RETURN_IF_ERROR(s.Execute("INSERT INTO login_attempts (id, username, ip, at, "
                                          "succeeded) VALUES (?, ?, ?, ?, ?)",
                                          {ids_.Next(), name, std::string(ip),
                                           core::ToUnixMicros(now), int64_t{ok ? 1 : 0}})
                                    .status());
        // Attempts older than the window no longer count; drop them (indexed on at).
        const int64_t window_us =
            std::chrono::duration_cast<std::chrono::microseconds>(options_.login_window).count();
        SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM login_attempts WHERE at < ?",
                                          {core::ToUnixMicros(now) - window_us})
                                    .status());
        if (!ok) return core::Status::Ok();
        // Sessions past their expiry are swept as new ones are made.
        SHOPCRM_RETURN_IF_ERROR(s.Execute("DELETE FROM console_sessions WHERE expires_at < ?",
                                          {core::ToUnixMicros(now)})
                                    .status());
        return s
            .Execute(
                "INSERT INTO console_sessions (id, token_hash, user_id, csrf_token, created_at, "
                "expires_at, ip)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                {ids_.Next(), internal::Sha256Hex(result.session_token), result.user.id,
                 result.csrf_token, core::ToUnixMicros(now), core::ToUnixMicros(result.expires_at),
                 std::string(ip)})
            .status();
      }));
  if (!ok) {
    core::log::Info("login failed", {{"username", name}, {"ip", std::string(ip)}});
    return InvalidCredentials();
  }
  return result;
}

core::Result<Principal> ConsoleUsers::Authenticate(std::string_view session_token) {
  auto expired = [] {
    return core::Error(core::ErrorCode::kUnauthenticated, "session_expired",
                       "the session has ended; log in again");
  };
  if (session_token.size() != 2 * kSessionTokenBytes) return expired();
  std::optional<Principal> principal;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Rows rows,
        s.Query("SELECT s.id, s.csrf_token, u.id, u.username, u.role FROM console_sessions s"
                " JOIN console_users u ON u.id = s.user_id"
                " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL",
                {internal::Sha256Hex(session_token), core::ToUnixMicros(clock_.Now())}));
    if (rows.empty()) return core::Status::Ok();
    const auto& r = rows.rows.front();
    Principal p;
    p.kind = Principal::Kind::kConsoleUser;
    p.session_id = r.Int(0);
    p.csrf_token = r.Text(1);
    p.id = r.Int(2);
    p.name = r.Text(3);
    p.role = ParseRole(r.Text(4)).value_or(Role::kAnalyst);
    principal = std::move(p);
    return core::Status::Ok();
  }));
  if (!principal) return expired();
  return std::move(*principal);
}

core::Status ConsoleUsers::Logout(std::string_view session_token) {
  return db_.Transact(store::TxMode::kWrite, [&](store::Session& s) {
    return s
        .Execute("DELETE FROM console_sessions WHERE token_hash = ?",
                 {internal::Sha256Hex(session_token)})
        .status();
  });
}

}  // namespace shopcrm::identity
