// `shopcrm demo`: a generated, realistic Chinese mall for trying the product
// and for tests. The platform's own store and 19 merchants, a two-level
// category tree, 300 products priced in CNY, and N users with names, phones,
// birthdays, cities, occupations, education, source channels and referrers.
// Users follow lifecycles (new, loyal, regular, lapsing, one-time, silent):
// their orders spread over the last ~400 days (paid, completed, cancelled,
// some with coupons, some synced as status updates, some partly refunded),
// and their behaviour forms funnels (visit → search → favourite / cart_add →
// purchase → review or share), with logins and check-ins.
//
// Everything is written through Ingest, so the demo obeys the same rules as
// real data, and is recorded as an import run of kind "demo".
//
// Determinism: the same seed, user count and clock give the same records (a
// seeded std::mt19937_64 and our own distributions, which, unlike the
// standard ones, are the same on every implementation). Times are relative to
// clock.Now(), in China time (UTC+8).
#pragma once

#include <cstdint>

#include "core/clock.h"
#include "core/error.h"
#include "profiles/importers.h"

namespace shopcrm::profiles {

struct DemoOptions {
  int64_t users = 1000;  // 1 to kMaxDemoUsers
  uint64_t seed = 1;

  static constexpr int64_t kMaxDemoUsers = 1'000'000;
  // invalid_config naming `users`.
  core::Status Validate() const;
};

// Generates the demo mall and ingests it in chunks of options.chunk_records.
// Errors as Importer's: invalid_config before anything is written; after
// that a report whose `error` says why a failing database stopped it.
core::Result<ImportReport> GenerateDemo(Ingest& ingest, ImportRuns& runs, const core::Clock& clock,
                                        const DemoOptions& demo, const ImportOptions& options = {});

}  // namespace shopcrm::profiles
