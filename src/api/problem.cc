#include "api/problem.h"

namespace shopcrm::api {
namespace {

std::string_view Title(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return "Internal Server Error";
  }
}

}  // namespace

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
                         std::string_view request_id) {
  const int status = HttpStatus(error.code());
  core::Json body = {
      {"type", ProblemType(error.reason())},
      {"title", Title(status)},
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
