// API keys for programs: the mall's servers (role integration) and scripts.
//
// A key is "shk_" + 48 hex digits (192 random bits), shown once at creation;
// only its SHA-256 is stored. Keys are revoked, never deleted, so the audit
// trail keeps their names.
//
// Owns table: api_keys. Thread-safety: safe from any thread.
// Error reasons: invalid_fields, api_key_not_found, api_key_already_revoked,
// invalid_api_key (unauthenticated).
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "audit/audit_log.h"
#include "core/clock.h"
#include "core/id.h"
#include "identity/principal.h"
#include "identity/role.h"
#include "store/database.h"
#include "store/paging.h"

namespace shopcrm::identity {

struct ApiKey {
  int64_t id = 0;
  std::string name;
  Role role = Role::kAnalyst;
  std::string prefix;  // the first characters of the secret, to recognise it
  core::Instant created_at{};
  std::string created_by;
  std::optional<core::Instant> last_used_at;
  std::optional<core::Instant> revoked_at;
};

struct CreatedApiKey {
  ApiKey key;
  std::string secret;  // shown once
};

using ApiKeyPage = store::Page<ApiKey>;

// JSON text of a key's public fields, for audit before/after.
std::string ApiKeyAuditJson(const ApiKey& key);

class ApiKeys final {
 public:
  ApiKeys(store::Database& db, const core::Clock& clock, core::IdGenerator& ids,
          const audit::AuditLog& audit)
      : db_(db), clock_(clock), ids_(ids), audit_(audit) {}

  // Returns invalid_fields when the name is empty or longer than 100 bytes.
  core::Result<CreatedApiKey> Create(std::string_view name, Role role, const audit::Actor& actor);
  // Newest first; limit 1..200.
  core::Result<ApiKeyPage> List(int limit, std::optional<int64_t> cursor);
  // Returns api_key_not_found or api_key_already_revoked.
  core::Status Revoke(int64_t id, const audit::Actor& actor);
  // The principal a secret stands for; invalid_api_key if unknown or revoked.
  // Records last use at most once a minute per key. A valid key is remembered
  // for kAuthCacheTtl, so a busy integration costs one lookup a second: a key
  // revoked here stops working at once, one revoked by another server within
  // that time.
  core::Result<Principal> Authenticate(std::string_view secret);
  // The principal when the secret is remembered (see above); never touches
  // the database, so it suits threads that must not block.
  std::optional<Principal> Remembered(std::string_view secret);

  static constexpr std::chrono::milliseconds kAuthCacheTtl{1000};

 private:
  store::Database& db_;
  const core::Clock& clock_;
  core::IdGenerator& ids_;
  const audit::AuditLog& audit_;
  // When this process last tried to mark each key used: one attempt per key
  // per period, so a burst of requests does not queue writes behind each other.
  std::mutex mark_mu_;
  std::unordered_map<int64_t, int64_t> marked_at_;
  struct Cached {
    Principal principal;
    std::chrono::steady_clock::time_point until;
  };
  std::optional<Principal> RememberedHash(const std::string& hash,
                                          std::chrono::steady_clock::time_point now);
  std::mutex cache_mu_;
  std::unordered_map<std::string, Cached> cache_;  // by secret hash
};

}  // namespace shopcrm::identity
