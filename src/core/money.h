// Money: an exact integer count of minor units (fen for CNY) plus an ISO 4217
// currency code. Never a double. Arithmetic is checked: overflow and currency
// mismatch are errors, not silent wrap-around.
//
// Thread-safety: a value type.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace shopcrm::core {

class Currency final {
 public:
  // Returns invalid_currency unless `code` is three upper-case ASCII letters.
  static Result<Currency> Parse(std::string_view code);
  static Currency Cny() { return Currency("CNY"); }

  std::string_view code() const { return {code_.data(), 3}; }
  // Digits after the decimal point: 0 for JPY, KRW, VND and CLP, 2 otherwise.
  int minor_digits() const;
  bool operator==(const Currency&) const = default;

 private:
  explicit Currency(std::string_view code) { code.copy(code_.data(), 3); }
  std::array<char, 3> code_{};
};

class Money final {
 public:
  Money(int64_t minor_units, Currency currency) : minor_(minor_units), currency_(currency) {}
  static Money Zero(Currency currency) { return {0, currency}; }

  // Parses a decimal amount in major units ("12.3", "-0.05", "100"); more
  // fractional digits than the currency has is invalid_amount, never rounded.
  static Result<Money> ParseDecimal(std::string_view text, Currency currency);

  int64_t minor_units() const { return minor_; }
  Currency currency() const { return currency_; }
  bool is_negative() const { return minor_ < 0; }

  // "12.30" (no currency symbol).
  std::string ToDecimalString() const;

  // Checked: currency_mismatch or amount_overflow.
  Result<Money> Add(const Money& other) const;
  Result<Money> Subtract(const Money& other) const;

  bool operator==(const Money&) const = default;

 private:
  int64_t minor_;
  Currency currency_;
};

// Splits `total` minor units across parts in proportion to `weights` (all
// >= 0, sum > 0) so the parts sum exactly to `total`. Rounding: each part gets
// the floor of its exact share; the units left over go one each to the parts
// with the largest remainders, ties to the lower index. Used for discount
// allocation across order items. Returns invalid_weights on bad input.
Result<std::vector<int64_t>> AllocateProportionally(int64_t total,
                                                    std::span<const int64_t> weights);

}  // namespace shopcrm::core
