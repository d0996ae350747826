// The contract file format (tests/api/*.http):
//
//   ### a case's name
//   METHOD /path?query
//   Header: value            (any number; {{var}} is substituted)
//                            (blank line)
//   body…                    (optional; "@repeat N c" makes N bytes of c)
//   --- expect
//   STATUS
//   Header: value            (optional: must match exactly)
//                            (blank line, optional)
//   expected JSON            (optional; subset match, see below)
//   --- capture NAME = a.b.c (optional, repeatable: saves a JSON string for {{NAME}})
//
// Matching: every key of an expected object must be in the actual object and
// match; arrays must have the same length and match item by item; strings
// "<any>", "<string>", "<id>" (decimal id string), "<time>" (RFC 3339) and
// "<null-or-time>" match by kind; everything else must be equal.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/json.h"

namespace shopcrm::contract {

struct Case {
  std::string name;
  int line = 0;
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int expect_status = 0;
  std::vector<std::pair<std::string, std::string>> expect_headers;
  std::optional<core::Json> expect_body;
  std::vector<std::pair<std::string, std::string>> captures;  // name, path
};

// Parses a file; a malformed file yields an error string.
std::vector<Case> ParseCases(const std::string& text, std::string& error);

// Replaces {{name}} with vars[name]; unknown names are left as they are.
std::string Substitute(const std::string& text, const std::map<std::string, std::string>& vars);

// Empty when `actual` matches `expected`; else where and why not.
std::string Match(const core::Json& expected, const core::Json& actual,
                  const std::string& path = "$");

// Follows "a.b.0.c" into `j`.
std::optional<core::Json> Lookup(const core::Json& j, const std::string& path);

}  // namespace shopcrm::contract
