// What task and medal codes share: 1 to 40 of a-z, 0-9 and _.
#pragma once

#include <regex>
#include <string>
#include <vector>

#include "core/error.h"

namespace shopcrm::membership::internal {

// Appends the error of a bad `code` to `errors`; true when it is good.
inline bool CheckCode(const std::string& code, std::vector<core::FieldError>& errors) {
  static const std::regex kCode("[a-z0-9_]{1,40}");
  if (std::regex_match(code, kCode)) return true;
  errors.push_back({"code", "invalid", "1 to 40 of a-z, 0-9 and _"});
  return false;
}

}  // namespace shopcrm::membership::internal
