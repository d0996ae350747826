#include "api/problem.h"

namespace shopcrm::api {

int HttpStatus(core::ErrorCode code) {
  switch (code) {
    case core::ErrorCode::kInvalidArgument:
      return 400;
    case core::ErrorCode::kUnauthenticated:
      return 401;
    case core::ErrorCode::kPermissionDenied:
      return 403;
    case core::ErrorCode::kNotFound:
      return 404;
    case core::ErrorCode::kMethodNotAllowed:
      return 405;
    case core::ErrorCode::kConflict:
      return 409;
    case core::ErrorCode::kFailedPrecondition:
      return 422;
    case core::ErrorCode::kResourceExhausted:
      return 429;
    case core::ErrorCode::kPayloadTooLarge:
      return 413;
    case core::ErrorCode::kUnsupportedMediaType:
      return 415;
    case core::ErrorCode::kUnavailable:
      return 503;
    case core::ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

std::string ProblemType(std::string_view reason) {
  return "urn:shopcrm:problem:" + std::string(reason);
}

Response ProblemResponse(const core::Error& error, std::string_view instance,
                         std::string_view request_id, int status) {
  if (status == 0) status = HttpStatus(error.code());
  core::Json body = {
      {"type", ProblemType(error.reason())},
      {"title", StatusReason(status)},
      {"status", status},
      {"detail", status == 500 ? "an internal error occurred; quote the request id to support"
                               : error.detail()},
      {"instance", instance},
      {"reason", error.reason()},
      {"request_id", request_id},
  };
  if (!error.fields().empty()) {
    core::Json fields = core::Json::array();
    for (const auto& f : error.fields()) {
      fields.push_back({{"field", f.field}, {"reason", f.reason}, {"detail", f.detail}});
    }
    body["errors"] = std::move(fields);
  }
  Response r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = core::DumpJson(body);
  if (auto after = error.retry_after_seconds())
    r.headers.emplace_back("Retry-After", std::to_string(*after));
  return r;
}

}  // namespace shopcrm::api
