// The field catalog and the rules that the text form (filter_text.cc) and
// the JSON form (filter_json.cc) share.
#include "segments/filter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

#include "segments/internal/filter_rules.h"

namespace shopcrm::segments {
namespace internal {

namespace {

constexpr std::string_view kKeywords[] = {"and", "or", "not", "in", "between", "true", "false"};

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           const auto lower = [](char c) {
             return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
           };
           return lower(x) == lower(y);
         });
}

bool IsKeyword(std::string_view word) {
  return std::any_of(std::begin(kKeywords), std::end(kKeywords),
                     [&](std::string_view k) { return EqualsIgnoreCase(word, k); });
}

size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  size_t n = 0;
  unsigned char lo = 0x80;  // bounds of the second byte refuse overlong forms and surrogates
  unsigned char hi = 0xBF;
  if (b >= 0xC2 && b <= 0xDF) {
    n = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    n = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    n = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

bool IsValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = Utf8SequenceLength(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kIn:
      return "in";
    case Op::kNotIn:
      return "not in";
    case Op::kBetween:
      return "between";
  }
  return "=";
}

bool IsComparison(Op op) { return op != Op::kIn && op != Op::kNotIn && op != Op::kBetween; }

DecimalResult ParseDecimal(std::string_view text, int scale) {
  size_t i = 0;
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) i = 1;
  // The magnitude may reach 2^63 when negative so that INT64_MIN parses.
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  uint64_t magnitude = 0;
  int fraction_digits = -1;  // -1: no point yet
  bool any_digit = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.' && fraction_digits < 0 && any_digit) {
      fraction_digits = 0;
      continue;
    }
    if (!IsDigit(c)) return {0, DecimalResult::kMalformed};
    any_digit = true;
    if (fraction_digits >= 0 && ++fraction_digits > scale) {
      return {0, DecimalResult::kTooManyDecimals};
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) return {0, DecimalResult::kOutOfRange};
    magnitude = magnitude * 10 + digit;
  }
  if (!any_digit || fraction_digits == 0) return {0, DecimalResult::kMalformed};
  for (int k = std::max(fraction_digits, 0); k < scale; ++k) {
    if (magnitude > limit / 10) return {0, DecimalResult::kOutOfRange};
    magnitude *= 10;
  }
  const int64_t value = negative ? static_cast<int64_t>(0 - magnitude)  // wraps to INT64_MIN
                                 : static_cast<int64_t>(magnitude);
  return {value, DecimalResult::kOk};
}

std::string WindowNotAllowed(std::string_view field) {
  return "window not allowed for " + Quote(field);
}
std::string WindowRequired(std::string_view field) {
  return Quote(field) + " needs a window, e.g. " + std::string(field) + "(30d)";
}
std::string WindowOutOfRange() {
  return "the window must be 1 to " + std::to_string(kMaxWindowDays) + " days";
}

std::optional<std::string> OpProblem(const FieldSpec& spec, Op op) {
  const std::string not_allowed = Quote(OpText(op)) + " is not allowed for " + Quote(spec.name);
  if (spec.type == FieldType::kText &&
      !(op == Op::kEq || op == Op::kNe || op == Op::kIn || op == Op::kNotIn)) {
    return not_allowed + " (text fields take =, !=, in and not in)";
  }
  if (spec.type == FieldType::kBool && !(op == Op::kEq || op == Op::kNe)) {
    return not_allowed + " (true/false fields take = and !=)";
  }
  return std::nullopt;
}

std::optional<std::string> BetweenProblem(const Literal& low, const Literal& high) {
  const auto* lo = std::get_if<int64_t>(&low);
  const auto* hi = std::get_if<int64_t>(&high);
  if (lo != nullptr && hi != nullptr && *lo > *hi) {
    return "between needs the low end first: it is greater than the high end";
  }
  return std::nullopt;
}

std::optional<std::string> TagProblem(std::string_view tag) {
  if (tag.empty()) return "the tag must not be empty";
  if (tag.size() > kMaxTagBytes) return "a tag is at most 64 bytes";
  return std::nullopt;
}

Converted ConvertValue(const FieldSpec& spec, const RawValue& raw) {
  const std::string field = Quote(spec.name);
  switch (spec.type) {
    case FieldType::kText:
      if (raw.kind == RawValue::Kind::kString) return {raw.text, {}};
      return {std::nullopt, field + " takes a string"};
    case FieldType::kBool:
      if (raw.kind == RawValue::Kind::kBool) return {raw.flag, {}};
      return {std::nullopt, field + " takes true or false"};
    case FieldType::kMoney: {
      const std::string decimals = field + " takes an amount with at most 2 decimals, e.g. 12.5";
      const std::string range = "amounts are at most 9999999999999.99 either way";
      int64_t minor = 0;
      if (raw.kind == RawValue::Kind::kNumber) {
        const DecimalResult d = ParseDecimal(raw.text, 2);
        if (d.status == DecimalResult::kTooManyDecimals || d.status == DecimalResult::kMalformed) {
          return {std::nullopt, decimals};
        }
        if (d.status == DecimalResult::kOutOfRange) return {std::nullopt, range};
        minor = d.value;
      } else if (raw.kind == RawValue::Kind::kFloat) {
        // A JSON number: accepted when it is the double nearest to some
        // amount in minor units, which is exact below 1e13 (15 significant digits).
        if (!std::isfinite(raw.number) || std::fabs(raw.number) >= 1e13) {
          return {std::nullopt, range};
        }
        minor = std::llround(raw.number * 100);
        if (static_cast<double>(minor) / 100 != raw.number) return {std::nullopt, decimals};
      } else {
        return {std::nullopt, decimals};
      }
      if (minor > kMaxMoneyMinor || minor < -kMaxMoneyMinor) return {std::nullopt, range};
      return {minor, {}};
    }
    case FieldType::kCount:
    case FieldType::kDays:
    case FieldType::kNumber: {
      const std::string whole = field + " takes a whole number";
      if (raw.kind != RawValue::Kind::kNumber) return {std::nullopt, whole};
      const DecimalResult d = ParseDecimal(raw.text, 0);
      if (d.status == DecimalResult::kOutOfRange) return {std::nullopt, "number out of range"};
      if (d.status != DecimalResult::kOk) return {std::nullopt, whole};
      return {d.value, {}};
    }
  }
  return {std::nullopt, "unknown field type"};
}

int Depth(const Filter& f) {
  int d = 0;
  for (const Filter& c : f.children) d = std::max(d, Depth(c));
  return f.kind == Filter::Kind::kAnd || f.kind == Filter::Kind::kOr || f.kind == Filter::Kind::kNot
             ? d + 1
             : d;
}

void AppendFlat(Filter& group, Filter child) {
  if (child.kind == group.kind) {
    for (Filter& c : child.children) group.children.push_back(std::move(c));
  } else {
    group.children.push_back(std::move(child));
  }
}

}  // namespace internal

using internal::IsDigit;
using internal::IsKeyword;
using internal::IsNameStart;

FieldCatalog::FieldCatalog(std::vector<FieldSpec> fields) : fields_(std::move(fields)) {
  for (size_t i = 0; i < fields_.size(); ++i) {
    const FieldSpec& f = fields_[i];
    const bool ident = !f.name.empty() && IsNameStart(f.name[0]) &&
                       std::all_of(f.name.begin(), f.name.end(),
                                   [](char c) { return IsNameStart(c) || IsDigit(c); });
    if (!ident || IsKeyword(f.name) || f.name == "has_tag") {
      throw std::invalid_argument("segment field name not usable in filters: " + f.name);
    }
    if (f.window_required && !f.windowed) {
      throw std::invalid_argument("segment field requires a window but is not windowed: " + f.name);
    }
    for (size_t k = 0; k < i; ++k) {
      if (fields_[k].name == f.name) {
        throw std::invalid_argument("segment field listed twice: " + f.name);
      }
    }
  }
}

const FieldSpec* FieldCatalog::Find(std::string_view name) const {
  for (const FieldSpec& f : fields_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace shopcrm::segments
