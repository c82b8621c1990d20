// ConduitClient over a scripted in-memory HttpClient with a ManualClock: the form it posts, the
// envelope checks, and the mapping of every failure to a typed error.

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "forgedb/core/clock.hpp"
#include "forgedb/forges/phabricator/client.hpp"

namespace forgedb::sources::phabricator {
namespace {

using std::chrono::seconds;

constexpr const char* kToken = "api-s3cr3t+token/x";

// Answers from a script, in order, and records what was sent.
class ScriptedHttp final : public HttpClient {
public:
    void Answer(int status, std::string body,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        r.headers = std::move(headers);
        script_.emplace_back(std::move(r));
    }
    void Fail(std::string message) {
        script_.emplace_back(Unexpected(ErrorCode::kTransient, std::move(message)));
    }
    Result<HttpResponse> Send(const HttpRequest& request) override {
        std::lock_guard lock(mu_);
        sent.push_back(request);
        if (script_.empty()) return Unexpected(ErrorCode::kInternal, "script exhausted");
        auto next = std::move(script_.front());
        script_.pop_front();
        return next;
    }
    std::vector<HttpRequest> sent;

private:
    std::mutex mu_;
    std::deque<Result<HttpResponse>> script_;
};

class ConduitClientTest : public ::testing::Test {
protected:
    ConduitClientTest()
        : clock_(Timestamp{seconds{1700000000}}),
          client_(http_, clock_, Instance{"wikimedia", "https://phab.example.org/", kToken}) {}

    Error CallError(std::string_view method = "maniphest.search") {
        auto r = client_.Call(method, {});
        EXPECT_FALSE(r);
        if (r) return Error{};
        EXPECT_EQ(r.error().message.find(kToken), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("wikimedia"), std::string::npos) << r.error().message;
        return r.error();
    }

    ScriptedHttp http_;
    ManualClock clock_;
    ConduitClient client_;
};

constexpr const char* kEmptySearch =
    R"({"result":{"data":[],"maps":{},"query":{"queryKey":null},)"
    R"("cursor":{"limit":100,"after":null,"before":null,"order":null}},)"
    R"("error_code":null,"error_info":null})";

TEST(ConduitForm, EncodesNestedNamesAndReservedCharacters) {
    EXPECT_EQ(EncodeForm({{"constraints[authorPHIDs][0]", "PHID-USER-abc"},
                          {"constraints[createdStart]", "1609459200"},
                          {"attachments[projects]", "1"},
                          {"after", "335"}}),
              "constraints%5BauthorPHIDs%5D%5B0%5D=PHID-USER-abc&"
              "constraints%5BcreatedStart%5D=1609459200&attachments%5Bprojects%5D=1&after=335");
    EXPECT_EQ(EncodeForm({{"q", "a b&c=d+e/f%g"}, {"name", "Ünïcode~._-"}}),
              "q=a%20b%26c%3Dd%2Be%2Ff%25g&name=%C3%9Cn%C3%AFcode~._-");
    EXPECT_EQ(EncodeForm({}), "");
    EXPECT_EQ(EncodeForm({{"empty", ""}}), "empty=");
}

TEST_F(ConduitClientTest, PostsTheFormWithTheTokenFirstAndReturnsTheBody) {
    http_.Answer(200, kEmptySearch);
    auto body = client_.Call("maniphest.search",
                             {{"constraints[assigned][0]", "PHID-USER-x"}, {"limit", "100"}});
    ASSERT_TRUE(body) << body.error().ToString();
    EXPECT_EQ(*body, kEmptySearch);
    ASSERT_EQ(http_.sent.size(), 1u);
    const HttpRequest& req = http_.sent[0];
    EXPECT_EQ(req.method, "POST");
    EXPECT_EQ(req.url, "https://phab.example.org/api/maniphest.search")
        << "the trailing slash of the base URL is dropped";
    EXPECT_EQ(req.body,
              "api.token=api-s3cr3t%2Btoken%2Fx&constraints%5Bassigned%5D%5B0%5D=PHID-USER-x&"
              "limit=100");
    bool form = false;
    for (const auto& [k, v] : req.headers) {
        if (k == "Content-Type") form = v == "application/x-www-form-urlencoded";
    }
    EXPECT_TRUE(form);
}

TEST_F(ConduitClientTest, WithoutATokenNoTokenFieldIsSent) {
    ConduitClient anonymous(http_, clock_, Instance{"local", "http://127.0.0.1:1", ""});
    http_.Answer(200, kEmptySearch);
    ASSERT_TRUE(anonymous.Call("user.search", {{"constraints[usernames][0]", "alice"}}));
    EXPECT_EQ(http_.sent.back().body, "constraints%5Busernames%5D%5B0%5D=alice");
}

TEST_F(ConduitClientTest, NullResultWithoutErrorIsSuccess) {
    // differential.setdiffproperty answers exactly this.
    http_.Answer(200, R"({"result":null,"error_code":null,"error_info":null})");
    auto body = client_.Call("differential.setdiffproperty", {});
    ASSERT_TRUE(body) << body.error().ToString();
    // Key order does not matter; PHP escapes slashes.
    http_.Answer(200, R"({"error_info":null,"error_code":null,"result":{"uri":"https:\/\/x"}})");
    EXPECT_TRUE(client_.Call("conduit.ping", {}));
}

TEST_F(ConduitClientTest, InvalidAuthIsUnauthorizedAndNeverEchoesTheToken) {
    // Phabricator quotes the token it refused.
    http_.Answer(200, std::string(R"({"result":null,"error_code":"ERR-INVALID-AUTH",)") +
                          R"("error_info":"API token \")" + kToken + R"(\" could not be found."})");
    Error e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kUnauthorized);
    EXPECT_NE(e.message.find("ERR-INVALID-AUTH"), std::string::npos);
    EXPECT_NE(e.message.find("***"), std::string::npos) << e.message;
    for (const char* code : {"ERR-INVALID-SESSION", "ERR-CONDUIT-CALL-AUTH"}) {
        http_.Answer(200, std::string(R"({"result":null,"error_code":")") + code +
                              R"(","error_info":"Session key is not present."})");
        EXPECT_EQ(CallError().code, ErrorCode::kUnauthorized) << code;
    }
}

TEST_F(ConduitClientTest, OtherConduitErrorsAreInvalidWithMethodCodeAndInfo) {
    http_.Answer(200, R"({"result":null,"error_code":"ERR-CONDUIT-CORE","error_info":"Constraint )"
                      R"(\"bogus\" is not a valid constraint for this query."})");
    Error e = CallError("maniphest.search");
    EXPECT_EQ(e.code, ErrorCode::kInvalid);
    EXPECT_NE(e.message.find("maniphest.search: ERR-CONDUIT-CORE: Constraint \"bogus\""),
              std::string::npos)
        << e.message;
}

TEST_F(ConduitClientTest, InBandRateLimitWaitsAtLeastAMinute) {
    http_.Answer(200, R"({"result":null,"error_code":"ERR-RATE-LIMIT","error_info":"slow down"})");
    Error e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kRateLimited);
    ASSERT_TRUE(e.retry_at);
    EXPECT_EQ(*e.retry_at, clock_.Now() + kMinRateLimitWait);
}

TEST_F(ConduitClientTest, Http429IsRateLimitedHonouringALongerRetryAfter) {
    http_.Answer(429, "<html>Too Many Requests</html>", {{"Retry-After", "5"}});
    Error short_wait = CallError();
    EXPECT_EQ(short_wait.code, ErrorCode::kRateLimited);
    EXPECT_EQ(*short_wait.retry_at, clock_.Now() + kMinRateLimitWait);
    http_.Answer(429, "", {{"retry-after", "300"}});
    Error long_wait = CallError();
    EXPECT_EQ(*long_wait.retry_at, clock_.Now() + seconds(300));
}

TEST_F(ConduitClientTest, ServerErrorsAndTransportFailuresAreTransient) {
    http_.Answer(502, "<html><head><title>502 Bad Gateway</title></head></html>");
    Error e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kTransient);
    EXPECT_NE(e.message.find("HTTP 502"), std::string::npos);
    http_.Answer(503, "", {{"Retry-After", "7"}});
    e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kTransient);
    EXPECT_EQ(*e.retry_at, clock_.Now() + seconds(7));
    http_.Fail(std::string("connection reset while sending api.token=") + kToken);
    e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kTransient);
}

TEST_F(ConduitClientTest, NotFoundAndForbiddenStatuses) {
    http_.Answer(404, "<html>Not Found</html>");
    EXPECT_EQ(CallError().code, ErrorCode::kNotFound);
    http_.Answer(403, "<html>Forbidden</html>");
    EXPECT_EQ(CallError().code, ErrorCode::kUnauthorized);
    http_.Answer(400, "bad request");
    EXPECT_EQ(CallError().code, ErrorCode::kInvalid);
}

TEST_F(ConduitClientTest, BodiesThatAreNotConduitEnvelopesAreInvalid) {
    // The old client crashed here: a login page or a proxy's page with HTTP 200. A body that is
    // not JSON (such a page, or an answer cut short) is retried; JSON that is not an envelope is
    // invalid.
    http_.Answer(200, "<!DOCTYPE html><html><body>Login Required</body></html>");
    Error e = CallError();
    EXPECT_EQ(e.code, ErrorCode::kTransient);
    EXPECT_NE(e.message.find("not complete JSON"), std::string::npos);
    EXPECT_NE(e.message.find("Login Required"), std::string::npos);
    http_.Answer(200, R"([1, 2, 3])");
    EXPECT_EQ(CallError().code, ErrorCode::kInvalid);
    http_.Answer(200, R"({"result": {"data": []}})");  // no error_code: not an envelope
    EXPECT_EQ(CallError().code, ErrorCode::kInvalid);
    http_.Answer(200, R"({"result": {"data": [)");  // cut short
    EXPECT_EQ(CallError().code, ErrorCode::kTransient);
    http_.Answer(200, "");
    EXPECT_EQ(CallError().code, ErrorCode::kTransient);
}

}  // namespace
}  // namespace forgedb::sources::phabricator
