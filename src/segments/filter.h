// Segment filters: the small language that describes a set of users, e.g.
//
//   orders(90d) >= 3 and spend(365d) >= 500 and city in ("上海", "北京")
//       and has_tag("vip") and not has_tag("blacklist")
//
// A filter has two external forms, text (typed by operators in the console)
// and JSON (built by the console's rule editor and stored with a segment).
// Both parse into one value-type tree, `Filter`, which the segment engine
// evaluates. Both forms are checked against a FieldCatalog with the same
// rules and give the same canonical tree (nested and/or of one kind are
// flattened: `a and (b and c)` is and[a, b, c]; a JSON and/or with a single
// condition is that condition). For every tree they accept,
// ParseFilter(FormatFilter(f)) == f and FilterFromJson(FilterToJson(f)) == f.
//
// Text grammar (keywords and, or, not, in, between, true, false and the
// window unit d are case-insensitive; field names and has_tag are lower case;
// whitespace is free between tokens):
//
//   expr      := or
//   or        := and ("or" and)*
//   and       := unary ("and" unary)*
//   unary     := "not" unary | "(" expr ")" | predicate
//   predicate := "has_tag" "(" string ")"
//              | field cmp value
//              | field ["not"] "in" "(" value ("," value)* ")"
//              | field "between" value "and" value        (inclusive)
//   field     := ident [ "(" integer "d" ")" ]              orders(90d)
//   cmp       := "=" | "!=" | "<" | "<=" | ">" | ">="
//   value     := number | string | true | false
//   number    := ["-"] digits ["." digits]
//   string    := double-quoted UTF-8 with the escapes \" and \\ only
//
// Rules (both forms):
// - The field must be in the catalog. A window (1 to 3650 days) only on a
//   `windowed` field, and always on a `window_required` one.
// - kCount, kDays, kNumber take whole numbers (int64). kMoney takes an
//   amount in major units with at most 2 decimals, at most
//   9999999999999.99 either way, held in the tree as minor units (x100).
//   kText takes strings, kBool true or false.
// - kText fields take =, !=, in, not in; kBool fields = and != only; the
//   others every operator. `in` lists hold 1 to 1000 values; `between`
//   needs low <= high.
// - has_tag takes a tag of 1 to 64 bytes.
// - Limits: at most 1000 conditions (predicates and has_tag), and/or/not
//   nested at most 64 deep, and the text (the canonical text, for JSON) at
//   most 65536 bytes. The text form also refuses parentheses and `not`
//   nested more than 64 deep.
//
// Errors: every failure is kInvalidArgument with reason `invalid_filter` and
// field errors (docs/errors.md lists them). For text there is exactly one,
// on field "filter", whose detail starts with the 1-based position in code
// points, not bytes: `at 23: expected a value after ">="`. Its reason is one
// of syntax_error, unknown_field (not in the catalog), invalid_window,
// operator_not_allowed, invalid_value, too_many_values, too_complex. JSON
// reports every bad part at once (at most 100), each on its path, such as
// "filter.and[2].value", with the same reasons (operator_not_allowed also
// for an unknown op, unknown_field also for an unexpected key) plus the
// usual ones for the shape: required, must_be_object, must_be_string,
// must_be_integer, must_be_array, too_long.
//
// Thread-safety: the functions are pure. A FieldCatalog is immutable after
// construction and may be shared by any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/json.h"

namespace shopcrm::segments {

enum class FieldType { kCount, kMoney, kDays, kNumber, kText, kBool };

struct FieldSpec {
  std::string name;  // [a-z_][a-z0-9_]*, not a keyword, not "has_tag"
  FieldType type = FieldType::kCount;
  bool windowed = false;         // takes an optional window: orders(90d)
  bool window_required = false;  // must have a window (implies windowed)
};

// The fields a filter may name. Thread-safety: immutable.
class FieldCatalog final {
 public:
  // Throws std::invalid_argument (a programming error: catalogs are written
  // in code) when a name is malformed, a keyword or repeated, or a field
  // requires a window without being windowed.
  explicit FieldCatalog(std::vector<FieldSpec> fields);

  // The field called `name`, or nullptr.
  const FieldSpec* Find(std::string_view name) const;
  const std::vector<FieldSpec>& fields() const { return fields_; }

 private:
  std::vector<FieldSpec> fields_;
};

enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kBetween };

// int64_t for kCount, kDays, kNumber and kMoney (minor units: 12.5 is 1250),
// std::string for kText, bool for kBool.
using Literal = std::variant<int64_t, std::string, bool>;

struct Predicate {
  std::string field;
  std::optional<int> window_days;
  Op op = Op::kEq;
  std::vector<Literal> values;  // 1 for =, !=, <, <=, >, >=; 2 for between; 1..1000 for in
  bool operator==(const Predicate&) const = default;
};

struct Filter {
  enum class Kind { kAnd, kOr, kNot, kPredicate, kHasTag };
  Kind kind = Kind::kPredicate;
  // kAnd, kOr: two or more, none of the node's own kind; kNot: exactly one.
  std::vector<Filter> children;
  Predicate predicate;  // kPredicate only
  std::string tag;      // kHasTag only
  bool operator==(const Filter&) const = default;
};

// Parses the text form. Returns invalid_filter (see above) when the text is
// not a valid filter over `catalog`.
core::Result<Filter> ParseFilter(std::string_view text, const FieldCatalog& catalog);

// The canonical text of `filter`: lower-case keywords, single spaces,
// parentheses only where needed, money in major units without trailing zeros
// (1250 -> 12.5), in lists as ("a", "b"). `filter` should be one ParseFilter
// or FilterFromJson could return; for any other tree the text is a best
// effort (never a crash) that may not parse back.
std::string FormatFilter(const Filter& filter, const FieldCatalog& catalog);

// The JSON form:
//   {"and": [...]}  {"or": [...]}  {"not": {...}}  {"has_tag": "vip"}
//   {"field": "orders", "window_days": 90, "op": ">=", "value": 3}
//   {"field": "city", "op": "in", "values": ["上海", "北京"]}
//   {"field": "spend", "window_days": 365, "op": "between", "values": [500, 1000]}
// op is one of = != < <= > >= in not_in between; "value" goes with the
// comparisons, "values" with in, not_in and between. Money is a JSON number
// in major units (12.5). Same contract as FormatFilter for `filter`.
core::Json FilterToJson(const Filter& filter, const FieldCatalog& catalog);

// Reads the JSON form. Returns invalid_filter (see above) with every
// problem found, each on its path from "filter".
core::Result<Filter> FilterFromJson(const core::Json& json, const FieldCatalog& catalog);

}  // namespace shopcrm::segments
