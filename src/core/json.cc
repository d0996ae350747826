#include "core/json.h"

namespace shopcrm::core {

namespace {

// Depth of the deepest nesting, scanning outside strings; O(n) and cheap, so
// a hostile "[[[[…" body is refused before the recursive parser sees it.
int MaxDepth(std::string_view text, int limit) {
  int depth = 0;
  int max_depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > max_depth) {
          max_depth = depth;
          if (max_depth > limit) return max_depth;
        }
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return max_depth;
}

std::string_view TypeName(const Json& j) { return j.type_name(); }

}  // namespace

Result<Json> ParseJson(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Error(ErrorCode::kPayloadTooLarge, "json_too_large",
                 "JSON body exceeds " + std::to_string(limits.max_bytes) + " bytes");
  }
  if (MaxDepth(text, limits.max_depth) > limits.max_depth) {
    return InvalidArgument("json_too_deep",
                           "JSON nesting exceeds " + std::to_string(limits.max_depth) + " levels");
  }
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    return InvalidArgument("invalid_json",
                           "body is not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
}

std::string DumpJson(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

JsonObjectReader::JsonObjectReader(const Json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {
  if (!object_.is_object()) {
    errors_.push_back({prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1),
                       "must_be_object", "expected a JSON object"});
  }
}

const Json* JsonObjectReader::Find(std::string_view name, bool required) {
  seen_.emplace(name);
  if (!object_.is_object()) return nullptr;
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) {
    if (required) AddError(Path(name), "required", "this field is required");
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> JsonObjectReader::RequiredString(std::string_view name, size_t max_len) {
  const Json* v = Find(name, true);
  if (v == nullptr) return std::nullopt;
  if (!v->is_string()) {
    AddError(Path(name), "must_be_string", "expected a string, got " + std::string(TypeName(*v)));
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    AddError(Path(name), "too_long", "at most " + std::to_string(max_len) + " bytes");
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> JsonObjectReader::OptionalString(std::string_view name, size_t max_len) {
  const Json* v = Find(name, false);
  if (v == nullptr) return std::nullopt;
  seen_.emplace(name);
  if (!v->is_string()) {
    AddError(Path(name), "must_be_string", "expected a string, got " + std::string(TypeName(*v)));
    return std::nullopt;
  }
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) {
    AddError(Path(name), "too_long", "at most " + std::to_string(max_len) + " bytes");
    return std::nullopt;
  }
  return s;
}

std::optional<int64_t> JsonObjectReader::RequiredInt(std::string_view name) {
  const Json* v = Find(name, true);
  if (v == nullptr) return std::nullopt;
  if (!v->is_number_integer()) {
    AddError(Path(name), "must_be_integer",
             "expected an integer, got " + std::string(TypeName(*v)));
    return std::nullopt;
  }
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
    AddError(Path(name), "out_of_range", "integer is out of range");
    return std::nullopt;
  }
  return v->get<int64_t>();
}

std::optional<int64_t> JsonObjectReader::OptionalInt(std::string_view name) {
  const Json* v = Find(name, false);
  if (v == nullptr) return std::nullopt;
  return RequiredInt(name);
}

std::optional<bool> JsonObjectReader::OptionalBool(std::string_view name) {
  const Json* v = Find(name, false);
  if (v == nullptr) return std::nullopt;
  if (!v->is_boolean()) {
    AddError(Path(name), "must_be_boolean",
             "expected true or false, got " + std::string(TypeName(*v)));
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<std::string> JsonObjectReader::RequiredEnum(
    std::string_view name, const std::vector<std::string_view>& allowed) {
  auto s = RequiredString(name);
  if (!s) return std::nullopt;
  for (auto a : allowed) {
    if (a == *s) return s;
  }
  std::string list;
  for (auto a : allowed) {
    if (!list.empty()) list += ", ";
    list += a;
  }
  AddError(Path(name), "not_allowed", "must be one of: " + list);
  return std::nullopt;
}

void JsonObjectReader::AddError(std::string field, std::string reason, std::string detail) {
  errors_.push_back({std::move(field), std::move(reason), std::move(detail)});
}

Status JsonObjectReader::Finish(bool strict) {
  if (strict && object_.is_object()) {
    for (const auto& [key, value] : object_.items()) {
      if (!seen_.contains(key))
        AddError(Path(key), "unknown_field", "this field is not accepted here");
    }
  }
  if (errors_.empty()) return Status::Ok();
  return InvalidFields("invalid_fields", errors_);
}

}  // namespace shopcrm::core
