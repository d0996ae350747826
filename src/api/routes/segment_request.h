// Reading the bodies of the segment routes: a filter (text or JSON form), an
// optional as_of, pivot dimensions and measure; time fields (the coupon routes
// read theirs here too); and quoting CSV fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/json.h"
#include "segments/feature_index.h"
#include "segments/filter.h"

namespace shopcrm::api {

struct FilterRequest {
  segments::Filter filter;
  std::optional<core::Instant> as_of;
};

// `filter` as text or JSON form: invalid_filter, or invalid_fields
// (must_be_filter) when it is neither a string nor an object.
core::Result<segments::Filter> ReadFilter(const core::Json& filter);

// {"filter": …, "as_of": …}: invalid_fields (filter, as_of) or invalid_filter.
core::Result<FilterRequest> ReadFilterRequest(const core::Json& body);

struct PivotRequest {
  segments::Filter filter;  // everyone when the body has none
  std::optional<core::Instant> as_of;
  std::vector<std::string> dimensions;
  std::optional<segments::Measure> measure;
};

// {"filter"?: …, "as_of"?: …, "dimensions": ["city", "lifecycle"], "sum"?: "spend(365d)"}.
core::Result<PivotRequest> ReadPivotRequest(const core::Json& body);

// A time field of a JSON body (RFC 3339): nullopt, with an error recorded
// in `r` (required / invalid_timestamp), when it is missing or bad.
std::optional<core::Instant> ReadTime(core::JsonObjectReader& r, std::string_view name,
                                      bool required);

// A CSV field: quoted when it holds a comma, quote or line break, and with a
// leading apostrophe when a spreadsheet would read it as a formula.
std::string CsvField(const std::string& value);

}  // namespace shopcrm::api
