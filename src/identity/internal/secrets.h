// libsodium behind a small surface: random tokens, SHA-256 of high-entropy
// secrets, argon2id password hashes. Only identity/ includes libsodium.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shopcrm::identity::internal {

// Initialises libsodium once; false if the library cannot start.
bool InitSodium();

// `bytes` random bytes as lower-case hex.
std::string RandomHex(size_t bytes);

// SHA-256 of `secret` as hex. Fit for API keys and session tokens, which are
// 192+ random bits; never for passwords.
std::string Sha256Hex(std::string_view secret);

struct PasswordCost {
  uint64_t ops_limit;
  size_t mem_limit_bytes;
};
PasswordCost InteractiveCost();  // libsodium's interactive argon2id: 2 passes, 64 MiB
PasswordCost MinimumCost();      // tests only

// argon2id, encoded with its salt and parameters. Empty on allocation failure.
std::string HashPassword(std::string_view password, const PasswordCost& cost);
bool VerifyPassword(std::string_view encoded, std::string_view password);

// HMAC-SHA-256 of `message` under `key` (any length), as raw bytes.
std::string HmacSha256(std::string_view key, std::string_view message);

// URL-safe base64 without padding (RFC 4648 §5), and back (nullopt when
// `text` is not that).
std::string Base64Url(std::string_view bytes);
std::optional<std::string> FromBase64Url(std::string_view text);

// Constant-time equality for tokens.
bool EqualConstantTime(std::string_view a, std::string_view b);

}  // namespace shopcrm::identity::internal
