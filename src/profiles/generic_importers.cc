// The generic file formats: CSV and NDJSON files of users, orders (CSV: with
// a second file of order lines), order updates and events. A CSV row becomes
// the same JSON object an NDJSON line holds (column names are the JSON field
// names), so both formats are read by the parsers the HTTP batch endpoints
// use and rejected for the same reasons.
#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "core/json.h"
#include "profiles/csv.h"
#include "profiles/importers.h"
#include "profiles/internal/import_session.h"
#include "profiles/record_json.h"

namespace shopcrm::profiles {
namespace {

using internal::Feed;
using internal::ImportSession;
using internal::Origin;

// How a CSV cell becomes a JSON value. Empty cells are left out (absent).
enum class Cell {
  kString,
  kInt,
  kObject,       // the cell holds a JSON object's text
  kList,         // "a;b;c" → ["a", "b", "c"]
  kRefundLines,  // "1:1:25.00;3:2:10.00" → [{line_no, quantity, amount}, …]
};

struct Column {
  std::string_view name;
  Cell cell = Cell::kString;
  bool required = false;
};

const std::vector<Column> kUserColumns = {{"external_id", Cell::kString, true},
                                          {"phone"},
                                          {"name"},
                                          {"gender"},
                                          {"birthday"},
                                          {"city"},
                                          {"province"},
                                          {"occupation"},
                                          {"education"},
                                          {"registered_at"},
                                          {"source_channel"},
                                          {"referrer_external_id"},
                                          {"attributes", Cell::kObject}};

const std::vector<Column> kOrderColumns = {{"source_id", Cell::kString, true},
                                           {"user_external_id", Cell::kString, true},
                                           {"store_source_id"},
                                           {"city"},
                                           {"province"},
                                           {"channel"},
                                           {"currency"},
                                           {"goods_amount", Cell::kString, true},
                                           {"discount_amount"},
                                           {"shipping_amount"},
                                           {"paid_amount", Cell::kString, true},
                                           {"coupon_codes", Cell::kList},
                                           {"status", Cell::kString, true},
                                           {"placed_at", Cell::kString, true},
                                           {"paid_at"},
                                           {"completed_at"},
                                           {"cancelled_at"}};

// order_source_id joins a line to its order and is not part of the line.
constexpr std::string_view kJoinColumn = "order_source_id";
const std::vector<Column> kItemColumns = {{kJoinColumn, Cell::kString, true},
                                          {"line_no", Cell::kInt},
                                          {"sku", Cell::kString, true},
                                          {"product_name"},
                                          {"category_source_id"},
                                          {"store_source_id"},
                                          {"quantity", Cell::kInt},
                                          {"unit_price", Cell::kString, true},
                                          {"paid_amount"}};

const std::vector<Column> kOrderUpdateColumns = {{"source_id", Cell::kString, true},
                                                 {"order_source_id", Cell::kString, true},
                                                 {"type", Cell::kString, true},
                                                 {"at", Cell::kString, true},
                                                 {"refund_amount"},
                                                 {"refund_lines", Cell::kRefundLines}};

const std::vector<Column> kEventColumns = {{"source_id", Cell::kString, true},
                                           {"user_external_id", Cell::kString, true},
                                           {"type", Cell::kString, true},
                                           {"name"},
                                           {"occurred_at", Cell::kString, true},
                                           {"channel"},
                                           {"page"},
                                           {"store_source_id"},
                                           {"product_source_id"},
                                           {"category_source_id"},
                                           {"search_query"},
                                           {"rating", Cell::kInt},
                                           {"properties", Cell::kObject}};

// The header's columns matched to the spec.
struct Layout {
  std::vector<const Column*> by_index;  // per header column
  size_t width = 0;
  std::optional<size_t> index_of_id;  // the column whose cell names the record
};

core::Result<Layout> MakeLayout(const CsvHeader& header, const std::vector<Column>& columns,
                                std::string_view id_column) {
  Layout layout;
  layout.width = header.size();
  std::vector<core::FieldError> unknown;
  for (size_t i = 0; i < header.size(); ++i) {
    const Column* match = nullptr;
    for (const auto& c : columns) {
      if (c.name == header.names()[i]) match = &c;
    }
    if (match == nullptr) {
      unknown.push_back(
          {header.names()[i], "unknown_column", "not a field of this record; see docs/import.md"});
    }
    layout.by_index.push_back(match);
  }
  if (!unknown.empty()) return core::InvalidFields("unknown_columns", std::move(unknown));
  std::vector<std::string_view> required;
  for (const auto& c : columns) {
    if (c.required) required.push_back(c.name);
  }
  SHOPCRM_RETURN_IF_ERROR(header.Require(required));
  layout.index_of_id = header.Find(id_column);
  return layout;
}

std::optional<int64_t> ParseInt64(std::string_view s) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    const size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

// The JSON value of one non-empty cell, or a field error.
std::optional<core::Json> CellValue(const Column& c, std::string_view text,
                                    std::vector<core::FieldError>& errors) {
  const std::string field(c.name);
  switch (c.cell) {
    case Cell::kString:
      return core::Json(std::string(text));
    case Cell::kInt:
      if (auto v = ParseInt64(text)) return core::Json(*v);
      errors.push_back({field, "must_be_integer", "expected a whole number"});
      return std::nullopt;
    case Cell::kObject: {
      auto j = core::ParseJson(text, {.max_bytes = 64 << 10, .max_depth = 8});
      if (j.ok() && j->is_object()) return std::move(j).value();
      errors.push_back({field, "must_be_object", "expected a JSON object's text, e.g. {\"k\":1}"});
      return std::nullopt;
    }
    case Cell::kList: {
      core::Json list = core::Json::array();
      for (auto part : Split(text, ';')) list.push_back(std::string(part));
      return list;
    }
    case Cell::kRefundLines: {
      core::Json list = core::Json::array();
      for (auto part : Split(text, ';')) {
        auto bits = Split(part, ':');
        auto line_no = bits.size() == 3 ? ParseInt64(bits[0]) : std::nullopt;
        auto quantity = bits.size() == 3 ? ParseInt64(bits[1]) : std::nullopt;
        if (!line_no || !quantity || bits[2].empty()) {
          errors.push_back({field, "invalid_refund_lines",
                            "expected line_no:quantity:amount items joined by ';', e.g. "
                            "1:1:25.00;3:2:10.00"});
          return std::nullopt;
        }
        list.push_back(
            {{"line_no", *line_no}, {"quantity", *quantity}, {"amount", std::string(bits[2])}});
      }
      return list;
    }
  }
  return std::nullopt;
}

// A CSV row as the JSON object of its record, or why it cannot be one.
core::Result<core::Json> RowToJson(const CsvRecord& rec, const Layout& layout) {
  if (rec.error) {
    return core::InvalidArgument(*rec.error, *rec.error == "csv_unterminated_quote"
                                                 ? "a quoted field is never closed"
                                                 : "text follows a closing quote");
  }
  if (rec.fields.size() != layout.width) {
    return core::InvalidArgument("csv_field_count",
                                 "the row has " + std::to_string(rec.fields.size()) +
                                     " fields, the header " + std::to_string(layout.width));
  }
  core::Json j = core::Json::object();
  std::vector<core::FieldError> errors;
  for (size_t i = 0; i < rec.fields.size(); ++i) {
    if (rec.fields[i].empty()) continue;
    const Column& c = *layout.by_index[i];
    if (auto v = CellValue(c, rec.fields[i], errors)) j[std::string(c.name)] = std::move(*v);
  }
  if (!errors.empty()) return core::InvalidFields("invalid_fields", std::move(errors));
  return j;
}

std::string IdOf(const CsvRecord& rec, const Layout& layout) {
  return layout.index_of_id ? std::string(rec.at(*layout.index_of_id)) : std::string();
}

// An open CSV file with its header read and matched.
struct CsvInput {
  std::string path;
  std::unique_ptr<std::ifstream> stream;
  std::unique_ptr<CsvReader> reader;
  Layout layout;
  int64_t size = 0;
};

core::Result<CsvInput> OpenCsv(const std::string& path, const std::vector<Column>& columns,
                               std::string_view id_column) {
  CsvInput in;
  in.path = path;
  SHOPCRM_ASSIGN_OR_RETURN(in.stream, internal::OpenInput(path));
  in.reader = std::make_unique<CsvReader>(*in.stream);
  in.size = internal::FileSize(path);
  CsvRecord header;
  if (!in.reader->Next(header)) {
    return core::InvalidFields("missing_columns",
                               {{"header", "missing_column", path + " has no header row"}});
  }
  auto layout = MakeLayout(CsvHeader(header), columns, id_column);
  if (!layout.ok()) {
    // Say which file: an orders import reads two.
    std::vector<core::FieldError> fields = layout.error().fields();
    for (auto& f : fields) f.detail = internal::BaseName(path) + ": " + f.detail;
    return core::InvalidFields(layout.error().reason(), std::move(fields));
  }
  in.layout = std::move(layout).value();
  return in;
}

// Reads NDJSON one line at a time: 1-based line numbers, blank lines skipped.
class NdjsonReader final {
 public:
  explicit NdjsonReader(std::istream& in) : in_(in) {}

  bool Next(std::string& line, int64_t& line_no) {
    while (std::getline(in_, line)) {
      consumed_ += static_cast<int64_t>(line.size()) + 1;
      ++line_no_;
      if (line_no_ == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (line.find_first_not_of(" \t") == std::string::npos) continue;
      line_no = line_no_;
      return true;
    }
    return false;
  }
  int64_t bytes_consumed() const { return consumed_; }

 private:
  std::istream& in_;
  int64_t line_no_ = 0;
  int64_t consumed_ = 0;
};

template <typename T>
using FromJson = Incoming<T> (*)(const core::Json&);

// The import of one file of one record kind (everything but CSV orders).
template <typename T>
core::Result<ImportReport> ImportFile(ImportRuns& runs, const ImportOptions& options,
                                      std::string kind, const std::string& path, FileFormat format,
                                      const std::vector<Column>& columns,
                                      std::string_view id_column, FromJson<T> from_json,
                                      typename Feed<T>::Write write, std::string_view entity) {
  SHOPCRM_RETURN_IF_ERROR(options.Validate());
  std::optional<CsvInput> csv;
  std::unique_ptr<std::ifstream> stream;
  if (format == FileFormat::kCsv) {
    SHOPCRM_ASSIGN_OR_RETURN(csv, OpenCsv(path, columns, id_column));
  } else {
    SHOPCRM_ASSIGN_OR_RETURN(stream, internal::OpenInput(path));
  }
  const int64_t size = internal::FileSize(path);
  ImportSession session(runs, options, std::move(kind), path);
  SHOPCRM_RETURN_IF_ERROR(session.Start());
  const size_t file = session.AddFile(internal::BaseName(path));
  Feed<T> feed(session, entity, std::move(write));

  auto run = [&]() -> core::Status {
    int64_t rows = 0;
    if (csv) {
      CsvRecord rec;
      while (csv->reader->Next(rec)) {
        session.CountRow(file);
        ++rows;
        const Origin origin{file, rec.number};
        auto j = RowToJson(rec, csv->layout);
        if (j.ok()) {
          SHOPCRM_RETURN_IF_ERROR(feed.Add(from_json(*j), origin));
        } else {
          SHOPCRM_RETURN_IF_ERROR(feed.Add({IdOf(rec, csv->layout), std::move(j).error()}, origin));
        }
        session.ShowProgress(entity, csv->reader->bytes_consumed(), size, rows);
      }
    } else {
      NdjsonReader reader(*stream);
      std::string line;
      int64_t line_no = 0;
      while (reader.Next(line, line_no)) {
        session.CountRow(file);
        ++rows;
        const Origin origin{file, line_no};
        auto j = core::ParseJson(line);
        if (j.ok()) {
          SHOPCRM_RETURN_IF_ERROR(feed.Add(from_json(*j), origin));
        } else {
          SHOPCRM_RETURN_IF_ERROR(feed.Add({"", std::move(j).error()}, origin));
        }
        session.ShowProgress(entity, reader.bytes_consumed(), size, rows);
      }
    }
    return feed.Flush();
  };
  auto st = run();
  return session.Finish(st.ok() ? "" : st.error().ToString());
}

}  // namespace

core::Result<ImportReport> Importer::Users(const std::string& path, FileFormat format) {
  return ImportFile<UserRecord>(
      runs_, options_, "users", path, format, kUserColumns, "external_id", UserFromJson,
      [this](std::span<const Incoming<UserRecord>> b) { return ingest_.Users(b); }, "users");
}

core::Result<ImportReport> Importer::OrderUpdates(const std::string& path, FileFormat format) {
  return ImportFile<OrderUpdateRecord>(
      runs_, options_, "order_updates", path, format, kOrderUpdateColumns, "source_id",
      OrderUpdateFromJson,
      [this](std::span<const Incoming<OrderUpdateRecord>> b) { return ingest_.OrderUpdates(b); },
      "order_updates");
}

core::Result<ImportReport> Importer::Events(const std::string& path, FileFormat format) {
  return ImportFile<EventRecord>(
      runs_, options_, "events", path, format, kEventColumns, "source_id", EventFromJson,
      [this](std::span<const Incoming<EventRecord>> b) { return ingest_.Events(b); }, "events");
}

core::Result<ImportReport> Importer::Orders(const std::string& path,
                                            const std::optional<std::string>& items_path,
                                            FileFormat format) {
  auto write = [this](std::span<const Incoming<OrderRecord>> b) { return ingest_.Orders(b); };
  if (format == FileFormat::kNdjson) {
    if (items_path) {
      return core::InvalidArgument("unsupported_format",
                                   "NDJSON orders carry their lines in \"items\"; a separate "
                                   "items file is only for CSV");
    }
    return ImportFile<OrderRecord>(runs_, options_, "orders", path, format, kOrderColumns,
                                   "source_id", OrderFromJson, write, "orders");
  }
  SHOPCRM_RETURN_IF_ERROR(options_.Validate());
  SHOPCRM_ASSIGN_OR_RETURN(CsvInput orders, OpenCsv(path, kOrderColumns, "source_id"));
  std::optional<CsvInput> items;
  if (items_path) {
    SHOPCRM_ASSIGN_OR_RETURN(items, OpenCsv(*items_path, kItemColumns, kJoinColumn));
  }
  ImportSession session(runs_, options_, "orders", items_path ? path + " + " + *items_path : path);
  SHOPCRM_RETURN_IF_ERROR(session.Start());
  const size_t orders_file = session.AddFile(internal::BaseName(path));
  const size_t items_file = items ? session.AddFile(internal::BaseName(*items_path)) : 0;
  Feed<OrderRecord> feed(session, "orders", write);
  const int64_t total = orders.size + (items ? items->size : 0);

  // The lines of each order, read up front: the two files need not share an order.
  struct Line {
    Origin origin;
    core::Result<core::Json> json;
    bool used = false;
  };
  std::unordered_map<std::string, std::vector<Line>> lines;
  int64_t rows = 0;
  if (items) {
    CsvRecord rec;
    while (items->reader->Next(rec)) {
      session.CountRow(items_file);
      ++rows;
      auto j = RowToJson(rec, items->layout);
      std::string order_id = IdOf(rec, items->layout);
      if (j.ok()) j->erase(std::string(kJoinColumn));
      lines[std::move(order_id)].push_back({{items_file, rec.number}, std::move(j)});
      session.ShowProgress("order lines", items->reader->bytes_consumed(), total, rows);
    }
  }

  auto run = [&]() -> core::Status {
    CsvRecord rec;
    while (orders.reader->Next(rec)) {
      session.CountRow(orders_file);
      ++rows;
      const Origin origin{orders_file, rec.number};
      const std::string id = IdOf(rec, orders.layout);
      auto j = RowToJson(rec, orders.layout);
      auto it = lines.find(id);
      if (j.ok()) {
        core::Json list = core::Json::array();
        const Line* bad = nullptr;
        if (it != lines.end()) {
          for (auto& l : it->second) {
            l.used = true;
            if (!l.json.ok() && bad == nullptr) bad = &l;
            if (l.json.ok()) list.push_back(*l.json);
          }
        }
        if (bad != nullptr) {
          // A line that cannot be read leaves the order incomplete.
          session.Reject(feed.entity(), bad->origin, bad->json.error());
        } else {
          (*j)["items"] = std::move(list);
          SHOPCRM_RETURN_IF_ERROR(feed.Add(OrderFromJson(*j), origin));
        }
      } else {
        if (it != lines.end()) {
          for (auto& l : it->second) l.used = true;
        }
        SHOPCRM_RETURN_IF_ERROR(feed.Add({id, std::move(j).error()}, origin));
      }
      session.ShowProgress("orders", (items ? items->size : 0) + orders.reader->bytes_consumed(),
                           total, rows);
    }
    SHOPCRM_RETURN_IF_ERROR(feed.Flush());
    std::vector<std::pair<Origin, const std::string*>> orphans;
    for (const auto& [order_id, order_lines] : lines) {
      for (const auto& l : order_lines) {
        if (!l.used) orphans.emplace_back(l.origin, &order_id);
      }
    }
    std::sort(orphans.begin(), orphans.end(),
              [](const auto& a, const auto& b) { return a.first.row < b.first.row; });
    for (const auto& [origin, order_id] : orphans) {
      session.Reject(feed.entity(), origin,
                     core::InvalidArgument("order_not_in_file", "no order '" + *order_id + "' in " +
                                                                    internal::BaseName(path)));
    }
    return session.RecordProgress();
  };
  auto st = run();
  return session.Finish(st.ok() ? "" : st.error().ToString());
}

}  // namespace shopcrm::profiles
