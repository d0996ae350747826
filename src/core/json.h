// JSON adapters: parsing with size and depth limits that returns errors as
// values (never throws into callers), and small typed readers that collect
// every bad field at once for RFC 9457 `errors`.
//
// nlohmann::json appears in core/ and api/ headers and in .cc files below
// them; domain headers take plain structs instead.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace shopcrm::core {

using Json = nlohmann::json;

struct JsonLimits {
  size_t max_bytes = 1 << 20;  // 1 MiB
  int max_depth = 32;
};

// Returns payload_too_large (json_too_large), json_too_deep, or invalid_json
// with the byte offset of the syntax error.
Result<Json> ParseJson(std::string_view text, const JsonLimits& limits = {});

// Serialises without throwing: invalid UTF-8 in strings is replaced.
std::string DumpJson(const Json& j);

// Reads fields of one JSON object, recording a FieldError for each missing or
// ill-typed field; `Finish` fails with all of them (invalid_fields) and also
// rejects fields it was never asked about (unknown_field) when `strict`.
class JsonObjectReader final {
 public:
  // `prefix` is prepended to field names in errors ("items[0].").
  explicit JsonObjectReader(const Json& object, std::string prefix = "");

  bool is_object() const { return object_.is_object(); }

  std::optional<std::string> RequiredString(std::string_view name, size_t max_len = 1024);
  std::optional<std::string> OptionalString(std::string_view name, size_t max_len = 1024);
  std::optional<int64_t> RequiredInt(std::string_view name);
  std::optional<int64_t> OptionalInt(std::string_view name);
  std::optional<bool> OptionalBool(std::string_view name);
  // A string that must be one of `allowed`.
  std::optional<std::string> RequiredEnum(std::string_view name,
                                          const std::vector<std::string_view>& allowed);

  // The raw value of a field (any type), marked as read; null when absent or
  // JSON null (and, if `required`, a "required" error is recorded).
  const Json* Value(std::string_view name, bool required = false) { return Find(name, required); }
  // The field's path in errors ("items[0].price").
  std::string Path(std::string_view name) const { return prefix_ + std::string(name); }
  // Records a custom error against a field (e.g. a semantic rule).
  void AddError(std::string field, std::string reason, std::string detail);
  bool has_errors() const { return !errors_.empty(); }

  Status Finish(bool strict = true);

 private:
  const Json* Find(std::string_view name, bool required);

  const Json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> seen_;
  std::vector<FieldError> errors_;
};

}  // namespace shopcrm::core
