// The user directory: search and filtered lists, the user 360 view (profile,
// tags, order summary, timelines), and erasure of personal data.
//
// Order figures follow docs/orders.md: an order counts when it was paid, is
// not cancelled and was not wholly refunded; its amount is paid - refunded,
// at its paid time.
//
// Reads tables owned by profiles::Ingest and profiles::Tags; writes users,
// events and user_tags on erasure. Thread-safety: safe from any thread.
// Error reasons: user_not_found, user_already_erased, invalid_query.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::profiles {

struct User {
  int64_t id = 0;
  std::string external_id;
  std::optional<std::string> phone;
  std::optional<std::string> name;
  std::optional<std::string> gender;
  std::optional<std::string> birthday;
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> occupation;
  std::optional<std::string> education;
  std::optional<core::Instant> registered_at;
  std::optional<std::string> source_channel;
  std::optional<int64_t> referrer_id;
  std::optional<std::string> referrer_external_id;
  std::optional<std::string> attributes_json;
  bool is_bare = false;
  std::optional<core::Instant> erased_at;
  core::Instant created_at{};
  core::Instant updated_at{};
};

// "138****5678": keeps the first three and last four digits.
std::string MaskPhone(std::string_view phone);

struct UserQuery {
  int limit = 50;
  std::optional<int64_t> cursor;
  std::optional<std::string> q;  // external id or phone (exact), or name prefix
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> gender;
  std::optional<std::string> source_channel;
  std::optional<int64_t> tag_id;
  std::optional<core::Instant> registered_from;  // inclusive
  std::optional<core::Instant> registered_to;    // exclusive
};

struct UserTag {
  int64_t tag_id = 0;
  std::string name;
  int64_t group_id = 0;
  std::string group_name;
  std::string kind;  // manual | system
  core::Instant tagged_at{};
  std::string tagged_by;
};

struct MonthSpend {
  std::string month;  // YYYY-MM in the business time zone
  int64_t paid_minor = 0;
};

struct UserSummary {
  int64_t order_count = 0;  // counting orders (docs/orders.md)
  std::optional<core::Instant> first_order_at;
  std::optional<core::Instant> last_order_at;
  std::string currency;  // of the counting orders (the most used one if several)
  int64_t total_paid_minor = 0;
  int64_t aov_minor = 0;  // total / count, rounded half up
  int64_t refunded_minor = 0;
  std::optional<core::Instant> last_visit_at;
  int64_t event_count = 0;
  std::vector<MonthSpend> spend_by_month;  // oldest first, the last 36 months with spend
};

struct OrderLine {
  int64_t line_no = 0;
  std::string sku;
  std::optional<std::string> product_name;
  std::optional<std::string> category_source_id;
  std::optional<std::string> store_source_id;
  int64_t quantity = 0;
  int64_t unit_price_minor = 0;
  int64_t paid_minor = 0;
  int64_t refunded_quantity = 0;
  int64_t refunded_minor = 0;
};

struct OrderStep {
  std::string status;
  core::Instant at{};
  int64_t refund_minor = 0;
  std::optional<std::string> detail;
};

struct Order {
  int64_t id = 0;
  std::string source_id;
  std::string status;
  bool counts = false;
  core::Instant placed_at{};
  std::optional<core::Instant> paid_at, completed_at, cancelled_at, refunded_at;
  std::string currency;
  int64_t goods_minor = 0, discount_minor = 0, shipping_minor = 0, paid_minor = 0,
          refunded_minor = 0;
  std::optional<std::string> store_source_id, city, channel;
  std::vector<std::string> coupon_codes;
  std::vector<OrderLine> items;
  std::vector<OrderStep> history;
};

struct Event {
  int64_t id = 0;
  std::string source_id;
  std::string type;
  std::optional<std::string> name;
  core::Instant occurred_at{};
  std::optional<std::string> channel, page, store_source_id, product_source_id, category_source_id,
      search_query;
  std::optional<int64_t> rating;
  std::optional<std::string> properties_json;
};

using UserPage = store::Page<User>;
using OrderPage = store::Page<Order>;
using EventPage = store::Page<Event>;

class Directory final {
 public:
  Directory(store::Database& db, const core::Clock& clock, const audit::AuditLog& audit,
            std::string time_zone)
      : db_(db), clock_(clock), audit_(audit), time_zone_(std::move(time_zone)) {}

  // Newest users first.
  core::Result<UserPage> List(const UserQuery& q);
  core::Result<User> Get(int64_t id);
  // Our ids of the users with these external ids, in the given order; ids
  // that name no user are left out.
  core::Result<std::vector<int64_t>> IdsByExternalId(const std::vector<std::string>& external_ids);
  core::Result<std::vector<UserTag>> TagsOf(int64_t user_id);
  core::Result<UserSummary> Summary(int64_t user_id);
  // Newest first (by placed time).
  core::Result<OrderPage> Orders(int64_t user_id, int limit, std::optional<int64_t> cursor);
  // Newest first (by occurrence); `type` filters.
  core::Result<EventPage> Events(int64_t user_id, std::optional<std::string> type, int limit,
                                 std::optional<int64_t> cursor);
  // Erases personal fields (phone, name, gender, birthday, places, occupation,
  // education, attributes, external id), event properties and search text,
  // and manual tags. Orders stay, anonymous, so the numbers do not change.
  core::Status Erase(int64_t user_id, const audit::Actor& actor);

 private:
  store::Database& db_;
  const core::Clock& clock_;
  const audit::AuditLog& audit_;
  std::string time_zone_;
};

}  // namespace shopcrm::profiles
