// RFC 9457 problem details: the one place an Error becomes an HTTP response.
#pragma once

#include <string_view>

#include "api/http.h"
#include "core/error.h"

namespace shopcrm::api {

// The HTTP status for a code. One switch without default: a new ErrorCode
// that is not mapped here fails the build.
int HttpStatus(core::ErrorCode code);

// The problem `type` for a reason: "urn:shopcrm:problem:<reason>".
std::string ProblemType(std::string_view reason);

// application/problem+json with type, title, status, detail, instance,
// reason, request_id and errors[] (field, reason, detail). Internal errors
// show a generic detail; the real one goes to the log. `status`, when not 0,
// replaces the one the error's code maps to (the HTTP layer's 414, 431, 501).
Response ProblemResponse(const core::Error& error, std::string_view instance,
                         std::string_view request_id, int status = 0);

}  // namespace shopcrm::api
