// The records the mall sends us, as plain structs, and what ingestion says
// about each one. The HTTP batch endpoints, `shopcrm import` and the demo
// generator all produce these and hand them to profiles::Ingest.
//
// Every record carries the mall's own id (source_id / external_id); ingesting
// the same id again changes nothing and is reported as a duplicate.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"

namespace shopcrm::profiles {

inline constexpr size_t kMaxIdLength = 128;
inline constexpr size_t kMaxTextLength = 512;

struct StoreRecord {
  std::string source_id;
  std::string name;
  std::optional<std::string> city;
  std::optional<std::string> province;
  bool is_platform = false;
};

struct CategoryRecord {
  std::string source_id;
  std::string name;
  std::optional<std::string> name_en;
  std::optional<std::string> parent_source_id;  // categories form a tree
};

// A sellable unit (SKU).
struct ProductRecord {
  std::string source_id;
  std::string name;
  std::optional<std::string> category_source_id;
  std::optional<std::string> store_source_id;
  std::optional<int64_t> price_minor;
  std::string currency = "CNY";
};

// Absent fields (nullopt) keep what is stored; present ones replace it.
struct UserRecord {
  std::string external_id;
  std::optional<std::string> phone;
  std::optional<std::string> name;
  std::optional<std::string> gender;    // male | female | unknown
  std::optional<std::string> birthday;  // YYYY-MM-DD
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> occupation;
  std::optional<std::string> education;
  std::optional<core::Instant> registered_at;
  std::optional<std::string> source_channel;
  std::optional<std::string> referrer_external_id;  // who invited them
  std::optional<std::string> attributes_json;       // a JSON object's text
};

struct OrderItemRecord {
  int64_t line_no = 0;  // 1-based, unique within the order
  std::string sku;
  std::optional<std::string> product_name;
  std::optional<std::string> category_source_id;
  std::optional<std::string> store_source_id;
  int64_t quantity = 1;
  int64_t unit_price_minor = 0;
  std::optional<int64_t> paid_minor;  // default: allocated from the order's goods - discount
};

// Order statuses as stored: created, paid, completed, cancelled, refunded.
struct OrderRecord {
  std::string source_id;
  std::string user_external_id;
  std::optional<std::string> store_source_id;
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> channel;
  std::string currency = "CNY";
  int64_t goods_minor = 0;
  int64_t discount_minor = 0;
  int64_t shipping_minor = 0;
  int64_t paid_minor = 0;
  std::vector<std::string> coupon_codes;
  std::string status = "created";  // created | paid | completed | cancelled
  core::Instant placed_at{};
  std::optional<core::Instant> paid_at;
  std::optional<core::Instant> completed_at;
  std::optional<core::Instant> cancelled_at;
  std::vector<OrderItemRecord> items;
};

struct RefundLine {
  int64_t line_no = 0;
  int64_t quantity = 0;
  int64_t amount_minor = 0;
};

// A status change of an order that may have arrived before the order.
struct OrderUpdateRecord {
  std::string source_id;
  std::string order_source_id;
  std::string type;  // paid | completed | cancelled | refunded
  core::Instant at{};
  int64_t refund_minor = 0;              // refunded only
  std::vector<RefundLine> refund_lines;  // refunded only; optional
};

// Built-in event types; anything else must be type "custom" with a name.
// visit (page: home | store | product | other), search (search_query),
// favourite, cart_add, share, review (rating 1..5), login, check_in,
// purchase (a buy seen as behaviour only; it is not an order), custom.
struct EventRecord {
  std::string source_id;
  std::string user_external_id;
  std::string type;
  std::optional<std::string> name;  // custom events
  core::Instant occurred_at{};
  std::optional<std::string> channel;
  std::optional<std::string> page;
  std::optional<std::string> store_source_id;
  std::optional<std::string> product_source_id;
  std::optional<std::string> category_source_id;
  std::optional<std::string> search_query;
  std::optional<int64_t> rating;
  std::optional<std::string> properties_json;  // a JSON object's text
};

const std::vector<std::string_view>& EventTypes();
const std::vector<std::string_view>& VisitPages();

enum class Outcome { kAccepted, kDuplicate, kHeld, kRejected };
std::string_view OutcomeName(Outcome outcome);  // accepted | duplicate | held | rejected

struct RecordResult {
  Outcome outcome = Outcome::kAccepted;
  std::string source_id;
  std::optional<int64_t> id;  // our id of the record's row, when there is one
  bool updated = false;       // users: an existing user changed
  std::string reason;         // rejected: a slug (docs/errors.md)
  std::string field;          // rejected: the field that is wrong, if one is
  std::string detail;         // rejected: human text
};

// A rejection built from an Error: its reason, its first field error.
RecordResult Rejected(std::string source_id, const core::Error& error);

struct BatchResult {
  std::vector<RecordResult> results;  // one per input record, in input order
  int64_t accepted = 0;
  int64_t duplicate = 0;
  int64_t held = 0;
  int64_t rejected = 0;

  void Add(RecordResult r);
};

// Each input is either a parsed record or the error its parsing gave
// (the record is then reported as rejected).
template <typename T>
struct Incoming {
  std::string source_id;  // as far as it could be read; may be empty
  core::Result<T> record;
};

}  // namespace shopcrm::profiles
