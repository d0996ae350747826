// docs/errors.md lists every error reason the code can produce, and nothing
// else. Reasons are found in the sources as the slug argument of the error
// constructors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

namespace {

std::string ReadAll(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> ReasonsInCode() {
  // InvalidArgument("x", …), NotFound("x", …), Conflict("x", …), Unavailable("x", …),
  // InvalidFields("x", …), Error(ErrorCode::kY, "x", …) and {ErrorCode::kY, "x", …}.
  static const std::regex kCall(
      R"((?:InvalidArgument|NotFound|Conflict|Unavailable|InvalidFields)\(\s*"([a-z0-9_]+)\")"
      R"(|ErrorCode::k[A-Za-z]+,\s*"([a-z0-9_]+)\")"
      R"(|reason = "([a-z0-9_]+)\")"
      R"(|"([a-z0-9_]+_not_found)\")");
  std::set<std::string> out;
  for (const auto& e :
       std::filesystem::recursive_directory_iterator(std::string(SHOPCRM_SOURCE_DIR) + "/src")) {
    const auto name = e.path().filename().string();
    if (!e.is_regular_file() || name.ends_with("_test.cc") ||
        e.path().string().find("/testing/") != std::string::npos) {
      continue;
    }
    if (e.path().extension() != ".cc" && e.path().extension() != ".h") continue;
    const std::string text = ReadAll(e.path());
    for (std::sregex_iterator it(text.begin(), text.end(), kCall), end; it != end; ++it) {
      for (size_t g = 1; g < it->size(); ++g) {
        if ((*it)[g].matched) out.insert((*it)[g].str());
      }
    }
  }
  return out;
}

std::set<std::string> ReasonsInDoc() {
  // Table rows: | `reason` | status | …
  static const std::regex kRow(R"(^\| `([a-z0-9_]+)` \|)");
  std::set<std::string> out;
  std::istringstream in(ReadAll(std::string(SHOPCRM_SOURCE_DIR) + "/docs/errors.md"));
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, kRow)) out.insert(m[1].str());
  }
  return out;
}

TEST(ErrorsDoc, ListsExactlyTheReasonsTheCodeProduces) {
  const auto code = ReasonsInCode();
  const auto doc = ReasonsInDoc();
  ASSERT_GT(code.size(), 20U) << "the scan found too few reasons; is the regex broken?";
  for (const auto& r : code) EXPECT_TRUE(doc.contains(r)) << "docs/errors.md lacks `" << r << "`";
  for (const auto& r : doc)
    EXPECT_TRUE(code.contains(r)) << "docs/errors.md lists `" << r << "` but no code makes it";
}

}  // namespace
