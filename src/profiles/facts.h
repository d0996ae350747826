// Read-only scans of the customer facts for indexes derived from them (the
// segment engine): users, counting orders, behaviour events and tag
// assignments. Each scan walks its table in id order, a page at a time in its
// own read transaction, so millions of rows stream at bounded memory; rows
// committed while a scan runs may or may not be seen. Given a list of users
// (`only`), a scan reads those users' rows alone, in no particular order:
// that is how an index takes in what changed (Marks, ChangedSince).
//
// Orders follow docs/orders.md: only counting orders are returned, each with
// its net amount (paid - refunded) at its paid time.
//
// Thread-safety: safe from any thread. Errors: the database's.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/error.h"
#include "store/database.h"

namespace shopcrm::profiles {

struct UserFact {
  int64_t id = 0;
  std::optional<std::string> gender;
  std::optional<std::string> birthday;  // YYYY-MM-DD as stored
  std::optional<std::string> city;
  std::optional<std::string> province;
  std::optional<std::string> source_channel;
  std::optional<int64_t> registered_at_micros;
  std::optional<int64_t> referrer_id;
  bool erased = false;
};

struct OrderFact {
  int64_t id = 0;
  int64_t user_id = 0;
  int64_t paid_at_micros = 0;
  int64_t net_minor = 0;  // paid - refunded, more than 0
  std::string currency;
  bool discounted = false;  // a discount or a coupon code
};

// When a user first bought from a category: the earliest counting order with
// an item of it.
struct CategoryFirst {
  int64_t user_id = 0;
  std::string category;
  int64_t first_at_micros = 0;
};

struct EventFact {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string type;
  int64_t occurred_at_micros = 0;
};

struct TagFact {
  int64_t user_id = 0;
  int64_t tag_id = 0;
};

// A member (docs/membership.md): a user with growth or a paid membership.
struct MemberFact {
  int64_t user_id = 0;
  int64_t since_micros = 0;  // their first growth entry or paid purchase
  std::optional<int> level;  // their level now; none for paid-only members
};

struct TagName {
  int64_t id = 0;
  std::string group;
  std::string name;
};

// The high-water marks of the facts: the latest id of each fact table, and
// the latest update time of users. Index lookups only.
struct FactMarks {
  int64_t events = 0;
  int64_t orders = 0;
  int64_t order_steps = 0;       // order_status_history
  int64_t users_updated_at = 0;  // micros
  int64_t growth = 0;            // growth_entries
  int64_t paid = 0;              // paid_membership_events
  int64_t levels = 0;            // level_changes
  int64_t audit = 0;             // tag changes and erasures are audited
  bool operator==(const FactMarks&) const = default;
};

// What was written after some marks.
struct FactChanges {
  // The users whose facts may have changed, ascending: those with a newer
  // event, order, order step, profile or tag update, growth entry, paid
  // purchase, level change or erasure, and whoever invites them now (an
  // invitee counts for the inviter).
  std::vector<int64_t> users;
};

class Facts final {
 public:
  explicit Facts(store::Database& db, int page_rows = 50000) : db_(db), page_rows_(page_rows) {}

  // The users whose rows a scan reads, in any order; null for every row.
  using Only = const std::vector<int64_t>*;

  // Each calls `fn` once per row in id order (user_tags: by user, then tag),
  // or, with `only`, once per row of those users. A non-OK status from `fn`
  // stops the scan and is returned.
  core::Status ScanUsers(const std::function<core::Status(const UserFact&)>& fn,
                         Only only = nullptr);
  core::Status ScanCountingOrders(const std::function<core::Status(const OrderFact&)>& fn,
                                  Only only = nullptr);
  core::Status ScanEvents(const std::function<core::Status(const EventFact&)>& fn,
                          Only only = nullptr);
  core::Status ScanUserTags(const std::function<core::Status(const TagFact&)>& fn,
                            Only only = nullptr);
  core::Status ScanTagNames(const std::function<core::Status(const TagName&)>& fn);
  // Each user's categories with the time of their first purchase, by user
  // then category.
  core::Status ScanCategoryFirsts(const std::function<core::Status(const CategoryFirst&)>& fn,
                                  Only only = nullptr);
  // Members in user id order.
  core::Status ScanMembers(const std::function<core::Status(const MemberFact&)>& fn,
                           Only only = nullptr);

  // The external ids of the given users (ids not found are left out).
  core::Result<std::vector<std::pair<int64_t, std::string>>> ExternalIds(
      const std::vector<int64_t>& user_ids);

  // The marks change when a user, order, order update, event, growth entry,
  // paid purchase or level change is written, or a tag change or erasure is
  // audited (by any process). Ids and times are taken before commit, so a transaction
  // that commits after a later one may not change them, and its rows may be
  // at or below marks read before it committed: readers look again a little
  // later, and ask for changes since marks read some seconds earlier
  // (segments does both).
  core::Result<FactMarks> Marks();
  // What was written after `since`.
  core::Result<FactChanges> ChangedSince(const FactMarks& since);
  // How many tag and tag group edits with an audit id above `audit` have
  // committed: a reader that counted them before reading the tags has read
  // every one counted, and one committed after shows as a larger count.
  core::Result<int64_t> TagEditsAfter(int64_t audit);
  // The users that any of `users` (ascending) invited, but not those, ascending:
  // an inviter's models look at their invitees.
  core::Result<std::vector<int64_t>> InviteesOf(const std::vector<int64_t>& users);

 private:
  store::Database& db_;
  const int page_rows_;
};

}  // namespace shopcrm::profiles
