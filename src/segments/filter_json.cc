// The JSON form of filters (see filter.h). The rules are shared with the
// text form through internal/filter_rules.h.
#include "segments/filter.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "segments/internal/filter_rules.h"

namespace shopcrm::segments {

using internal::AppendFlat;
using internal::Quote;

namespace {

using core::Json;

// Indexed by Op.
constexpr std::string_view kJsonOps[] = {"=",  "!=", "<",      "<=",     ">",
                                         ">=", "in", "not_in", "between"};

std::string_view OpJson(Op op) { return kJsonOps[static_cast<size_t>(op)]; }

Json ValueJson(const Literal& v, const FieldSpec* spec) {
  if (const auto* n = std::get_if<int64_t>(&v)) {
    if (spec == nullptr || spec->type != FieldType::kMoney) return *n;
    // Whole amounts as integers; the rest as the double nearest the amount,
    // which reads back exactly below kMaxMoneyMinor.
    if (*n % 100 == 0) return *n / 100;
    return static_cast<double>(*n) / 100;
  }
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return std::get<bool>(v);
}

// Reads a filter object by object, collecting every problem (up to a cap)
// instead of stopping at the first, as the other JSON readers do.
class JsonReader final {
 public:
  explicit JsonReader(const FieldCatalog& catalog) : catalog_(catalog) {}

  std::optional<Filter> Read(const Json& j, const std::string& path, int depth) {
    if (!j.is_object()) {
      Add(path, "must_be_object", "expected a condition object such as {\"has_tag\": \"vip\"}");
      return std::nullopt;
    }
    core::JsonObjectReader r(j, path + ".");
    std::optional<Filter> out;
    if (j.contains("and") || j.contains("or")) {
      out = Group(r, j.contains("and") ? Filter::Kind::kAnd : Filter::Kind::kOr, depth);
    } else if (j.contains("not")) {
      const Json* child = r.Value("not", true);
      if (depth >= internal::kMaxDepth) {
        r.AddError(r.Path("not"), "too_complex", "nested deeper than 64 levels");
      } else if (child != nullptr) {
        std::optional<Filter> c = Read(*child, r.Path("not"), depth + 1);
        if (c) {
          out.emplace();
          out->kind = Filter::Kind::kNot;
          out->children.push_back(std::move(*c));
        }
      }
    } else if (j.contains("has_tag")) {
      out = HasTag(r);
    } else if (j.contains("field")) {
      out = Where(r);
    } else {
      Add(path, "required", "a condition has one of the keys and, or, not, has_tag, field");
      return std::nullopt;
    }
    core::Status st = r.Finish(/*strict=*/true);
    if (!st.ok()) {
      for (const core::FieldError& e : st.error().fields()) Add(e.field, e.reason, e.detail);
      return std::nullopt;
    }
    return out;
  }

  const std::vector<core::FieldError>& errors() const { return errors_; }

 private:
  void Add(std::string field, std::string_view reason, std::string detail) {
    if (errors_.size() < kMaxErrors) {
      errors_.push_back({std::move(field), std::string(reason), std::move(detail)});
    }
  }

  // A condition, counted against the limit.
  bool Count(core::JsonObjectReader& r, std::string_view key) {
    if (++predicates_ == internal::kMaxPredicates + 1) {
      r.AddError(r.Path(key), "too_complex", "more than 1000 conditions");
    }
    return predicates_ <= internal::kMaxPredicates;
  }

  std::optional<Filter> Group(core::JsonObjectReader& r, Filter::Kind kind, int depth) {
    const std::string key = kind == Filter::Kind::kAnd ? "and" : "or";
    const Json* list = r.Value(key, true);
    if (list == nullptr) return std::nullopt;
    if (depth >= internal::kMaxDepth) {
      r.AddError(r.Path(key), "too_complex", "nested deeper than 64 levels");
      return std::nullopt;
    }
    if (!list->is_array() || list->empty()) {
      r.AddError(r.Path(key), "must_be_array", "expected a non-empty array of conditions");
      return std::nullopt;
    }
    Filter group;
    group.kind = kind;
    bool ok = true;
    for (size_t i = 0; i < list->size(); ++i) {
      std::optional<Filter> c =
          Read((*list)[i], r.Path(key) + "[" + std::to_string(i) + "]", depth + 1);
      if (c) {
        AppendFlat(group, std::move(*c));
      } else {
        ok = false;
      }
    }
    if (!ok) return std::nullopt;
    // The text form cannot say and[x]: it is x.
    if (group.children.size() == 1) return std::move(group.children.front());
    return group;
  }

  std::optional<Filter> HasTag(core::JsonObjectReader& r) {
    std::optional<std::string> tag =
        r.RequiredString("has_tag", std::numeric_limits<size_t>::max());
    if (!Count(r, "has_tag") || !tag) return std::nullopt;
    if (auto problem = internal::TagProblem(*tag)) {
      r.AddError(r.Path("has_tag"), "invalid_value", std::move(*problem));
      return std::nullopt;
    }
    if (!internal::IsValidUtf8(*tag)) {
      r.AddError(r.Path("has_tag"), "invalid_value", "the tag is not valid UTF-8");
      return std::nullopt;
    }
    Filter f;
    f.kind = Filter::Kind::kHasTag;
    f.tag = std::move(*tag);
    return f;
  }

  std::optional<Filter> Where(core::JsonObjectReader& r) {
    std::optional<std::string> name = r.RequiredString("field", 256);
    const std::optional<int64_t> window = r.OptionalInt("window_days");
    const std::optional<std::string> op_name = r.RequiredString("op", 16);
    const Json* value = r.Value("value");
    const Json* values = r.Value("values");
    if (!Count(r, "field") || !name) return std::nullopt;
    const FieldSpec* spec = catalog_.Find(*name);
    if (spec == nullptr) {
      r.AddError(r.Path("field"), "unknown_field", "unknown field " + Quote(*name));
      return std::nullopt;
    }
    Filter f;
    Predicate& p = f.predicate;
    p.field = spec->name;
    if (window && !spec->windowed) {
      r.AddError(r.Path("window_days"), "invalid_window", internal::WindowNotAllowed(spec->name));
    } else if (window && (*window < 1 || *window > internal::kMaxWindowDays)) {
      r.AddError(r.Path("window_days"), "invalid_window", internal::WindowOutOfRange());
    } else if (window) {
      p.window_days = static_cast<int>(*window);
    } else if (spec->window_required && !r.Value("window_days")) {
      r.AddError(r.Path("window_days"), "invalid_window", internal::WindowRequired(spec->name));
    }
    if (!op_name) return std::nullopt;
    const auto* op = std::find(std::begin(kJsonOps), std::end(kJsonOps), *op_name);
    if (op == std::end(kJsonOps)) {
      r.AddError(r.Path("op"), "operator_not_allowed",
                 "unknown operator " + Quote(*op_name) +
                     ": use =, !=, <, <=, >, >=, in, not_in or between");
      return std::nullopt;
    }
    p.op = static_cast<Op>(op - std::begin(kJsonOps));
    if (auto problem = internal::OpProblem(*spec, p.op)) {
      r.AddError(r.Path("op"), "operator_not_allowed", std::move(*problem));
    }
    const bool single = internal::IsComparison(p.op);
    const std::string_view wanted = single ? "value" : "values";
    if (single ? values != nullptr : value != nullptr) {
      r.AddError(r.Path(single ? "values" : "value"), "unknown_field",
                 Quote(OpJson(p.op)) + " takes \"" + std::string(wanted) + "\"");
    }
    const Json* given = single ? value : values;
    if (given == nullptr) {
      r.AddError(r.Path(wanted), "required", "this field is required");
    } else if (single) {
      ReadValue(r, *spec, *given, r.Path("value"), p.values);
    } else if (!given->is_array()) {
      r.AddError(r.Path("values"), "must_be_array", "expected an array of values");
    } else if (p.op == Op::kBetween && given->size() != 2) {
      r.AddError(r.Path("values"), "invalid_value", "between takes two values, low and high");
    } else if (given->empty()) {
      r.AddError(r.Path("values"), "invalid_value", "expected at least one value");
    } else if (given->size() > internal::kMaxListValues) {
      r.AddError(r.Path("values"), "too_many_values", "at most 1000 values in a list");
    } else {
      for (size_t i = 0; i < given->size(); ++i) {
        ReadValue(r, *spec, (*given)[i], r.Path("values") + "[" + std::to_string(i) + "]",
                  p.values);
      }
      if (p.op == Op::kBetween && p.values.size() == 2) {
        if (auto problem = internal::BetweenProblem(p.values[0], p.values[1])) {
          r.AddError(r.Path("values"), "invalid_value", std::move(*problem));
        }
      }
    }
    if (r.has_errors()) return std::nullopt;
    return f;
  }

  static void ReadValue(core::JsonObjectReader& r, const FieldSpec& spec, const Json& v,
                        std::string path, std::vector<Literal>& out) {
    internal::RawValue raw;
    if (v.is_string()) {
      raw.kind = internal::RawValue::Kind::kString;
      raw.text = v.get<std::string>();
      if (!internal::IsValidUtf8(raw.text)) {
        r.AddError(std::move(path), "invalid_value", "the string is not valid UTF-8");
        return;
      }
    } else if (v.is_boolean()) {
      raw.kind = internal::RawValue::Kind::kBool;
      raw.flag = v.get<bool>();
    } else if (v.is_number_unsigned()) {
      raw.kind = internal::RawValue::Kind::kNumber;
      raw.text = std::to_string(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      raw.kind = internal::RawValue::Kind::kNumber;
      raw.text = std::to_string(v.get<int64_t>());
    } else if (v.is_number_float()) {
      raw.kind = internal::RawValue::Kind::kFloat;
      raw.number = v.get<double>();
    }
    internal::Converted c = internal::ConvertValue(spec, raw);
    if (!c.value) {
      r.AddError(std::move(path), "invalid_value", std::move(c.problem));
      return;
    }
    out.push_back(std::move(*c.value));
  }

  static constexpr size_t kMaxErrors = 100;
  const FieldCatalog& catalog_;
  size_t predicates_ = 0;
  std::vector<core::FieldError> errors_;
};

}  // namespace

Json FilterToJson(const Filter& filter, const FieldCatalog& catalog) {
  switch (filter.kind) {
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr: {
      Json list = Json::array();
      for (const Filter& c : filter.children) list.push_back(FilterToJson(c, catalog));
      return {{filter.kind == Filter::Kind::kAnd ? "and" : "or", std::move(list)}};
    }
    case Filter::Kind::kNot:
      return {{"not", filter.children.empty() ? Json::object()
                                              : FilterToJson(filter.children.front(), catalog)}};
    case Filter::Kind::kHasTag:
      return {{"has_tag", filter.tag}};
    case Filter::Kind::kPredicate:
      break;
  }
  const Predicate& p = filter.predicate;
  const FieldSpec* spec = catalog.Find(p.field);
  Json j = {{"field", p.field}, {"op", OpJson(p.op)}};
  if (p.window_days) j["window_days"] = *p.window_days;
  if (internal::IsComparison(p.op)) {
    j["value"] = p.values.empty() ? Json() : ValueJson(p.values.front(), spec);
  } else {
    Json list = Json::array();
    for (const Literal& v : p.values) list.push_back(ValueJson(v, spec));
    j["values"] = std::move(list);
  }
  return j;
}

core::Result<Filter> FilterFromJson(const Json& json, const FieldCatalog& catalog) {
  JsonReader reader(catalog);
  std::optional<Filter> f = reader.Read(json, "filter", 0);
  if (!reader.errors().empty() || !f) {
    return core::InvalidFields("invalid_filter", reader.errors());
  }
  // The JSON form holds no more than the text form can say.
  if (FormatFilter(*f, catalog).size() > internal::kMaxTextBytes) {
    return core::InvalidFields(
        "invalid_filter",
        {{"filter", "too_complex", "the filter's text form is longer than 65536 bytes"}});
  }
  return std::move(*f);
}

}  // namespace shopcrm::segments
