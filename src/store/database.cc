#include "store/database.h"

#include <cassert>

#include "store/postgres/postgres_database.h"
#include "store/sqlite/sqlite_database.h"

namespace shopcrm::store {

std::string_view BackendName(Backend b) {
  switch (b) {
    case Backend::kSqlite:
      return "sqlite";
    case Backend::kPostgres:
      return "postgresql";
  }
  return "sqlite";
}

int64_t Row::Int(size_t i) const {
  const auto& v = values_.at(i);
  if (const auto* x = std::get_if<int64_t>(&v)) return *x;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  assert(false && "column is not an integer");
  return 0;
}

double Row::Double(size_t i) const {
  const auto& v = values_.at(i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* x = std::get_if<int64_t>(&v)) return static_cast<double>(*x);
  assert(false && "column is not a number");
  return 0;
}

const std::string& Row::Text(size_t i) const {
  static const std::string kEmpty;
  const auto& v = values_.at(i);
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  assert(std::holds_alternative<std::monostate>(v) && "column is not text");
  return kEmpty;
}

std::optional<int64_t> Row::OptionalInt(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Int(i);
}

std::optional<std::string> Row::OptionalText(size_t i) const {
  if (IsNull(i)) return std::nullopt;
  return Text(i);
}

core::Result<Row> Session::QueryOne(std::string_view sql, std::initializer_list<Value> params,
                                    std::string_view not_found_reason, std::string_view what) {
  SHOPCRM_ASSIGN_OR_RETURN(Rows rows, Query(sql, params));
  if (rows.empty()) return core::NotFound(std::string(not_found_reason), std::string(what));
  return std::move(rows.rows.front());
}

core::Status DatabaseOptions::Validate() const {
  std::vector<core::FieldError> errors;
  if (!url.starts_with("sqlite:") && !url.starts_with("postgresql://") &&
      !url.starts_with("postgres://")) {
    errors.push_back({"database.url", "unsupported_scheme",
                      "use sqlite:PATH or postgresql://USER@HOST:PORT/DB"});
  }
  if (pool_size < 1 || pool_size > 256) {
    errors.push_back({"database.pool_size", "out_of_range", "must be between 1 and 256"});
  }
  if (sqlite_synchronous != "normal" && sqlite_synchronous != "full") {
    errors.push_back({"database.sqlite_synchronous", "not_allowed", "must be normal or full"});
  }
  if (sqlite_page_size < 4096 || sqlite_page_size > 65536 ||
      (sqlite_page_size & (sqlite_page_size - 1)) != 0) {
    errors.push_back(
        {"database.sqlite_page_size", "not_allowed", "must be a power of two from 4096 to 65536"});
  }
  if (sqlite_checkpoint_pages < 16 || sqlite_checkpoint_pages > 1000000) {
    errors.push_back(
        {"database.sqlite_checkpoint_pages", "out_of_range", "must be between 16 and 1000000"});
  }
  if (max_retries < 0 || max_retries > 100) {
    errors.push_back({"database.max_retries", "out_of_range", "must be between 0 and 100"});
  }
  if (busy_timeout.count() < 0) {
    errors.push_back({"database.busy_timeout_ms", "out_of_range", "must not be negative"});
  }
  if (errors.empty()) return core::Status::Ok();
  return core::InvalidArgument("invalid_config", "the database configuration is invalid",
                               std::move(errors));
}

core::Result<std::unique_ptr<Database>> Database::Open(const DatabaseOptions& options) {
  SHOPCRM_RETURN_IF_ERROR(options.Validate());
  const std::string& url = options.url;
  if (url.starts_with("sqlite:")) {
    std::string path = url.substr(7);
    if (path.starts_with("//")) path = path.substr(2);  // sqlite:///abs/path
    if (path.empty()) {
      return core::InvalidArgument("invalid_database_url",
                                   "sqlite URL needs a path: sqlite:./data/shopcrm.db");
    }
    return sqlite::OpenSqlite(path, options);
  }
  return postgres::OpenPostgres(url, options);
}

}  // namespace shopcrm::store
