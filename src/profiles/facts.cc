#include "profiles/facts.h"

#include <algorithm>
#include <vector>

#include "audit/audit_log.h"
#include "profiles/internal/counting.h"
#include "store/paging.h"

namespace shopcrm::profiles {
namespace {

using store::Session;
using store::TxMode;

// Pages through `sql` (which must select the key in column 0, take `? AND …`
// as its lower bound and end with ORDER BY key LIMIT ?), calling `row` for
// each row.
core::Status Page(store::Database& db, int page_rows, const std::string& sql,
                  const std::function<core::Status(const store::Row&)>& row) {
  int64_t after = INT64_MIN;
  while (true) {
    store::Rows rows;
    SHOPCRM_RETURN_IF_ERROR(db.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(rows, s.Query(sql, {after, int64_t{page_rows}}));
      return core::Status::Ok();
    }));
    for (const auto& r : rows.rows) SHOPCRM_RETURN_IF_ERROR(row(r));
    if (rows.rows.size() < static_cast<size_t>(page_rows)) return core::Status::Ok();
    after = rows.rows.back().Int(0);
  }
}

// A scan of all rows (paged by `key`, from `from_where`) or of some users'
// (`user_column` IN the list).
core::Status Scan(store::Database& db, int page_rows, Facts::Only only, const std::string& select,
                  const std::string& from_where, std::string_view key, std::string_view user_column,
                  const std::function<core::Status(const store::Row&)>& row) {
  const std::string glue = from_where.find(" WHERE ") == std::string::npos ? " WHERE " : " AND ";
  if (only != nullptr) {
    return store::ForIdChunks(
        db, *only, select + from_where + glue + std::string(user_column) + " IN {in}", row);
  }
  return Page(db, page_rows,
              select + from_where + glue + std::string(key) + " > ? ORDER BY " + std::string(key) +
                  " LIMIT ?",
              row);
}

}  // namespace

core::Status Facts::ScanUsers(const std::function<core::Status(const UserFact&)>& fn, Only only) {
  return Scan(db_, page_rows_, only,
              "SELECT id, gender, birthday, city, province, source_channel, registered_at, "
              "erased_at, referrer_id",
              " FROM users", "id", "id", [&](const store::Row& r) {
                UserFact u;
                u.id = r.Int(0);
                u.gender = r.OptionalText(1);
                u.birthday = r.OptionalText(2);
                u.city = r.OptionalText(3);
                u.province = r.OptionalText(4);
                u.source_channel = r.OptionalText(5);
                u.registered_at_micros = r.OptionalInt(6);
                u.erased = !r.IsNull(7);
                u.referrer_id = r.OptionalInt(8);
                return fn(u);
              });
}

core::Status Facts::ScanCountingOrders(const std::function<core::Status(const OrderFact&)>& fn,
                                       Only only) {
  return Scan(db_, page_rows_, only,
              "SELECT id, user_id, paid_at, paid_minor - refunded_minor, currency, "
              "CASE WHEN discount_minor > 0 OR COALESCE(coupon_codes, '') NOT IN ('', '[]') "
              "THEN 1 ELSE 0 END",
              " FROM orders WHERE " + std::string(internal::kCountingOrder), "id", "user_id",
              [&](const store::Row& r) {
                OrderFact o;
                o.id = r.Int(0);
                o.user_id = r.Int(1);
                o.paid_at_micros = r.Int(2);
                o.net_minor = r.Int(3);
                o.currency = r.Text(4);
                o.discounted = r.Int(5) != 0;
                return fn(o);
              });
}

core::Status Facts::ScanCategoryFirsts(const std::function<core::Status(const CategoryFirst&)>& fn,
                                       Only only) {
  // A page of users at a time, their orders found through orders_user_placed:
  // each order line is read once however many pages there are.
  auto sql = [](std::string_view users) {
    return "SELECT o.user_id, i.category_source_id, MIN(o.paid_at) FROM orders o JOIN "
           "order_items i ON i.order_id = o.id WHERE " +
           std::string(users) +
           " AND i.category_source_id IS NOT NULL AND i.category_source_id <> '' AND " +
           std::string(internal::kCountingOrderO) +
           " GROUP BY o.user_id, i.category_source_id ORDER BY o.user_id, i.category_source_id";
  };
  auto emit = [&](const store::Row& r) { return fn(CategoryFirst{r.Int(0), r.Text(1), r.Int(2)}); };
  if (only != nullptr) return store::ForIdChunks(db_, *only, sql("o.user_id IN {in}"), emit);
  const std::string paged = sql("o.user_id > ? AND o.user_id <= ?");
  int64_t after = INT64_MIN;
  while (true) {
    store::Rows users;
    store::Rows rows;
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(users,
                               s.Query("SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?",
                                       {after, int64_t{page_rows_}}));
      if (users.rows.empty()) return core::Status::Ok();
      SHOPCRM_ASSIGN_OR_RETURN(rows, s.Query(paged, {after, users.rows.back().Int(0)}));
      return core::Status::Ok();
    }));
    for (const auto& r : rows.rows) SHOPCRM_RETURN_IF_ERROR(emit(r));
    if (users.rows.size() < static_cast<size_t>(page_rows_)) return core::Status::Ok();
    after = users.rows.back().Int(0);
  }
}

core::Status Facts::ScanMembers(const std::function<core::Status(const MemberFact&)>& fn,
                                Only only) {
  // As the membership metrics count them: a member from their first growth
  // entry or paid purchase.
  return Scan(db_, page_rows_, only,
              "SELECT u.id, (SELECT MIN(g.at) FROM growth_entries g WHERE g.user_id = u.id), "
              "(SELECT MIN(e.at) FROM paid_membership_events e WHERE e.user_id = u.id), "
              "(SELECT l.level FROM member_levels l WHERE l.user_id = u.id)",
              " FROM users u WHERE (EXISTS (SELECT 1 FROM growth_entries g WHERE g.user_id = "
              "u.id) OR EXISTS (SELECT 1 FROM paid_membership_events e WHERE e.user_id = u.id))",
              "u.id", "u.id", [&](const store::Row& r) {
                MemberFact m;
                m.user_id = r.Int(0);
                const auto growth = r.OptionalInt(1);
                const auto paid = r.OptionalInt(2);
                m.since_micros = std::min(growth.value_or(INT64_MAX), paid.value_or(INT64_MAX));
                if (auto level = r.OptionalInt(3)) m.level = static_cast<int>(*level);
                return fn(m);
              });
}

core::Status Facts::ScanEvents(const std::function<core::Status(const EventFact&)>& fn, Only only) {
  return Scan(db_, page_rows_, only, "SELECT id, user_id, type, occurred_at", " FROM events", "id",
              "user_id", [&](const store::Row& r) {
                EventFact e;
                e.id = r.Int(0);
                e.user_id = r.Int(1);
                e.type = r.Text(2);
                e.occurred_at_micros = r.Int(3);
                return fn(e);
              });
}

core::Status Facts::ScanUserTags(const std::function<core::Status(const TagFact&)>& fn, Only only) {
  auto emit = [&](const store::Row& r) { return fn(TagFact{r.Int(0), r.Int(1)}); };
  if (only != nullptr) {
    return store::ForIdChunks(db_, *only,
                              "SELECT user_id, tag_id FROM user_tags WHERE user_id IN {in}", emit);
  }
  // Keyed by (user, tag): a page may end inside one user's tags.
  int64_t after_user = INT64_MIN;
  int64_t after_tag = INT64_MIN;
  while (true) {
    store::Rows rows;
    SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
      SHOPCRM_ASSIGN_OR_RETURN(
          rows, s.Query("SELECT user_id, tag_id FROM user_tags WHERE (user_id, tag_id) > (?, ?) "
                        "ORDER BY user_id, tag_id LIMIT ?",
                        {after_user, after_tag, int64_t{page_rows_}}));
      return core::Status::Ok();
    }));
    for (const auto& r : rows.rows) SHOPCRM_RETURN_IF_ERROR(emit(r));
    if (rows.rows.size() < static_cast<size_t>(page_rows_)) return core::Status::Ok();
    after_user = rows.rows.back().Int(0);
    after_tag = rows.rows.back().Int(1);
  }
}

core::Status Facts::ScanTagNames(const std::function<core::Status(const TagName&)>& fn) {
  return Page(db_, page_rows_,
              "SELECT t.id, g.name, t.name FROM tags t JOIN tag_groups g ON g.id = t.group_id "
              "WHERE t.id > ? ORDER BY t.id LIMIT ?",
              [&](const store::Row& r) {
                return fn(TagName{r.Int(0), r.Text(1), r.Text(2)});
              });
}

core::Result<std::vector<std::pair<int64_t, std::string>>> Facts::ExternalIds(
    const std::vector<int64_t>& user_ids) {
  std::vector<std::pair<int64_t, std::string>> out;
  SHOPCRM_RETURN_IF_ERROR(store::ForIdChunks(db_, user_ids,
                                             "SELECT id, external_id FROM users WHERE id IN {in}",
                                             [&](const store::Row& r) {
                                               out.emplace_back(r.Int(0), r.Text(1));
                                               return core::Status::Ok();
                                             }));
  std::sort(out.begin(), out.end());
  return out;
}

core::Result<FactMarks> Facts::Marks() {
  FactMarks m;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
    // Index lookups only. New facts raise a maximum id (events, orders, order
    // steps, growth, paid purchases, level changes) or update time (users,
    // bare ones included, and whose tags changed); tag changes and erasures
    // are audited, so the audit log's latest id covers them, removals
    // included.
    SHOPCRM_ASSIGN_OR_RETURN(auto rows,
                             s.Query("SELECT (SELECT COALESCE(MAX(id), 0) FROM events), "
                                     "(SELECT COALESCE(MAX(id), 0) FROM orders), "
                                     "(SELECT COALESCE(MAX(id), 0) FROM order_status_history), "
                                     "(SELECT COALESCE(MAX(updated_at), 0) FROM users), "
                                     "(SELECT COALESCE(MAX(id), 0) FROM growth_entries), "
                                     "(SELECT COALESCE(MAX(id), 0) FROM paid_membership_events), "
                                     "(SELECT COALESCE(MAX(id), 0) FROM level_changes)"));
    const store::Row& r = rows.rows.at(0);
    m.events = r.Int(0);
    m.orders = r.Int(1);
    m.order_steps = r.Int(2);
    m.users_updated_at = r.Int(3);
    m.growth = r.Int(4);
    m.paid = r.Int(5);
    m.levels = r.Int(6);
    SHOPCRM_ASSIGN_OR_RETURN(m.audit, audit::AuditLog::LatestId(s));
    return core::Status::Ok();
  }));
  return m;
}

core::Result<int64_t> Facts::TagEditsAfter(int64_t audit) {
  int64_t n = 0;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Row r,
        s.QueryOne("SELECT COUNT(*) FROM audit_log WHERE id > ? AND action LIKE 'tag%'", {audit},
                   "count_failed", "count"));
    n = r.Int(0);
    return core::Status::Ok();
  }));
  return n;
}

core::Result<FactChanges> Facts::ChangedSince(const FactMarks& since) {
  FactChanges out;
  SHOPCRM_RETURN_IF_ERROR(db_.Transact(TxMode::kRead, [&](Session& s) -> core::Status {
    // Each part reads a range of an index: ids (or update times) above the mark.
    SHOPCRM_ASSIGN_OR_RETURN(
        auto rows,
        s.Query("SELECT user_id FROM events WHERE id > ? AND user_id IS NOT NULL "
                "UNION SELECT user_id FROM orders WHERE id > ? "
                "UNION SELECT o.user_id FROM order_status_history h JOIN orders o ON o.id = "
                "h.order_id WHERE h.id > ? "
                "UNION SELECT id FROM users WHERE updated_at > ? "
                "UNION SELECT user_id FROM growth_entries WHERE id > ? "
                "UNION SELECT user_id FROM paid_membership_events WHERE id > ? "
                "UNION SELECT user_id FROM level_changes WHERE id > ? "
                "UNION SELECT CAST(target_id AS BIGINT) FROM audit_log WHERE id > ? AND action = "
                "'user.erase'",
                {since.events, since.orders, since.order_steps, since.users_updated_at,
                 since.growth, since.paid, since.levels, since.audit}));
    for (const auto& r : rows.rows) out.users.push_back(r.Int(0));
    return core::Status::Ok();
  }));
  std::sort(out.users.begin(), out.users.end());
  out.users.erase(std::unique(out.users.begin(), out.users.end()), out.users.end());
  // An invitee's registration counts for their inviter (AIDEES "share", the
  // social value, AARRR referring): the inviter changes with them.
  std::vector<int64_t> inviters;
  SHOPCRM_RETURN_IF_ERROR(store::ForIdChunks(db_, out.users,
                                             "SELECT referrer_id FROM users WHERE id IN {in} AND "
                                             "referrer_id IS NOT NULL",
                                             [&](const store::Row& r) {
                                               inviters.push_back(r.Int(0));
                                               return core::Status::Ok();
                                             }));
  out.users.insert(out.users.end(), inviters.begin(), inviters.end());
  std::sort(out.users.begin(), out.users.end());
  out.users.erase(std::unique(out.users.begin(), out.users.end()), out.users.end());
  return out;
}

core::Result<std::vector<int64_t>> Facts::InviteesOf(const std::vector<int64_t>& users) {
  std::vector<int64_t> out;
  SHOPCRM_RETURN_IF_ERROR(store::ForIdChunks(
      db_, users, "SELECT id FROM users WHERE referrer_id IN {in}", [&](const store::Row& r) {
        const int64_t id = r.Int(0);
        if (!std::binary_search(users.begin(), users.end(), id)) {
          out.push_back(id);
        }
        return core::Status::Ok();
      }));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace shopcrm::profiles
