#include "identity/member_tokens.h"

#include "core/json.h"
#include "identity/internal/secrets.h"

namespace shopcrm::identity {
namespace {

core::Error Invalid(std::string detail) {
  return core::Error(core::ErrorCode::kUnauthenticated, "member_token_invalid", std::move(detail));
}

}  // namespace

std::string MemberTokens::RandomSecret() {
  internal::InitSodium();
  return internal::RandomHex(32);
}

std::string MemberTokens::Issue(std::string_view external_id, std::chrono::seconds ttl) const {
  const int64_t exp =
      std::chrono::duration_cast<std::chrono::seconds>((clock_.Now() + ttl).time_since_epoch())
          .count();
  const std::string payload =
      internal::Base64Url(core::DumpJson({{"sub", std::string(external_id)}, {"exp", exp}}));
  return payload + "." + internal::Base64Url(internal::HmacSha256(secret_, payload));
}

core::Result<std::string> MemberTokens::Verify(std::string_view token) const {
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos || token.size() > 2048) {
    return Invalid("a member token is '<payload>.<signature>'");
  }
  const std::string_view payload = token.substr(0, dot);
  const auto signature = internal::FromBase64Url(token.substr(dot + 1));
  if (!signature ||
      !internal::EqualConstantTime(*signature, internal::HmacSha256(secret_, payload))) {
    return Invalid("the member token's signature does not match");
  }
  const auto json_text = internal::FromBase64Url(payload);
  if (!json_text) return Invalid("the member token's payload is not base64url");
  auto json = core::ParseJson(*json_text);
  if (!json.ok() || !json->is_object() || !(*json)["sub"].is_string() ||
      !(*json)["exp"].is_number_integer() || (*json)["sub"].get<std::string>().empty()) {
    return Invalid("the member token's payload must be {\"sub\": string, \"exp\": integer}");
  }
  const auto exp = core::Instant(std::chrono::seconds((*json)["exp"].get<int64_t>()));
  const core::Instant now = clock_.Now();
  if (exp <= now || exp - now > kMaxLifetime) {
    return core::Error(core::ErrorCode::kUnauthenticated, "member_token_expired",
                       "the member token has expired (or lives longer than 30 days): ask the "
                       "mall for a new one");
  }
  return (*json)["sub"].get<std::string>();
}

}  // namespace shopcrm::identity
