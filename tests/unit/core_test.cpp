#include <gtest/gtest.h>

#include "forgedb/core/base64.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/forges/github/webhook.hpp"

namespace forgedb {
namespace {

// GitHub's documented test vector (validating webhook deliveries).
TEST(Signature, GithubTestVector) {
    EXPECT_EQ(HmacSha256Hex("It's a Secret to Everybody", "Hello, World!"),
              "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    EXPECT_TRUE(replication::VerifyGithubSignature(
        "It's a Secret to Everybody", "Hello, World!",
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"));
}

TEST(Base64, EncodesWithPadding) {
    EXPECT_EQ(Base64Encode(""), "");
    EXPECT_EQ(Base64Encode("f"), "Zg==");
    EXPECT_EQ(Base64Encode("fo"), "Zm8=");
    EXPECT_EQ(Base64Encode("foo"), "Zm9v");
    EXPECT_EQ(Base64Encode("user:secret"), "dXNlcjpzZWNyZXQ=");
}

TEST(Url, PercentEncodeKeepsUnreservedAndChosenCharacters) {
    EXPECT_EQ(PercentEncode("aZ09-._~"), "aZ09-._~");
    EXPECT_EQ(PercentEncode("a b/c:d+é"), "a%20b%2Fc%3Ad%2B%C3%A9");
    EXPECT_EQ(PercentEncode("status:open owner:x", ":"), "status:open%20owner:x");
    EXPECT_EQ(PercentEncode(""), "");
}

TEST(Signature, RejectsWrongOrMalformed) {
    const std::string good =
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    EXPECT_FALSE(replication::VerifyGithubSignature("other secret", "Hello, World!", good));
    EXPECT_FALSE(
        replication::VerifyGithubSignature("It's a Secret to Everybody", "Hello, World?", good));
    EXPECT_FALSE(replication::VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!",
                                                    good.substr(7)));
    EXPECT_FALSE(replication::VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!",
                                                    good.substr(0, 40)));
    EXPECT_FALSE(replication::VerifyGithubSignature("It's a Secret to Everybody", "Hello, World!",
                                                    "sha1=abc"));
    EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
    EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
}

TEST(Time, ParsesForgeForms) {
    auto t = ParseTimestamp("2019-05-15T15:20:33Z");
    ASSERT_TRUE(t);
    EXPECT_EQ(FormatForgeTime(*t), "2019-05-15T15:20:33Z");
    EXPECT_EQ(FormatLocalTime(*t), "2019-05-15T15:20:33.000000Z");
    // Offsets are converted to UTC.
    EXPECT_EQ(FormatForgeTime(*ParseTimestamp("2019-05-15T17:20:33+02:00")),
              "2019-05-15T15:20:33Z");
    EXPECT_EQ(FormatForgeTime(*ParseTimestamp("2019-05-15T10:20:33-05")), "2019-05-15T15:20:33Z");
    // PostgreSQL output and Gerrit's nanoseconds.
    EXPECT_EQ(FormatLocalTime(*ParseTimestamp("2019-05-15 15:20:33.123456+00")),
              "2019-05-15T15:20:33.123456Z");
    EXPECT_EQ(FormatLocalTime(*ParseTimestamp("2013-02-20 12:12:53.123456789")),
              "2013-02-20T12:12:53.123456Z");
    EXPECT_EQ(FormatForgeTime(*FromUnixSeconds(1557933565)), "2019-05-15T15:19:25Z");
    // GitLab's webhook form.
    EXPECT_EQ(FormatForgeTime(*ParseTimestamp("2017-09-15 16:50:55 UTC")), "2017-09-15T16:50:55Z");
    EXPECT_FALSE(ParseTimestamp("2017-09-15 16:50:55 UTCX"));
    EXPECT_FALSE(ParseTimestamp("2017-09-15 16:50:55 CET"));
    EXPECT_FALSE(ParseTimestamp("2017-09-15 16:50:55Z UTC"));
}

TEST(Time, RejectsGarbage) {
    EXPECT_FALSE(ParseTimestamp(""));
    EXPECT_FALSE(ParseTimestamp("yesterday"));
    EXPECT_FALSE(ParseTimestamp("2019-13-01T00:00:00Z"));
    EXPECT_FALSE(ParseTimestamp("2019-02-30T00:00:00Z"));
    EXPECT_FALSE(ParseTimestamp("2019-05-15T15:20:33Zjunk"));
    EXPECT_FALSE(ParseTimestamp("2019-05-15T25:20:33Z"));
    EXPECT_FALSE(ParseTimestamp("2019-05-15T15:20:33."));
}

// Integer times wrapped around (9223372036854775807 was stored as 1969-12-31, 100000000000000 as
// year 0000): both backends store years 0001..9999 alike, and anything else is refused.
TEST(Time, RefusesTimesOutsideYearsOneToNineThousandNineHundredNinetyNine) {
    EXPECT_FALSE(FromUnixSeconds(9223372036854775807LL));
    EXPECT_FALSE(FromUnixSeconds(-9223372036854775807LL - 1));
    EXPECT_FALSE(FromUnixSeconds(100000000000000LL));
    EXPECT_FALSE(FromUnixSeconds(kMaxUnixSeconds + 1));
    EXPECT_FALSE(FromUnixSeconds(kMinUnixSeconds - 1));
    EXPECT_EQ(FormatForgeTime(*FromUnixSeconds(kMaxUnixSeconds)), "9999-12-31T23:59:59Z");
    EXPECT_EQ(FormatForgeTime(*FromUnixSeconds(kMinUnixSeconds)), "0001-01-01T00:00:00Z");
    EXPECT_FALSE(ParseTimestamp("0000-06-01T00:00:00Z"));
    EXPECT_FALSE(ParseTimestamp("0001-01-01T00:30:00+01:00"));  // 0000-12-31 in UTC
    EXPECT_FALSE(ParseTimestamp("9999-12-31T23:30:00-01:00"));  // year 10000 in UTC
    EXPECT_TRUE(ParseTimestamp("0001-01-01T00:00:00Z"));
}

TEST(Time, LocalFormatSortsAsText) {
    auto a = *ParseTimestamp("2019-05-15T15:20:33.5Z");
    auto b = *ParseTimestamp("2019-05-15T15:20:34Z");
    EXPECT_LT(FormatLocalTime(a), FormatLocalTime(b));
}

TEST(Json, ParsesAndReads) {
    auto doc = JsonDocument::Parse(R"({"a":{"b":[1,2]},"n":null,"s":"x","i":12345678901})");
    ASSERT_TRUE(doc);
    EXPECT_TRUE(JsonPath(doc->root(), {"a", "b"}));
    EXPECT_FALSE(JsonPath(doc->root(), {"a", "c"}));
    EXPECT_TRUE(JsonIsNull(*JsonGet(doc->root(), "n")));
    EXPECT_EQ(JsonGetString(doc->root(), "s"), "x");
    EXPECT_EQ(JsonGetInt(doc->root(), "i"), 12345678901LL);
    EXPECT_FALSE(JsonGetInt(doc->root(), "s"));
    EXPECT_EQ(JsonText(*JsonGet(doc->root(), "a")), R"({"b":[1,2]})");
}

TEST(Json, RejectsMalformed) {
    EXPECT_FALSE(JsonDocument::Parse("{"));
    EXPECT_FALSE(JsonDocument::Parse("not json"));
    EXPECT_FALSE(JsonDocument::Parse(""));
    EXPECT_FALSE(JsonDocument::Parse("{\"a\": \"\xff\"}"));  // invalid UTF-8
    auto e = JsonDocument::Parse("[1,]");
    ASSERT_FALSE(e);
    EXPECT_EQ(e.error().code, ErrorCode::kInvalid);
}

}  // namespace
}  // namespace forgedb

namespace forgedb {
namespace {

TEST(AsciiCase, LowersOnlyAsciiLettersAndComparesWithoutCase) {
    EXPECT_EQ(AsciiLower("GitHub-Org_42 ÉTÉ"), "github-org_42 ÉtÉ");  // É stays É
    EXPECT_EQ(AsciiLower(""), "");
    EXPECT_TRUE(EqualsIgnoreCase("Basic ", "basic "));
    EXPECT_TRUE(EqualsIgnoreCase("", ""));
    EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzi"));
    EXPECT_FALSE(EqualsIgnoreCase("gzip", "gzap"));
    EXPECT_FALSE(EqualsIgnoreCase("[", "{"));  // 0x5B and 0x7B differ by 0x20 but are no letters
}

TEST(ValidUtf8, KeepsValidTextAndReplacesEachBadByte) {
    EXPECT_EQ(ValidUtf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
              "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    EXPECT_EQ(ValidUtf8("caf\xC3"), "caf\xEF\xBF\xBD");            // cut inside a character
    EXPECT_EQ(ValidUtf8("\x80x"), "\xEF\xBF\xBDx");                // stray continuation byte
    EXPECT_EQ(ValidUtf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
    EXPECT_EQ(ValidUtf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
    EXPECT_EQ(ValidUtf8(""), "");
}

}  // namespace
}  // namespace forgedb
