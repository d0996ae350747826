// Redeeming a code over HTTP, on both backends: a code from a batch's CSV
// export puts a coupon in the wallet once; the same Idempotency-Key replays
// the answer; another key finds the code taken. The codes come from the CSV,
// which the contract files cannot capture from, hence a test of its own.
#include <gtest/gtest.h>
#include <httplib.h>

#include <sstream>

#include "core/json.h"
#include "testing/test_server.h"

namespace shopcrm::contract {
namespace {

class RedeemCodeTest : public ::testing::TestWithParam<testing::TestBackend> {
 protected:
  RedeemCodeTest() : server_(GetParam()), client_("127.0.0.1", server_.port()) {}

  httplib::Result Post(const std::string& path, const std::string& body, const std::string& role,
                       const std::string& key = "") {
    httplib::Headers h = {{"Authorization", "Bearer " + server_.vars().at(role + "_key")}};
    if (!key.empty()) h.emplace("Idempotency-Key", key);
    return client_.Post(path, h, body, "application/json");
  }
  std::string IdOf(const httplib::Result& res, const std::string& pointer) {
    EXPECT_TRUE(res) << "no response";
    if (!res) return "";
    auto json = core::ParseJson(res->body, {});
    EXPECT_TRUE(json.ok()) << res->body;
    return json.ok() ? json->at(nlohmann::json::json_pointer(pointer)).get<std::string>() : "";
  }

  testing::TestServer server_;
  httplib::Client client_;
};

TEST_P(RedeemCodeTest, ACodeGivesOneCouponOnceAndItsKeyReplaysTheAnswer) {
  const std::string user = IdOf(
      Post("/api/v1/ingest/users", R"([{"external_id": "rc-1"}])", "integration"), "/results/0/id");
  const std::string tmpl =
      IdOf(Post("/api/v1/coupon-templates",
                R"({"name": "code 5 off", "terms": {"kind": "red_packet", "discount": "5.00"},
               "validity": {"use_days": 7}})",
                "operator"),
           "/id");
  const std::string batch = IdOf(Post("/api/v1/coupon-templates/" + tmpl + "/code-batches",
                                      R"({"name": "partner", "size": 2})", "operator"),
                                 "/id");
  auto csv = client_.Get("/api/v1/code-batches/" + batch + "/codes.csv",
                         {{"Authorization", "Bearer " + server_.vars().at("operator_key")}});
  ASSERT_TRUE(csv);
  ASSERT_EQ(csv->status, 200);
  std::istringstream lines(csv->body);
  std::string header, code;
  std::getline(lines, header);
  std::getline(lines, code);
  code = code.substr(0, code.find(','));
  ASSERT_FALSE(code.empty()) << csv->body;

  const std::string body = R"({"code": ")" + code + R"(", "user_id": ")" + user + R"("})";
  auto first = Post("/api/v1/coupons/redeem-code", body, "integration", "rc-key-1");
  ASSERT_TRUE(first);
  ASSERT_EQ(first->status, 201) << first->body;
  EXPECT_EQ(IdOf(first, "/template_id"), tmpl);
  EXPECT_EQ(IdOf(first, "/source"), "code");

  auto replay = Post("/api/v1/coupons/redeem-code", body, "integration", "rc-key-1");
  ASSERT_TRUE(replay);
  EXPECT_EQ(replay->status, 201);
  EXPECT_EQ(replay->body, first->body);
  EXPECT_EQ(replay->get_header_value("Idempotent-Replayed"), "true");

  auto again = Post("/api/v1/coupons/redeem-code", body, "integration", "rc-key-2");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << again->body;
  EXPECT_NE(again->body.find("code_already_redeemed"), std::string::npos) << again->body;

  auto wallet = client_.Get("/api/v1/users/" + user + "/coupons",
                            {{"Authorization", "Bearer " + server_.vars().at("operator_key")}});
  ASSERT_TRUE(wallet);
  auto items = core::ParseJson(wallet->body, {});
  ASSERT_TRUE(items.ok()) << wallet->body;
  EXPECT_EQ(items->at("items").size(), 1U) << wallet->body;
}

INSTANTIATE_TEST_SUITE_P(Backends, RedeemCodeTest,
                         ::testing::Values(testing::TestBackend::kSqlite,
                                           testing::TestBackend::kPostgres),
                         [](const auto& p) {
                           return p.param == testing::TestBackend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace shopcrm::contract
