#include "profiles/ingest.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>
#include <unordered_map>

#include "core/json.h"
#include "core/log.h"
#include "core/money.h"
#include "profiles/record_json.h"

namespace shopcrm::profiles {
namespace {

// The largest amount one order or line may carry: 10^13 minor units
// (100 billion yuan), far from int64 overflow even summed over a batch.
constexpr int64_t kMaxAmountMinor = 10'000'000'000'000;

using store::Null;
using store::OrNull;
using store::Session;
using store::Value;

// --- validation helpers --------------------------------------------------

class Checker final {
 public:
  void Id(std::string_view field, const std::string& v) {
    if (v.empty()) Add(field, "required", "must not be empty");
    if (v.size() > kMaxIdLength) Add(field, "too_long", "at most 128 bytes");
  }
  void Text(std::string_view field, const std::string& v) {
    if (v.size() > kMaxTextLength) Add(field, "too_long", "at most 512 bytes");
  }
  // Amounts and counts: 0 up to kMaxAmountMinor.
  void Amount(std::string_view field, int64_t v) {
    if (v < 0) Add(field, "must_not_be_negative", "must be 0 or more");
    if (v > kMaxAmountMinor) Add(field, "amount_too_large", "at most 100000000000.00");
  }
  void Add(std::string_view field, std::string reason, std::string detail) {
    errors_.push_back({std::string(field), std::move(reason), std::move(detail)});
  }
  core::Status Finish() {
    if (errors_.empty()) return core::Status::Ok();
    return core::InvalidFields("invalid_fields", std::move(errors_));
  }

 private:
  std::vector<core::FieldError> errors_;
};

bool IsDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int y = 0;
  unsigned m = 0, d = 0;
  if (std::from_chars(s.data(), s.data() + 4, y).ptr != s.data() + 4) return false;
  if (std::from_chars(s.data() + 5, s.data() + 7, m).ptr != s.data() + 7) return false;
  if (std::from_chars(s.data() + 8, s.data() + 10, d).ptr != s.data() + 10) return false;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  return ymd.ok() && y >= 1900;
}

bool IsPhone(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '+' || c == '-' || c == ' ';
  });
}

int64_t Micros(core::Instant t) { return core::ToUnixMicros(t); }
Value OptMicros(const std::optional<core::Instant>& t) { return t ? Value(Micros(*t)) : Null(); }

// Runs `write` for every parsed, valid record inside one write transaction
// and reports the outcome of each in input order.
template <typename T, typename Check, typename Write>
core::Result<BatchResult> RunBatch(
    store::Database& db, std::span<const Incoming<T>> batch, Check check, Write write,
    const std::function<void()>& on_attempt = [] {}) {
  if (batch.size() > kMaxBatchRecords) {
    return core::Error(core::ErrorCode::kPayloadTooLarge, "batch_too_large",
                       "a batch holds at most " + std::to_string(kMaxBatchRecords) + " records");
  }
  std::vector<std::optional<RecordResult>> early(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& in = batch[i];
    if (!in.record.ok()) {
      early[i] = Rejected(in.source_id, in.record.error());
      continue;
    }
    auto st = check(*in.record);
    if (!st.ok()) early[i] = Rejected(in.source_id, st.error());
  }
  BatchResult out;
  auto attempt = [&](Session& s) -> core::Status {
    out = BatchResult{};
    on_attempt();  // a retried transaction starts from scratch
    out.results.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      if (early[i]) {
        out.Add(*early[i]);
        continue;
      }
      SHOPCRM_ASSIGN_OR_RETURN(RecordResult r, write(s, *batch[i].record));
      if (r.source_id.empty()) r.source_id = batch[i].source_id;
      out.Add(std::move(r));
    }
    return core::Status::Ok();
  };
  // A unique violation means a concurrent copy of some record committed
  // between our read and our insert; run again, and it reads as a duplicate.
  core::Status st;
  for (int i = 0; i < 3; ++i) {
    st = db.Transact(store::TxMode::kWrite, attempt);
    if (st.ok() || st.error().reason() != "unique_violation") break;
  }
  if (!st.ok()) return std::move(st).error();
  return out;
}

RecordResult Accepted(int64_t id) {
  RecordResult r;
  r.outcome = Outcome::kAccepted;
  r.id = id;
  return r;
}

RecordResult Duplicate(std::optional<int64_t> id) {
  RecordResult r;
  r.outcome = Outcome::kDuplicate;
  r.id = id;
  return r;
}

RecordResult RejectedWith(std::string reason, std::string field, std::string detail) {
  RecordResult r;
  r.outcome = Outcome::kRejected;
  r.reason = std::move(reason);
  r.field = std::move(field);
  r.detail = std::move(detail);
  return r;
}

// Resolves mall user ids to ours, creating bare users for unknown ids.
class UserResolver final {
 public:
  UserResolver(core::IdGenerator& ids, int64_t now) : ids_(ids), now_(now) {}

  void Reset() { cache_.clear(); }

  // Resolves many ids with a few set-based statements: looks them up, creates
  // the missing ones as bare users, and looks those up again (another writer
  // may have created some meanwhile).
  core::Status Prefetch(Session& s, const std::vector<std::string>& external_ids) {
    std::vector<std::string> missing;
    SHOPCRM_RETURN_IF_ERROR(Lookup(s, external_ids, &missing));
    if (missing.empty()) return core::Status::Ok();
    for (size_t start = 0; start < missing.size(); start += kChunk) {
      const size_t n = std::min(kChunk, missing.size() - start);
      std::string sql =
          "INSERT INTO users (id, external_id, is_bare, created_at, updated_at) VALUES ";
      std::vector<Value> params;
      params.reserve(n * 4);
      for (size_t i = 0; i < n; ++i) {
        sql += i == 0 ? "(?, ?, 1, ?, ?)" : ", (?, ?, 1, ?, ?)";
        params.insert(params.end(), {ids_.Next(), missing[start + i], now_, now_});
      }
      sql += " ON CONFLICT (external_id) DO NOTHING";
      SHOPCRM_RETURN_IF_ERROR(s.Execute(sql, params).status());
    }
    std::vector<std::string> still_missing;
    SHOPCRM_RETURN_IF_ERROR(Lookup(s, missing, &still_missing));
    if (!still_missing.empty()) {
      return core::Error(core::ErrorCode::kInternal, "internal", "bare user vanished");
    }
    return core::Status::Ok();
  }

  core::Result<int64_t> Resolve(Session& s, const std::string& external_id) {
    auto it = cache_.find(external_id);
    if (it != cache_.end()) return it->second;
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT id FROM users WHERE external_id = ?", {external_id}));
    if (rows.empty()) {
      SHOPCRM_RETURN_IF_ERROR(
          s.Execute("INSERT INTO users (id, external_id, is_bare, created_at, updated_at) "
                    "VALUES (?, ?, 1, ?, ?) ON CONFLICT (external_id) DO NOTHING",
                    {ids_.Next(), external_id, now_, now_})
              .status());
      SHOPCRM_ASSIGN_OR_RETURN(
          rows, s.Query("SELECT id FROM users WHERE external_id = ?", {external_id}));
      if (rows.empty()) {
        return core::Error(core::ErrorCode::kInternal, "internal", "bare user vanished");
      }
    }
    const int64_t id = rows.rows[0].Int(0);
    cache_.emplace(external_id, id);
    return id;
  }

 private:
  static constexpr size_t kChunk = 200;

  core::Status Lookup(Session& s, const std::vector<std::string>& external_ids,
                      std::vector<std::string>* missing) {
    std::vector<std::string> wanted;
    for (const auto& id : external_ids) {
      if (!cache_.contains(id)) wanted.push_back(id);
    }
    for (size_t start = 0; start < wanted.size(); start += kChunk) {
      const size_t n = std::min(kChunk, wanted.size() - start);
      std::string sql = "SELECT external_id, id FROM users WHERE external_id IN (?";
      for (size_t i = 1; i < n; ++i) sql += ", ?";
      sql += ")";
      std::vector<Value> params(wanted.begin() + static_cast<ptrdiff_t>(start),
                                wanted.begin() + static_cast<ptrdiff_t>(start + n));
      SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
      for (const auto& r : rows.rows) cache_.emplace(r.Text(0), r.Int(1));
    }
    for (const auto& id : wanted) {
      if (!cache_.contains(id)) missing->push_back(id);
    }
    return core::Status::Ok();
  }

  core::IdGenerator& ids_;
  int64_t now_;
  std::unordered_map<std::string, int64_t> cache_;
};

// Upserts one row keyed by source_id: inserts, reports a duplicate when the
// stored values equal `values`, or updates them.
core::Result<RecordResult> UpsertBySourceId(Session& s, core::IdGenerator& ids, int64_t now,
                                            std::string_view table,
                                            const std::vector<std::string>& columns,
                                            const std::string& source_id,
                                            const std::vector<Value>& values) {
  std::string cols;
  for (const auto& c : columns) cols += (cols.empty() ? "" : ", ") + c;
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, " + cols + " FROM " + std::string(table) +
                                                  " WHERE source_id = ?",
                                              {source_id}));
  if (rows.empty()) {
    std::vector<Value> params = {ids.Next(), source_id};
    params.insert(params.end(), values.begin(), values.end());
    params.push_back(now);
    params.push_back(now);
    std::string marks = "?, ?";
    for (size_t i = 0; i < columns.size() + 2; ++i) marks += ", ?";
    SHOPCRM_RETURN_IF_ERROR(s.Execute("INSERT INTO " + std::string(table) + " (id, source_id, " +
                                          cols + ", created_at, updated_at) VALUES (" + marks + ")",
                                      params)
                                .status());
    return Accepted(std::get<int64_t>(params[0]));
  }
  const store::Row& row = rows.rows[0];
  bool same = true;
  for (size_t i = 0; i < columns.size() && same; ++i) same = row.at(i + 1) == values[i];
  if (same) return Duplicate(row.Int(0));
  std::string sets;
  for (const auto& c : columns) sets += (sets.empty() ? "" : ", ") + c + " = ?";
  std::vector<Value> params = values;
  params.push_back(now);
  params.push_back(row.Int(0));
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("UPDATE " + std::string(table) + " SET " + sets + ", updated_at = ? WHERE id = ?",
                params)
          .status());
  RecordResult r = Accepted(row.Int(0));
  r.updated = true;
  return r;
}

// --- orders ---------------------------------------------------------------

struct OrderState {
  int64_t id = 0;
  std::string status;
  std::string currency;
  int64_t paid_minor = 0;
  int64_t refunded_minor = 0;
  std::optional<int64_t> paid_at;
};

// On PostgreSQL (READ COMMITTED), concurrent batches touching one order are
// serialised by a transaction-scoped advisory lock on the order's mall id,
// taken before the order is read or created, and on the order row itself. So
// two refunds cannot both pass the check, and an update cannot be held while
// its order is being inserted. SQLite has a single writer already.
core::Status LockOrderKey(Session& s, const std::string& order_source_id) {
  if (s.backend() != store::Backend::kPostgres) return core::Status::Ok();
  return s.Query("SELECT pg_advisory_xact_lock(73690002, hashtext(?))", {order_source_id}).status();
}

core::Result<std::optional<OrderState>> LoadOrder(Session& s, const std::string& source_id) {
  SHOPCRM_RETURN_IF_ERROR(LockOrderKey(s, source_id));
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, status, currency, paid_minor, "
                                              "refunded_minor, paid_at FROM orders "
                                              "WHERE source_id = ?",
                                              {source_id}));
  if (rows.empty()) return std::optional<OrderState>();
  const auto& r = rows.rows[0];
  return std::optional<OrderState>(
      OrderState{r.Int(0), r.Text(1), r.Text(2), r.Int(3), r.Int(4), r.OptionalInt(5)});
}

core::Json UpdateJson(const OrderUpdateRecord& u) {
  core::Json lines = core::Json::array();
  for (const auto& l : u.refund_lines) {
    lines.push_back(
        {{"line_no", l.line_no},
         {"quantity", l.quantity},
         {"amount", core::Money(l.amount_minor, core::Currency::Cny()).ToDecimalString()}});
  }
  core::Json j = {{"source_id", u.source_id},
                  {"order_source_id", u.order_source_id},
                  {"type", u.type},
                  {"at", core::FormatRfc3339(u.at)}};
  if (u.type == "refunded") {
    j["refund_amount"] = core::Money(u.refund_minor, core::Currency::Cny()).ToDecimalString();
    j["refund_lines"] = std::move(lines);
  }
  return j;
}

// Applies one status change to a stored order. Returns a rejection (no
// write) when the change does not fit the order's state.
core::Result<RecordResult> ApplyUpdate(Session& s, core::IdGenerator& ids, OrderState& o,
                                       const OrderUpdateRecord& u, bool in_order_units = false) {
  SHOPCRM_ASSIGN_OR_RETURN(
      auto dup, s.Query("SELECT id FROM order_status_history WHERE source_id = ?", {u.source_id}));
  if (!dup.empty()) return Duplicate(dup.rows[0].Int(0));
  const int64_t at = Micros(u.at);
  if (u.type == "paid" || u.type == "completed") {
    if (o.status == "cancelled") {
      return RejectedWith("order_cancelled", "type",
                          "the order was cancelled; it cannot become " + u.type);
    }
    std::string next = o.status;
    if (u.type == "paid" && o.status == "created") next = "paid";
    if (u.type == "completed" && (o.status == "created" || o.status == "paid")) next = "completed";
    const char* sql = u.type == "paid"
                          ? "UPDATE orders SET status = ?, paid_at = COALESCE(paid_at, ?) "
                            "WHERE id = ?"
                          : "UPDATE orders SET status = ?, paid_at = COALESCE(paid_at, ?), "
                            "completed_at = ? WHERE id = ?";
    if (u.type == "paid") {
      SHOPCRM_RETURN_IF_ERROR(s.Execute(sql, {next, at, o.id}).status());
    } else {
      SHOPCRM_RETURN_IF_ERROR(s.Execute(sql, {next, at, at, o.id}).status());
    }
    o.status = next;
    if (!o.paid_at) o.paid_at = at;
  } else if (u.type == "cancelled") {
    if (o.paid_at) {
      return RejectedWith("order_already_paid", "type",
                          "a paid order is not cancelled; send a refund instead");
    }
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE orders SET status = 'cancelled', cancelled_at = ? WHERE id = ?",
                  {at, o.id})
            .status());
    o.status = "cancelled";
  } else {  // refunded
    // Refund amounts were read with two decimals; orders in a currency with
    // none (JPY, KRW…) take whole units only.
    if (auto c = core::Currency::Parse(o.currency);
        !in_order_units && c.ok() && c->minor_digits() == 0) {
      bool whole = u.refund_minor % 100 == 0;
      for (const auto& l : u.refund_lines) whole = whole && l.amount_minor % 100 == 0;
      if (!whole) {
        return RejectedWith("invalid_amount", "refund_amount",
                            "the order's currency " + o.currency + " has no minor units");
      }
      OrderUpdateRecord scaled = u;
      scaled.refund_minor /= 100;
      for (auto& l : scaled.refund_lines) l.amount_minor /= 100;
      return ApplyUpdate(s, ids, o, scaled, true);
    }
    if (!o.paid_at || o.status == "cancelled") {
      return RejectedWith("order_not_paid", "type", "only a paid order can be refunded");
    }
    if (u.refund_minor > o.paid_minor - o.refunded_minor) {
      return RejectedWith("refund_exceeds_paid", "refund_amount",
                          "the refunds would exceed what was paid for the order");
    }
    if (!u.refund_lines.empty()) {
      SHOPCRM_ASSIGN_OR_RETURN(auto lines, s.Query("SELECT line_no, quantity, paid_minor, "
                                                   "refunded_quantity, refunded_minor "
                                                   "FROM order_items WHERE order_id = ?",
                                                   {o.id}));
      for (size_t i = 0; i < u.refund_lines.size(); ++i) {
        const auto& l = u.refund_lines[i];
        const std::string field = "refund_lines[" + std::to_string(i) + "]";
        auto it = std::find_if(lines.rows.begin(), lines.rows.end(),
                               [&](const store::Row& r) { return r.Int(0) == l.line_no; });
        if (it == lines.rows.end()) {
          return RejectedWith("unknown_order_line", field + ".line_no",
                              "the order has no line " + std::to_string(l.line_no));
        }
        if (l.quantity > it->Int(1) - it->Int(3)) {
          return RejectedWith("refund_exceeds_quantity", field + ".quantity",
                              "more units refunded than the line has left");
        }
        if (l.amount_minor > it->Int(2) - it->Int(4)) {
          return RejectedWith("refund_exceeds_line", field + ".amount",
                              "more refunded than was paid for the line");
        }
      }
      for (const auto& l : u.refund_lines) {
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE order_items SET refunded_quantity = refunded_quantity + ?, "
                      "refunded_minor = refunded_minor + ? WHERE order_id = ? AND line_no = ?",
                      {l.quantity, l.amount_minor, o.id, l.line_no})
                .status());
      }
    }
    o.refunded_minor += u.refund_minor;
    if (o.refunded_minor == o.paid_minor) o.status = "refunded";
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE orders SET refunded_minor = ?, refunded_at = ?, status = ? WHERE id = ?",
                  {o.refunded_minor, at, o.status, o.id})
            .status());
  }
  const int64_t hid = ids.Next();
  SHOPCRM_RETURN_IF_ERROR(
      s.Execute("INSERT INTO order_status_history (id, order_id, source_id, status, at, "
                "refund_minor) VALUES (?, ?, ?, ?, ?, ?)",
                {hid, o.id, u.source_id, u.type, at, u.refund_minor})
          .status());
  return Accepted(hid);
}

// Applies the updates that waited for order `o`, oldest first. An update
// that no longer fits is recorded in the history as "update_rejected".
core::Status ApplyHeld(Session& s, core::IdGenerator& ids, OrderState& o,
                       const std::string& order_source_id) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT id, payload FROM held_order_updates "
                                              "WHERE order_source_id = ? ORDER BY received_at, id",
                                              {order_source_id}));
  if (rows.empty()) return core::Status::Ok();
  std::vector<OrderUpdateRecord> updates;
  for (const auto& r : rows.rows) {
    auto j = core::ParseJson(r.Text(1));
    if (!j.ok()) continue;
    auto in = OrderUpdateFromJson(*j);
    if (in.record.ok()) updates.push_back(std::move(in.record).value());
  }
  std::stable_sort(updates.begin(), updates.end(),
                   [](const auto& a, const auto& b) { return a.at < b.at; });
  for (const auto& u : updates) {
    SHOPCRM_ASSIGN_OR_RETURN(RecordResult r, ApplyUpdate(s, ids, o, u));
    if (r.outcome == Outcome::kRejected) {
      core::log::Warn("held order update rejected",
                      {{"source_id", u.source_id}, {"reason", r.reason}});
      SHOPCRM_RETURN_IF_ERROR(
          s.Execute("INSERT INTO order_status_history (id, order_id, source_id, status, at, "
                    "refund_minor, detail) VALUES (?, ?, ?, 'update_rejected', ?, 0, ?)",
                    {ids.Next(), o.id, u.source_id, Micros(u.at), r.reason + ": " + r.detail})
              .status());
    }
  }
  return s.Execute("DELETE FROM held_order_updates WHERE order_source_id = ?", {order_source_id})
      .status();
}

// The paid amount of each line: as sent, or (goods - discount) allocated in
// proportion to the lines' gross amounts.
core::Result<std::vector<int64_t>> LinePaid(const OrderRecord& o) {
  std::vector<int64_t> paid;
  bool all_given = true;
  std::vector<int64_t> gross;
  for (const auto& it : o.items) {
    all_given = all_given && it.paid_minor.has_value();
    gross.push_back(it.quantity * it.unit_price_minor);
  }
  if (all_given) {
    for (const auto& it : o.items) paid.push_back(*it.paid_minor);
    return paid;
  }
  const int64_t net_goods = std::max<int64_t>(0, o.goods_minor - o.discount_minor);
  int64_t total_gross = 0;
  for (int64_t g : gross) total_gross += g;
  if (total_gross == 0) return std::vector<int64_t>(o.items.size(), 0);
  return core::AllocateProportionally(net_goods, gross);
}

}  // namespace

// --- validation ------------------------------------------------------------

core::Status ValidateStore(const StoreRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  if (r.name.empty()) c.Add("name", "required", "must not be empty");
  c.Text("name", r.name);
  return c.Finish();
}

core::Status ValidateCategory(const CategoryRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  if (r.name.empty()) c.Add("name", "required", "must not be empty");
  c.Text("name", r.name);
  if (r.parent_source_id && *r.parent_source_id == r.source_id) {
    c.Add("parent_source_id", "parent_is_self", "a category cannot be its own parent");
  }
  return c.Finish();
}

core::Status ValidateProduct(const ProductRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  if (r.name.empty()) c.Add("name", "required", "must not be empty");
  c.Text("name", r.name);
  if (r.price_minor) c.Amount("price", *r.price_minor);
  if (!core::Currency::Parse(r.currency).ok()) {
    c.Add("currency", "invalid_currency", "expected an ISO 4217 code such as \"CNY\"");
  }
  return c.Finish();
}

core::Status ValidateUser(const UserRecord& r) {
  Checker c;
  c.Id("external_id", r.external_id);
  if (r.external_id.starts_with("erased:")) {
    c.Add("external_id", "reserved_id", "ids starting with \"erased:\" name erased users");
  }
  if (r.phone && !r.phone->empty() && !IsPhone(*r.phone)) {
    c.Add("phone", "invalid_phone", "digits, '+', '-' and spaces only, at most 32");
  }
  if (r.gender && *r.gender != "male" && *r.gender != "female" && *r.gender != "unknown") {
    c.Add("gender", "invalid_enum", "expected one of: male, female, unknown");
  }
  if (r.birthday && !IsDate(*r.birthday)) {
    c.Add("birthday", "invalid_date", "expected a date YYYY-MM-DD");
  }
  if (r.referrer_external_id && *r.referrer_external_id == r.external_id) {
    c.Add("referrer_external_id", "referrer_is_self", "a user cannot refer themselves");
  }
  return c.Finish();
}

core::Status ValidateOrder(const OrderRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  c.Id("user_external_id", r.user_external_id);
  if (!core::Currency::Parse(r.currency).ok()) {
    c.Add("currency", "invalid_currency", "expected an ISO 4217 code such as \"CNY\"");
  }
  c.Amount("goods_amount", r.goods_minor);
  c.Amount("discount_amount", r.discount_minor);
  c.Amount("shipping_amount", r.shipping_minor);
  c.Amount("paid_amount", r.paid_minor);
  if (r.status != "created" && r.status != "paid" && r.status != "completed" &&
      r.status != "cancelled") {
    c.Add("status", "invalid_enum", "expected one of: created, paid, completed, cancelled");
  }
  if (r.status == "cancelled" && r.paid_at) {
    c.Add("paid_at", "cancelled_after_payment",
          "a paid order is not cancelled; send it as paid and then a refund");
  }
  if (r.status == "cancelled" && r.completed_at) {
    c.Add("completed_at", "cancelled_after_payment",
          "a completed order is not cancelled; send a refund instead");
  }
  if (r.status != "cancelled" && r.cancelled_at) {
    c.Add("cancelled_at", "status_mismatch", "cancelled_at needs status \"cancelled\"");
  }
  // An order may come without lines: marketplaces report orders cancelled or
  // found unavailable before any line was confirmed.
  std::set<int64_t> lines;
  int64_t gross = 0;
  for (size_t i = 0; i < r.items.size(); ++i) {
    const auto& it = r.items[i];
    const std::string p = "items[" + std::to_string(i) + "].";
    if (it.line_no < 1) c.Add(p + "line_no", "must_be_positive", "line numbers start at 1");
    if (!lines.insert(it.line_no).second) {
      c.Add(p + "line_no", "duplicate_line", "two lines share this line number");
    }
    c.Id(p + "sku", it.sku);
    if (it.quantity < 1 || it.quantity > 1000000) {
      c.Add(p + "quantity", "out_of_range", "must be 1 to 1000000");
    }
    c.Amount(p + "unit_price", it.unit_price_minor);
    if (it.paid_minor) c.Amount(p + "paid_amount", *it.paid_minor);
    int64_t line_gross = 0;
    if (__builtin_mul_overflow(it.quantity, it.unit_price_minor, &line_gross) ||
        __builtin_add_overflow(gross, line_gross, &gross) || gross > kMaxAmountMinor) {
      c.Add(p + "unit_price", "amount_overflow", "the order's lines add up to too much");
      gross = 0;
    }
  }
  if (r.discount_minor > r.goods_minor + r.shipping_minor) {
    c.Add("discount_amount", "discount_exceeds_total",
          "the discount is larger than goods and shipping together");
  }
  return c.Finish();
}

core::Status ValidateOrderUpdate(const OrderUpdateRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  c.Id("order_source_id", r.order_source_id);
  if (r.type != "paid" && r.type != "completed" && r.type != "cancelled" && r.type != "refunded") {
    c.Add("type", "invalid_enum", "expected one of: paid, completed, cancelled, refunded");
  }
  if (r.type == "refunded") {
    if (r.refund_minor <= 0) c.Add("refund_amount", "must_be_positive", "must be more than 0");
    int64_t sum = 0;
    std::set<int64_t> lines;
    for (size_t i = 0; i < r.refund_lines.size(); ++i) {
      const std::string p = "refund_lines[" + std::to_string(i) + "].";
      if (!lines.insert(r.refund_lines[i].line_no).second) {
        c.Add(p + "line_no", "duplicate_line", "each line is refunded at most once per update");
      }
      c.Amount(p + "quantity", r.refund_lines[i].quantity);
      c.Amount(p + "amount", r.refund_lines[i].amount_minor);
      sum += r.refund_lines[i].amount_minor;
    }
    if (!r.refund_lines.empty() && sum != r.refund_minor) {
      c.Add("refund_lines", "refund_lines_mismatch",
            "the refunded lines must add up to refund_amount");
    }
  } else if (r.refund_minor != 0 || !r.refund_lines.empty()) {
    c.Add("refund_amount", "not_a_refund", "only a refunded update carries refund amounts");
  }
  return c.Finish();
}

core::Status ValidateEvent(const EventRecord& r) {
  Checker c;
  c.Id("source_id", r.source_id);
  c.Id("user_external_id", r.user_external_id);
  const auto& types = EventTypes();
  if (std::find(types.begin(), types.end(), r.type) == types.end()) {
    c.Add("type", "invalid_enum",
          "expected one of: visit, search, favourite, cart_add, share, review, login, "
          "check_in, purchase, custom");
  }
  if (r.type == "custom" && !r.name) c.Add("name", "required", "a custom event needs a name");
  if (r.page) {
    const auto& pages = VisitPages();
    if (std::find(pages.begin(), pages.end(), *r.page) == pages.end()) {
      c.Add("page", "invalid_enum", "expected one of: home, store, product, other");
    }
  }
  if (r.rating && (*r.rating < 1 || *r.rating > 5)) {
    c.Add("rating", "out_of_range", "a rating is 1 to 5");
  }
  return c.Finish();
}

// --- batches ---------------------------------------------------------------

core::Result<BatchResult> Ingest::Stores(std::span<const Incoming<StoreRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  return RunBatch<StoreRecord>(db_, batch, ValidateStore, [&](Session& s, const StoreRecord& r) {
    return UpsertBySourceId(
        s, ids_, now, "stores", {"name", "city", "province", "is_platform"}, r.source_id,
        {r.name, OrNull(r.city), OrNull(r.province), Value(int64_t{r.is_platform ? 1 : 0})});
  });
}

core::Result<BatchResult> Ingest::Categories(std::span<const Incoming<CategoryRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  return RunBatch<CategoryRecord>(
      db_, batch, ValidateCategory, [&](Session& s, const CategoryRecord& r) {
        return UpsertBySourceId(s, ids_, now, "categories", {"name", "name_en", "parent_source_id"},
                                r.source_id,
                                {r.name, OrNull(r.name_en), OrNull(r.parent_source_id)});
      });
}

core::Result<BatchResult> Ingest::Products(std::span<const Incoming<ProductRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  return RunBatch<ProductRecord>(
      db_, batch, ValidateProduct, [&](Session& s, const ProductRecord& r) {
        return UpsertBySourceId(
            s, ids_, now, "products",
            {"name", "category_source_id", "store_source_id", "price_minor", "currency"},
            r.source_id,
            {r.name, OrNull(r.category_source_id), OrNull(r.store_source_id), OrNull(r.price_minor),
             r.currency});
      });
}

core::Result<BatchResult> Ingest::Users(std::span<const Incoming<UserRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  UserResolver users(ids_, now);
  static const std::vector<std::string> kColumns = {
      "phone",      "name",      "gender",        "birthday",       "city",        "province",
      "occupation", "education", "registered_at", "source_channel", "referrer_id", "attributes"};
  return RunBatch<UserRecord>(
      db_, batch, ValidateUser,
      [&](Session& s, const UserRecord& r) -> core::Result<RecordResult> {
        std::optional<int64_t> referrer;
        if (r.referrer_external_id) {
          SHOPCRM_ASSIGN_OR_RETURN(int64_t rid, users.Resolve(s, *r.referrer_external_id));
          referrer = rid;
        }
        const std::vector<std::optional<Value>> incoming = {
            r.phone ? std::optional<Value>(*r.phone) : std::nullopt,
            r.name ? std::optional<Value>(*r.name) : std::nullopt,
            r.gender ? std::optional<Value>(*r.gender) : std::nullopt,
            r.birthday ? std::optional<Value>(*r.birthday) : std::nullopt,
            r.city ? std::optional<Value>(*r.city) : std::nullopt,
            r.province ? std::optional<Value>(*r.province) : std::nullopt,
            r.occupation ? std::optional<Value>(*r.occupation) : std::nullopt,
            r.education ? std::optional<Value>(*r.education) : std::nullopt,
            r.registered_at ? std::optional<Value>(Micros(*r.registered_at)) : std::nullopt,
            r.source_channel ? std::optional<Value>(*r.source_channel) : std::nullopt,
            referrer ? std::optional<Value>(*referrer) : std::nullopt,
            r.attributes_json ? std::optional<Value>(*r.attributes_json) : std::nullopt};
        SHOPCRM_ASSIGN_OR_RETURN(
            auto rows, s.Query("SELECT id, is_bare, phone, name, gender, birthday, city, province, "
                               "occupation, education, registered_at, source_channel, "
                               "referrer_id, attributes FROM users WHERE external_id = ?",
                               {r.external_id}));
        if (rows.empty()) {
          std::vector<Value> params = {ids_.Next(), r.external_id};
          for (const auto& v : incoming) params.push_back(v.value_or(Null()));
          params.push_back(now);
          params.push_back(now);
          SHOPCRM_RETURN_IF_ERROR(
              s.Execute("INSERT INTO users (id, external_id, phone, name, gender, birthday, city, "
                        "province, occupation, education, registered_at, source_channel, "
                        "referrer_id, attributes, is_bare, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
                        params)
                  .status());
          return Accepted(std::get<int64_t>(params[0]));
        }
        const store::Row& row = rows.rows[0];
        const int64_t id = row.Int(0);
        std::vector<Value> merged;
        bool changed = row.Int(1) != 0;
        for (size_t i = 0; i < incoming.size(); ++i) {
          const Value& stored = row.at(i + 2);
          if (incoming[i] && *incoming[i] != stored) changed = true;
          merged.push_back(incoming[i] ? *incoming[i] : stored);
        }
        if (!changed) return Duplicate(id);
        std::string sets;
        for (const auto& c : kColumns) sets += c + " = ?, ";
        merged.push_back(now);
        merged.push_back(id);
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("UPDATE users SET " + sets + "is_bare = 0, updated_at = ? WHERE id = ?",
                      merged)
                .status());
        RecordResult res = Accepted(id);
        res.updated = true;
        return res;
      },
      [&] { users.Reset(); });
}

core::Result<BatchResult> Ingest::Orders(std::span<const Incoming<OrderRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  UserResolver users(ids_, now);
  return RunBatch<OrderRecord>(
      db_, batch, ValidateOrder,
      [&](Session& s, const OrderRecord& r) -> core::Result<RecordResult> {
        SHOPCRM_RETURN_IF_ERROR(LockOrderKey(s, r.source_id));
        SHOPCRM_ASSIGN_OR_RETURN(
            auto existing, s.Query("SELECT id FROM orders WHERE source_id = ?", {r.source_id}));
        if (!existing.empty()) return Duplicate(existing.rows[0].Int(0));
        SHOPCRM_ASSIGN_OR_RETURN(int64_t user_id, users.Resolve(s, r.user_external_id));
        auto line_paid = LinePaid(r);
        if (!line_paid.ok()) return RejectedWith("amount_overflow", "items", "amounts too large");
        // The status follows the latest step the timestamps show; then paid and
        // completed orders were paid at paid_at, else when placed.
        std::string status = r.status;
        if (status == "created" && r.completed_at) status = "completed";
        if (status == "created" && r.paid_at) status = "paid";
        if (status == "paid" && r.completed_at) status = "completed";
        std::optional<core::Instant> paid_at = r.paid_at;
        if (!paid_at && (status == "paid" || status == "completed")) paid_at = r.placed_at;
        std::optional<core::Instant> completed_at = r.completed_at;
        if (!completed_at && status == "completed") completed_at = paid_at;
        std::optional<core::Instant> cancelled_at = r.cancelled_at;
        if (!cancelled_at && status == "cancelled") cancelled_at = r.placed_at;
        std::optional<std::string> coupons;
        if (!r.coupon_codes.empty()) coupons = core::DumpJson(core::Json(r.coupon_codes));

        const int64_t order_id = ids_.Next();
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute(
                 "INSERT INTO orders (id, source_id, user_id, store_source_id, city, province, "
                 "channel, currency, goods_minor, discount_minor, shipping_minor, paid_minor, "
                 "refunded_minor, coupon_codes, status, placed_at, paid_at, completed_at, "
                 "cancelled_at, ingested_at) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)",
                 {order_id, r.source_id, user_id, OrNull(r.store_source_id), OrNull(r.city),
                  OrNull(r.province), OrNull(r.channel), r.currency, r.goods_minor,
                  r.discount_minor, r.shipping_minor, r.paid_minor, OrNull(coupons), status,
                  Micros(r.placed_at), OptMicros(paid_at), OptMicros(completed_at),
                  OptMicros(cancelled_at), now})
                .status());
        for (size_t i = 0; i < r.items.size(); ++i) {
          const auto& it = r.items[i];
          SHOPCRM_RETURN_IF_ERROR(
              s.Execute("INSERT INTO order_items (id, order_id, line_no, sku, product_name, "
                        "category_source_id, store_source_id, quantity, unit_price_minor, "
                        "paid_minor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        {ids_.Next(), order_id, it.line_no, it.sku, OrNull(it.product_name),
                         OrNull(it.category_source_id),
                         OrNull(it.store_source_id ? it.store_source_id : r.store_source_id),
                         it.quantity, it.unit_price_minor, (*line_paid)[i]})
                  .status());
        }
        auto step = [&](const char* st, core::Instant at) {
          return s
              .Execute(
                  "INSERT INTO order_status_history (id, order_id, status, at) "
                  "VALUES (?, ?, ?, ?)",
                  {ids_.Next(), order_id, st, Micros(at)})
              .status();
        };
        SHOPCRM_RETURN_IF_ERROR(step("created", r.placed_at));
        if (paid_at) SHOPCRM_RETURN_IF_ERROR(step("paid", *paid_at));
        if (completed_at) SHOPCRM_RETURN_IF_ERROR(step("completed", *completed_at));
        if (cancelled_at) SHOPCRM_RETURN_IF_ERROR(step("cancelled", *cancelled_at));
        OrderState state{
            order_id,   status,
            r.currency, r.paid_minor,
            0,          paid_at ? std::optional<int64_t>(Micros(*paid_at)) : std::nullopt};
        SHOPCRM_RETURN_IF_ERROR(ApplyHeld(s, ids_, state, r.source_id));
        return Accepted(order_id);
      },
      [&] { users.Reset(); });
}

core::Result<BatchResult> Ingest::OrderUpdates(std::span<const Incoming<OrderUpdateRecord>> batch) {
  const int64_t now = Micros(clock_.Now());
  return RunBatch<OrderUpdateRecord>(
      db_, batch, ValidateOrderUpdate,
      [&](Session& s, const OrderUpdateRecord& u) -> core::Result<RecordResult> {
        SHOPCRM_ASSIGN_OR_RETURN(std::optional<OrderState> order, LoadOrder(s, u.order_source_id));
        if (order) return ApplyUpdate(s, ids_, *order, u);
        SHOPCRM_ASSIGN_OR_RETURN(
            int64_t n, s.Execute("INSERT INTO held_order_updates (id, source_id, order_source_id, "
                                 "payload, received_at) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (source_id) DO NOTHING",
                                 {ids_.Next(), u.source_id, u.order_source_id,
                                  core::DumpJson(UpdateJson(u)), now}));
        if (n == 0) return Duplicate(std::nullopt);
        RecordResult r;
        r.outcome = Outcome::kHeld;
        return r;
      });
}

// Events are the bulk of what arrives, so they take set-based statements:
// users are resolved once per batch, and events go in as multi-row inserts
// whose RETURNING clause tells the new rows from the duplicates.
core::Result<BatchResult> Ingest::Events(std::span<const Incoming<EventRecord>> batch) {
  if (batch.size() > kMaxBatchRecords) {
    return core::Error(core::ErrorCode::kPayloadTooLarge, "batch_too_large",
                       "a batch holds at most " + std::to_string(kMaxBatchRecords) + " records");
  }
  const int64_t now = Micros(clock_.Now());
  std::vector<std::optional<RecordResult>> early(batch.size());
  std::vector<size_t> valid;
  std::vector<std::string> external_ids;
  std::unordered_map<std::string_view, size_t> first_of;  // source id -> first index
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto& in = batch[i];
    if (!in.record.ok()) {
      early[i] = Rejected(in.source_id, in.record.error());
      continue;
    }
    if (auto st = ValidateEvent(*in.record); !st.ok()) {
      early[i] = Rejected(in.source_id, st.error());
      continue;
    }
    if (!first_of.emplace(in.record->source_id, i).second) {
      early[i] = Duplicate(std::nullopt);  // repeated within the batch
      early[i]->source_id = in.record->source_id;
      continue;
    }
    valid.push_back(i);
    external_ids.push_back(in.record->user_external_id);
  }
  std::sort(external_ids.begin(), external_ids.end());
  external_ids.erase(std::unique(external_ids.begin(), external_ids.end()), external_ids.end());

  constexpr size_t kRows = 64;
  constexpr std::string_view kRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  BatchResult out;
  std::vector<int64_t> event_ids(batch.size(), 0);
  std::vector<int64_t> inserted;  // ids of the rows written, sorted after the loop
  auto st = db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    inserted.clear();
    UserResolver users(ids_, now);
    SHOPCRM_RETURN_IF_ERROR(users.Prefetch(s, external_ids));
    for (size_t start = 0; start < valid.size(); start += kRows) {
      const size_t n = std::min(kRows, valid.size() - start);
      std::string sql =
          "INSERT INTO events (id, source_id, user_id, type, name, occurred_at, channel, page, "
          "store_source_id, product_source_id, category_source_id, search_query, rating, "
          "properties, ingested_at) VALUES ";
      std::vector<Value> params;
      params.reserve(n * 15);
      for (size_t k = 0; k < n; ++k) {
        const size_t i = valid[start + k];
        const EventRecord& e = *batch[i].record;
        SHOPCRM_ASSIGN_OR_RETURN(int64_t user_id, users.Resolve(s, e.user_external_id));
        event_ids[i] = ids_.Next();
        if (k > 0) sql += ", ";
        sql += kRow;
        params.insert(params.end(), {event_ids[i], e.source_id, user_id, e.type, OrNull(e.name),
                                     Micros(e.occurred_at), OrNull(e.channel), OrNull(e.page),
                                     OrNull(e.store_source_id), OrNull(e.product_source_id),
                                     OrNull(e.category_source_id), OrNull(e.search_query),
                                     OrNull(e.rating), OrNull(e.properties_json), now});
      }
      sql += " ON CONFLICT (source_id) DO NOTHING RETURNING id";
      SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
      for (const auto& r : rows.rows) inserted.push_back(r.Int(0));
    }
    return core::Status::Ok();
  });
  if (!st.ok()) return std::move(st).error();
  std::sort(inserted.begin(), inserted.end());
  out.results.reserve(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (early[i]) {
      out.Add(std::move(*early[i]));
      continue;
    }
    const bool written = std::binary_search(inserted.begin(), inserted.end(), event_ids[i]);
    RecordResult r = written ? Accepted(event_ids[i]) : Duplicate(std::nullopt);
    r.source_id = batch[i].record->source_id;
    out.Add(std::move(r));
  }
  return out;
}

}  // namespace shopcrm::profiles
