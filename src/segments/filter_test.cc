#include "segments/filter.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/json.h"

namespace shopcrm::segments {

const FieldCatalog& Catalog() {
  static const FieldCatalog catalog({
      {"orders", FieldType::kCount, true, false},
      {"spend", FieldType::kMoney, true, false},
      {"recency", FieldType::kDays, false, false},
      {"city", FieldType::kText, false, false},
      {"lifecycle", FieldType::kText, false, false},
      {"member", FieldType::kBool, false, false},
      {"age", FieldType::kNumber, false, false},
      {"cart_adds", FieldType::kCount, true, true},
  });
  return catalog;
}

// Shows the tree's shape on failure (FormatFilter alone hides flattening).
void PrintTo(const Filter& f, std::ostream* os) {
  switch (f.kind) {
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr:
    case Filter::Kind::kNot:
      *os << (f.kind == Filter::Kind::kAnd ? "and[" : f.kind == Filter::Kind::kOr ? "or[" : "not[");
      for (size_t i = 0; i < f.children.size(); ++i) {
        if (i > 0) *os << ", ";
        PrintTo(f.children[i], os);
      }
      *os << "]";
      return;
    case Filter::Kind::kPredicate:
    case Filter::Kind::kHasTag:
      *os << "{" << FormatFilter(f, Catalog()) << "}";
      return;
  }
}

namespace {

using core::Json;

Filter P(std::string field, std::optional<int> window, Op op, std::vector<Literal> values) {
  Filter f;
  f.predicate = {std::move(field), window, op, std::move(values)};
  return f;
}
Filter Tag(std::string tag) {
  Filter f;
  f.kind = Filter::Kind::kHasTag;
  f.tag = std::move(tag);
  return f;
}
Filter Group(Filter::Kind kind, std::vector<Filter> children) {
  Filter f;
  f.kind = kind;
  f.children = std::move(children);
  return f;
}
Filter And(std::vector<Filter> c) { return Group(Filter::Kind::kAnd, std::move(c)); }
Filter Or(std::vector<Filter> c) { return Group(Filter::Kind::kOr, std::move(c)); }
Filter Not(Filter c) { return Group(Filter::Kind::kNot, {std::move(c)}); }
Literal I(int64_t v) { return v; }
Literal S(std::string v) { return v; }

Filter MustParse(std::string_view text) {
  auto r = ParseFilter(text, Catalog());
  EXPECT_TRUE(r.ok()) << text << " -> " << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? std::move(r).value() : Filter{};
}

// The one field error of a failed parse, as "reason|detail".
std::string ParseError(std::string_view text) {
  auto r = ParseFilter(text, Catalog());
  if (r.ok()) return "parsed as: " + FormatFilter(*r, Catalog());
  const core::Error& e = r.error();
  EXPECT_EQ(e.code(), core::ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.reason(), "invalid_filter");
  if (e.fields().size() != 1) return "fields: " + std::to_string(e.fields().size());
  EXPECT_EQ(e.fields()[0].field, "filter");
  return e.fields()[0].reason + "|" + e.fields()[0].detail;
}

// Every field error of a failed JSON read, as "path|reason|detail" lines.
std::vector<std::string> JsonErrors(const Json& j) {
  auto r = FilterFromJson(j, Catalog());
  if (r.ok()) return {"parsed as: " + FormatFilter(*r, Catalog())};
  EXPECT_EQ(r.error().reason(), "invalid_filter");
  std::vector<std::string> out;
  for (const auto& f : r.error().fields()) out.push_back(f.field + "|" + f.reason + "|" + f.detail);
  return out;
}

Filter MustReadJson(std::string_view json_text) {
  auto r = FilterFromJson(Json::parse(json_text), Catalog());
  EXPECT_TRUE(r.ok()) << json_text << " -> " << (r.ok() ? "" : r.error().ToString());
  return r.ok() ? std::move(r).value() : Filter{};
}

TEST(FieldCatalog, RefusesNamesTheLanguageCannotSay) {
  using Specs = std::vector<FieldSpec>;
  EXPECT_THROW(FieldCatalog(Specs{{"Orders", FieldType::kCount, false, false}}),
               std::invalid_argument);
  EXPECT_THROW(FieldCatalog(Specs{{"between", FieldType::kCount, false, false}}),
               std::invalid_argument);
  EXPECT_THROW(FieldCatalog(Specs{{"has_tag", FieldType::kText, false, false}}),
               std::invalid_argument);
  EXPECT_THROW(FieldCatalog(Specs{{"a", FieldType::kText, false, false},
                                  {"a", FieldType::kCount, false, false}}),
               std::invalid_argument);
  EXPECT_THROW(FieldCatalog(Specs{{"visits", FieldType::kCount, false, true}}),
               std::invalid_argument);
  EXPECT_NE(Catalog().Find("cart_adds"), nullptr);
  EXPECT_EQ(Catalog().Find("cart"), nullptr);
}

TEST(ParseFilter, ReadsTheExampleIntoItsTree) {
  const Filter f =
      MustParse(R"(lifecycle in ("new","rising") and orders(90d) >= 3 and spend(365d) >= 500 and )"
                R"(city in ("上海","北京") and has_tag("vip") and not has_tag("blacklist") and )"
                R"(cart_adds(7d) > 0)");
  const Filter want = And({
      P("lifecycle", {}, Op::kIn, {S("new"), S("rising")}),
      P("orders", 90, Op::kGe, {I(3)}),
      P("spend", 365, Op::kGe, {I(50000)}),
      P("city", {}, Op::kIn, {S("上海"), S("北京")}),
      Tag("vip"),
      Not(Tag("blacklist")),
      P("cart_adds", 7, Op::kGt, {I(0)}),
  });
  EXPECT_EQ(f, want);
  EXPECT_EQ(FormatFilter(f, Catalog()),
            R"(lifecycle in ("new", "rising") and orders(90d) >= 3 and spend(365d) >= 500 and )"
            R"(city in ("上海", "北京") and has_tag("vip") and not has_tag("blacklist") and )"
            R"(cart_adds(7d) > 0)");
}

TEST(ParseFilter, NotBindsTighterThanAndWhichBindsTighterThanOr) {
  const Filter a = P("orders", {}, Op::kGt, {I(1)});
  const Filter b = P("age", {}, Op::kLt, {I(30)});
  const Filter c = Tag("vip");
  EXPECT_EQ(MustParse(R"(orders > 1 or age < 30 and has_tag("vip"))"), Or({a, And({b, c})}));
  EXPECT_EQ(MustParse(R"(orders > 1 and age < 30 or has_tag("vip"))"), Or({And({a, b}), c}));
  EXPECT_EQ(MustParse(R"(not orders > 1 and age < 30)"), And({Not(a), b}));
  EXPECT_EQ(MustParse(R"(not (orders > 1 and age < 30))"), Not(And({a, b})));
  EXPECT_EQ(MustParse(R"((orders > 1 or age < 30) and has_tag("vip"))"), And({Or({a, b}), c}));
  EXPECT_EQ(MustParse(R"(not not has_tag("vip"))"), Not(Not(c)));
  EXPECT_EQ(MustParse("((( orders > 1 )))"), a);
}

TEST(ParseFilter, FlattensNestedGroupsOfOneKind) {
  const Filter a = P("orders", {}, Op::kGt, {I(1)});
  const Filter b = P("age", {}, Op::kLt, {I(30)});
  const Filter c = Tag("vip");
  const Filter d = Tag("new");
  EXPECT_EQ(MustParse(R"(orders > 1 and (age < 30 and has_tag("vip")))"), And({a, b, c}));
  EXPECT_EQ(MustParse(R"((orders > 1 or age < 30) or (has_tag("vip") or has_tag("new")))"),
            Or({a, b, c, d}));
  EXPECT_EQ(MustParse(R"(orders > 1 and (age < 30 or has_tag("vip")) and has_tag("new"))"),
            And({a, Or({b, c}), d}));
}

TEST(ParseFilter, KeywordsAndTheWindowUnitIgnoreCase) {
  EXPECT_EQ(MustParse(R"(orders(90D) >= 1 AND city NOT IN ("x") Or member = TRUE aNd )"
                      R"(spend BETWEEN 1 And 2 or NOT member != False)"),
            MustParse(R"(orders(90d) >= 1 and city not in ("x") or member = true and )"
                      R"(spend between 1 and 2 or not member != false)"));
  // Field names are not keywords: they are lower case only.
  EXPECT_EQ(ParseError("Orders > 1"), R"(unknown_field|at 1: unknown field "Orders")");
}

TEST(ParseFilter, MoneyIsHeldInMinorUnits) {
  const auto money = [](std::string_view text) {
    const Filter f = MustParse("spend = " + std::string(text));
    return f.predicate.values.empty() ? Literal{} : f.predicate.values[0];
  };
  EXPECT_EQ(money("500"), I(50000));
  EXPECT_EQ(money("12.5"), I(1250));
  EXPECT_EQ(money("12.50"), I(1250));
  EXPECT_EQ(money("0.01"), I(1));
  EXPECT_EQ(money("-3.25"), I(-325));
  EXPECT_EQ(money("9999999999999.99"), I(999'999'999'999'999));
  EXPECT_EQ(ParseError("spend = 12.345"),
            R"(invalid_value|at 9: "spend" takes an amount with at most 2 decimals, e.g. 12.5)");
  EXPECT_EQ(ParseError("spend = 10000000000000"),
            "invalid_value|at 9: amounts are at most 9999999999999.99 either way");
  EXPECT_EQ(
      FormatFilter(P("spend", {}, Op::kIn, {I(50000), I(1250), I(1), I(-5), I(0)}), Catalog()),
      "spend in (500, 12.5, 0.01, -0.05, 0)");
}

TEST(ParseFilter, BetweenIsInclusiveAndNeedsLowFirst) {
  EXPECT_EQ(MustParse("orders(30d) between 1 and 5"), P("orders", 30, Op::kBetween, {I(1), I(5)}));
  EXPECT_EQ(MustParse("spend between 5 and 5"), P("spend", {}, Op::kBetween, {I(500), I(500)}));
  EXPECT_EQ(
      ParseError("orders between 5 and 1"),
      "invalid_value|at 16: between needs the low end first: it is greater than the high end");
  EXPECT_EQ(ParseError("orders between 1 5"),
            R"(syntax_error|at 18: expected "and" after the low end of between)");
}

TEST(ParseFilter, ReadsNotIn) {
  EXPECT_EQ(MustParse(R"(city not in ("上海", "a\"b\\c"))"),
            P("city", {}, Op::kNotIn, {S("上海"), S("a\"b\\c")}));
  EXPECT_EQ(ParseError("orders not = 1"), R"(syntax_error|at 12: expected "in" after "not")");
}

TEST(ParseFilter, ErrorsSayWhereAndWhatWasExpected) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "syntax_error|at 1: expected a condition"},
      {"true", "syntax_error|at 1: expected a condition"},
      {"ordrs > 1", R"(unknown_field|at 1: unknown field "ordrs")"},
      {"orders >", R"(syntax_error|at 9: expected a value after ">")"},
      {"orders(90d) >= ", R"(syntax_error|at 16: expected a value after ">=")"},
      {R"(orders >= 3 and city(7d) = "x")",
       R"(invalid_window|at 21: window not allowed for "city")"},
      {R"(city = "abc)", "syntax_error|at 8: unterminated string"},
      {"cart_adds > 0", R"(invalid_window|at 11: "cart_adds" needs a window, e.g. cart_adds(30d))"},
      {"orders(0d) > 1", "invalid_window|at 8: the window must be 1 to 3650 days"},
      {"orders(3651d) > 1", "invalid_window|at 8: the window must be 1 to 3650 days"},
      {"orders(1.5d) > 1", "invalid_window|at 8: the window must be 1 to 3650 days"},
      {"orders(d) > 1", "syntax_error|at 8: expected the window in days, e.g. orders(30d)"},
      {"orders(90) > 1", R"(syntax_error|at 10: expected "d" after the window length)"},
      {"orders(90d > 1", R"~(syntax_error|at 12: expected ")" after the window)~"},
      {"orders = 1.5", R"(invalid_value|at 10: "orders" takes a whole number)"},
      {R"(orders = "3")", R"(invalid_value|at 10: "orders" takes a whole number)"},
      {"orders > 99999999999999999999", "invalid_value|at 10: number out of range"},
      {"city = 3", R"(invalid_value|at 8: "city" takes a string)"},
      {"city = shanghai",
       R"(syntax_error|at 8: expected a value after "=" (strings are in double quotes))"},
      {"member = 1", R"(invalid_value|at 10: "member" takes true or false)"},
      {"member > true",
       R"(operator_not_allowed|at 8: ">" is not allowed for "member" (true/false fields take = and !=))"},
      {"member in (true)",
       R"(operator_not_allowed|at 8: "in" is not allowed for "member" (true/false fields take = and !=))"},
      {R"(city < "x")",
       R"(operator_not_allowed|at 6: "<" is not allowed for "city" (text fields take =, !=, in and not in))"},
      {R"(city between "a" and "b")",
       R"(operator_not_allowed|at 6: "between" is not allowed for "city" (text fields take =, !=, in and not in))"},
      {"orders in 1", R"(syntax_error|at 11: expected "(" after "in")"},
      {"orders not in (1 2)", R"~(syntax_error|at 18: expected "," or ")")~"},
      {"orders in ()", "syntax_error|at 12: expected a value in the list"},
      {"orders 3", R"(syntax_error|at 8: expected an operator after "orders")"},
      {"orders(7d) 3", R"~(syntax_error|at 12: expected an operator after "orders(7d)")~"},
      {R"(orders > 1 city = "x")", R"(syntax_error|at 12: expected "and", "or" or the end)"},
      {"orders > 1)", R"~(syntax_error|at 11: unmatched ")")~"},
      {"(orders > 1", R"~(syntax_error|at 12: expected ")")~"},
      {"orders > 1 and", "syntax_error|at 15: expected a condition"},
      {"orders > 1 and or", "syntax_error|at 16: expected a condition"},
      {R"(has_tag(""))", "invalid_value|at 9: the tag must not be empty"},
      {"has_tag(vip)",
       R"(syntax_error|at 9: expected a tag in double quotes, e.g. has_tag("vip"))"},
      {R"(has_tag "vip")", R"(syntax_error|at 9: expected "(" after has_tag)"},
      {R"~(has_tag("vip")~", R"~(syntax_error|at 14: expected ")" after the tag)~"},
      {R"(city = "a\nb")",
       R"(syntax_error|at 10: invalid escape "\n" (only \" and \\ are allowed))"},
      {"orders # 1", R"(syntax_error|at 8: unexpected character "#")"},
      {"orders ! 1", R"(syntax_error|at 8: unexpected character "!")"},
      {"orders > -x", R"(syntax_error|at 10: expected a digit after "-")"},
      {"orders > 1.", R"(syntax_error|at 11: expected a digit after ".")"},
      {"city = 上海", R"(syntax_error|at 8: unexpected character "上")"},
      {"city = \"\xff\"", "syntax_error|at 9: invalid UTF-8"},
      {"city = \"\xe4\xb8\"", "syntax_error|at 9: invalid UTF-8"},
  };
  for (const auto& [text, want] : cases) EXPECT_EQ(ParseError(text), want) << text;
}

TEST(ParseFilter, PositionsCountCodePointsNotBytes) {
  EXPECT_EQ(ParseError(R"(city = "上海" and x = 1)"), R"(unknown_field|at 17: unknown field "x")");
  EXPECT_EQ(ParseError(R"(city in ("北京", "上海") and orders >)"),
            R"(syntax_error|at 34: expected a value after ">")");
}

TEST(ParseFilter, EnforcesItsLimits) {
  const std::string p = "orders > 1";
  // Parentheses and `not` nest at most 64 deep.
  EXPECT_EQ(MustParse(std::string(64, '(') + p + std::string(64, ')')), MustParse(p));
  EXPECT_EQ(ParseError(std::string(65, '(') + p + std::string(65, ')')),
            "too_complex|at 65: nested deeper than 64 levels");
  std::string nots;
  for (int i = 0; i < 64; ++i) nots += "not ";
  EXPECT_TRUE(ParseFilter(nots + p, Catalog()).ok());
  EXPECT_EQ(ParseError(nots + "not " + p), "too_complex|at 257: nested deeper than 64 levels");

  // and/or nest without parentheses one level in two: 32 levels of
  // "p or p and (...)" are 64 and/or levels, 33 are too many.
  const auto alternating = [&](int levels) {
    std::string text = p;
    for (int i = 0; i < levels; ++i) text = "orders > 1 or orders > 2 and (" + text + ")";
    return text;
  };
  auto deep = ParseFilter(alternating(32), Catalog());
  ASSERT_TRUE(deep.ok()) << deep.error().ToString();
  EXPECT_EQ(ParseFilter(FormatFilter(*deep, Catalog()), Catalog()).value(), *deep);
  EXPECT_EQ(FilterFromJson(FilterToJson(*deep, Catalog()), Catalog()).value(), *deep);
  EXPECT_EQ(ParseError(alternating(33)), "too_complex|at 15: nested deeper than 64 levels");

  // At most 1000 conditions.
  std::string many = p;
  for (int i = 1; i < 1000; ++i) many += " and " + p;
  EXPECT_EQ(MustParse(many).children.size(), 1000u);
  EXPECT_EQ(ParseError(many + " and " + p), "too_complex|at 15001: more than 1000 conditions");

  // At most 1000 values in a list.
  std::string list = "orders in (1";
  for (int i = 1; i < 1000; ++i) list += ",1";
  EXPECT_EQ(MustParse(list + ")").predicate.values.size(), 1000u);
  EXPECT_EQ(ParseError(list + ",1)"), "too_many_values|at 2012: at most 1000 values in a list");

  // Tags of 1 to 64 bytes.
  EXPECT_EQ(MustParse("has_tag(\"" + std::string(64, 't') + "\")").tag.size(), 64u);
  EXPECT_EQ(ParseError("has_tag(\"" + std::string(65, 't') + "\")"),
            "invalid_value|at 9: a tag is at most 64 bytes");

  // At most 65536 bytes of text.
  EXPECT_EQ(MustParse("city = \"" + std::string(65527, 'a') + "\"").predicate.field, "city");
  EXPECT_EQ(ParseError("city = \"" + std::string(65528, 'a') + "\""),
            "too_complex|at 65537: the filter is longer than 65536 bytes");
}

TEST(FormatFilter, IsCanonical) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"(NOT(orders>1   AND city="x"))", R"(not (orders > 1 and city = "x"))"},
      {R"((orders > 1 and city = "x") or age >= 18)", R"(orders > 1 and city = "x" or age >= 18)"},
      {R"(orders > 1 and (city = "x" or age >= 18))",
       R"(orders > 1 and (city = "x" or age >= 18))"},
      {R"(not (not has_tag("a")))", R"(not not has_tag("a"))"},
      {R"(city in("a","b" ,"c"))", R"(city in ("a", "b", "c"))"},
      {R"(city = "say \"hi\" \\o/")", R"(city = "say \"hi\" \\o/")"},
      {"spend(7d) between 0.10 and 100.00", "spend(7d) between 0.1 and 100"},
      {"member=TRUE", "member = true"},
      {"orders = -0", "orders = 0"},
  };
  for (const auto& [text, want] : cases) {
    auto f = ParseFilter(text, Catalog());
    ASSERT_TRUE(f.ok()) << text << ": " << f.error().ToString();
    EXPECT_EQ(FormatFilter(*f, Catalog()), want) << text;
  }
}

// Canonical texts: each formats back to itself and survives both round trips.
const char* const kCanonical[] = {
    R"(orders > 0)",
    R"(orders(1d) >= 1)",
    R"(orders(3650d) != 3)",
    R"(spend(365d) between 500 and 1000)",
    R"(spend < 0.01)",
    R"(spend <= -12.5)",
    R"(spend = 9999999999999.99)",
    R"(recency <= 30)",
    R"(age in (18, 19, 20))",
    R"(age not in (-9223372036854775808, 9223372036854775807))",
    R"(city = "上海")",
    R"(city != "")",
    R"(lifecycle not in ("new", "rising", "a \"quoted\" \\ one"))",
    R"(member = true)",
    R"(member != false)",
    R"(cart_adds(7d) > 0)",
    R"(has_tag("运营/vip"))",
    R"(not has_tag("blacklist"))",
    R"(orders > 1 or age < 30 and has_tag("vip"))",
    R"((orders > 1 or age < 30) and not (has_tag("a") or has_tag("b")))",
    R"(not not not member = true)",
    R"(not (orders > 1 and (age < 30 or not (city = "x" and recency > 3))))",
};

TEST(FormatFilter, HandWrittenFiltersRoundTrip) {
  for (const char* text : kCanonical) {
    auto f = ParseFilter(text, Catalog());
    ASSERT_TRUE(f.ok()) << text << ": " << f.error().ToString();
    EXPECT_EQ(FormatFilter(*f, Catalog()), text);
    EXPECT_EQ(MustParse(FormatFilter(*f, Catalog())), *f) << text;
    const Json j = FilterToJson(*f, Catalog());
    auto back = FilterFromJson(j, Catalog());
    ASSERT_TRUE(back.ok()) << core::DumpJson(j) << ": " << back.error().ToString();
    EXPECT_EQ(*back, *f) << core::DumpJson(j);
  }
}

TEST(FilterJson, HasTheDocumentedShapes) {
  const Filter f = MustParse(
      R"(orders(90d) >= 3 and city in ("上海", "北京") and spend(365d) between 500 and 1000.5 )"
      R"(and not (has_tag("vip") or member = false))");
  const Json want = Json::parse(R"({"and": [
      {"field": "orders", "window_days": 90, "op": ">=", "value": 3},
      {"field": "city", "op": "in", "values": ["上海", "北京"]},
      {"field": "spend", "window_days": 365, "op": "between", "values": [500, 1000.5]},
      {"not": {"or": [{"has_tag": "vip"}, {"field": "member", "op": "=", "value": false}]}}]})");
  EXPECT_EQ(FilterToJson(f, Catalog()), want);
  EXPECT_EQ(MustReadJson(want.dump()), f);
  EXPECT_EQ(FilterToJson(MustParse("spend > 0.01"), Catalog())["value"].get<double>(), 0.01);
  EXPECT_EQ(MustReadJson(R"({"field": "spend", "op": "not_in", "values": [12.5, 3, 0.07]})"),
            P("spend", {}, Op::kNotIn, {I(1250), I(300), I(7)}));
}

TEST(FilterJson, NormalisesGroupsLikeTheText) {
  EXPECT_EQ(MustReadJson(R"({"and": [{"has_tag": "a"}]})"), Tag("a"));
  EXPECT_EQ(MustReadJson(R"({"or": [{"or": [{"has_tag": "a"}, {"has_tag": "b"}]},
                                    {"and": [{"has_tag": "c"}]}]})"),
            Or({Tag("a"), Tag("b"), Tag("c")}));
}

TEST(FilterJson, ReportsEveryProblemWithItsPath) {
  EXPECT_EQ(JsonErrors(Json::parse(R"({"and": [{"has_tag": "vip"},
      {"field": "orders", "op": ">=", "value": 3}, {"field": "orders", "op": ">=", "value": "x"}]})")),
            std::vector<std::string>{
                R"(filter.and[2].value|invalid_value|"orders" takes a whole number)"});
  EXPECT_EQ(
      JsonErrors(Json::parse(R"({"or": [{"field": "ordrs", "op": "=", "value": 1},
          {"field": "city", "window_days": 7, "op": "<", "value": "x"},
          {"field": "cart_adds", "op": ">", "value": 1.5}]})")),
      (std::vector<std::string>{
          R"(filter.or[0].field|unknown_field|unknown field "ordrs")",
          R"(filter.or[1].window_days|invalid_window|window not allowed for "city")",
          R"(filter.or[1].op|operator_not_allowed|"<" is not allowed for "city" (text fields take =, !=, in and not in))",
          R"(filter.or[2].window_days|invalid_window|"cart_adds" needs a window, e.g. cart_adds(30d))",
          R"(filter.or[2].value|invalid_value|"cart_adds" takes a whole number)",
      }));
}

TEST(FilterJson, RefusesWhatTheTextRefuses) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1])", R"(filter|must_be_object|expected a condition object such as {"has_tag": "vip"})"},
      {R"({})", "filter|required|a condition has one of the keys and, or, not, has_tag, field"},
      {R"({"and": []})", "filter.and|must_be_array|expected a non-empty array of conditions"},
      {R"({"not": [1]})",
       R"(filter.not|must_be_object|expected a condition object such as {"has_tag": "vip"})"},
      {R"({"has_tag": "vip", "colour": "red"})",
       "filter.colour|unknown_field|this field is not accepted here"},
      {R"({"has_tag": ""})", "filter.has_tag|invalid_value|the tag must not be empty"},
      {R"({"has_tag": 7})", "filter.has_tag|must_be_string|expected a string, got number"},
      {R"({"field": "orders", "op": "~", "value": 1})",
       R"(filter.op|operator_not_allowed|unknown operator "~": use =, !=, <, <=, >, >=, in, not_in or between)"},
      {R"({"field": "orders", "value": 1})", "filter.op|required|this field is required"},
      {R"({"field": "orders", "op": ">"})", "filter.value|required|this field is required"},
      {R"({"field": "orders", "op": "in", "values": 1})",
       "filter.values|must_be_array|expected an array of values"},
      {R"({"field": "orders", "op": "between", "values": [1, 2, 3]})",
       "filter.values|invalid_value|between takes two values, low and high"},
      {R"({"field": "orders", "op": "between", "values": [2, 1]})",
       "filter.values|invalid_value|between needs the low end first: it is greater than the high "
       "end"},
      {R"({"field": "orders", "op": "in", "values": []})",
       "filter.values|invalid_value|expected at least one value"},
      {R"({"field": "orders", "window_days": 0, "op": ">", "value": 1})",
       "filter.window_days|invalid_window|the window must be 1 to 3650 days"},
      {R"({"field": "orders", "window_days": "7d", "op": ">", "value": 1})",
       "filter.window_days|must_be_integer|expected an integer, got string"},
      {R"({"field": "orders", "op": ">", "value": 3.0})",
       R"(filter.value|invalid_value|"orders" takes a whole number)"},
      {R"({"field": "orders", "op": ">", "value": 18446744073709551615})",
       "filter.value|invalid_value|number out of range"},
      {R"({"field": "spend", "op": ">", "value": 12.345})",
       R"(filter.value|invalid_value|"spend" takes an amount with at most 2 decimals, e.g. 12.5)"},
      {R"({"field": "spend", "op": ">", "value": "12.5"})",
       R"(filter.value|invalid_value|"spend" takes an amount with at most 2 decimals, e.g. 12.5)"},
      {R"({"field": "spend", "op": ">", "value": 1e13})",
       "filter.value|invalid_value|amounts are at most 9999999999999.99 either way"},
      {R"({"field": "member", "op": "=", "value": null})",
       "filter.value|required|this field is required"},
  };
  for (const auto& [text, want] : cases) {
    EXPECT_EQ(JsonErrors(Json::parse(text)), std::vector<std::string>{want}) << text;
  }
  const auto value_and_values =
      JsonErrors(Json::parse(R"({"field": "age", "op": "in", "value": 1})"));
  EXPECT_EQ(value_and_values,
            (std::vector<std::string>{R"(filter.value|unknown_field|"in" takes "values")",
                                      "filter.values|required|this field is required"}));
}

TEST(FilterJson, EnforcesTheLimitsOfTheText) {
  Json deep = {{"has_tag", "a"}};
  for (int i = 0; i < 64; ++i) deep = {{"not", deep}};
  ASSERT_TRUE(FilterFromJson(deep, Catalog()).ok());
  std::string path = "filter";
  for (int i = 0; i < 65; ++i) path += ".not";
  EXPECT_EQ(JsonErrors({{"not", deep}}),
            std::vector<std::string>{path + "|too_complex|nested deeper than 64 levels"});

  Json many = Json::array();
  for (int i = 0; i < 1001; ++i) many.push_back({{"has_tag", "t"}});
  EXPECT_EQ(
      JsonErrors({{"or", many}}),
      std::vector<std::string>{"filter.or[1000].has_tag|too_complex|more than 1000 conditions"});

  // Accepted only while the text form fits its 65536 bytes.
  Json longest = {{"field", "city"}, {"op", "="}, {"value", std::string(65527, 'a')}};
  EXPECT_TRUE(FilterFromJson(longest, Catalog()).ok());
  longest["value"] = std::string(65528, 'a');
  EXPECT_EQ(JsonErrors(longest),
            std::vector<std::string>{
                "filter|too_complex|the filter's text form is longer than 65536 bytes"});
}

// ---- random trees ----

Literal RandomValue(std::mt19937_64& rng, FieldType type) {
  const auto pick = [&](auto... options) {
    const int64_t all[] = {options...};
    return all[rng() % sizeof...(options)];
  };
  switch (type) {
    case FieldType::kText: {
      const char* const pieces[] = {"a", "上海", "\"", "\\", " ", "x y", "é", "😀", "and", ")"};
      std::string s;
      for (size_t n = rng() % 4; n > 0; --n) s += pieces[rng() % 10];
      return s;
    }
    case FieldType::kBool:
      return rng() % 2 == 0;
    case FieldType::kMoney:
      if (rng() % 3 == 0) {
        return pick(int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{50000}, int64_t{1250},
                    int64_t{999'999'999'999'999}, int64_t{-999'999'999'999'999});
      }
      return std::uniform_int_distribution<int64_t>(-999'999'999'999'999, 999'999'999'999'999)(rng);
    case FieldType::kCount:
    case FieldType::kDays:
    case FieldType::kNumber:
      if (rng() % 3 == 0) {
        return pick(int64_t{0}, int64_t{1}, int64_t{-7}, std::numeric_limits<int64_t>::max(),
                    std::numeric_limits<int64_t>::min());
      }
      return static_cast<int64_t>(rng() % 2000) - 500;
  }
  return int64_t{0};
}

Filter RandomLeaf(std::mt19937_64& rng) {
  if (rng() % 6 == 0) {
    const char* const tags[] = {"vip", "运营/高价值", "a\"b\\c", "t"};
    return Tag(rng() % 8 == 0 ? std::string(64, 'x') : tags[rng() % 4]);
  }
  const auto& fields = Catalog().fields();
  const FieldSpec& spec = fields[rng() % fields.size()];
  Filter f;
  Predicate& p = f.predicate;
  p.field = spec.name;
  if (spec.window_required || (spec.windowed && rng() % 2 == 0)) {
    p.window_days = static_cast<int>(rng() % 3650) + 1;
  }
  std::vector<Op> ops = {Op::kEq, Op::kNe};
  if (spec.type != FieldType::kBool) ops.insert(ops.end(), {Op::kIn, Op::kNotIn});
  if (spec.type != FieldType::kBool && spec.type != FieldType::kText) {
    ops.insert(ops.end(), {Op::kLt, Op::kLe, Op::kGt, Op::kGe, Op::kBetween});
  }
  p.op = ops[rng() % ops.size()];
  if (p.op == Op::kBetween) {
    Literal a = RandomValue(rng, spec.type);
    Literal b = RandomValue(rng, spec.type);
    if (std::get<int64_t>(a) > std::get<int64_t>(b)) std::swap(a, b);
    p.values = {a, b};
  } else {
    const size_t n = p.op == Op::kIn || p.op == Op::kNotIn ? 1 + rng() % 4 : 1;
    for (size_t i = 0; i < n; ++i) p.values.push_back(RandomValue(rng, spec.type));
  }
  return f;
}

// A canonical tree: and/or have two or more children, none of their own kind.
Filter RandomFilter(std::mt19937_64& rng, int depth, Filter::Kind parent) {
  if (depth == 0 || rng() % 3 == 0) return RandomLeaf(rng);
  std::vector<Filter::Kind> kinds = {Filter::Kind::kNot};
  if (parent != Filter::Kind::kAnd) kinds.push_back(Filter::Kind::kAnd);
  if (parent != Filter::Kind::kOr) kinds.push_back(Filter::Kind::kOr);
  const Filter::Kind kind = kinds[rng() % kinds.size()];
  if (kind == Filter::Kind::kNot) return Not(RandomFilter(rng, depth - 1, kind));
  std::vector<Filter> children(2 + rng() % 3);
  for (Filter& c : children) c = RandomFilter(rng, depth - 1, kind);
  return Group(kind, std::move(children));
}

TEST(FilterRoundTrip, RandomTreesSurviveTextAndJson) {
  std::mt19937_64 rng(20261127);
  for (int i = 0; i < 500; ++i) {
    const Filter f = RandomFilter(rng, 6, Filter::Kind::kPredicate);
    const std::string text = FormatFilter(f, Catalog());
    auto parsed = ParseFilter(text, Catalog());
    ASSERT_TRUE(parsed.ok()) << text << ": " << parsed.error().ToString();
    ASSERT_EQ(*parsed, f) << text;

    const Json j = FilterToJson(f, Catalog());
    auto from_json = FilterFromJson(j, Catalog());
    ASSERT_TRUE(from_json.ok()) << core::DumpJson(j) << ": " << from_json.error().ToString();
    ASSERT_EQ(*from_json, f) << core::DumpJson(j);
    // And through JSON text, where money travels as printed doubles.
    auto reparsed = core::ParseJson(core::DumpJson(j), {.max_bytes = 1 << 20, .max_depth = 64});
    ASSERT_TRUE(reparsed.ok());
    auto from_text_json = FilterFromJson(*reparsed, Catalog());
    ASSERT_TRUE(from_text_json.ok()) << core::DumpJson(j);
    ASSERT_EQ(*from_text_json, f) << core::DumpJson(j);
  }
}

}  // namespace
}  // namespace shopcrm::segments
