// `shopcrm migrate`, `shopcrm keys …`, `shopcrm users …`: administration from
// the terminal, against the same database the server uses. Changes are
// audited with the actor "cli".
#include <unistd.h>
#include <iostream>
#include <random>
#include <string>

#include "app/app.h"
#include "app/commands.h"
#include "core/id.h"
#include "store/migrator.h"

namespace shopcrm::app {
namespace {

int Fail(const core::Error& e) {
  std::cerr << "error: " << e.detail() << " (" << e.reason() << ")\n";
  for (const auto& f : e.fields()) std::cerr << "  " << f.field << ": " << f.detail << "\n";
  return e.code() == core::ErrorCode::kInvalidArgument ? 2 : 1;
}

std::unique_ptr<App> Open(const Config& config, int& exit_code) {
  auto app = OpenApp(config);
  if (!app.ok()) {
    exit_code = Fail(app.error());
    return nullptr;
  }
  return std::move(app).value();
}

std::string Time(const std::optional<core::Instant>& t) {
  return t ? core::FormatRfc3339(*t) : "-";
}

std::optional<identity::Role> RoleOrFail(const std::string& name) {
  auto role = identity::ParseRole(name);
  if (!role) std::cerr << "error: --role must be admin, operator, analyst or integration\n";
  return role;
}

// Reads one line from stdin (the password), or makes a random one.
std::string PasswordFromStdinOrRandom(bool from_stdin, bool& generated) {
  generated = !from_stdin;
  if (from_stdin) {
    std::string line;
    std::getline(std::cin, line);
    return line;
  }
  static constexpr char kAlphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 20; ++i) out += kAlphabet[rd() % (sizeof kAlphabet - 1)];
  return out;
}

}  // namespace

int MigrateCommand(const Config& config) {
  // OpenApp migrates; report what the database is at now.
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  auto version = store::CurrentSchemaVersion(*app->db);
  if (!version.ok()) return Fail(version.error());
  std::cout << "schema at version " << *version << " (" << store::BackendName(app->db->backend())
            << ")\n";
  return 0;
}

int KeysCreate(const Config& config, const std::string& name, const std::string& role_name) {
  auto role = RoleOrFail(role_name);
  if (!role) return 2;
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  auto created = app->api_keys->Create(name, *role, identity::Principal::Cli().ToActor());
  if (!created.ok()) return Fail(created.error());
  std::cout << "id:     " << created->key.id << "\nname:   " << created->key.name
            << "\nrole:   " << identity::RoleName(created->key.role)
            << "\nsecret: " << created->secret
            << "\n\nThe secret is shown only now. Send it as 'Authorization: Bearer <secret>'.\n";
  return 0;
}

int KeysList(const Config& config) {
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  std::optional<int64_t> cursor;
  std::cout << "id\tname\trole\tprefix\tcreated_at\tlast_used_at\trevoked_at\n";
  do {
    auto page = app->api_keys->List(200, cursor);
    if (!page.ok()) return Fail(page.error());
    for (const auto& k : page->items) {
      std::cout << k.id << '\t' << k.name << '\t' << identity::RoleName(k.role) << '\t' << k.prefix
                << '\t' << core::FormatRfc3339(k.created_at) << '\t' << Time(k.last_used_at) << '\t'
                << Time(k.revoked_at) << '\n';
    }
    cursor = page->next_cursor;
  } while (cursor);
  return 0;
}

int KeysRevoke(const Config& config, const std::string& id_text) {
  auto id = core::ParseId(id_text);
  if (!id) {
    std::cerr << "error: the key id must be a positive number (see 'shopcrm keys list')\n";
    return 2;
  }
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  auto st = app->api_keys->Revoke(*id, identity::Principal::Cli().ToActor());
  if (!st.ok()) return Fail(st.error());
  std::cout << "revoked " << *id << "\n";
  return 0;
}

int UsersCreate(const Config& config, const std::string& username, const std::string& role_name,
                bool password_stdin) {
  auto role = RoleOrFail(role_name);
  if (!role) return 2;
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  bool generated = false;
  const std::string password = PasswordFromStdinOrRandom(password_stdin, generated);
  auto user =
      app->console_users->Create(username, password, *role, identity::Principal::Cli().ToActor());
  if (!user.ok()) return Fail(user.error());
  std::cout << "created console user " << user->username << " (" << identity::RoleName(user->role)
            << ")\n";
  if (generated) std::cout << "password: " << password << "\n";
  return 0;
}

int UsersList(const Config& config) {
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  std::optional<int64_t> cursor;
  std::cout << "id\tusername\trole\tcreated_at\tdisabled_at\n";
  do {
    auto page = app->console_users->List(200, cursor);
    if (!page.ok()) return Fail(page.error());
    for (const auto& u : page->items) {
      std::cout << u.id << '\t' << u.username << '\t' << identity::RoleName(u.role) << '\t'
                << core::FormatRfc3339(u.created_at) << '\t' << Time(u.disabled_at) << '\n';
    }
    cursor = page->next_cursor;
  } while (cursor);
  return 0;
}

int UsersUpdate(const Config& config, const std::string& username, bool password_stdin,
                std::optional<std::string> role_name, std::optional<bool> disabled) {
  std::optional<identity::Role> role;
  if (role_name) {
    role = RoleOrFail(*role_name);
    if (!role) return 2;
  }
  int code = 0;
  auto app = Open(config, code);
  if (!app) return code;
  std::optional<std::string> password;
  bool generated = false;
  if (password_stdin) password = PasswordFromStdinOrRandom(true, generated);
  auto user = app->console_users->Update(username, password, role, disabled,
                                         identity::Principal::Cli().ToActor());
  if (!user.ok()) return Fail(user.error());
  std::cout << "updated console user " << user->username << " (" << identity::RoleName(user->role)
            << (user->disabled_at ? ", disabled" : "") << ")\n";
  return 0;
}

}  // namespace shopcrm::app
