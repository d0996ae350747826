// The features a segment filter may name, with their types and windows.
// Definitions are in docs/analytics.md; the engine (feature_index.cc) and the
// naive evaluator of the tests compute them independently.
#pragma once

#include <string_view>

#include "segments/filter.h"

namespace shopcrm::segments {

// The catalog of every feature the engine computes. Thread-safety: immutable.
const FieldCatalog& Features();

// The event type a behaviour-count feature counts ("cart_adds" -> "cart_add"),
// or empty when `field` is not one.
std::string_view EventTypeOf(std::string_view field);

}  // namespace shopcrm::segments
