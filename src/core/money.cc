#include "core/money.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace shopcrm::core {
namespace {
// 128-bit intermediates keep total * weight exact for any int64 inputs.
__extension__ using Int128 = __int128;
}  // namespace

Result<Currency> Currency::Parse(std::string_view code) {
  const bool ok = code.size() == 3 && std::all_of(code.begin(), code.end(),
                                                  [](char c) { return c >= 'A' && c <= 'Z'; });
  if (!ok) {
    return InvalidArgument("invalid_currency", "currency must be a three-letter ISO 4217 code");
  }
  return Currency(code);
}

int Currency::minor_digits() const {
  const std::string_view c = code();
  return (c == "JPY" || c == "KRW" || c == "VND" || c == "CLP") ? 0 : 2;
}

Result<Money> Money::ParseDecimal(std::string_view text, Currency currency) {
  auto bad = [&] {
    return InvalidArgument("invalid_amount", "amount must be a decimal number with at most " +
                                                 std::to_string(currency.minor_digits()) +
                                                 " fractional digits");
  };
  if (text.empty()) return bad();
  bool negative = false;
  size_t i = 0;
  if (text[0] == '-') {
    negative = true;
    i = 1;
  }
  const int digits = currency.minor_digits();
  int64_t units = 0;
  int fraction_digits = -1;  // -1: no point seen yet
  bool any_digit = false;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (fraction_digits >= 0) return bad();
      fraction_digits = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad();
    any_digit = true;
    if (fraction_digits >= 0 && ++fraction_digits > digits) return bad();
    if (units > (kMax - (c - '0')) / 10) {
      return InvalidArgument("amount_overflow", "amount is too large");
    }
    units = units * 10 + (c - '0');
  }
  if (!any_digit) return bad();
  for (int k = std::max(fraction_digits, 0); k < digits; ++k) {
    if (units > kMax / 10) return InvalidArgument("amount_overflow", "amount is too large");
    units *= 10;
  }
  return Money(negative ? -units : units, currency);
}

std::string Money::ToDecimalString() const {
  const int digits = currency_.minor_digits();
  // Work in unsigned to print INT64_MIN correctly.
  const bool negative = minor_ < 0;
  const uint64_t magnitude =
      negative ? uint64_t{0} - static_cast<uint64_t>(minor_) : static_cast<uint64_t>(minor_);
  std::string s = std::to_string(magnitude);
  if (digits > 0) {
    const auto d = static_cast<size_t>(digits);
    if (s.size() <= d) s.insert(0, d + 1 - s.size(), '0');
    s.insert(s.size() - d, 1, '.');
  }
  if (negative) s.insert(0, 1, '-');
  return s;
}

Result<Money> Money::Add(const Money& other) const {
  if (!(currency_ == other.currency_)) {
    return InvalidArgument("currency_mismatch", "cannot add amounts in different currencies");
  }
  int64_t out = 0;
  if (__builtin_add_overflow(minor_, other.minor_, &out)) {
    return InvalidArgument("amount_overflow", "amount is too large");
  }
  return Money(out, currency_);
}

Result<Money> Money::Subtract(const Money& other) const {
  if (!(currency_ == other.currency_)) {
    return InvalidArgument("currency_mismatch", "cannot subtract amounts in different currencies");
  }
  int64_t out = 0;
  if (__builtin_sub_overflow(minor_, other.minor_, &out)) {
    return InvalidArgument("amount_overflow", "amount is too large");
  }
  return Money(out, currency_);
}

Result<std::vector<int64_t>> AllocateProportionally(int64_t total,
                                                    std::span<const int64_t> weights) {
  Int128 weight_sum = 0;
  for (int64_t w : weights) {
    if (w < 0) return InvalidArgument("invalid_weights", "weights must not be negative");
    weight_sum += w;
  }
  if (weights.empty() || weight_sum == 0) {
    return InvalidArgument("invalid_weights", "weights must have a positive sum");
  }
  const bool negative = total < 0;
  const Int128 magnitude = negative ? -static_cast<Int128>(total) : total;
  std::vector<int64_t> parts(weights.size());
  std::vector<std::pair<Int128, size_t>> remainders;
  remainders.reserve(weights.size());
  Int128 given = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    const Int128 exact = magnitude * weights[i];
    parts[i] = static_cast<int64_t>(exact / weight_sum);
    given += parts[i];
    remainders.emplace_back(exact % weight_sum, i);
  }
  std::stable_sort(remainders.begin(), remainders.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  auto left = static_cast<size_t>(magnitude - given);
  for (size_t k = 0; k < left; ++k) ++parts[remainders[k].second];
  if (negative) {
    for (auto& p : parts) p = -p;
  }
  return parts;
}

}  // namespace shopcrm::core
