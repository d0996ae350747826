#include "store/postgres/postgres_database.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstring>
#include <unordered_map>

#include "core/log.h"
#include "store/internal/pooled_database.h"

namespace shopcrm::store::postgres {
namespace {

using core::Error;
using core::ErrorCode;

// Type OIDs from pg_type.h (stable across versions).
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kFloat4Oid = 700;
constexpr Oid kFloat8Oid = 701;

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

Error MapResultError(PGconn* conn, const PGresult* res, std::string_view sql) {
  const char* state_c = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const std::string state = state_c != nullptr ? state_c : "";
  const std::string msg = res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
  if (PQstatus(conn) != CONNECTION_OK) {
    core::log::Error("postgres connection lost", {{"error", msg}});
    return core::Unavailable("database_unavailable", "the database connection was lost");
  }
  if (state == "40001" || state == "40P01" || state == "55P03") {
    return core::Unavailable("database_busy", "the database is busy; retry");
  }
  if (state == "23505") return core::Conflict("unique_violation", msg);
  if (state.starts_with("23")) return core::Conflict("constraint_violation", msg);
  if (state.starts_with("08") || state.starts_with("57P")) {
    return core::Unavailable("database_unavailable", "the database is not available");
  }
  core::log::Error("postgres error",
                   {{"sqlstate", state}, {"error", msg}, {"sql", std::string(sql.substr(0, 200))}});
  return Error(ErrorCode::kInternal, "database_error", "a database statement failed");
}

Value Cell(const PGresult* res, int row, int col) {
  if (PQgetisnull(res, row, col) != 0) return Null();
  const char* text = PQgetvalue(res, row, col);
  const auto len = static_cast<size_t>(PQgetlength(res, row, col));
  switch (PQftype(res, col)) {
    case kInt8Oid:
    case kInt4Oid:
    case kInt2Oid: {
      int64_t v = 0;
      std::from_chars(text, text + len, v);
      return v;
    }
    case kBoolOid:
      return int64_t{text[0] == 't' ? 1 : 0};
    case kFloat4Oid:
    case kFloat8Oid: {
      double d = 0;
      std::from_chars(text, text + len, d);
      return d;
    }
    default:
      return std::string(text, len);
  }
}

class PgConnection final : public internal::Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  Backend backend() const override { return Backend::kPostgres; }

  core::Result<Rows> Query(std::string_view sql, std::span<const Value> params) override {
    SHOPCRM_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    Rows out;
    const int ncol = PQnfields(res.get());
    const int nrow = PQntuples(res.get());
    for (int c = 0; c < ncol; ++c) out.columns.emplace_back(PQfname(res.get(), c));
    out.rows.reserve(static_cast<size_t>(nrow));
    for (int r = 0; r < nrow; ++r) {
      std::vector<Value> values;
      values.reserve(static_cast<size_t>(ncol));
      for (int c = 0; c < ncol; ++c) values.push_back(Cell(res.get(), r, c));
      out.rows.emplace_back(std::move(values));
    }
    return out;
  }

  core::Result<int64_t> Execute(std::string_view sql, std::span<const Value> params) override {
    SHOPCRM_ASSIGN_OR_RETURN(ResultPtr res, Run(sql, params));
    const char* n = PQcmdTuples(res.get());
    int64_t count = 0;
    if (n != nullptr && *n != '\0') std::from_chars(n, n + std::strlen(n), count);
    return count;
  }

  core::Status ExecuteScript(std::string_view sql) override {
    const std::string text(sql);
    ResultPtr res(PQexec(conn_, text.c_str()));
    const auto status = PQresultStatus(res.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return MapResultError(conn_, res.get(), sql);
    }
    return core::Status::Ok();
  }

  core::Status Begin(TxMode mode) override {
    return ExecuteScript(mode == TxMode::kRead ? "BEGIN READ ONLY" : "BEGIN");
  }
  core::Status Commit() override { return ExecuteScript("COMMIT"); }
  core::Status Rollback() override {
    if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return core::Status::Ok();
    return ExecuteScript("ROLLBACK");
  }
  bool broken() const override {
    return PQstatus(conn_) != CONNECTION_OK || PQtransactionStatus(conn_) != PQTRANS_IDLE;
  }

 private:
  core::Result<ResultPtr> Run(std::string_view sql, std::span<const Value> params) {
    SHOPCRM_ASSIGN_OR_RETURN(const std::string* name,
                             Prepare(sql, static_cast<int>(params.size())));
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* v = std::get_if<int64_t>(&params[i])) {
        text[i] = std::to_string(*v);
      } else if (const auto* d = std::get_if<double>(&params[i])) {
        char buf[32];
        auto [p, ec] = std::to_chars(buf, buf + sizeof buf, *d);
        text[i].assign(buf, p);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        text[i] = *s;
      } else {
        continue;  // NULL
      }
      values[i] = text[i].c_str();
    }
    ResultPtr res(PQexecPrepared(conn_, name->c_str(), static_cast<int>(params.size()),
                                 values.data(), nullptr, nullptr, 0));
    const auto status = PQresultStatus(res.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
      return MapResultError(conn_, res.get(), sql);
    }
    return res;
  }

  core::Result<const std::string*> Prepare(std::string_view sql, int nparams) {
    auto it = prepared_.find(std::string(sql));
    if (it != prepared_.end()) return &it->second;
    std::string name = "s" + std::to_string(prepared_.size());
    const std::string numbered = NumberPlaceholders(sql);
    ResultPtr res(PQprepare(conn_, name.c_str(), numbered.c_str(), nparams, nullptr));
    if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return MapResultError(conn_, res.get(), sql);
    return &prepared_.emplace(std::string(sql), std::move(name)).first->second;
  }

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;  // sql -> statement name
};

core::Result<std::unique_ptr<internal::Connection>> Connect(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return core::Unavailable("database_unavailable", "cannot connect to PostgreSQL: " + msg);
  }
  auto c = std::make_unique<PgConnection>(conn);
  // Quiet NOTICEs (e.g. "relation already exists, skipping") and keep UTC.
  SHOPCRM_RETURN_IF_ERROR(
      c->ExecuteScript("SET client_min_messages = warning; SET TIME ZONE 'UTC'"));
  return std::unique_ptr<internal::Connection>(std::move(c));
}

}  // namespace

std::string NumberPlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // copy a quoted run verbatim ('' and "" escape themselves)
      const size_t end = sql.find(c, i + 1);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const size_t end = sql.find('\n', i);
      const size_t stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '/' && i + 1 < sql.size() && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      const size_t stop = end == std::string_view::npos ? sql.size() : end + 2;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

core::Result<std::unique_ptr<Database>> OpenPostgres(const std::string& conninfo,
                                                     const DatabaseOptions& options) {
  auto db = std::make_unique<internal::PooledDatabase>(Backend::kPostgres, options,
                                                       [conninfo] { return Connect(conninfo); });
  SHOPCRM_RETURN_IF_ERROR(db->Warm());
  return std::unique_ptr<Database>(std::move(db));
}

}  // namespace shopcrm::store::postgres
