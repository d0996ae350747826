#include "contract_file.h"

#include <regex>
#include <sstream>

#include "core/clock.h"
#include "core/id.h"

namespace shopcrm::contract {
namespace {

std::string Trim(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

std::pair<std::string, std::string> SplitHeader(const std::string& line) {
  const size_t colon = line.find(':');
  return {Trim(line.substr(0, colon)), Trim(line.substr(colon + 1))};
}

}  // namespace

std::vector<Case> ParseCases(const std::string& text, std::string& error) {
  std::vector<Case> cases;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  enum class Part {
    kNone,
    kRequestLine,
    kHeaders,
    kBody,
    kStatus,
    kExpectHeaders,
    kExpectBody
  } part = Part::kNone;
  std::string expect_json;
  auto finish = [&]() -> bool {
    if (cases.empty()) return true;
    Case& c = cases.back();
    while (!c.body.empty() && (c.body.back() == '\n')) c.body.pop_back();
    if (c.body.starts_with("@repeat ")) {
      std::istringstream spec(c.body.substr(8));
      size_t count = 0;
      char ch = 'a';
      spec >> count >> ch;
      c.body.assign(count, ch);
    }
    const std::string trimmed = Trim(expect_json);
    if (!trimmed.empty()) {
      auto parsed = core::ParseJson(trimmed, {.max_bytes = 1 << 24, .max_depth = 64});
      if (!parsed.ok()) {
        error = "case '" + c.name + "': expected body is not JSON";
        return false;
      }
      c.expect_body = *parsed;
    }
    expect_json.clear();
    if (c.expect_status == 0) {
      error = "case '" + c.name + "' has no '--- expect' status";
      return false;
    }
    return true;
  };
  while (std::getline(in, line)) {
    ++n;
    if (line.starts_with("### ")) {
      if (!finish()) return {};
      cases.push_back({});
      cases.back().name = Trim(line.substr(4));
      cases.back().line = n;
      part = Part::kRequestLine;
      continue;
    }
    if (cases.empty()) continue;  // preamble comments
    Case& c = cases.back();
    if (line.starts_with("--- expect")) {
      part = Part::kStatus;
      continue;
    }
    if (line.starts_with("--- capture ")) {
      const std::string spec = line.substr(12);
      const size_t eq = spec.find('=');
      c.captures.emplace_back(Trim(spec.substr(0, eq)), Trim(spec.substr(eq + 1)));
      continue;
    }
    switch (part) {
      case Part::kNone:
        break;
      case Part::kRequestLine: {
        if (Trim(line).empty() || line.starts_with("#")) break;
        std::istringstream rl(line);
        rl >> c.method >> c.target;
        part = Part::kHeaders;
        break;
      }
      case Part::kHeaders:
        if (Trim(line).empty()) {
          part = Part::kBody;
        } else {
          c.headers.push_back(SplitHeader(line));
        }
        break;
      case Part::kBody:
        c.body += line + "\n";
        break;
      case Part::kStatus:
        if (Trim(line).empty()) break;
        c.expect_status = std::stoi(line);
        part = Part::kExpectHeaders;
        break;
      case Part::kExpectHeaders:
        if (Trim(line).empty()) {
          part = Part::kExpectBody;
        } else if (line.find(':') != std::string::npos && line.front() != '{' &&
                   line.front() != '[') {
          c.expect_headers.push_back(SplitHeader(line));
        } else {
          expect_json += line + "\n";
          part = Part::kExpectBody;
        }
        break;
      case Part::kExpectBody:
        expect_json += line + "\n";
        break;
    }
  }
  if (!finish()) return {};
  return cases;
}

std::string Substitute(const std::string& text, const std::map<std::string, std::string>& vars) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find("{{", i);
    if (open == std::string::npos) break;
    const size_t close = text.find("}}", open);
    if (close == std::string::npos) break;
    out += text.substr(i, open - i);
    const std::string name = text.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    out += it == vars.end() ? text.substr(open, close + 2 - open) : it->second;
    i = close + 2;
  }
  out += text.substr(i);
  return out;
}

std::string Match(const core::Json& expected, const core::Json& actual, const std::string& path) {
  if (expected.is_string()) {
    const auto& e = expected.get_ref<const std::string&>();
    if (e == "<any>") return "";
    if (e == "<string>")
      return actual.is_string() ? "" : path + ": expected a string, got " + actual.dump();
    if (e == "<id>") {
      return actual.is_string() && core::ParseId(actual.get<std::string>())
                 ? ""
                 : path + ": expected an id, got " + actual.dump();
    }
    if (e == "<time>" || e == "<null-or-time>") {
      if (e == "<null-or-time>" && actual.is_null()) return "";
      return actual.is_string() && core::ParseRfc3339(actual.get<std::string>()).ok()
                 ? ""
                 : path + ": expected a time, got " + actual.dump();
    }
  }
  if (expected.is_object()) {
    if (!actual.is_object()) return path + ": expected an object, got " + actual.dump();
    for (const auto& [k, v] : expected.items()) {
      if (!actual.contains(k)) return path + "." + k + ": missing";
      auto m = Match(v, actual.at(k), path + "." + k);
      if (!m.empty()) return m;
    }
    return "";
  }
  if (expected.is_array()) {
    if (!actual.is_array()) return path + ": expected an array, got " + actual.dump();
    if (actual.size() != expected.size()) {
      return path + ": expected " + std::to_string(expected.size()) + " items, got " +
             std::to_string(actual.size());
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      auto m = Match(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!m.empty()) return m;
    }
    return "";
  }
  return expected == actual ? ""
                            : path + ": expected " + expected.dump() + ", got " + actual.dump();
}

std::optional<core::Json> Lookup(const core::Json& j, const std::string& path) {
  const core::Json* cur = &j;
  std::istringstream parts(path);
  std::string part;
  while (std::getline(parts, part, '.')) {
    if (cur->is_array()) {
      const size_t idx = std::stoul(part);
      if (idx >= cur->size()) return std::nullopt;
      cur = &(*cur)[idx];
    } else if (cur->is_object() && cur->contains(part)) {
      cur = &cur->at(part);
    } else {
      return std::nullopt;
    }
  }
  return *cur;
}

}  // namespace shopcrm::contract
