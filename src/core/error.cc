#include "core/error.h"

namespace shopcrm::core {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid_argument";
    case ErrorCode::kUnauthenticated:
      return "unauthenticated";
    case ErrorCode::kPermissionDenied:
      return "permission_denied";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kMethodNotAllowed:
      return "method_not_allowed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kFailedPrecondition:
      return "failed_precondition";
    case ErrorCode::kResourceExhausted:
      return "resource_exhausted";
    case ErrorCode::kPayloadTooLarge:
      return "payload_too_large";
    case ErrorCode::kUnsupportedMediaType:
      return "unsupported_media_type";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "internal";
}

std::string Error::ToString() const {
  std::string out(ErrorCodeName(code_));
  out += '/';
  out += reason_;
  out += ": ";
  out += detail_;
  for (const auto& f : fields_) {
    out += " [";
    out += f.field;
    out += ": ";
    out += f.reason;
    out += ']';
  }
  return out;
}

Error InvalidArgument(std::string reason, std::string detail, std::vector<FieldError> fields) {
  return {ErrorCode::kInvalidArgument, std::move(reason), std::move(detail), std::move(fields)};
}
Error InvalidFields(std::string reason, std::vector<FieldError> fields) {
  std::string detail = fields.size() == 1 ? fields[0].field + ": " + fields[0].detail
                                          : std::to_string(fields.size()) + " fields are invalid";
  return {ErrorCode::kInvalidArgument, std::move(reason), std::move(detail), std::move(fields)};
}

Error NotFound(std::string reason, std::string detail) {
  return {ErrorCode::kNotFound, std::move(reason), std::move(detail)};
}
Error Conflict(std::string reason, std::string detail) {
  return {ErrorCode::kConflict, std::move(reason), std::move(detail)};
}
Error Internal(std::string detail) {
  return {ErrorCode::kInternal, "internal_error", std::move(detail)};
}
Error Unavailable(std::string reason, std::string detail) {
  return {ErrorCode::kUnavailable, std::move(reason), std::move(detail)};
}

}  // namespace shopcrm::core
