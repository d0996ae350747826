#include "identity/api_keys.h"

#include <nlohmann/json.hpp>

#include "identity/internal/secrets.h"

namespace shopcrm::identity {
namespace {

constexpr std::string_view kSecretPrefix = "shk_";
constexpr size_t kSecretRandomBytes = 24;
constexpr std::string_view kColumns =
    "id, name, role, prefix, created_at, created_by, last_used_at, revoked_at";
constexpr int64_t kLastUsedResolutionMicros = 60'000'000;

ApiKey FromRow(const store::Row& r) {
  ApiKey k;
  k.id = r.Int(0);
  k.name = r.Text(1);
  k.role = ParseRole(r.Text(2)).value_or(Role::kAnalyst);
  k.prefix = r.Text(3);
  k.created_at = core::FromUnixMicros(r.Int(4));
  k.created_by = r.Text(5);
  if (auto v = r.OptionalInt(6)) k.last_used_at = core::FromUnixMicros(*v);
  if (auto v = r.OptionalInt(7)) k.revoked_at = core::FromUnixMicros(*v);
  return k;
}

}  // namespace

std::string ApiKeyAuditJson(const ApiKey& key) {
  nlohmann::json j = {{"id", std::to_string(key.id)},
                      {"name", key.name},
                      {"role", RoleName(key.role)},
                      {"prefix", key.prefix},
                      {"revoked", key.revoked_at.has_value()}};
  return j.dump();
}

core::Result<CreatedApiKey> ApiKeys::Create(std::string_view name, Role role,
                                            const audit::Actor& actor) {
  if (name.empty() || name.size() > 100) {
    return core::InvalidArgument("invalid_fields", "name must be 1 to 100 bytes",
                                 {{"name", "invalid_length", "must be 1 to 100 bytes"}});
  }
  CreatedApiKey out;
  out.secret = std::string(kSecretPrefix) + internal::RandomHex(kSecretRandomBytes);
  out.key.id = ids_.Next();
  out.key.name = std::string(name);
  out.key.role = role;
  out.key.prefix = out.secret.substr(0, kSecretPrefix.size() + 6);
  out.key.created_at = clock_.Now();
  out.key.created_by = actor.name;
  SHOPCRM_RETURN_IF_ERROR(
      db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
        SHOPCRM_RETURN_IF_ERROR(
            s.Execute("INSERT INTO api_keys (id, name, role, prefix, secret_hash, created_at, "
                      "created_by)"
                      " VALUES (?, ?, ?, ?, ?, ?, ?)",
                      {out.key.id, out.key.name, std::string(RoleName(role)), out.key.prefix,
                       internal::Sha256Hex(out.secret), core::ToUnixMicros(out.key.created_at),
                       out.key.created_by})
                .status());
        return audit_.Record(s, actor, "api_key.create", "api_key", std::to_string(out.key.id),
                             std::nullopt, ApiKeyAuditJson(out.key));
      }));
  return out;
}

core::Result<ApiKeyPage> ApiKeys::List(int limit, std::optional<int64_t> cursor) {
  SHOPCRM_RETURN_IF_ERROR(store::ValidatePageLimit(limit));
  ApiKeyPage page;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows,
                             s.Query("SELECT " + std::string(kColumns) +
                                         " FROM api_keys WHERE id < ? ORDER BY id DESC LIMIT ?",
                                     {store::CursorBound(cursor), int64_t{limit} + 1}));
    page = store::MakePage<ApiKey>(rows, limit, FromRow, [](const ApiKey& k) { return k.id; });
    return core::Status::Ok();
  }));
  return page;
}

core::Status ApiKeys::Revoke(int64_t id, const audit::Actor& actor) {
  auto status = db_.Transact(store::TxMode::kWrite, [&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(
        store::Row row,
        s.QueryOne("SELECT " + std::string(kColumns) + " FROM api_keys WHERE id = ?", {id},
                   "api_key_not_found", "no API key has id " + std::to_string(id)));
    ApiKey before = FromRow(row);
    if (before.revoked_at) {
      return core::Error(core::ErrorCode::kConflict, "api_key_already_revoked",
                         "API key " + std::to_string(id) + " was revoked already");
    }
    ApiKey after = before;
    after.revoked_at = clock_.Now();
    SHOPCRM_ASSIGN_OR_RETURN(
        int64_t changed,
        s.Execute("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                  {core::ToUnixMicros(*after.revoked_at), id}));
    if (changed != 1)
      return core::Conflict("api_key_already_revoked", "API key was revoked already");
    return audit_.Record(s, actor, "api_key.revoke", "api_key", std::to_string(id),
                         ApiKeyAuditJson(before), ApiKeyAuditJson(after));
  });
  if (status.ok()) {
    std::lock_guard lock(cache_mu_);
    std::erase_if(cache_, [id](const auto& entry) { return entry.second.principal.id == id; });
  }
  return status;
}

std::optional<Principal> ApiKeys::RememberedHash(const std::string& hash,
                                                 std::chrono::steady_clock::time_point now) {
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(hash);
  if (it == cache_.end() || it->second.until <= now) return std::nullopt;
  return it->second.principal;
}

std::optional<Principal> ApiKeys::Remembered(std::string_view secret) {
  return RememberedHash(internal::Sha256Hex(secret), std::chrono::steady_clock::now());
}

core::Result<Principal> ApiKeys::Authenticate(std::string_view secret) {
  auto invalid = [] {
    return core::Error(core::ErrorCode::kUnauthenticated, "invalid_api_key",
                       "the API key is unknown or revoked");
  };
  if (!secret.starts_with(kSecretPrefix) ||
      secret.size() != kSecretPrefix.size() + 2 * kSecretRandomBytes) {
    return invalid();
  }
  const std::string hash = internal::Sha256Hex(secret);
  const auto steady_now = std::chrono::steady_clock::now();
  if (auto p = RememberedHash(hash, steady_now)) return *p;
  std::optional<ApiKey> key;
  SHOPCRM_RETURN_IF_ERROR(db_.WithSession([&](store::Session& s) -> core::Status {
    SHOPCRM_ASSIGN_OR_RETURN(store::Rows rows, s.Query("SELECT " + std::string(kColumns) +
                                                           " FROM api_keys WHERE secret_hash = ?",
                                                       {hash}));
    if (!rows.empty()) key = FromRow(rows.rows.front());
    if (!key || key->revoked_at) return core::Status::Ok();
    const int64_t now = core::ToUnixMicros(clock_.Now());
    const int64_t last = key->last_used_at ? core::ToUnixMicros(*key->last_used_at) : 0;
    bool mark = now - last >= kLastUsedResolutionMicros;
    if (mark) {
      std::lock_guard lock(mark_mu_);
      int64_t& tried = marked_at_[key->id];
      mark = now - tried >= kLastUsedResolutionMicros;
      if (mark) tried = now;
    }
    if (mark) {
      // Best effort: a lost race or a busy database only delays the mark.
      (void)s.Execute("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {now, key->id});
    }
    return core::Status::Ok();
  }));
  if (!key || key->revoked_at) return invalid();
  Principal p;
  p.kind = Principal::Kind::kApiKey;
  p.id = key->id;
  p.name = key->name;
  p.role = key->role;
  {
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= 10000) cache_.clear();  // bounded; refills on use
    cache_[hash] = {p, steady_now + kAuthCacheTtl};
  }
  return p;
}

}  // namespace shopcrm::identity
