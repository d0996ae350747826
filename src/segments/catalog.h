// The features a segment filter may name, with their types and windows.
// Definitions are in docs/analytics.md; the engine (feature_index.cc) and the
// naive evaluator of the tests compute them independently.
#pragma once

#include <string_view>

#include "core/error.h"
#include "segments/filter.h"

namespace shopcrm::segments {

// The catalog of every feature the engine computes. Thread-safety: immutable.
const FieldCatalog& Features();

// Checks the values of the features with a closed set of values (lifecycle,
// rfm_cell, pareto_tier): returns invalid_filter with an invalid_value field
// error on "filter" naming the feature and its values.
core::Status CheckValues(const Filter& filter);

// The event type a behaviour-count feature counts ("cart_adds" -> "cart_add"),
// or empty when `field` is not one.
std::string_view EventTypeOf(std::string_view field);

}  // namespace shopcrm::segments
