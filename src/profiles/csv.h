// A streaming CSV reader (RFC 4180) for the file importers.
//
// Fields may be quoted; a quoted field may hold commas, line breaks and
// doubled quotes (""). Records end with LF or CRLF; a UTF-8 byte order mark at
// the start of the input is skipped; blank lines between records are skipped;
// the last record needs no final line break. Leniency where files in the wild
// break the rules: a quote inside an unquoted field is an ordinary character;
// text after a closing quote is kept and the record is flagged
// (csv_text_after_quote); a quote still open at the end of the input ends the
// record there and flags it (csv_unterminated_quote).
//
// Memory stays bounded by the longest record: the input is read in blocks.
// Thread-safety: one reader per thread. The reader does not own the stream.
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace shopcrm::profiles {

struct CsvRecord {
  int64_t number = 0;  // 1-based record number in the file (the header is record 1)
  int64_t line = 0;    // 1-based physical line on which the record starts
  std::vector<std::string> fields;
  // A slug when the record broke the quoting rules (see above); the fields
  // are still filled as far as they could be read.
  std::optional<std::string> error;

  // The field at `index`, or "" past the end.
  std::string_view at(size_t index) const {
    return index < fields.size() ? std::string_view(fields[index]) : std::string_view();
  }
};

class CsvReader final {
 public:
  // `in` must outlive the reader.
  explicit CsvReader(std::istream& in, size_t block_bytes = 1 << 20);

  // Reads the next record into `out` (reusing its storage); false at the end
  // of the input or when the stream fails.
  bool Next(CsvRecord& out);

  // Bytes of the input consumed so far (for progress).
  int64_t bytes_consumed() const { return consumed_before_block_ + static_cast<int64_t>(pos_); }
  // True when reading stopped because the stream failed rather than ended.
  bool failed() const { return failed_; }

 private:
  // The next byte, or -1 at the end of the input.
  int Get();
  int Peek();
  bool Refill();

  std::istream& in_;
  std::string block_;
  size_t block_bytes_;
  size_t pos_ = 0;
  int64_t consumed_before_block_ = 0;
  int64_t line_ = 1;
  int64_t records_ = 0;
  bool started_ = false;
  bool eof_ = false;
  bool failed_ = false;
};

// The header row: column names to indices. Names are compared exactly, after
// trimming spaces around them.
class CsvHeader final {
 public:
  CsvHeader() = default;
  explicit CsvHeader(const CsvRecord& header);

  std::optional<size_t> Find(std::string_view name) const;
  const std::vector<std::string>& names() const { return names_; }
  size_t size() const { return names_.size(); }

  // Fails with invalid_fields (reason missing_column, one per column) unless
  // every name in `required` is present.
  core::Status Require(const std::vector<std::string_view>& required) const;

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace shopcrm::profiles
