// Gerrit REST client: the XSSI guard, page reading (_more_changes), URL building and encoding,
// basic auth on /a/ endpoints, and the mapping of statuses and transport failures to ErrorCodes,
// over a scripted in-memory HttpClient with a ManualClock.

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <mutex>
#include <sstream>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/sources/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::sources::gerrit {
namespace {

using std::chrono::seconds;

constexpr const char* kBase = "https://gerrit.example.org/r";
constexpr const char* kPassword = "s3cret-http-password";

// Answers requests from a script and records them.
class ScriptedHttp : public HttpClient {
public:
    void Answer(int status, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
        std::lock_guard lock(mu_);
        script_.push_back(HttpResponse{status, std::move(headers), std::move(body)});
    }
    void FailTransport(std::string message) {
        std::lock_guard lock(mu_);
        script_.push_back(MakeError(ErrorCode::kTransient, std::move(message)));
    }
    Result<HttpResponse> Send(const HttpRequest& request) override {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
        if (script_.empty()) return HttpResponse{500, {}, "no scripted answer"};
        auto next = std::move(script_.front());
        script_.pop_front();
        return next;
    }
    std::vector<HttpRequest> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }

private:
    std::mutex mu_;
    std::deque<Result<HttpResponse>> script_;
    std::vector<HttpRequest> requests_;
};

std::optional<std::string> HeaderOf(const HttpRequest& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
        if (k == name) return v;
    }
    return std::nullopt;
}

class GerritClientTest : public ::testing::Test {
protected:
    GerritClient Anonymous() { return GerritClient(http_, clock_, {"wikimedia", kBase, "", ""}); }
    GerritClient Authenticated() {
        return GerritClient(http_, clock_, {"wikimedia", kBase, "alice", kPassword});
    }

    ScriptedHttp http_;
    ManualClock clock_{Timestamp{seconds{1700000000}}};
};

// ---------------------------------------------------------------------------------------------
// Core helpers the Gerrit code relies on

TEST(GerritCore, TimesRoundTripThroughGerritsForm) {
    auto t = ParseTimestamp("2013-06-20 15:13:19.644000000");
    ASSERT_TRUE(t);
    EXPECT_EQ(FormatForgeTime(*t), "2013-06-20T15:13:19Z");
    EXPECT_EQ(FormatGerritTime(*t), "2013-06-20 15:13:19.644000000");
    EXPECT_EQ(ParseTimestamp(FormatGerritTime(*t)), t);
    EXPECT_EQ(FormatGerritTime(*FromUnixSeconds(1700479996)), "2023-11-20 11:33:16.000000000");
}

TEST(GerritCore, Sha256HexMatchesTheStandardVectors) {
    EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---------------------------------------------------------------------------------------------
// XSSI prefix and pages

TEST(GerritXssi, StripsThePrefixWhenPresentOnly) {
    EXPECT_EQ(StripXssiPrefix(")]}'\n[1]"), "[1]");
    EXPECT_EQ(StripXssiPrefix(")]}'\r\n[1]"), "[1]");
    EXPECT_EQ(StripXssiPrefix(")]}'[1]"), "[1]");
    EXPECT_EQ(StripXssiPrefix("[1]"), "[1]");
    EXPECT_EQ(StripXssiPrefix(""), "");
    EXPECT_EQ(StripXssiPrefix(")]}'"), "");
    EXPECT_EQ(StripXssiPrefix(")]}"), ")]}") << "a partial guard is not a guard";
    EXPECT_EQ(StripXssiPrefix("[\")]}'\"]"), "[\")]}'\"]") << "only at the start";
}

TEST(GerritPage, MoreChangesComesFromTheLastElementOnly) {
    auto more = ParseChangesPage(")]}'\n[{\"_number\":1},{\"_number\":2,\"_more_changes\":true}]");
    ASSERT_TRUE(more) << more.error().ToString();
    EXPECT_EQ(more->count, 2);
    EXPECT_TRUE(more->more);
    EXPECT_EQ(more->json, "[{\"_number\":1},{\"_number\":2,\"_more_changes\":true}]");

    auto last = ParseChangesPage("[{\"_number\":1,\"_more_changes\":true},{\"_number\":2}]");
    ASSERT_TRUE(last);
    EXPECT_FALSE(last->more);
    auto no = ParseChangesPage("[{\"_number\":1,\"_more_changes\":false}]");
    ASSERT_TRUE(no);
    EXPECT_FALSE(no->more);
    auto empty = ParseChangesPage(")]}'\n[]\n");
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->count, 0);
    EXPECT_FALSE(empty->more);
}

TEST(GerritPage, RefusesWhatIsNotAListOfObjects) {
    for (const char* body : {")]}'\n{\"_number\":1}", "[1, 2]"}) {
        auto page = ParseChangesPage(body);
        ASSERT_FALSE(page) << body;
        EXPECT_EQ(page.error().code, ErrorCode::kInvalid) << body;
    }
    // What is not JSON at all (a proxy's page, an answer cut short) is retried.
    for (const char* body : {"<html>Service Unavailable</html>", ")]}'\n[{\"_number\":1},", ""}) {
        auto page = ParseChangesPage(body);
        ASSERT_FALSE(page) << body;
        EXPECT_EQ(page.error().code, ErrorCode::kTransient) << body;
    }
}

TEST(GerritPage, ReadsTheRecordedBodiesWithAndWithoutPrefix) {
    using testing::DataPath;
    using testing::ReadFile;
    auto monocle = ParseChangesPage(ReadFile(DataPath(
        "gerrit/monocle/"
        "changes-query.messages-reviewer-updates-detailed-accounts-detailed-labels.n5.more-changes."
        "monocle.json")));
    ASSERT_TRUE(monocle) << monocle.error().ToString();
    EXPECT_EQ(monocle->count, 5);
    EXPECT_TRUE(monocle->more);
    auto haiku = ParseChangesPage(
        ReadFile(DataPath("gerrit/haiku-format-bot/"
                          "changes-query.current-revision.haiku-5692.haiku-format-bot.json")));
    ASSERT_TRUE(haiku) << haiku.error().ToString();
    EXPECT_EQ(haiku->count, 1);
    EXPECT_FALSE(haiku->more);
}

// ---------------------------------------------------------------------------------------------
// URLs

TEST(GerritUrl, EncodesQueryValues) {
    EXPECT_EQ(EncodeQueryValue("owner:alice"), "owner:alice");
    EXPECT_EQ(EncodeQueryValue("project:mediawiki/core after:\"2024-01-02 03:04:05\""),
              "project:mediawiki%2Fcore%20after:%222024-01-02%2003:04:05%22");
    EXPECT_EQ(EncodeQueryValue("a+b&c=d#e?f"), "a%2Bb%26c%3Dd%23e%3Ff");
    EXPECT_EQ(EncodeQueryValue("owner:Zoë"), "owner:Zo%C3%AB");
    EXPECT_EQ(EncodeQueryValue("-._~"), "-._~");
}

TEST_F(GerritClientTest, ChangesUrlNamesPageSizeStartAndOptions) {
    EXPECT_EQ(Anonymous().ChangesUrl("owner:alice", 0),
              std::string(kBase) +
                  "/changes/?q=owner:alice&n=100&S=0&o=DETAILED_ACCOUNTS&o=CURRENT_REVISION");
    EXPECT_EQ(Authenticated().ChangesUrl("status:open project:a/b", 200),
              std::string(kBase) +
                  "/a/changes/?q=status:open%20project:a%2Fb&n=100&S=200&o=DETAILED_ACCOUNTS"
                  "&o=CURRENT_REVISION");
    GerritClient trailing(http_, clock_, {"x", "http://127.0.0.1:9/", "", ""},
                          GerritClientOptions{25, {"LABELS"}});
    EXPECT_EQ(trailing.ChangesUrl("is:open", 5),
              "http://127.0.0.1:9/changes/?q=is:open&n=25&S=5&o=LABELS");
}

TEST_F(GerritClientTest, AnonymousRequestsCarryNoCredentials) {
    http_.Answer(200, ")]}'\n[{\"_number\":7}]");
    auto client = Anonymous();
    auto page = client.QueryChanges("owner:alice", 0);
    ASSERT_TRUE(page) << page.error().ToString();
    EXPECT_EQ(page->count, 1);
    EXPECT_FALSE(page->more);
    auto reqs = http_.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0].method, "GET");
    EXPECT_EQ(reqs[0].url, client.ChangesUrl("owner:alice", 0));
    EXPECT_FALSE(HeaderOf(reqs[0], "Authorization"));
}

TEST_F(GerritClientTest, AuthenticatedRequestsUseTheAPrefixAndBasicAuth) {
    http_.Answer(200, "[]");
    auto client = Authenticated();
    ASSERT_TRUE(client.QueryChanges("owner:self", 100));
    auto reqs = http_.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_TRUE(
        reqs[0].url.starts_with(std::string(kBase) + "/a/changes/?q=owner:self&n=100&S=100"));
    // base64("alice:s3cret-http-password")
    EXPECT_EQ(HeaderOf(reqs[0], "Authorization"), "Basic YWxpY2U6czNjcmV0LWh0dHAtcGFzc3dvcmQ=");
}

TEST_F(GerritClientTest, GetChangeAndFindAccountTakeTheFirstElement) {
    http_.Answer(200, ")]}'\n[{\"_number\":42,\"subject\":\"x\"}]");
    http_.Answer(200, ")]}'\n[]");
    http_.Answer(200, ")]}'\n[{\"_account_id\":1000,\"username\":\"alice\"}]");
    http_.Answer(200, "[]");
    auto client = Anonymous();
    auto change = client.GetChange(42);
    ASSERT_TRUE(change) << change.error().ToString();
    EXPECT_EQ(*change, "{\"_number\":42,\"subject\":\"x\"}");
    auto missing = client.GetChange(43);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    auto account = client.FindAccount("alice");
    ASSERT_TRUE(account) << account.error().ToString();
    EXPECT_EQ(*account, "{\"_account_id\":1000,\"username\":\"alice\"}");
    auto nobody = client.FindAccount("nobody here");
    ASSERT_FALSE(nobody);
    EXPECT_EQ(nobody.error().code, ErrorCode::kNotFound);
    auto reqs = http_.requests();
    ASSERT_EQ(reqs.size(), 4u);
    EXPECT_EQ(reqs[0].url,
              std::string(kBase) + "/changes/?q=change:42&o=DETAILED_ACCOUNTS&o=CURRENT_REVISION");
    EXPECT_EQ(reqs[2].url, std::string(kBase) + "/accounts/?q=username:alice&o=DETAILS");
    EXPECT_EQ(reqs[3].url, std::string(kBase) + "/accounts/?q=username:nobody%20here&o=DETAILS");
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_F(GerritClientTest, StatusesMapToErrorCodes) {
    struct Case {
        int status;
        std::vector<std::pair<std::string, std::string>> headers;
        ErrorCode code;
    } cases[] = {
        {404, {}, ErrorCode::kNotFound},
        {401, {}, ErrorCode::kUnauthorized},
        {403, {}, ErrorCode::kUnauthorized},
        {500, {}, ErrorCode::kTransient},
        {502, {}, ErrorCode::kTransient},
        {503, {}, ErrorCode::kTransient},
        {400, {}, ErrorCode::kInvalid},
        {409, {}, ErrorCode::kInvalid},
        {429, {{"Retry-After", "7"}}, ErrorCode::kRateLimited},
    };
    auto client = Anonymous();
    for (const auto& c : cases) {
        http_.Answer(c.status, "Error text\n", c.headers);
        auto page = client.QueryChanges("owner:alice", 0);
        ASSERT_FALSE(page) << c.status;
        EXPECT_EQ(page.error().code, c.code) << c.status << ": " << page.error().message;
        EXPECT_NE(page.error().message.find("wikimedia"), std::string::npos)
            << "the message names the instance: " << page.error().message;
    }
}

TEST_F(GerritClientTest, RateLimitsCarryRetryAtFromRetryAfterOrAMinute) {
    auto client = Anonymous();
    http_.Answer(429, "Too Many Requests", {{"Retry-After", "7"}});
    auto with = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(with);
    ASSERT_TRUE(with.error().retry_at);
    EXPECT_EQ(*with.error().retry_at, clock_.Now() + seconds(7));
    http_.Answer(429, "Too Many Requests");
    auto without = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(without);
    ASSERT_TRUE(without.error().retry_at);
    EXPECT_EQ(*without.error().retry_at, clock_.Now() + seconds(60));
    http_.Answer(429, "Too Many Requests", {{"Retry-After", "soon"}});
    auto garbage = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(garbage);
    EXPECT_EQ(*garbage.error().retry_at, clock_.Now() + seconds(60));
}

TEST_F(GerritClientTest, BadBodiesAreInvalidAndTransportFailuresTransient) {
    auto client = Anonymous();
    http_.Answer(200, "<html><body>Gerrit is down for maintenance</body></html>");
    auto html = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(html);
    EXPECT_EQ(html.error().code, ErrorCode::kTransient) << "a page that is not JSON is retried";
    http_.Answer(200, ")]}'\n{\"message\":\"not a list\"}");
    auto object = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(object);
    EXPECT_EQ(object.error().code, ErrorCode::kInvalid);
    http_.FailTransport("connection reset by peer");
    auto reset = client.QueryChanges("owner:alice", 0);
    ASSERT_FALSE(reset);
    EXPECT_EQ(reset.error().code, ErrorCode::kTransient);
}

TEST_F(GerritClientTest, ThePasswordNeverAppearsInMessagesOrLogs) {
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>(
        "gerrit_client_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    capture->set_level(spdlog::level::trace);
    spdlog::set_default_logger(capture);

    auto client = Authenticated();
    std::vector<std::string> messages;
    http_.Answer(401, std::string("Unauthorized: ") + kPassword);
    http_.Answer(500, std::string("Internal error for ") + kPassword);
    http_.Answer(400, std::string("bad request YWxpY2U6czNjcmV0LWh0dHAtcGFzc3dvcmQ="));
    http_.FailTransport(std::string("proxy echoed ") + kPassword +
                        " and Basic YWxpY2U6czNjcmV0LWh0dHAtcGFzc3dvcmQ=");
    for (int i = 0; i < 4; ++i) {
        auto page = client.QueryChanges("owner:alice", 0);
        ASSERT_FALSE(page);
        messages.push_back(page.error().message);
    }
    spdlog::set_default_logger(previous);
    EXPECT_EQ(messages.size(), 4u);
    for (const auto& m : messages) {
        EXPECT_EQ(m.find(kPassword), std::string::npos) << m;
        EXPECT_EQ(m.find("YWxpY2U6czNjcmV0LWh0dHAtcGFzc3dvcmQ="), std::string::npos) << m;
    }
    EXPECT_NE(messages[0].find("alice"), std::string::npos) << "401 names the user";
    EXPECT_FALSE(log.str().empty()) << "the failures were logged";
    EXPECT_EQ(log.str().find(kPassword), std::string::npos) << log.str();
    EXPECT_EQ(log.str().find("YWxpY2U6czNjcmV0LWh0dHAtcGFzc3dvcmQ="), std::string::npos);
}

}  // namespace
}  // namespace forgedb::sources::gerrit
