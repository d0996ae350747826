// Member tokens: a token the mall signs the documented way is accepted; a
// changed payload, another secret, an expired or too long-lived token and
// garbage are refused with their reasons.
#include "identity/member_tokens.h"

#include <gtest/gtest.h>

#include "identity/internal/secrets.h"
#include "testing/fake_clock.h"

namespace shopcrm::identity {
namespace {

using namespace std::chrono_literals;

constexpr const char kSecret[] = "mall-shared-secret-0123456789abcdef";

class MemberTokensTest : public ::testing::Test {
 protected:
  void SetUp() override { clock_.Set(*core::ParseRfc3339("2026-11-17T00:00:00Z")); }
  shopcrm::testing::FakeClock clock_;
  MemberTokens tokens_{kSecret, clock_};
};

TEST_F(MemberTokensTest, ATokenSignedAsDocumentedIsAccepted) {
  // {"sub":"u-42","exp":1795000000}, signed with Python's hmac and base64 modules.
  const std::string mall_signed =
      "eyJzdWIiOiJ1LTQyIiwiZXhwIjoxNzk1MDAwMDAwfQ.dAQM82N15Hpg4i2Du3EfTVcd5fBauQcO41bvn6bRycQ";
  auto who = tokens_.Verify(mall_signed);
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(*who, "u-42");
  // The same after expiry (2026-11-18T11:06:40Z).
  clock_.Set(*core::ParseRfc3339("2026-11-18T11:06:40Z"));
  EXPECT_EQ(tokens_.Verify(mall_signed).error().reason(), "member_token_expired");
}

TEST_F(MemberTokensTest, IssuedTokensRoundTrip) {
  auto who = tokens_.Verify(tokens_.Issue("会员-7", 1h));
  ASSERT_TRUE(who.ok()) << who.error().ToString();
  EXPECT_EQ(*who, "会员-7");
}

TEST_F(MemberTokensTest, ChangedForgedExpiredAndGarbageTokensAreRefused) {
  const std::string token = tokens_.Issue("u-1", 1h);
  const size_t dot = token.find('.');
  // Another member's payload under the first signature.
  const std::string other = tokens_.Issue("u-2", 1h);
  EXPECT_EQ(tokens_.Verify(other.substr(0, other.find('.')) + token.substr(dot)).error().reason(),
            "member_token_invalid");
  MemberTokens forger("another-secret-0123456789abcdef-xyz", clock_);
  EXPECT_EQ(tokens_.Verify(forger.Issue("u-1", 1h)).error().reason(), "member_token_invalid");
  EXPECT_EQ(tokens_.Verify(tokens_.Issue("u-1", 31 * 24h)).error().reason(),
            "member_token_expired");
  EXPECT_EQ(tokens_.Verify(tokens_.Issue("u-1", -1s)).error().reason(), "member_token_expired");
  for (const char* garbage : {"", "abc", "a.b", "....", "eyJ.%%%"}) {
    EXPECT_EQ(tokens_.Verify(garbage).error().reason(), "member_token_invalid") << garbage;
  }
  // Well-signed payloads that are not the expected JSON.
  for (const char* json :
       {"not json", "[1]", R"({"sub":"","exp":1795000000})", R"({"sub":"u","exp":"soon"})"}) {
    const std::string payload = internal::Base64Url(json);
    const std::string signed_token =
        payload + "." + internal::Base64Url(internal::HmacSha256(kSecret, payload));
    EXPECT_EQ(tokens_.Verify(signed_token).error().reason(), "member_token_invalid") << json;
  }
}

}  // namespace
}  // namespace shopcrm::identity
