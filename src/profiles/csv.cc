#include "profiles/csv.h"

namespace shopcrm::profiles {

CsvReader::CsvReader(std::istream& in, size_t block_bytes)
    : in_(in), block_bytes_(block_bytes == 0 ? 1 : block_bytes) {}

bool CsvReader::Refill() {
  if (eof_) return false;
  consumed_before_block_ += static_cast<int64_t>(block_.size());
  block_.resize(block_bytes_);
  in_.read(block_.data(), static_cast<std::streamsize>(block_bytes_));
  block_.resize(static_cast<size_t>(in_.gcount()));
  pos_ = 0;
  if (block_.empty()) {
    eof_ = true;
    failed_ = in_.bad();
    return false;
  }
  return true;
}

int CsvReader::Peek() {
  if (pos_ == block_.size() && !Refill()) return -1;
  return static_cast<unsigned char>(block_[pos_]);
}

int CsvReader::Get() {
  const int c = Peek();
  if (c >= 0) ++pos_;
  return c;
}

bool CsvReader::Next(CsvRecord& out) {
  if (!started_) {
    started_ = true;
    // A UTF-8 byte order mark is only meaningful as the very first bytes;
    // the first block is topped up so all three are in it.
    if (Peek() == 0xEF) {
      while (block_.size() < 3 && in_.good()) {
        const int c = in_.get();
        if (c == std::char_traits<char>::eof()) break;
        block_.push_back(static_cast<char>(c));
      }
      if (block_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
    }
  }
  // Blank lines between records carry nothing.
  for (;;) {
    const int c = Peek();
    if (c == '\n') {
      ++pos_;
      ++line_;
    } else if (c == '\r') {
      ++pos_;
      if (Peek() == '\n') {
        ++pos_;
        ++line_;
      }
    } else if (c < 0) {
      return false;
    } else {
      break;
    }
  }

  out.number = ++records_;
  out.line = line_;
  out.error.reset();
  size_t n = 0;  // fields used in out.fields (their strings are reused)
  auto next_field = [&]() -> std::string& {
    if (n == out.fields.size()) out.fields.emplace_back();
    std::string& f = out.fields[n++];
    f.clear();
    return f;
  };
  auto flag = [&](const char* slug) {
    if (!out.error) out.error = slug;
  };

  std::string* field = &next_field();
  enum class State { kStart, kUnquoted, kQuoted, kAfterQuote };
  State state = State::kStart;
  for (;;) {
    const int c = Get();
    if (c < 0) {
      if (state == State::kQuoted) flag("csv_unterminated_quote");
      break;
    }
    const char ch = static_cast<char>(c);
    if (state == State::kQuoted) {
      if (ch == '"') {
        state = State::kAfterQuote;
      } else {
        if (ch == '\n') ++line_;
        field->push_back(ch);
      }
      continue;
    }
    if (ch == ',') {
      field = &next_field();
      state = State::kStart;
      continue;
    }
    if (ch == '\n') {
      ++line_;
      break;
    }
    if (ch == '\r' && Peek() == '\n') {
      ++pos_;
      ++line_;
      break;
    }
    switch (state) {
      case State::kStart:
        if (ch == '"') {
          state = State::kQuoted;
        } else {
          field->push_back(ch);
          state = State::kUnquoted;
        }
        break;
      case State::kAfterQuote:
        if (ch == '"') {
          field->push_back('"');
          state = State::kQuoted;
        } else {
          flag("csv_text_after_quote");
          field->push_back(ch);
          state = State::kUnquoted;
        }
        break;
      case State::kUnquoted:
      case State::kQuoted:
        field->push_back(ch);
        break;
    }
  }
  out.fields.resize(n);
  return true;
}

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

CsvHeader::CsvHeader(const CsvRecord& header) {
  for (size_t i = 0; i < header.fields.size(); ++i) {
    names_.emplace_back(Trim(header.fields[i]));
    index_.emplace(names_.back(), i);  // the first of repeated names wins
  }
}

std::optional<size_t> CsvHeader::Find(std::string_view name) const {
  auto it = index_.find(std::string(name));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

core::Status CsvHeader::Require(const std::vector<std::string_view>& required) const {
  std::vector<core::FieldError> missing;
  for (auto name : required) {
    if (!Find(name)) {
      missing.push_back({std::string(name), "missing_column",
                         "the header has no column '" + std::string(name) + "'"});
    }
  }
  if (missing.empty()) return core::Status::Ok();
  return core::InvalidFields("missing_columns", std::move(missing));
}

}  // namespace shopcrm::profiles
