// Who is calling: the result of authentication, carried through a request.
#pragma once

#include <cstdint>
#include <string>

#include "audit/audit_log.h"
#include "identity/role.h"

namespace shopcrm::identity {

struct Principal {
  enum class Kind { kConsoleUser, kApiKey, kCli };
  Kind kind = Kind::kCli;
  int64_t id = 0;  // console user id or API key id; 0 for the CLI
  std::string name;
  Role role = Role::kAnalyst;
  // Set for console sessions: state-changing requests must echo it in X-CSRF-Token.
  std::string csrf_token;
  int64_t session_id = 0;

  // The audit actor for this principal, seen from `ip` ("" outside HTTP).
  audit::Actor ToActor(std::string ip = "") const;
  // The operator at the terminal running `shopcrm …` subcommands.
  static Principal Cli();
};

}  // namespace shopcrm::identity
