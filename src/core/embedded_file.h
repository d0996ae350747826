// A file compiled into the binary (migrations, the OpenAPI document); see
// cmake/EmbedFiles.cmake. Contents live in static storage for the program's life.
#pragma once

#include <span>
#include <string_view>

namespace shopcrm::core {

struct EmbeddedFile {
  std::string_view name;
  std::string_view contents;
};

}  // namespace shopcrm::core
