// The rules of the filter language that its two readers share, so that the
// text form (filter.cc) and the JSON form (filter_json.cc) accept the same
// trees and say the same thing about the same mistake. Messages carry no
// position or path: each reader adds its own. Not for other modules.
//
// Thread-safety: pure functions and constants.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "segments/filter.h"

namespace shopcrm::segments::internal {

inline constexpr size_t kMaxTextBytes = 65536;
inline constexpr int kMaxDepth = 64;  // and/or/not levels; also ( and not in the text
inline constexpr size_t kMaxPredicates = 1000;
inline constexpr size_t kMaxListValues = 1000;
inline constexpr size_t kMaxTagBytes = 64;
inline constexpr int kMaxWindowDays = 3650;
// Money stays below 1e13 yuan so that a JSON number (a double) holds it exactly.
inline constexpr int64_t kMaxMoneyMinor = 999'999'999'999'999;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }
// [a-z_], the first character of a field name.
inline bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || c == '_'; }
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// and, or, not, in, between, true, false in any case.
bool IsKeyword(std::string_view word);
// Bytes in the UTF-8 sequence starting at s[i], or 0 when it is not valid
// (truncated, overlong, surrogate, beyond U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i);
bool IsValidUtf8(std::string_view s);
// A string literal of the text form: "..." with " and \ escaped.
std::string Quote(std::string_view s);
// The operator as the text form spells it: "=", "not in", "between".
std::string_view OpText(Op op);
// =, !=, <, <=, >, >= (one value), as opposed to in, not in, between.
bool IsComparison(Op op);

// Parses ["-"] digits ["." digits] into an integer scaled by 10^scale, over
// the whole int64 range.
struct DecimalResult {
  int64_t value = 0;
  enum Status { kOk, kMalformed, kTooManyDecimals, kOutOfRange } status = kOk;
};
DecimalResult ParseDecimal(std::string_view text, int scale);

// A value as written, before the field's type gives it a meaning.
struct RawValue {
  enum class Kind { kNumber, kFloat, kString, kBool, kOther } kind = Kind::kOther;
  std::string text;   // kNumber: the digits as written; kString: the decoded string
  double number = 0;  // kFloat: a JSON number with a fraction or exponent
  bool flag = false;  // kBool
};
struct Converted {
  std::optional<Literal> value;  // set on success
  std::string problem;           // otherwise
};
// The literal `raw` stands for in a predicate on `spec`.
Converted ConvertValue(const FieldSpec& spec, const RawValue& raw);

std::string WindowNotAllowed(std::string_view field);
std::string WindowRequired(std::string_view field);
std::string WindowOutOfRange();
// Why `op` cannot be used on `spec`'s type, if it cannot.
std::optional<std::string> OpProblem(const FieldSpec& spec, Op op);
std::optional<std::string> BetweenProblem(const Literal& low, const Literal& high);
std::optional<std::string> TagProblem(std::string_view tag);

// and/or/not levels on the longest path from `f` down.
int Depth(const Filter& f);
// Adds `child` to an and/or `group`, splicing in its children when it is a
// group of the same kind (the canonical tree is flat).
void AppendFlat(Filter& group, Filter child);

}  // namespace shopcrm::segments::internal
