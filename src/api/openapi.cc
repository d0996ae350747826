#include "api/server.h"
#include "core/embedded_file.h"

namespace shopcrm::api {

std::span<const core::EmbeddedFile> OpenApiFiles();  // generated from openapi.json

std::string_view OpenApiDocument() { return OpenApiFiles().front().contents; }

}  // namespace shopcrm::api
