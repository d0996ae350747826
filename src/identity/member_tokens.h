// Member tokens: how the member centre (/m/) and the /api/v1/me API know
// which member is asking. The mall, which has already signed its user in,
// signs a token with the secret it shares with shopcrm:
//
//   payload = base64url(JSON {"sub": "<the user's external id>", "exp": <Unix seconds>})
//   token   = payload + "." + base64url(HMAC-SHA-256(secret, payload))
//
// base64url is RFC 4648 §5 without padding. A token is refused when the
// signature does not match (member_token_invalid), when it has expired or
// lives longer than kMaxLifetime (member_token_expired). Tokens are bearer
// credentials: the member centre keeps one in the tab's session storage.
//
// Thread-safety: immutable after construction; safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/error.h"

namespace shopcrm::identity {

class MemberTokens final {
 public:
  static constexpr std::chrono::hours kMaxLifetime{24 * 30};

  // `secret` must be at least 32 characters (Validate decides before use).
  MemberTokens(std::string secret, const core::Clock& clock)
      : secret_(std::move(secret)), clock_(clock) {}

  // 64 random hex digits: the secret of a server no mall shares one with.
  static std::string RandomSecret();

  // A token for `external_id` that expires `ttl` from now (the console's
  // "open the member centre as this user", and tests).
  std::string Issue(std::string_view external_id, std::chrono::seconds ttl) const;
  // The external id a valid token names.
  core::Result<std::string> Verify(std::string_view token) const;

 private:
  const std::string secret_;
  const core::Clock& clock_;
};

}  // namespace shopcrm::identity
