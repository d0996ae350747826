#include "api/routes/segment_request.h"

#include <charconv>

#include "segments/catalog.h"

namespace shopcrm::api {
namespace {

// Everyone: a filter no user fails (orders are never negative).
segments::Filter Everyone() {
  segments::Filter f;
  f.predicate.field = "orders";
  f.predicate.op = segments::Op::kGe;
  f.predicate.values = {int64_t{0}};
  return f;
}

}  // namespace

std::optional<core::Instant> ReadTime(core::JsonObjectReader& r, std::string_view name,
                                      bool required) {
  auto text = required ? r.RequiredString(name, 64) : r.OptionalString(name, 64);
  if (!text) return std::nullopt;
  auto t = core::ParseRfc3339(*text);
  if (t.ok()) return *t;
  r.AddError(r.Path(name), "invalid_timestamp", "must be an RFC 3339 time");
  return std::nullopt;
}

core::Result<segments::Filter> ReadFilter(const core::Json& filter) {
  segments::Filter out;
  if (filter.is_string()) {
    SHOPCRM_ASSIGN_OR_RETURN(
        out, segments::ParseFilter(filter.get<std::string>(), segments::Features()));
  } else if (filter.is_object()) {
    SHOPCRM_ASSIGN_OR_RETURN(out, segments::FilterFromJson(filter, segments::Features()));
  } else {
    return core::InvalidFields("invalid_fields", {{"filter", "must_be_filter",
                                                   "must be the filter's text or its JSON form"}});
  }
  SHOPCRM_RETURN_IF_ERROR(segments::CheckValues(out));
  return out;
}

core::Result<FilterRequest> ReadFilterRequest(const core::Json& body) {
  core::JsonObjectReader r(body);
  const core::Json* filter = r.Value("filter", /*required=*/true);
  FilterRequest out;
  out.as_of = ReadTime(r, "as_of", false);
  if (filter != nullptr && !filter->is_string() && !filter->is_object()) {
    r.AddError("filter", "must_be_filter", "must be the filter's text or its JSON form");
    filter = nullptr;
  }
  SHOPCRM_RETURN_IF_ERROR(r.Finish());
  if (filter == nullptr) return core::Internal("filter missing after validation");
  SHOPCRM_ASSIGN_OR_RETURN(out.filter, ReadFilter(*filter));
  return out;
}

core::Result<PivotRequest> ReadPivotRequest(const core::Json& body) {
  core::JsonObjectReader r(body);
  const core::Json* filter = r.Value("filter");
  const core::Json* dimensions = r.Value("dimensions", /*required=*/true);
  auto sum = r.OptionalString("sum", 64);
  PivotRequest out;
  out.as_of = ReadTime(r, "as_of", false);
  if (dimensions != nullptr) {
    if (!dimensions->is_array()) {
      r.AddError("dimensions", "must_be_array", "a list of one or two dimension names");
    } else {
      for (const auto& d : *dimensions) {
        if (!d.is_string()) {
          r.AddError("dimensions", "must_be_string", "dimension names are strings");
          break;
        }
        out.dimensions.push_back(d.get<std::string>());
      }
    }
  }
  if (sum) {
    // name or name(Nd)
    segments::Measure m;
    const auto open = sum->find('(');
    m.field = sum->substr(0, open);
    bool ok = !m.field.empty();
    if (open != std::string::npos) {
      const std::string w = sum->substr(open + 1);
      int days = 0;
      const auto res = std::from_chars(w.data(), w.data() + w.size(), days);
      ok = ok && res.ec == std::errc() && std::string_view(res.ptr) == "d)";
      m.window_days = days;
    }
    if (ok) {
      out.measure = m;
    } else {
      r.AddError("sum", "invalid_measure",
                 "a numeric feature, optionally with a window: spend(365d)");
    }
  }
  SHOPCRM_RETURN_IF_ERROR(r.Finish());
  if (filter != nullptr) {
    SHOPCRM_ASSIGN_OR_RETURN(out.filter, ReadFilter(*filter));
  } else {
    out.filter = Everyone();
  }
  return out;
}

std::string CsvField(const std::string& value) {
  std::string v = value;
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace shopcrm::api
