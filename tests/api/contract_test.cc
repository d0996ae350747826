// Replays every tests/api/*.http file against a real server, on SQLite and
// on PostgreSQL. Each file gets a fresh database; cases in a file run in
// order and share cookies and captured variables.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "contract_file.h"
#include "testing/test_server.h"

namespace shopcrm::contract {
namespace {

std::vector<std::string> ContractFiles() {
  std::vector<std::string> out;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(SHOPCRM_SOURCE_DIR) + "/tests/api")) {
    if (e.path().extension() == ".http") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ContractTest
    : public ::testing::TestWithParam<std::tuple<std::string, testing::TestBackend>> {};

TEST_P(ContractTest, Replays) {
  const auto& [file, backend] = GetParam();
  std::string error;
  const auto cases =
      ParseCases(ReadAll(std::string(SHOPCRM_SOURCE_DIR) + "/tests/api/" + file), error);
  ASSERT_TRUE(error.empty()) << file << ": " << error;
  ASSERT_FALSE(cases.empty()) << file << " has no cases";

  testing::TestServer harness(backend);
  auto vars = harness.vars();
  std::map<std::string, std::string> cookies;
  httplib::Client client("127.0.0.1", harness.port());
  client.set_read_timeout(30, 0);

  for (const auto& c : cases) {
    SCOPED_TRACE(file + ":" + std::to_string(c.line) + " " + c.name);
    httplib::Headers headers;
    std::string content_type;
    for (const auto& [k, v] : c.headers) {
      if (k == "Content-Type") {
        content_type = Substitute(v, vars);
      } else {
        headers.emplace(k, Substitute(v, vars));
      }
    }
    std::string cookie_header;
    for (const auto& [k, v] : cookies)
      cookie_header += (cookie_header.empty() ? "" : "; ") + k + "=" + v;
    if (!cookie_header.empty() && headers.find("Cookie") == headers.end())
      headers.emplace("Cookie", cookie_header);
    const std::string target = Substitute(c.target, vars);
    const std::string body = Substitute(c.body, vars);

    httplib::Result res = [&] {
      if (c.method == "GET") return client.Get(target, headers);
      if (c.method == "DELETE") return client.Delete(target, headers, body, content_type);
      if (c.method == "POST") return client.Post(target, headers, body, content_type);
      if (c.method == "PUT") return client.Put(target, headers, body, content_type);
      if (c.method == "PATCH") return client.Patch(target, headers, body, content_type);
      if (c.method == "OPTIONS") return client.Options(target, headers);
      ADD_FAILURE() << "unsupported method " << c.method;
      return client.Get("/healthz");
    }();
    ASSERT_TRUE(res) << "no response: " << httplib::to_string(res.error());

    EXPECT_EQ(res->status, c.expect_status) << res->body;
    EXPECT_FALSE(res->get_header_value("X-Request-Id").empty());
    for (const auto& [k, v] : c.expect_headers) {
      EXPECT_EQ(res->get_header_value(k.c_str()), Substitute(v, vars)) << "header " << k;
    }
    for (size_t i = 0; i < res->get_header_value_count("Set-Cookie"); ++i) {
      const std::string sc = res->get_header_value("Set-Cookie", i);
      const size_t eq = sc.find('=');
      const size_t semi = sc.find(';');
      const std::string name = sc.substr(0, eq);
      const std::string value = sc.substr(eq + 1, semi - eq - 1);
      if (value.empty() || sc.find("Max-Age=0") != std::string::npos) {
        cookies.erase(name);
      } else {
        cookies[name] = value;
      }
    }
    core::Json actual;
    if (!res->body.empty() &&
        res->get_header_value("Content-Type").find("json") != std::string::npos) {
      auto parsed = core::ParseJson(res->body, {.max_bytes = 1 << 24, .max_depth = 64});
      ASSERT_TRUE(parsed.ok()) << "response is not JSON: " << res->body;
      actual = *parsed;
      if (res->status >= 400) {
        // Every error is a complete problem document.
        EXPECT_EQ(res->get_header_value("Content-Type"), "application/problem+json");
        EXPECT_EQ(Match(core::Json{{"type", "<string>"},
                                   {"title", "<string>"},
                                   {"status", res->status},
                                   {"detail", "<string>"},
                                   {"reason", "<string>"},
                                   {"request_id", res->get_header_value("X-Request-Id")}},
                        actual),
                  "");
      }
    }
    if (c.expect_body) {
      // Captured variables may appear inside expected strings.
      auto expected = core::ParseJson(Substitute(c.expect_body->dump(), vars),
                                      {.max_bytes = 1 << 24, .max_depth = 64});
      ASSERT_TRUE(expected.ok());
      EXPECT_EQ(Match(*expected, actual), "") << res->body;
    }
    for (const auto& [name, path] : c.captures) {
      auto v = Lookup(actual, path);
      ASSERT_TRUE(v && v->is_string())
          << "capture " << name << ": no string at " << path << " in " << res->body;
      vars[name] = v->get<std::string>();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Files, ContractTest,
                         ::testing::Combine(::testing::ValuesIn(ContractFiles()),
                                            ::testing::Values(testing::TestBackend::kSqlite,
                                                              testing::TestBackend::kPostgres)),
                         [](const auto& param_info) {
                           std::string name = std::get<0>(param_info.param);
                           name = name.substr(0, name.find('.'));
                           for (auto& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name + "_" +
                                  testing::TestBackendName(std::get<1>(param_info.param));
                         });

TEST(ContractFile, MatcherRejectsWhatItShould) {
  EXPECT_EQ(Match(core::Json{{"a", "<id>"}}, core::Json{{"a", "12"}}), "");
  EXPECT_NE(Match(core::Json{{"a", "<id>"}}, core::Json{{"a", 12}}), "");
  EXPECT_NE(Match(core::Json{{"a", 1}}, core::Json::object()), "");
  EXPECT_NE(Match(core::Json::array({1, 2}), core::Json::array({1})), "");
  EXPECT_NE(Match(core::Json{{"t", "<time>"}}, core::Json{{"t", "yesterday"}}), "");
  EXPECT_EQ(Match(core::Json{{"t", "<null-or-time>"}}, core::Json{{"t", nullptr}}), "");
}

}  // namespace
}  // namespace shopcrm::contract
