// Configuration: defaults, then shopcrm.toml, then SHOPCRM_<SECTION>_<KEY>
// environment variables, then command-line flags (`--set section.key=value`
// and the named shortcuts). Every key is listed in docs/configuration.md.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/server.h"
#include "core/error.h"
#include "identity/console_users.h"
#include "marketing/coupons.h"
#include "membership/check_ins.h"
#include "membership/order_rewards.h"
#include "membership/points.h"
#include "profiles/attitudes.h"
#include "segments/segments.h"
#include "store/database.h"

namespace shopcrm::app {

struct Config {
  api::ServerOptions server;
  store::DatabaseOptions database;
  identity::ConsoleUsersOptions auth;
  std::string data_dir = "./data";
  std::string time_zone = "Asia/Shanghai";
  std::string currency = "CNY";
  segments::SegmentsOptions segments;  // its currency follows business.currency
  // The Fishbein model's attributes and weights (analytics.attitude_attributes).
  std::vector<profiles::AttitudeAttribute> attitude_attributes =
      profiles::DefaultAttitudeAttributes();
  marketing::CouponsOptions coupons;
  membership::PointsOptions points;
  membership::CheckInOptions check_ins;
  membership::OrderRewardOptions order_rewards;
  // Shared transactions for claims (coupons.group_commit) and membership
  // changes (membership.group_commit); unset: on for SQLite, off for
  // PostgreSQL, where a batch's statements are round trips from one writer.
  std::optional<bool> coupons_group_commit;
  std::optional<bool> membership_group_commit;
  // The secret the mall signs member tokens with (identity/member_tokens.h);
  // when empty, the server makes a random one at start-up, so only the
  // console can open the member centre.
  std::string member_token_secret;
  std::optional<uint32_t> node_id;  // id generator node; random when unset
  std::string log_level = "info";
  std::string log_format = "json";
};

// Builds the configuration. `toml_path` may be empty (no file); a named file
// that does not exist is an error. `env` is the process environment (only
// SHOPCRM_* names are read); `overrides` are "section.key=value" strings.
// Returns invalid_config with one field error per bad key or value.
core::Result<Config> LoadConfig(const std::string& toml_path,
                                const std::map<std::string, std::string>& env,
                                const std::vector<std::string>& overrides);

// The environment of this process as a map.
std::map<std::string, std::string> ProcessEnvironment();

// "section.key" names of every setting, for docs and tests.
std::vector<std::string> ConfigKeys();

}  // namespace shopcrm::app
