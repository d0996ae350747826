// The stored form of Terms (coupon_templates.terms and
// coupon_template_versions.terms): JSON with amounts in minor units. Not the
// wire form, which the API layer owns.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.h"
#include "marketing/terms.h"

namespace shopcrm::marketing::internal {

std::string EncodeTerms(const Terms& t);
// Returns corrupt_terms (kInternal) when the stored text cannot be read.
core::Result<Terms> DecodeTerms(std::string_view text);

// Decoded terms by their stored text: a template version's text never
// changes, so a hit is always right. Checkout reads a wallet's terms on every
// request; this keeps that to a hash lookup. Bounded: emptied when full.
// Thread-safe.
class TermsCache final {
 public:
  core::Result<Terms> Decode(const std::string& text);

 private:
  static constexpr size_t kMaxEntries = 4096;
  std::mutex mu_;
  std::unordered_map<std::string, Terms> decoded_;
};

}  // namespace shopcrm::marketing::internal
