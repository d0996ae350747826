// shopcrm: one binary, subcommands for serving and administration.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <iostream>

#include "app/commands.h"
#include "app/config.h"
#include "core/log.h"

namespace {

using shopcrm::app::Config;

struct GlobalFlags {
  std::string config_path;
  std::vector<std::string> sets;
  std::string database_url;
  std::string host;
  int port = -1;
  std::string static_dir;
  std::string data_dir;
  std::string log_level;
};

// Loads config with the flags applied last; prints errors and returns false.
bool Load(const GlobalFlags& f, Config& out) {
  std::string path = f.config_path;
  if (path.empty() && std::filesystem::exists("shopcrm.toml")) path = "shopcrm.toml";
  std::vector<std::string> overrides = f.sets;
  if (!f.database_url.empty()) overrides.push_back("database.url=" + f.database_url);
  if (!f.host.empty()) overrides.push_back("server.host=" + f.host);
  if (f.port >= 0) overrides.push_back("server.port=" + std::to_string(f.port));
  if (!f.static_dir.empty()) overrides.push_back("server.static_dir=" + f.static_dir);
  if (!f.data_dir.empty()) overrides.push_back("server.data_dir=" + f.data_dir);
  if (!f.log_level.empty()) overrides.push_back("log.level=" + f.log_level);
  auto config = shopcrm::app::LoadConfig(path, shopcrm::app::ProcessEnvironment(), overrides);
  if (!config.ok()) {
    std::cerr << "error: " << config.error().detail() << "\n";
    for (const auto& e : config.error().fields())
      std::cerr << "  " << e.field << ": " << e.detail << "\n";
    return false;
  }
  out = std::move(config).value();
  shopcrm::core::log::Level level = shopcrm::core::log::Level::kInfo;
  shopcrm::core::log::ParseLevel(out.log_level, level);
  shopcrm::core::log::Init(level, out.log_format == "text" ? shopcrm::core::log::Format::kText
                                                           : shopcrm::core::log::Format::kJson);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"shopcrm " SHOPCRM_VERSION " - user-operations CRM for e-commerce malls"};
  cli.require_subcommand(1);
  cli.fallthrough();  // global flags may follow the subcommand
  GlobalFlags f;
  cli.add_option("-c,--config", f.config_path,
                 "TOML configuration file (default: ./shopcrm.toml if present)");
  cli.add_option("--set", f.sets, "Override a setting: section.key=value (repeatable)");
  cli.add_option("--database-url", f.database_url, "sqlite:PATH or postgresql://USER@HOST:PORT/DB");
  cli.add_option("--host", f.host, "Address to listen on");
  cli.add_option("--port", f.port, "Port to listen on (0 picks a free one)");
  cli.add_option("--static-dir", f.static_dir, "Directory with the built console");
  cli.add_option("--data-dir", f.data_dir, "Directory for local data (admin password file)");
  cli.add_option("--log-level", f.log_level, "debug, info, warn or error");

  Config config;
  int exit_code = 0;
  auto run = [&](auto fn) { return [&, fn] { exit_code = Load(f, config) ? fn() : 2; }; };

  auto* serve = cli.add_subcommand("serve", "Serve the API and the console");
  serve->callback(run([&] { return shopcrm::app::Serve(config); }));

  auto* migrate =
      cli.add_subcommand("migrate", "Apply pending schema migrations and report the version");
  migrate->callback(run([&] { return shopcrm::app::MigrateCommand(config); }));

  auto* version = cli.add_subcommand("version", "Print the version");
  version->callback([] { std::cout << "shopcrm " << SHOPCRM_VERSION << "\n"; });

  auto* keys = cli.add_subcommand("keys", "Manage API keys");
  keys->require_subcommand(1);
  std::string key_name, key_role, key_id;
  auto* keys_create = keys->add_subcommand("create", "Create an API key; prints its secret once");
  keys_create->add_option("--name", key_name, "What the key is for")->required();
  keys_create->add_option("--role", key_role, "admin, operator, analyst or integration")
      ->required();
  keys_create->callback(run([&] { return shopcrm::app::KeysCreate(config, key_name, key_role); }));
  auto* keys_list = keys->add_subcommand("list", "List API keys");
  keys_list->callback(run([&] { return shopcrm::app::KeysList(config); }));
  auto* keys_revoke = keys->add_subcommand("revoke", "Revoke an API key");
  keys_revoke->add_option("id", key_id, "The key's id")->required();
  keys_revoke->callback(run([&] { return shopcrm::app::KeysRevoke(config, key_id); }));

  auto* users = cli.add_subcommand("users", "Manage console users");
  users->require_subcommand(1);
  std::string username, user_role;
  bool password_stdin = false;
  auto* users_create = users->add_subcommand("create", "Create a console user");
  users_create->add_option("--username", username)->required();
  users_create->add_option("--role", user_role, "admin, operator, analyst or integration")
      ->required();
  users_create->add_flag("--password-stdin", password_stdin,
                         "Read the password from stdin (else one is made)");
  users_create->callback(
      run([&] { return shopcrm::app::UsersCreate(config, username, user_role, password_stdin); }));
  auto* users_list = users->add_subcommand("list", "List console users");
  users_list->callback(run([&] { return shopcrm::app::UsersList(config); }));
  auto* users_password = users->add_subcommand(
      "set-password", "Set a user's password from stdin; ends their sessions");
  users_password->add_option("--username", username)->required();
  users_password->callback(run([&] {
    return shopcrm::app::UsersUpdate(config, username, true, std::nullopt, std::nullopt);
  }));
  auto* users_role = users->add_subcommand("set-role", "Change a user's role");
  users_role->add_option("--username", username)->required();
  users_role->add_option("--role", user_role)->required();
  users_role->callback(run(
      [&] { return shopcrm::app::UsersUpdate(config, username, false, user_role, std::nullopt); }));
  auto* users_disable = users->add_subcommand("disable", "Disable a user and end their sessions");
  users_disable->add_option("--username", username)->required();
  users_disable->callback(
      run([&] { return shopcrm::app::UsersUpdate(config, username, false, std::nullopt, true); }));
  auto* users_enable = users->add_subcommand("enable", "Enable a disabled user");
  users_enable->add_option("--username", username)->required();
  users_enable->callback(
      run([&] { return shopcrm::app::UsersUpdate(config, username, false, std::nullopt, false); }));

  auto* import = cli.add_subcommand(
      "import", "Import customer data from files (see docs/import.md); idempotent");
  import->require_subcommand(1);
  shopcrm::app::ImportArgs import_args;
  auto add_import = [&](const std::string& kind, const std::string& help, const std::string& what,
                        bool has_format) {
    auto* sub = import->add_subcommand(kind, help);
    sub->add_option("path", import_args.path, what)->required();
    if (has_format) {
      sub->add_option("--format", import_args.format,
                      "csv, ndjson or jsonl (default: from the file's extension)");
    }
    sub->add_option("--chunk", import_args.chunk_records, "Records per ingestion batch")
        ->capture_default_str();
    sub->callback(run([&, kind] {
      import_args.kind = kind;
      return shopcrm::app::ImportCommand(config, import_args);
    }));
    return sub;
  };
  add_import("olist", "The Olist Brazilian e-commerce dataset", "Directory with its CSV files",
             false);
  add_import("taobao", "A Taobao UserBehavior CSV file", "The CSV file", false);
  add_import("users", "Users (CSV or NDJSON)", "The file", true);
  add_import("orders", "Orders (NDJSON with items, or CSV with --items)", "The file", true)
      ->add_option("--items", import_args.items_path, "CSV: the file of order lines");
  add_import("order-items", "CSV order lines with the orders they belong to", "The lines file",
             true)
      ->add_option("--orders", import_args.orders_path, "The CSV file of their orders")
      ->required();
  add_import("order-updates", "Order status updates and refunds (CSV or NDJSON)", "The file", true);
  add_import("events", "Behaviour events (CSV or NDJSON)", "The file", true);

  auto* demo = cli.add_subcommand("demo", "Generate a demo mall with N users (deterministic)");
  int64_t demo_users = 0;
  uint64_t demo_seed = 1;
  demo->add_option("--users", demo_users, "How many users")->required();
  demo->add_option("--seed", demo_seed, "Seed of the generator")->capture_default_str();
  demo->callback(run([&] { return shopcrm::app::DemoCommand(config, demo_users, demo_seed); }));

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  return exit_code;
}
