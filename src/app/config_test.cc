#include "app/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include <filesystem>
#include <fstream>

namespace shopcrm::app {
namespace {

std::string WriteToml(const std::string& text) {
  static int n = 0;
  const auto path =
      std::filesystem::temp_directory_path() /
      ("shopcrm_config_test_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".toml");
  std::ofstream(path) << text;
  return path.string();
}

TEST(LoadConfig, DefaultsAreValid) {
  auto c = LoadConfig("", {}, {});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server.host, "127.0.0.1");
  EXPECT_EQ(c->server.port, 8080);
  EXPECT_EQ(c->database.url, "sqlite:./data/shopcrm.db");
  EXPECT_EQ(c->time_zone, "Asia/Shanghai");
  EXPECT_TRUE(c->server.cors_allowed_origins.empty());
}

TEST(LoadConfig, FileThenEnvironmentThenFlags) {
  const auto path = WriteToml(
      "[server]\nport = 9000\nhost = \"0.0.0.0\"\ncors_allowed_origins = [\"https://a.example\", "
      "\"https://b.example\"]\n"
      "[database]\nurl = \"sqlite:/tmp/x.db\"\npool_size = 4\n[business]\ntime_zone = "
      "\"Europe/Berlin\"\n");
  auto c = LoadConfig(
      path, {{"SHOPCRM_SERVER_PORT", "9100"}, {"SHOPCRM_DATABASE_POOL_SIZE", "6"}, {"HOME", "/x"}},
      {"server.port=9200"});
  ASSERT_TRUE(c.ok()) << c.error().ToString();
  EXPECT_EQ(c->server.port, 9200);       // flag beats env beats file
  EXPECT_EQ(c->database.pool_size, 6);   // env beats file
  EXPECT_EQ(c->server.host, "0.0.0.0");  // file beats default
  EXPECT_EQ(c->database.url, "sqlite:/tmp/x.db");
  EXPECT_EQ(c->time_zone, "Europe/Berlin");
  EXPECT_EQ(c->server.cors_allowed_origins,
            (std::vector<std::string>{"https://a.example", "https://b.example"}));
  std::filesystem::remove(path);
}

TEST(LoadConfig, GroupCommitIsLeftToTheBackendUnlessSet) {
  auto unset = LoadConfig("", {}, {});
  ASSERT_TRUE(unset.ok()) << unset.error().ToString();
  EXPECT_FALSE(unset->coupons_group_commit.has_value());
  EXPECT_FALSE(unset->membership_group_commit.has_value());
  auto set =
      LoadConfig("", {{"SHOPCRM_COUPONS_GROUP_COMMIT", "false"}}, {"membership.group_commit=true"});
  ASSERT_TRUE(set.ok()) << set.error().ToString();
  EXPECT_EQ(set->coupons_group_commit, std::optional<bool>(false));
  EXPECT_EQ(set->membership_group_commit, std::optional<bool>(true));
  EXPECT_FALSE(LoadConfig("", {}, {"coupons.group_commit=maybe"}).ok());
}

TEST(LoadConfig, NamesEveryBadSettingAtOnce) {
  const auto path =
      WriteToml("[server]\nport = 70000\nprot = 1\n[business]\ntime_zone = \"Mars/Base\"\n");
  auto c = LoadConfig(path, {{"SHOPCRM_LOG_LEVEL", "loud"}},
                      {"database.sqlite_synchronous=maybe", "nonsense"});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().reason(), "invalid_config");
  std::set<std::string> fields;
  for (const auto& f : c.error().fields()) fields.insert(f.field);
  EXPECT_EQ(fields,
            (std::set<std::string>{"server.port", "server.prot", "business.time_zone", "log.level",
                                   "database.sqlite_synchronous", "nonsense"}));
  std::filesystem::remove(path);
}

TEST(LoadConfig, ReportsTomlSyntaxErrorsWithTheLine) {
  const auto path = WriteToml("[server]\nport = = 1\n");
  auto c = LoadConfig(path, {}, {});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().detail().find(":2:"), std::string::npos) << c.error().detail();
  std::filesystem::remove(path);
  EXPECT_EQ(LoadConfig("/nonexistent/shopcrm.toml", {}, {}).error().reason(), "invalid_config");
}

// docs/configuration.md has a row for every setting and none for a setting
// that does not exist.
TEST(ConfigKeys, MatchTheDocumentedSettings) {
  std::ifstream in(std::string(SHOPCRM_SOURCE_DIR) + "/docs/configuration.md");
  ASSERT_TRUE(in) << "docs/configuration.md not found";
  std::set<std::string> documented;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("| `")) continue;
    const auto end = line.find('`', 3);
    const std::string key = line.substr(3, end - 3);
    if (key.find('.') != std::string::npos && key.find(' ') == std::string::npos) {
      documented.insert(key);
    }
  }
  const auto keys = ConfigKeys();
  const std::set<std::string> known(keys.begin(), keys.end());
  for (const auto& k : known) EXPECT_TRUE(documented.contains(k)) << k << " is not documented";
  for (const auto& k : documented) EXPECT_TRUE(known.contains(k)) << k << " is not a setting";
}

TEST(LoadConfig, EveryKeyHasAnEnvironmentVariable) {
  for (const auto& key : ConfigKeys()) {
    std::string var = "SHOPCRM_" + key;
    for (auto& ch : var)
      ch = ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    // An empty value is invalid for most keys and valid for a few; either way
    // the variable must be recognised, never reported as unknown.
    auto c = LoadConfig("", {{var, "not-a-valid-value-\x01"}}, {});
    if (!c.ok()) {
      for (const auto& f : c.error().fields()) EXPECT_NE(f.reason, "unknown_setting") << var;
    }
  }
}

}  // namespace
}  // namespace shopcrm::app
