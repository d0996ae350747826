// The text form of filters (see filter.h): FormatFilter and ParseFilter.
#include "segments/filter.h"

#include <algorithm>
#include <string>
#include <utility>

#include "segments/internal/filter_rules.h"

namespace shopcrm::segments {

using internal::AppendFlat;
using internal::ConvertValue;
using internal::Depth;
using internal::EqualsIgnoreCase;
using internal::IsComparison;
using internal::IsKeyword;
using internal::OpText;
using internal::Quote;

namespace {

void FormatMoney(int64_t minor, std::string& out) {
  const uint64_t magnitude =
      minor < 0 ? uint64_t{0} - static_cast<uint64_t>(minor) : static_cast<uint64_t>(minor);
  if (minor < 0) out += '-';
  out += std::to_string(magnitude / 100);
  const auto cents = static_cast<int>(magnitude % 100);
  if (cents == 0) return;
  out += '.';
  out += static_cast<char>('0' + cents / 10);
  if (cents % 10 != 0) out += static_cast<char>('0' + cents % 10);
}

void FormatValue(const Literal& v, const FieldSpec* spec, std::string& out) {
  if (const auto* n = std::get_if<int64_t>(&v)) {
    if (spec != nullptr && spec->type == FieldType::kMoney) {
      FormatMoney(*n, out);
    } else {
      out += std::to_string(*n);
    }
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    out += Quote(*s);
  } else {
    out += std::get<bool>(v) ? "true" : "false";
  }
}

void FormatPredicate(const Predicate& p, const FieldCatalog& catalog, std::string& out) {
  const FieldSpec* spec = catalog.Find(p.field);
  out += p.field;
  if (p.window_days) out += "(" + std::to_string(*p.window_days) + "d)";
  out += ' ';
  out += OpText(p.op);
  out += ' ';
  if (p.op == Op::kBetween) {
    for (size_t i = 0; i < p.values.size(); ++i) {
      if (i > 0) out += " and ";
      FormatValue(p.values[i], spec, out);
    }
  } else if (p.op == Op::kIn || p.op == Op::kNotIn) {
    out += '(';
    for (size_t i = 0; i < p.values.size(); ++i) {
      if (i > 0) out += ", ";
      FormatValue(p.values[i], spec, out);
    }
    out += ')';
  } else if (!p.values.empty()) {
    FormatValue(p.values.front(), spec, out);
  }
}

void FormatNode(const Filter& f, const FieldCatalog& catalog, std::string& out) {
  const auto compound = [](const Filter& c) {
    return c.kind == Filter::Kind::kAnd || c.kind == Filter::Kind::kOr;
  };
  switch (f.kind) {
    case Filter::Kind::kAnd:
    case Filter::Kind::kOr: {
      const bool is_and = f.kind == Filter::Kind::kAnd;
      for (size_t i = 0; i < f.children.size(); ++i) {
        if (i > 0) out += is_and ? " and " : " or ";
        const Filter& c = f.children[i];
        // `or` binds looser than `and`; and/or of one child print as that child.
        const bool paren = is_and && c.kind == Filter::Kind::kOr && c.children.size() > 1;
        if (paren) out += '(';
        FormatNode(c, catalog, out);
        if (paren) out += ')';
      }
      return;
    }
    case Filter::Kind::kNot: {
      out += "not ";
      if (f.children.empty()) return;
      const Filter& c = f.children.front();
      const bool paren = compound(c) && c.children.size() > 1;
      if (paren) out += '(';
      FormatNode(c, catalog, out);
      if (paren) out += ')';
      return;
    }
    case Filter::Kind::kHasTag:
      out += "has_tag(" + Quote(f.tag) + ")";
      return;
    case Filter::Kind::kPredicate:
      FormatPredicate(f.predicate, catalog, out);
      return;
  }
}

}  // namespace

std::string FormatFilter(const Filter& filter, const FieldCatalog& catalog) {
  std::string out;
  FormatNode(filter, catalog, out);
  return out;
}

namespace {

// Recursive descent over a lazily lexed token stream, so that the first
// mistake in reading order is the one reported. The recursion is bounded by
// the nesting limit on ( and not.
class Parser final {
 public:
  Parser(std::string_view text, const FieldCatalog& catalog) : text_(text), catalog_(catalog) {}

  core::Result<Filter> Run() {
    if (text_.size() > internal::kMaxTextBytes) {
      Fail(internal::kMaxTextBytes, "too_complex", "the filter is longer than 65536 bytes");
      return *error_;
    }
    std::optional<Filter> f;
    if (Advance()) f = ParseOr(0);
    if (f && tok_.kind != Tok::kEnd) {
      Fail(tok_.offset, "syntax_error",
           tok_.kind == Tok::kRParen ? "unmatched \")\"" : "expected \"and\", \"or\" or the end");
    }
    if (error_) return *error_;
    return std::move(*f);
  }

 private:
  enum class Tok { kEnd, kWord, kNumber, kString, kLParen, kRParen, kComma, kCmp };
  struct Token {
    Tok kind = Tok::kEnd;
    size_t offset = 0;  // bytes
    std::string text;   // kWord, kNumber as written; kString decoded
    Op op = Op::kEq;    // kCmp
  };

  // The first error wins; returns nullopt so that parse functions can
  // `return Fail(...)`.
  std::nullopt_t Fail(size_t offset, std::string_view reason, std::string message) {
    if (!error_) {
      // Code points, not bytes: count the bytes that do not continue a sequence.
      const auto position =
          1 + std::count_if(text_.begin(), text_.begin() + static_cast<std::ptrdiff_t>(offset),
                            [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
      error_ = core::InvalidFields(
          "invalid_filter", {{"filter", std::string(reason),
                              "at " + std::to_string(position) + ": " + std::move(message)}});
    }
    return std::nullopt;
  }

  bool IsWord(std::string_view keyword) const {
    return tok_.kind == Tok::kWord && EqualsIgnoreCase(tok_.text, keyword);
  }

  bool Advance() {
    while (next_ < text_.size() && (text_[next_] == ' ' || text_[next_] == '\t' ||
                                    text_[next_] == '\n' || text_[next_] == '\r')) {
      ++next_;
    }
    tok_ = Token{};
    tok_.offset = next_;
    if (next_ == text_.size()) return true;
    const char c = text_[next_];
    const char c2 = next_ + 1 < text_.size() ? text_[next_ + 1] : '\0';
    const auto single = [&](Tok kind, size_t length = 1, Op op = Op::kEq) {
      tok_.kind = kind;
      tok_.op = op;
      next_ += length;
      return true;
    };
    switch (c) {
      case '(':
        return single(Tok::kLParen);
      case ')':
        return single(Tok::kRParen);
      case ',':
        return single(Tok::kComma);
      case '=':
        return single(Tok::kCmp, 1, Op::kEq);
      case '!':
        if (c2 == '=') return single(Tok::kCmp, 2, Op::kNe);
        break;
      case '<':
        return c2 == '=' ? single(Tok::kCmp, 2, Op::kLe) : single(Tok::kCmp, 1, Op::kLt);
      case '>':
        return c2 == '=' ? single(Tok::kCmp, 2, Op::kGe) : single(Tok::kCmp, 1, Op::kGt);
      case '"':
        return LexString();
      default:
        break;
    }
    if (c == '-' || internal::IsDigit(c)) return LexNumber();
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
      size_t end = next_ + 1;
      while (end < text_.size() && IsWordChar(text_[end])) ++end;
      tok_.kind = Tok::kWord;
      tok_.text = std::string(text_.substr(next_, end - next_));
      next_ = end;
      return true;
    }
    const size_t n = internal::Utf8SequenceLength(text_, next_);
    if (n == 0) return Fail(next_, "syntax_error", "invalid UTF-8"), false;
    return Fail(next_, "syntax_error", "unexpected character " + Quote(text_.substr(next_, n))),
           false;
  }

  static bool IsWordChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || internal::IsDigit(c);
  }

  bool LexString() {
    std::string out;
    size_t i = next_ + 1;
    while (i < text_.size()) {
      const char c = text_[i];
      if (c == '"') {
        tok_.kind = Tok::kString;
        tok_.text = std::move(out);
        next_ = i + 1;
        return true;
      }
      if (c == '\\' && i + 1 < text_.size()) {
        const char e = text_[i + 1];
        if (e == '"' || e == '\\') {
          out += e;
          i += 2;
          continue;
        }
        const size_t n = internal::Utf8SequenceLength(text_, i + 1);
        if (n == 0) return Fail(i + 1, "syntax_error", "invalid UTF-8"), false;
        return Fail(i, "syntax_error",
                    "invalid escape \"\\" + std::string(text_.substr(i + 1, n)) +
                        "\" (only \\\" and \\\\ are allowed)"),
               false;
      }
      const size_t n = internal::Utf8SequenceLength(text_, i);
      if (n == 0) return Fail(i, "syntax_error", "invalid UTF-8"), false;
      out.append(text_.substr(i, n));
      i += n;
    }
    return Fail(next_, "syntax_error", "unterminated string"), false;
  }

  bool LexNumber() {
    size_t i = next_;
    if (text_[i] == '-') ++i;
    const auto digits = [&] {
      const size_t start = i;
      while (i < text_.size() && internal::IsDigit(text_[i])) ++i;
      return i > start;
    };
    if (!digits()) return Fail(next_, "syntax_error", "expected a digit after \"-\""), false;
    if (i < text_.size() && text_[i] == '.') {
      ++i;
      if (!digits()) return Fail(i - 1, "syntax_error", "expected a digit after \".\""), false;
    }
    tok_.kind = Tok::kNumber;
    tok_.text = std::string(text_.substr(next_, i - next_));
    next_ = i;
    return true;
  }

  std::optional<Filter> ParseOr(int nesting) { return ParseGroup(Filter::Kind::kOr, nesting); }

  // or := and ("or" and)*; and := unary ("and" unary)*
  std::optional<Filter> ParseGroup(Filter::Kind kind, int nesting) {
    const bool is_or = kind == Filter::Kind::kOr;
    const size_t start = tok_.offset;
    auto operand = [&] {
      return is_or ? ParseGroup(Filter::Kind::kAnd, nesting) : ParseUnary(nesting);
    };
    std::optional<Filter> first = operand();
    if (!first) return std::nullopt;
    if (!IsWord(is_or ? "or" : "and")) return first;
    Filter group;
    group.kind = kind;
    AppendFlat(group, std::move(*first));
    while (IsWord(is_or ? "or" : "and")) {
      if (!Advance()) return std::nullopt;
      std::optional<Filter> next = operand();
      if (!next) return std::nullopt;
      AppendFlat(group, std::move(*next));
    }
    if (Depth(group) > internal::kMaxDepth) return TooDeep(start);
    return group;
  }

  std::nullopt_t TooDeep(size_t offset) {
    return Fail(offset, "too_complex", "nested deeper than 64 levels");
  }

  std::optional<Filter> ParseUnary(int nesting) {
    const size_t start = tok_.offset;
    if (IsWord("not")) {
      if (nesting >= internal::kMaxDepth) return TooDeep(start);
      if (!Advance()) return std::nullopt;
      std::optional<Filter> child = ParseUnary(nesting + 1);
      if (!child) return std::nullopt;
      Filter f;
      f.kind = Filter::Kind::kNot;
      f.children.push_back(std::move(*child));
      if (Depth(f) > internal::kMaxDepth) return TooDeep(start);
      return f;
    }
    if (tok_.kind == Tok::kLParen) {
      if (nesting >= internal::kMaxDepth) return TooDeep(start);
      if (!Advance()) return std::nullopt;
      std::optional<Filter> inner = ParseOr(nesting + 1);
      if (!inner) return std::nullopt;
      if (tok_.kind != Tok::kRParen) {
        return Fail(tok_.offset, "syntax_error", "expected \")\"");
      }
      if (!Advance()) return std::nullopt;
      return inner;
    }
    if (tok_.kind == Tok::kWord && !IsKeyword(tok_.text)) return ParsePredicate();
    return Fail(start, "syntax_error", "expected a condition");
  }

  std::optional<Filter> ParsePredicate() {
    const size_t start = tok_.offset;
    if (++predicates_ > internal::kMaxPredicates) {
      return Fail(start, "too_complex", "more than 1000 conditions");
    }
    if (tok_.text == "has_tag") return ParseHasTag();
    const FieldSpec* spec = catalog_.Find(tok_.text);
    if (spec == nullptr) {
      return Fail(start, "unknown_field", "unknown field " + Quote(tok_.text));
    }
    Filter f;
    Predicate& p = f.predicate;
    p.field = spec->name;
    std::string shown = spec->name;  // for messages: orders(90d)
    if (!Advance()) return std::nullopt;
    if (tok_.kind == Tok::kLParen) {
      if (!spec->windowed) {
        return Fail(tok_.offset, "invalid_window", internal::WindowNotAllowed(spec->name));
      }
      if (!Advance()) return std::nullopt;
      if (tok_.kind != Tok::kNumber) {
        return Fail(tok_.offset, "syntax_error",
                    "expected the window in days, e.g. " + spec->name + "(30d)");
      }
      const internal::DecimalResult days = internal::ParseDecimal(tok_.text, 0);
      if (days.status != internal::DecimalResult::kOk || days.value < 1 ||
          days.value > internal::kMaxWindowDays) {
        return Fail(tok_.offset, "invalid_window", internal::WindowOutOfRange());
      }
      p.window_days = static_cast<int>(days.value);
      shown += "(" + std::to_string(days.value) + "d)";
      if (!Advance()) return std::nullopt;
      if (!IsWord("d")) {
        return Fail(tok_.offset, "syntax_error", "expected \"d\" after the window length");
      }
      if (!Advance()) return std::nullopt;
      if (tok_.kind != Tok::kRParen) {
        return Fail(tok_.offset, "syntax_error", "expected \")\" after the window");
      }
      if (!Advance()) return std::nullopt;
    } else if (spec->window_required) {
      return Fail(tok_.offset, "invalid_window", internal::WindowRequired(spec->name));
    }

    const size_t op_at = tok_.offset;
    if (tok_.kind == Tok::kCmp) {
      p.op = tok_.op;
    } else if (IsWord("in")) {
      p.op = Op::kIn;
    } else if (IsWord("between")) {
      p.op = Op::kBetween;
    } else if (IsWord("not")) {
      if (!Advance()) return std::nullopt;
      if (!IsWord("in")) return Fail(tok_.offset, "syntax_error", "expected \"in\" after \"not\"");
      p.op = Op::kNotIn;
    } else {
      return Fail(op_at, "syntax_error", "expected an operator after " + Quote(shown));
    }
    if (auto problem = internal::OpProblem(*spec, p.op)) {
      return Fail(op_at, "operator_not_allowed", std::move(*problem));
    }
    if (!Advance()) return std::nullopt;
    const std::string after_op = "after " + Quote(OpText(p.op));

    if (IsComparison(p.op)) {
      if (!ParseValue(*spec, after_op, p.values)) return std::nullopt;
    } else if (p.op == Op::kBetween) {
      const size_t low_at = tok_.offset;
      if (!ParseValue(*spec, after_op, p.values)) return std::nullopt;
      if (!IsWord("and")) {
        return Fail(tok_.offset, "syntax_error", "expected \"and\" after the low end of between");
      }
      if (!Advance() || !ParseValue(*spec, "after \"and\"", p.values)) return std::nullopt;
      if (auto problem = internal::BetweenProblem(p.values[0], p.values[1])) {
        return Fail(low_at, "invalid_value", std::move(*problem));
      }
    } else {
      if (tok_.kind != Tok::kLParen) {
        return Fail(tok_.offset, "syntax_error", "expected \"(\" " + after_op);
      }
      if (!Advance()) return std::nullopt;
      while (true) {
        if (p.values.size() == internal::kMaxListValues) {
          return Fail(tok_.offset, "too_many_values", "at most 1000 values in a list");
        }
        if (!ParseValue(*spec, "in the list", p.values)) return std::nullopt;
        if (tok_.kind == Tok::kRParen) break;
        if (tok_.kind != Tok::kComma) {
          return Fail(tok_.offset, "syntax_error", "expected \",\" or \")\"");
        }
        if (!Advance()) return std::nullopt;
      }
      if (!Advance()) return std::nullopt;
    }
    return f;
  }

  std::optional<Filter> ParseHasTag() {
    if (!Advance()) return std::nullopt;
    if (tok_.kind != Tok::kLParen) {
      return Fail(tok_.offset, "syntax_error", "expected \"(\" after has_tag");
    }
    if (!Advance()) return std::nullopt;
    if (tok_.kind != Tok::kString) {
      return Fail(tok_.offset, "syntax_error",
                  "expected a tag in double quotes, e.g. has_tag(\"vip\")");
    }
    if (auto problem = internal::TagProblem(tok_.text)) {
      return Fail(tok_.offset, "invalid_value", std::move(*problem));
    }
    Filter f;
    f.kind = Filter::Kind::kHasTag;
    f.tag = std::move(tok_.text);
    if (!Advance()) return std::nullopt;
    if (tok_.kind != Tok::kRParen) {
      return Fail(tok_.offset, "syntax_error", "expected \")\" after the tag");
    }
    if (!Advance()) return std::nullopt;
    return f;
  }

  // Reads one value, converted for `spec`, into `out`.
  bool ParseValue(const FieldSpec& spec, std::string_view where, std::vector<Literal>& out) {
    internal::RawValue raw;
    if (tok_.kind == Tok::kNumber) {
      raw.kind = internal::RawValue::Kind::kNumber;
      raw.text = tok_.text;
    } else if (tok_.kind == Tok::kString) {
      raw.kind = internal::RawValue::Kind::kString;
      raw.text = tok_.text;
    } else if (IsWord("true") || IsWord("false")) {
      raw.kind = internal::RawValue::Kind::kBool;
      raw.flag = IsWord("true");
    } else {
      std::string message = "expected a value " + std::string(where);
      if (tok_.kind == Tok::kWord && !IsKeyword(tok_.text)) {
        message += " (strings are in double quotes)";
      }
      return Fail(tok_.offset, "syntax_error", std::move(message)), false;
    }
    internal::Converted c = ConvertValue(spec, raw);
    if (!c.value) return Fail(tok_.offset, "invalid_value", std::move(c.problem)), false;
    out.push_back(std::move(*c.value));
    return Advance();
  }

  std::string_view text_;
  const FieldCatalog& catalog_;
  size_t next_ = 0;  // where lexing goes on, in bytes
  Token tok_;
  size_t predicates_ = 0;
  std::optional<core::Error> error_;
};

}  // namespace

core::Result<Filter> ParseFilter(std::string_view text, const FieldCatalog& catalog) {
  return Parser(text, catalog).Run();
}

}  // namespace shopcrm::segments
