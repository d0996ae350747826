// The subcommands of `shopcrm`. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad usage or configuration.
#pragma once

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

}  // namespace shopcrm::app
