#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "forgedb/core/text.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/sources/answer.hpp"

namespace forgedb::sources {
namespace {

using std::chrono::seconds;

constexpr std::string_view kFffd = "\xEF\xBF\xBD";  // U+FFFD
const std::string kEuro = "\xE2\x82\xAC";           // U+20AC, 3 bytes

HttpResponse WithHeader(std::string name, std::string value) {
    HttpResponse r;
    r.status = 429;
    r.headers.emplace_back(std::move(name), std::move(value));
    return r;
}

// ---------------------------------------------------------------------------------------------
// Excerpts

TEST(Excerpt, ShortTextIsKeptAndControlCharactersBecomeSpaces) {
    EXPECT_EQ(Excerpt("Not Found", 200), "Not Found");
    EXPECT_EQ(Excerpt("line one\r\nline\ttwo\x7f!", 200), "line one  line two !");
    EXPECT_EQ(Excerpt("trailing \n\n  ", 200), "trailing");
    EXPECT_EQ(Excerpt("", 200), "");
    EXPECT_EQ(Excerpt("\n\n", 200), "");
}

TEST(Excerpt, CutsAtTheLimitInBytes) {
    std::string body(1000, 'x');
    EXPECT_EQ(Excerpt(body, 200), std::string(200, 'x'));
    EXPECT_EQ(Excerpt(body, 0), "");
}

TEST(Excerpt, NeverCutsInsideAUtf8Character) {
    // 199 ASCII bytes and a 3-byte character: the character would end at byte 202; it is left out.
    std::string body = std::string(199, 'a') + kEuro + "tail";
    std::string out = Excerpt(body, 200);
    EXPECT_EQ(out, std::string(199, 'a'));
    EXPECT_EQ(ValidUtf8(out), out);
    // When it fits whole, it is kept.
    EXPECT_EQ(Excerpt(std::string(197, 'a') + kEuro + "tail", 200), std::string(197, 'a') + kEuro);
    // Every limit over a text of multi-byte characters gives valid UTF-8 of at most that size.
    std::string mixed = "caf\xC3\xA9 " + kEuro + " \xF0\x9F\x98\x80 " + kEuro + kEuro;
    for (size_t limit = 0; limit <= mixed.size() + 1; ++limit) {
        std::string cut = Excerpt(mixed, limit);
        EXPECT_LE(cut.size(), limit);
        EXPECT_EQ(ValidUtf8(cut), cut) << limit;
        EXPECT_EQ(mixed.rfind(cut, 0), 0u) << "a prefix of the text: " << limit;
    }
}

TEST(Excerpt, InvalidUtf8BecomesReplacementCharacters) {
    EXPECT_EQ(Excerpt("a\x80z", 200), "a" + std::string(kFffd) + "z");  // stray continuation
    EXPECT_EQ(Excerpt("\xC0\xAF", 200), std::string(kFffd) + std::string(kFffd));  // overlong
    EXPECT_EQ(Excerpt("caf\xC3", 200), "caf" + std::string(kFffd));  // the body ends mid-character
    EXPECT_EQ(Excerpt("\xFF\xFE latin-1", 200),
              std::string(kFffd) + std::string(kFffd) + " latin-1");
    // U+FFFD counts as the 3 bytes it takes: two bad bytes do not fit in 5.
    EXPECT_EQ(Excerpt("\xFF\xFF", 5), std::string(kFffd));
    std::string garbage(300, '\xFF');
    std::string out = Excerpt(garbage, 200);
    EXPECT_LE(out.size(), 200u);
    EXPECT_EQ(ValidUtf8(out), out);
}

TEST(BodyExcerpt, QuotesTwoHundredBytesOrSaysTheBodyIsEmpty) {
    EXPECT_EQ(BodyExcerpt(std::string(500, 'y')), std::string(kExcerptBytes, 'y'));
    EXPECT_EQ(BodyExcerpt(""), "(empty body)");
    EXPECT_EQ(BodyExcerpt(" \r\n"), "(empty body)");
    EXPECT_EQ(BodyExcerpt("<html>Bad Gateway</html>\n"), "<html>Bad Gateway</html>");
}

TEST(BodyExcerpt, MasksSecretsBeforeCutting) {
    const std::string secret = "s3cr3t-token-value";
    EXPECT_EQ(BodyExcerpt("token " + secret + " refused", {secret}), "token *** refused");
    // A secret across the cut: masking the whole body first leaves no prefix of it.
    std::string body = std::string(190, '.') + secret;
    std::string out = BodyExcerpt(body, {secret});
    EXPECT_EQ(out, std::string(190, '.') + "***");
    EXPECT_EQ(out.find("s3cr"), std::string::npos);
    // Many repetitions pull later text into the excerpt; none of it is a secret.
    std::string repeated;
    for (int i = 0; i < 40; ++i) repeated += secret + " ";
    out = BodyExcerpt(repeated, {secret});
    EXPECT_EQ(out.find("s3cr"), std::string::npos) << out;
    EXPECT_EQ(out.find("token"), std::string::npos) << out;
}

// ---------------------------------------------------------------------------------------------
// Retry-After

TEST(RetryAfter, DelaySecondsWithOptionalBlanks) {
    EXPECT_EQ(ParseRetryAfter("120"), seconds(120));
    EXPECT_EQ(ParseRetryAfter("0"), seconds(0));
    EXPECT_EQ(ParseRetryAfter(" 7 "), seconds(7));
    EXPECT_EQ(ParseRetryAfter("\t30"), seconds(30));
    EXPECT_EQ(ParseRetryAfter("007"), seconds(7));
    EXPECT_EQ(RetryAfter(WithHeader("Retry-After", "30")), seconds(30));
    EXPECT_EQ(RetryAfter(WithHeader("retry-after", "300")), seconds(300));  // any case
}

TEST(RetryAfter, AbsentEmptyNegativeAndGarbageAreNothing) {
    HttpResponse none;
    EXPECT_EQ(RetryAfter(none), std::nullopt);
    for (const char* bad :
         {"", "   ", "-1", "-0", "+5", "5s", "soon", "1.5", "1e3", "0x10", "5 6", "\xE2\x82\xAC"}) {
        EXPECT_EQ(ParseRetryAfter(bad), std::nullopt) << "'" << bad << "'";
        EXPECT_EQ(RetryAfter(WithHeader("Retry-After", bad)), std::nullopt) << "'" << bad << "'";
    }
}

TEST(RetryAfter, HttpDatesAreNotHonoured) {
    // RFC 9110 allows an HTTP-date; no forge client has read one, so each falls back to its own
    // default wait, as for an absent header.
    EXPECT_EQ(ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994"), std::nullopt);
}

TEST(RetryAfter, HugeWaitsAreCappedSoThatNowPlusTheWaitStaysInRange) {
    EXPECT_EQ(ParseRetryAfter(std::to_string(kMaxRetryAfter.count())), kMaxRetryAfter);
    EXPECT_EQ(ParseRetryAfter(std::to_string(kMaxRetryAfter.count() + 1)), kMaxRetryAfter);
    EXPECT_EQ(ParseRetryAfter("9223372036854775807"), kMaxRetryAfter);      // INT64_MAX
    EXPECT_EQ(ParseRetryAfter("99999999999999999999999"), kMaxRetryAfter);  // beyond 64 bits
    Timestamp now = FromUnixSeconds(1700000000).value();
    Timestamp later = now + *ParseRetryAfter("99999999999999999999999");
    EXPECT_GT(later, now);
}

// ---------------------------------------------------------------------------------------------
// Integer headers

TEST(IntegerHeader, ReadsSignedDecimalIntegers) {
    EXPECT_EQ(IntegerHeader(WithHeader("X-RateLimit-Remaining", "4999"), "x-ratelimit-remaining"),
              4999);
    EXPECT_EQ(IntegerHeader(WithHeader("X-RateLimit-Remaining", " 0 "), "x-ratelimit-remaining"),
              0);
    EXPECT_EQ(IntegerHeader(WithHeader("X-Offset", "-3"), "x-offset"), -3);
    EXPECT_EQ(IntegerHeader(WithHeader("X-RateLimit-Reset", "1700000000"), "X-RateLimit-Reset"),
              1700000000);
    EXPECT_EQ(IntegerHeader(WithHeader("X-A", "1"), "x-b"), std::nullopt);
    for (const char* bad : {"", "abc", "12abc", "1.0", "+1", "99999999999999999999"}) {
        EXPECT_EQ(IntegerHeader(WithHeader("X-A", bad), "x-a"), std::nullopt) << bad;
    }
}

// ---------------------------------------------------------------------------------------------
// Masking

TEST(MaskSecrets, ReplacesEveryOccurrenceOfEverySecret) {
    EXPECT_EQ(MaskSecrets("token abc and abc again", {"abc"}), "token *** and *** again");
    EXPECT_EQ(MaskSecrets("user:pw and dXNlcjpwdw==", {"pw", "dXNlcjpwdw=="}), "user:*** and ***");
    EXPECT_EQ(MaskSecrets("nothing here", {"abc"}), "nothing here");
    EXPECT_EQ(MaskSecrets("", {"abc"}), "");
    EXPECT_EQ(MaskSecrets("abc", {}), "abc");
}

TEST(MaskSecrets, EmptySecretsAreIgnored) {
    EXPECT_EQ(MaskSecrets("anonymous access", {""}), "anonymous access");
    EXPECT_EQ(MaskSecrets("key k1", {"", "k1", ""}), "key ***");
}

TEST(MaskSecrets, OverlappingAndNestedSecretsLeaveNoByteOfEither) {
    // Replacing one secret after another would leave "d" (or "def") behind.
    EXPECT_EQ(MaskSecrets("xabcdx", {"abc", "bcd"}), "x***x");
    EXPECT_EQ(MaskSecrets("xabcdx", {"bcd", "abc"}), "x***x");
    EXPECT_EQ(MaskSecrets("[abcdef]", {"abc", "abcdef"}), "[***]");
    EXPECT_EQ(MaskSecrets("[abcdef]", {"cd", "abcdef"}), "[***]");
    // A secret that overlaps itself.
    EXPECT_EQ(MaskSecrets("aaaa-aaa", {"aa"}), "***-***");
}

TEST(MaskSecrets, RepeatedSecretsBecomeOneMaskPerRun) {
    EXPECT_EQ(MaskSecrets("abcabc", {"abc"}), "***");
    EXPECT_EQ(MaskSecrets("abc abc", {"abc"}), "*** ***");
    EXPECT_EQ(MaskSecrets("abcabc", {"abc", "abc"}), "***");
}

TEST(MaskSecrets, ASecretHoldingTheMaskIsFoundAndNeverLoops) {
    EXPECT_EQ(MaskSecrets("pw=***", {"***"}), "pw=***");
    EXPECT_EQ(MaskSecrets("a***b", {"a***b"}), "***");
    EXPECT_EQ(MaskSecrets("x*y", {"*"}), "x***y");
}

}  // namespace
}  // namespace forgedb::sources
