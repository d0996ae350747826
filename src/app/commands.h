// The subcommands of `shopcrm`. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad usage or configuration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/config.h"

namespace shopcrm::app {

int Serve(const Config& config);
int MigrateCommand(const Config& config);
int KeysCreate(const Config& config, const std::string& name, const std::string& role);
int KeysList(const Config& config);
int KeysRevoke(const Config& config, const std::string& id);
int UsersCreate(const Config& config, const std::string& username, const std::string& role,
                bool password_stdin);
int UsersList(const Config& config);
int UsersUpdate(const Config& config, const std::string& username, bool password_stdin,
                std::optional<std::string> role, std::optional<bool> disabled);

// `shopcrm import KIND PATH`: KIND is olist (PATH a directory), taobao, users,
// orders, order-items, order-updates or events (docs/import.md).
struct ImportArgs {
  std::string kind;
  std::string path;
  std::string items_path;   // orders, CSV: the file of order lines (--items)
  std::string orders_path;  // order-items: the orders the lines belong to (--orders)
  std::string format;       // csv | ndjson | jsonl; empty: from the file's extension
  int chunk_records = 5000;
};
int ImportCommand(const Config& config, const ImportArgs& args);
// `shopcrm demo --users N [--seed S]`.
int DemoCommand(const Config& config, int64_t users, uint64_t seed);

}  // namespace shopcrm::app
