// The published OpenAPI document and the real routes must agree both ways.
#include <gtest/gtest.h>

#include <set>

#include "api/router.h"
#include "core/json.h"
#include "testing/test_server.h"

namespace shopcrm::contract {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, EveryRouteIsDocumentedAndEveryDocumentedRouteExists) {
  testing::TestServer harness(testing::TestBackend::kSqlite);
  auto doc = core::ParseJson(api::OpenApiDocument(), {.max_bytes = 1 << 24, .max_depth = 64});
  ASSERT_TRUE(doc.ok()) << doc.error().ToString();
  std::set<std::string> documented;
  for (const auto& [path, ops] : doc->at("paths").items()) {
    for (const auto& [method, op] : ops.items()) {
      documented.insert(Lower(method) + " " + path);
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
      EXPECT_TRUE(op.contains("summary")) << method << " " << path;
    }
  }
  std::set<std::string> real;
  for (const auto& r : harness.server().router().routes())
    real.insert(Lower(r.method) + " " + r.pattern);
  for (const auto& r : real) EXPECT_TRUE(documented.contains(r)) << "undocumented route: " << r;
  for (const auto& d : documented) EXPECT_TRUE(real.contains(d)) << "documented but missing: " << d;
  EXPECT_EQ(doc->at("info").at("version"), SHOPCRM_VERSION);
}

TEST(OpenApi, PublicAndMemberRoutesAreMarkedWithTheirSecurity) {
  testing::TestServer harness(testing::TestBackend::kSqlite);
  auto doc = *core::ParseJson(api::OpenApiDocument(), {.max_bytes = 1 << 24, .max_depth = 64});
  for (const auto& r : harness.server().router().routes()) {
    const auto& op = doc.at("paths").at(r.pattern).at(Lower(r.method));
    const bool documented_public = op.contains("security") && op.at("security").empty();
    EXPECT_EQ(documented_public, r.access == api::Access::kPublic) << r.method << " " << r.pattern;
    const bool documented_member =
        op.contains("security") &&
        op.at("security") == core::Json::parse(R"([{"memberToken": []}])");
    EXPECT_EQ(documented_member, r.access == api::Access::kMember) << r.method << " " << r.pattern;
  }
}

}  // namespace
}  // namespace shopcrm::contract
