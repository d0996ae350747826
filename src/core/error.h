// The one error vocabulary of shopcrm.
//
// A failure a caller must branch on is a value: `Status` (no payload) or
// `Result<T>` (a T or an Error). An Error carries a closed `ErrorCode` (which
// alone decides the HTTP status, see api/problem.cc), a stable snake_case
// `reason` slug (the problem `type`; every slug is listed in docs/errors.md),
// a `detail` that is safe to show to the caller, and per-field errors.
//
// Thread-safety: values; no shared state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace shopcrm::core {

// Closed set. Adding a code without mapping it in api/problem.cc fails the build.
enum class ErrorCode {
  kInvalidArgument,     // the request is malformed or a field is invalid
  kUnauthenticated,     // no or bad credentials
  kPermissionDenied,    // credentials fine, role lacks the right
  kNotFound,            // the addressed thing does not exist
  kMethodNotAllowed,    // the path exists, the method does not
  kConflict,            // a unique key or a concurrent change collided
  kFailedPrecondition,  // the state of the system forbids the operation
  kResourceExhausted,   // a rate or quota limit
  kPayloadTooLarge,     // body or JSON beyond its limit
  kUnsupportedMediaType,
  kUnavailable,  // a dependency (database) is down; retry later
  kInternal,     // a broken invariant; details only in the log
};

std::string_view ErrorCodeName(ErrorCode code);

struct FieldError {
  std::string field;   // JSON pointer-ish path: "items[2].price"
  std::string reason;  // snake_case slug: "required", "must_be_positive"
  std::string detail;  // human text
  bool operator==(const FieldError&) const = default;
};

class Error final {
 public:
  Error(ErrorCode code, std::string reason, std::string detail, std::vector<FieldError> fields = {})
      : code_(code),
        reason_(std::move(reason)),
        detail_(std::move(detail)),
        fields_(std::move(fields)) {}

  ErrorCode code() const { return code_; }
  const std::string& reason() const { return reason_; }
  const std::string& detail() const { return detail_; }
  const std::vector<FieldError>& fields() const { return fields_; }

  // For kResourceExhausted / kUnavailable: when a retry may succeed; becomes
  // the Retry-After header.
  Error& WithRetryAfter(int seconds) {
    retry_after_seconds_ = seconds;
    return *this;
  }
  std::optional<int> retry_after_seconds() const { return retry_after_seconds_; }

  // "code/reason: detail" for logs.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string reason_;
  std::string detail_;
  std::vector<FieldError> fields_;
  std::optional<int> retry_after_seconds_;
};

// Shorthands for the common codes.
Error InvalidArgument(std::string reason, std::string detail, std::vector<FieldError> fields = {});
// kInvalidArgument naming the bad fields; the detail is built from them
// ("name: must be 1 to 100 bytes", or "3 fields are invalid").
Error InvalidFields(std::string reason, std::vector<FieldError> fields);
Error NotFound(std::string reason, std::string detail);
Error Conflict(std::string reason, std::string detail);
Error Internal(std::string detail);
Error Unavailable(std::string reason, std::string detail);

class [[nodiscard]] Status final {
 public:
  Status() = default;                                // OK
  Status(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  static Status Ok() { return {}; }
  bool ok() const { return !error_.has_value(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

template <typename T>
class [[nodiscard]] Result final {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const Error& error() const& { return std::get<Error>(v_); }
  Error&& error() && { return std::get<Error>(std::move(v_)); }
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace shopcrm::core

#define SHOPCRM_CONCAT_INNER_(a, b) a##b
#define SHOPCRM_CONCAT_(a, b) SHOPCRM_CONCAT_INNER_(a, b)

// Propagates a failed Status / Result out of the enclosing function.
#define SHOPCRM_RETURN_IF_ERROR(expr) \
  SHOPCRM_RETURN_IF_ERROR_IMPL_(SHOPCRM_CONCAT_(shopcrm_status_, __LINE__), expr)
#define SHOPCRM_RETURN_IF_ERROR_IMPL_(tmp, expr)  \
  do {                                            \
    auto tmp = (expr);                            \
    if (!tmp.ok()) return std::move(tmp).error(); \
  } while (false)

// Declares `lhs` from a Result, or returns its error.
#define SHOPCRM_ASSIGN_OR_RETURN(lhs, expr) \
  SHOPCRM_ASSIGN_OR_RETURN_IMPL_(SHOPCRM_CONCAT_(shopcrm_result_, __LINE__), lhs, expr)
#define SHOPCRM_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return std::move(tmp).error();        \
  lhs = std::move(tmp).value()
