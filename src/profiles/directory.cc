#include "profiles/directory.h"

#include <map>

#include "core/json.h"
#include "profiles/internal/counting.h"

namespace shopcrm::profiles {
namespace {

using store::Null;
using store::OrNull;
using store::Row;
using store::Session;
using store::Value;

// The counting rule of docs/orders.md.
constexpr std::string_view kCounts = internal::kCountingOrder;

constexpr std::string_view kUserColumns =
    "u.id, u.external_id, u.phone, u.name, u.gender, u.birthday, u.city, u.province, "
    "u.occupation, u.education, u.registered_at, u.source_channel, u.referrer_id, "
    "r.external_id, u.attributes, u.is_bare, u.erased_at, u.created_at, u.updated_at";

std::optional<core::Instant> OptInstant(const Row& r, size_t i) {
  auto v = r.OptionalInt(i);
  if (!v) return std::nullopt;
  return core::FromUnixMicros(*v);
}

User UserFromRow(const Row& r) {
  User u;
  u.id = r.Int(0);
  u.external_id = r.Text(1);
  u.phone = r.OptionalText(2);
  u.name = r.OptionalText(3);
  u.gender = r.OptionalText(4);
  u.birthday = r.OptionalText(5);
  u.city = r.OptionalText(6);
  u.province = r.OptionalText(7);
  u.occupation = r.OptionalText(8);
  u.education = r.OptionalText(9);
  u.registered_at = OptInstant(r, 10);
  u.source_channel = r.OptionalText(11);
  u.referrer_id = r.OptionalInt(12);
  u.referrer_external_id = r.OptionalText(13);
  u.attributes_json = r.OptionalText(14);
  u.is_bare = r.Int(15) != 0;
  u.erased_at = OptInstant(r, 16);
  u.created_at = core::FromUnixMicros(r.Int(17));
  u.updated_at = core::FromUnixMicros(r.Int(18));
  return u;
}

core::Error UserNotFound(int64_t id) {
  return core::NotFound("user_not_found", "no user with id " + std::to_string(id));
}

core::Status CheckUserExists(Session& s, int64_t id) {
  SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query("SELECT 1 FROM users WHERE id = ?", {id}));
  if (rows.empty()) return UserNotFound(id);
  return core::Status::Ok();
}

// (a + b/2) / b for non-negative a, positive b.
int64_t DivideRoundHalfUp(int64_t a, int64_t b) { return (a + b / 2) / b; }

}  // namespace

std::string MaskPhone(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits += c;
  }
  if (digits.size() < 7) return std::string(digits.size(), '*');
  return digits.substr(0, 3) + std::string(digits.size() - 7, '*') +
         digits.substr(digits.size() - 4);
}

core::Result<std::vector<int64_t>> Directory::IdsByExternalId(
    const std::vector<std::string>& external_ids) {
  std::vector<int64_t> out;
  out.reserve(external_ids.size());
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kRead, [&](store::Session& s) -> core::Status {
        out.clear();
        for (const auto& e : external_ids) {
          SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                                   s.Query("SELECT id FROM users WHERE external_id = ?", {e}));
          if (!rows.empty()) out.push_back(rows.rows[0].Int(0));
        }
        return core::Status::Ok();
      }));
  return out;
}

core::Result<UserPage> Directory::List(const UserQuery& q) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(q.limit));
  std::string sql = "SELECT " + std::string(kUserColumns) +
                    " FROM users u LEFT JOIN users r ON r.id = u.referrer_id WHERE u.id < ?";
  std::vector<Value> params = {store::CursorBound(q.cursor)};
  if (q.q && !q.q->empty()) {
    sql += " AND (u.external_id = ? OR u.phone = ? OR u.name LIKE ? ESCAPE '\\')";
    std::string prefix;
    for (char c : *q.q) {
      if (c == '%' || c == '_' || c == '\\') prefix += '\\';
      prefix += c;
    }
    params.insert(params.end(), {*q.q, *q.q, prefix + "%"});
  }
  auto eq = [&](const char* column, const std::optional<std::string>& v) {
    if (!v) return;
    sql += std::string(" AND u.") + column + " = ?";
    params.emplace_back(*v);
  };
  eq("city", q.city);
  eq("province", q.province);
  eq("gender", q.gender);
  eq("source_channel", q.source_channel);
  if (q.registered_from) {
    sql += " AND u.registered_at >= ?";
    params.emplace_back(core::ToUnixMicros(*q.registered_from));
  }
  if (q.registered_to) {
    sql += " AND u.registered_at < ?";
    params.emplace_back(core::ToUnixMicros(*q.registered_to));
  }
  if (q.tag_id) {
    sql += " AND EXISTS (SELECT 1 FROM user_tags t WHERE t.user_id = u.id AND t.tag_id = ?)";
    params.emplace_back(*q.tag_id);
  }
  sql += " ORDER BY u.id DESC LIMIT ?";
  params.emplace_back(int64_t{q.limit} + 1);
  UserPage page;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
    page = store::MakePage<User>(rows, q.limit, UserFromRow, [](const User& u) { return u.id; });
    return core::Status::Ok();
  }));
  return page;
}

core::Result<User> Directory::Get(int64_t id) {
  return store::TransactFor<User>(db_, store::TxMode::kRead, [&](Session& s) -> core::Result<User> {
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT " + std::string(kUserColumns) +
                                         " FROM users u LEFT JOIN users r ON r.id = u.referrer_id"
                                         " WHERE u.id = ?",
                                     {id}));
    if (rows.empty()) return UserNotFound(id);
    return UserFromRow(rows.rows[0]);
  });
}

core::Result<std::vector<UserTag>> Directory::TagsOf(int64_t user_id) {
  std::vector<UserTag> out;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT t.id, t.name, g.id, g.name, t.kind, ut.tagged_at, ut.tagged_by "
                           "FROM user_tags ut JOIN tags t ON t.id = ut.tag_id "
                           "JOIN tag_groups g ON g.id = t.group_id WHERE ut.user_id = ? "
                           "ORDER BY g.name, t.name",
                           {user_id}));
    for (const auto& r : rows.rows) {
      out.push_back({r.Int(0), r.Text(1), r.Int(2), r.Text(3), r.Text(4),
                     core::FromUnixMicros(r.Int(5)), r.Text(6)});
    }
    return core::Status::Ok();
  }));
  return out;
}

core::Result<UserSummary> Directory::Summary(int64_t user_id) {
  auto zone = core::BusinessTimeZone::Load(time_zone_);
  if (!zone.ok()) return std::move(zone).error();
  return store::TransactFor<UserSummary>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<UserSummary> {
        SHOPCRM_RETURN_IF_ERROR(CheckUserExists(s, user_id));
        UserSummary sum;
        SHOPCRM_ASSIGN_OR_RETURN(
            auto orders, s.Query("SELECT currency, paid_at, paid_minor, refunded_minor FROM orders "
                                 "WHERE user_id = ? AND " +
                                     std::string(kCounts) + " ORDER BY paid_at",
                                 {user_id}));
        std::map<std::string, int64_t> per_currency;
        for (const auto& r : orders.rows) ++per_currency[r.Text(0)];
        for (const auto& [currency, n] : per_currency) {
          if (sum.currency.empty() || n > per_currency[sum.currency]) sum.currency = currency;
        }
        std::map<std::string, int64_t> by_month;
        for (const auto& r : orders.rows) {
          if (r.Text(0) != sum.currency) continue;
          const core::Instant at = core::FromUnixMicros(r.Int(1));
          const int64_t net = r.Int(2) - r.Int(3);
          ++sum.order_count;
          sum.total_paid_minor += net;
          if (!sum.first_order_at) sum.first_order_at = at;
          sum.last_order_at = at;
          const std::string date = core::FormatDate(zone->DateOf(at));
          by_month[date.substr(0, 7)] += net;
        }
        if (sum.currency.empty()) {  // nothing counts; show refunds in the orders' currency
          SHOPCRM_ASSIGN_OR_RETURN(
              auto any,
              s.Query("SELECT currency FROM orders WHERE user_id = ? LIMIT 1", {user_id}));
          if (!any.empty()) sum.currency = any.rows[0].Text(0);
        }
        if (sum.order_count > 0) {
          sum.aov_minor = DivideRoundHalfUp(sum.total_paid_minor, sum.order_count);
        }
        for (const auto& [month, paid] : by_month) sum.spend_by_month.push_back({month, paid});
        if (sum.spend_by_month.size() > 36) {
          sum.spend_by_month.erase(sum.spend_by_month.begin(), sum.spend_by_month.end() - 36);
        }
        SHOPCRM_ASSIGN_OR_RETURN(
            auto refunds,
            s.Query("SELECT CAST(COALESCE(SUM(refunded_minor), 0) AS BIGINT) FROM orders "
                    "WHERE user_id = ? AND currency = ?",
                    {user_id, sum.currency}));
        sum.refunded_minor = refunds.rows[0].Int(0);
        SHOPCRM_ASSIGN_OR_RETURN(auto visit,
                                 s.Query("SELECT occurred_at FROM events WHERE user_id = ? "
                                         "AND type = 'visit' ORDER BY occurred_at DESC LIMIT 1",
                                         {user_id}));
        if (!visit.empty()) sum.last_visit_at = core::FromUnixMicros(visit.rows[0].Int(0));
        SHOPCRM_ASSIGN_OR_RETURN(
            auto count, s.Query("SELECT COUNT(*) FROM events WHERE user_id = ?", {user_id}));
        sum.event_count = count.rows[0].Int(0);
        return sum;
      });
}

core::Result<OrderPage> Directory::Orders(int64_t user_id, int limit,
                                          std::optional<int64_t> cursor) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(limit));
  return store::TransactFor<OrderPage>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<OrderPage> {
        SHOPCRM_RETURN_IF_ERROR(CheckUserExists(s, user_id));
        std::string sql =
            "SELECT id, source_id, status, " + std::string(kCounts) +
            ", placed_at, paid_at, completed_at, cancelled_at, refunded_at, currency, "
            "goods_minor, discount_minor, shipping_minor, paid_minor, refunded_minor, "
            "store_source_id, city, channel, coupon_codes FROM orders WHERE user_id = ?";
        std::vector<Value> params = {user_id};
        if (cursor) {
          sql += " AND (placed_at, id) < (SELECT placed_at, id FROM orders WHERE id = ?)";
          params.emplace_back(*cursor);
        }
        sql += " ORDER BY placed_at DESC, id DESC LIMIT ?";
        params.emplace_back(int64_t{limit} + 1);
        SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
        OrderPage page = store::MakePage<Order>(
            rows, limit,
            [](const Row& r) {
              Order o;
              o.id = r.Int(0);
              o.source_id = r.Text(1);
              o.status = r.Text(2);
              o.counts = r.Int(3) != 0;
              o.placed_at = core::FromUnixMicros(r.Int(4));
              o.paid_at = OptInstant(r, 5);
              o.completed_at = OptInstant(r, 6);
              o.cancelled_at = OptInstant(r, 7);
              o.refunded_at = OptInstant(r, 8);
              o.currency = r.Text(9);
              o.goods_minor = r.Int(10);
              o.discount_minor = r.Int(11);
              o.shipping_minor = r.Int(12);
              o.paid_minor = r.Int(13);
              o.refunded_minor = r.Int(14);
              o.store_source_id = r.OptionalText(15);
              o.city = r.OptionalText(16);
              o.channel = r.OptionalText(17);
              if (auto codes = r.OptionalText(18)) {
                auto j = core::ParseJson(*codes);
                if (j.ok() && j->is_array()) {
                  for (const auto& c : *j) {
                    if (c.is_string()) o.coupon_codes.push_back(c.get<std::string>());
                  }
                }
              }
              return o;
            },
            [](const Order& o) { return o.id; });
        for (auto& o : page.items) {
          SHOPCRM_ASSIGN_OR_RETURN(
              auto lines, s.Query("SELECT line_no, sku, product_name, category_source_id, "
                                  "store_source_id, quantity, unit_price_minor, paid_minor, "
                                  "refunded_quantity, refunded_minor FROM order_items "
                                  "WHERE order_id = ? ORDER BY line_no",
                                  {o.id}));
          for (const auto& r : lines.rows) {
            o.items.push_back({r.Int(0), r.Text(1), r.OptionalText(2), r.OptionalText(3),
                               r.OptionalText(4), r.Int(5), r.Int(6), r.Int(7), r.Int(8),
                               r.Int(9)});
          }
          SHOPCRM_ASSIGN_OR_RETURN(
              auto steps, s.Query("SELECT status, at, refund_minor, detail FROM "
                                  "order_status_history WHERE order_id = ? ORDER BY at, id",
                                  {o.id}));
          for (const auto& r : steps.rows) {
            o.history.push_back(
                {r.Text(0), core::FromUnixMicros(r.Int(1)), r.Int(2), r.OptionalText(3)});
          }
        }
        return page;
      });
}

core::Result<EventPage> Directory::Events(int64_t user_id, std::optional<std::string> type,
                                          int limit, std::optional<int64_t> cursor) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(limit));
  return store::TransactFor<EventPage>(
      db_, store::TxMode::kRead, [&](Session& s) -> core::Result<EventPage> {
        SHOPCRM_RETURN_IF_ERROR(CheckUserExists(s, user_id));
        std::string sql =
            "SELECT id, source_id, type, name, occurred_at, channel, page, store_source_id, "
            "product_source_id, category_source_id, search_query, rating, properties "
            "FROM events WHERE user_id = ?";
        std::vector<Value> params = {user_id};
        if (type) {
          sql += " AND type = ?";
          params.emplace_back(*type);
        }
        if (cursor) {
          sql += " AND (occurred_at, id) < (SELECT occurred_at, id FROM events WHERE id = ?)";
          params.emplace_back(*cursor);
        }
        sql += " ORDER BY occurred_at DESC, id DESC LIMIT ?";
        params.emplace_back(int64_t{limit} + 1);
        SHOPCRM_ASSIGN_OR_RETURN(auto rows, s.Query(sql, params));
        return store::MakePage<Event>(
            rows, limit,
            [](const Row& r) {
              Event e;
              e.id = r.Int(0);
              e.source_id = r.Text(1);
              e.type = r.Text(2);
              e.name = r.OptionalText(3);
              e.occurred_at = core::FromUnixMicros(r.Int(4));
              e.channel = r.OptionalText(5);
              e.page = r.OptionalText(6);
              e.store_source_id = r.OptionalText(7);
              e.product_source_id = r.OptionalText(8);
              e.category_source_id = r.OptionalText(9);
              e.search_query = r.OptionalText(10);
              e.rating = r.OptionalInt(11);
              e.properties_json = r.OptionalText(12);
              return e;
            },
            [](const Event& e) { return e.id; });
      });
}

core::Status Directory::Erase(int64_t user_id, const audit::Actor& actor) {
  const int64_t now = core::ToUnixMicros(clock_.Now());
  return db_.Transact(store::TxMode::kWrite, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows, s.Query("SELECT external_id, erased_at FROM users WHERE id = ?", {user_id}));
    if (rows.empty()) return UserNotFound(user_id);
    if (!rows.rows[0].IsNull(1)) {
      return core::Conflict("user_already_erased", "the user's personal data is already erased");
    }
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE users SET external_id = ?, phone = NULL, name = NULL, gender = NULL, "
                  "birthday = NULL, city = NULL, province = NULL, occupation = NULL, "
                  "education = NULL, attributes = NULL, erased_at = ?, updated_at = ? "
                  "WHERE id = ?",
                  {"erased:" + std::to_string(user_id), now, now, user_id})
            .status());
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("UPDATE events SET properties = NULL, search_query = NULL WHERE user_id = ?",
                  {user_id})
            .status());
    SHOPCRM_RETURN_IF_ERROR(
        s.Execute("DELETE FROM user_tags WHERE user_id = ? AND source = 'manual'", {user_id})
            .status());
    // The audit entry names the user by our id only: the external id is
    // personal data too.
    return audit_.Record(s, actor, "user.erase", "user", std::to_string(user_id), std::nullopt,
                         std::string(R"({"erased":true})"));
  });
}

}  // namespace shopcrm::profiles
