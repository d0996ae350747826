// Points (积分): a ledger of entries, lots and a balance per member.
//
// Rules (docs/membership.md has them for integrators):
// - Earning makes a lot. A lot with a hold (an order's return window) is
//   pending until `available_at`, then released; pending points cannot be
//   spent. A lot expires `expiry_days` after it is released, at the end of
//   the business year after the one it was released in, or never (options).
// - Spending takes the lots that expire first (then the oldest); it is
//   refused when it asks for more than `available`, exactly, under any
//   concurrency: a guarded update (`… WHERE available >= ?`) decides.
// - Reversing what a source (an order) earned takes back each of its lots: a
//   pending lot is cancelled; of a released lot, what is left is taken back
//   and what was already spent is taken from other lots, or, when there is
//   none, leaves `available` negative — a debt later earnings repay first.
// - Due releases and expiries are settled before every change and every
//   read of a member's points, and by a sweep (SettleDue) for everyone.
// - Every change appends entries; `available` and `pending` always equal the
//   sums of the entries' changes, and `available` equals the lots' remaining
//   points whenever it is not negative.
//
// Owns tables: points_accounts, points_lots, points_entries.
// Thread-safety: safe from any thread. Error reasons: invalid_fields,
// user_not_found, insufficient_points, nothing_to_reverse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/id.h"
#include "membership/internal/live.h"
#include "store/database.h"

namespace shopcrm::membership {

enum class PointsExpiry { kNever, kDays, kYearEnd };

struct PointsOptions {
  PointsExpiry expiry = PointsExpiry::kDays;
  int expiry_days = 365;  // with kDays
};

struct PointsAccount {
  int64_t user_id = 0;
  int64_t available = 0;  // negative: a debt being repaid
  int64_t pending = 0;
  // The next lot to expire, and how many of its points are left.
  std::optional<core::Instant> next_expiry;
  int64_t next_expiry_points = 0;
};

struct PointsEntry {
  int64_t id = 0;
  int64_t user_id = 0;
  std::string kind;  // earn | release | spend | expire | reverse | check_in
  int64_t available_change = 0;
  int64_t pending_change = 0;
  int64_t available_after = 0;
  int64_t pending_after = 0;
  std::optional<int64_t> lot_id;
  std::string reason, source, source_ref;
  core::Instant at;
};

struct EarnRequest {
  int64_t user_id = 0;
  int64_t amount = 0;  // > 0
  std::string source = "api";
  std::string source_ref;  // e.g. the order id; what Reverse finds
  std::string reason;
  int hold_days = 0;  // pending this many days first (an order's return window)
};

struct SpendRequest {
  int64_t user_id = 0;
  int64_t amount = 0;  // > 0
  std::string source = "api";
  std::string source_ref;
  std::string reason;
};

// The result of a change: the entries it appended and the account after it.
struct PointsChange {
  std::vector<PointsEntry> entries;
  PointsAccount account;
};

class Points final {
 public:
  Points(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
         const core::BusinessTimeZone& tz, PointsOptions options);

  // Each runs in one transaction of its own.
  core::Result<PointsChange> Earn(const EarnRequest& r);
  core::Result<PointsChange> Spend(const SpendRequest& r);
  // Takes back what `source_ref` earned the member; nothing_to_reverse when
  // it earned nothing still standing.
  core::Result<PointsChange> Reverse(int64_t user_id, const std::string& source_ref,
                                     const std::string& reason);
  core::Result<PointsAccount> Account(int64_t user_id);
  // Newest first; entries with id < `before` when set.
  core::Result<std::vector<PointsEntry>> Entries(int64_t user_id, std::optional<int64_t> before,
                                                 int limit);
  // Releases and expires what is due for every member; how many lots changed.
  core::Result<int64_t> SettleDue();

  // The same inside a caller's write transaction (an idempotency key's,
  // check-ins, points-mall redemptions). `kind` names the entry ("earn",
  // "check_in").
  core::Result<PointsChange> EarnIn(store::Session& s, const EarnRequest& r, core::Instant now,
                                    std::string_view kind = "earn");
  core::Result<PointsChange> SpendIn(store::Session& s, const SpendRequest& r, core::Instant now);
  core::Result<PointsChange> ReverseIn(store::Session& s, int64_t user_id,
                                       const std::string& source_ref, const std::string& reason,
                                       core::Instant now);
  core::Result<PointsAccount> AccountIn(store::Session& s, int64_t user_id, core::Instant now);
  PointsOptions options() const { return options_.Get(); }
  // New rules for what is released from now on (membership/rules.h).
  void SetOptions(const PointsOptions& o) { options_.Set(o); }

 private:
  core::Status Validate(int64_t user_id, int64_t amount) const;
  // Releases and expires what is due for one member (making the account on
  // first use); `available` after it.
  core::Result<int64_t> SettleUser(store::Session& s, int64_t user_id, int64_t now,
                                   std::vector<PointsEntry>& out);
  std::optional<int64_t> ExpiryOf(core::Instant released) const;

  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const core::BusinessTimeZone tz_;
  internal::Live<PointsOptions> options_;
};

}  // namespace shopcrm::membership
