// The JSON forms of the ingestion records (docs/api.md, "Ingestion"), shared
// by the HTTP batch endpoints and the NDJSON file importer.
//
// Money travels as decimal strings in major units ("12.30"), instants as
// RFC 3339, ids as strings. A record that does not parse comes back as an
// Incoming whose `record` holds the error (invalid_fields with every bad
// field), so the batch reports it as rejected.
#pragma once

#include <string_view>
#include <vector>

#include "core/json.h"
#include "profiles/records.h"

namespace shopcrm::profiles {

Incoming<StoreRecord> StoreFromJson(const core::Json& j);
Incoming<CategoryRecord> CategoryFromJson(const core::Json& j);
Incoming<ProductRecord> ProductFromJson(const core::Json& j);
Incoming<UserRecord> UserFromJson(const core::Json& j);
Incoming<OrderRecord> OrderFromJson(const core::Json& j);
Incoming<OrderUpdateRecord> OrderUpdateFromJson(const core::Json& j);
Incoming<EventRecord> EventFromJson(const core::Json& j);

// Splits a batch body into its records: a JSON array, or NDJSON (one JSON
// value per line; blank lines skipped). A line that is not JSON becomes an
// error in its slot so it is reported as rejected without failing the rest.
// Returns the body-level error (invalid_json, body_not_array,
// batch_too_large) when the whole body is unusable.
core::Result<std::vector<core::Result<core::Json>>> SplitBatch(std::string_view body, bool ndjson,
                                                               const core::JsonLimits& limits,
                                                               size_t max_records);

// The JSON answer for a batch (per-record results and counts). With
// `problems_only`, accepted records are left out of "results".
core::Json BatchResultJson(const BatchResult& result, bool problems_only);

}  // namespace shopcrm::profiles
