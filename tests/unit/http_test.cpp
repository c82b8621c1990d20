#include "forgedb/http/http.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <vector>

#include "forgedb/http/error_status.hpp"
#include "forgedb/queue/job_queue.hpp"

namespace forgedb::http {
namespace {

TEST(Router, MatchesPlaceholdersAndMethods) {
    Router router;
    router.Add({"GET", "/tasks/status/{id}",
                [](const Request& r) { return Response::Message(200, r.params.at("id")); }});
    router.Add({"POST", "/load/repos/{owner}/{repo}", [](const Request& r) {
                    return Response::Message(202, r.params.at("owner") + "/" + r.params.at("repo"));
                }});
    Request get;
    get.method = "GET";
    get.path = "/tasks/status/42";
    EXPECT_EQ(router.Dispatch(get).body, R"({"message":"42"})");
    Request post;
    post.method = "POST";
    post.path = "/load/repos/octo/hello/";
    auto res = router.Dispatch(post);
    EXPECT_EQ(res.status, 202);
    EXPECT_EQ(res.body, R"({"message":"octo/hello"})");
    Request wrong;
    wrong.method = "GET";
    wrong.path = "/load/repos/octo/hello";
    EXPECT_EQ(router.Dispatch(wrong).status, 405);
    Request missing;
    missing.method = "GET";
    missing.path = "/load/repos/octo";
    EXPECT_EQ(router.Dispatch(missing).status, 404);
}

TEST(Request, HeadersAreCaseInsensitive) {
    Request r;
    r.headers.emplace("X-GitHub-Event", "push");
    EXPECT_EQ(r.Header("x-github-event"), "push");
    EXPECT_EQ(r.Header("X-GITHUB-EVENT"), "push");
    EXPECT_FALSE(r.Header("X-GitHub-Delivery"));
}

TEST(Form, DecodesValues) {
    EXPECT_EQ(FormValue("payload=%7B%22a%22%3A1%7D&x=y", "payload"), R"({"a":1})");
    EXPECT_EQ(FormValue("x=y&payload=a+b", "payload"), "a b");
    EXPECT_FALSE(FormValue("x=y", "payload"));
    EXPECT_FALSE(FormValue("payload=%zz", "payload"));
    EXPECT_FALSE(FormValue("payload=%4", "payload"));
}

TEST(Json, QuotesControlCharacters) {
    EXPECT_EQ(JsonQuote("a\"b\\c\n\x01"), R"("a\"b\\c\n\u0001")");
}

// Every ErrorCode, first to last (the enum is contiguous, kInvalid to kInternal).
std::vector<ErrorCode> AllErrorCodes() {
    std::vector<ErrorCode> out;
    for (int c = static_cast<int>(ErrorCode::kInvalid); c <= static_cast<int>(ErrorCode::kInternal);
         ++c) {
        out.push_back(static_cast<ErrorCode>(c));
    }
    return out;
}

TEST(StatusFor, MapsEveryErrorCode) {
    const std::map<ErrorCode, int> expected = {
        {ErrorCode::kInvalid, 400},     {ErrorCode::kMissingData, 400},
        {ErrorCode::kNotFound, 404},    {ErrorCode::kUnauthorized, 502},
        {ErrorCode::kRateLimited, 503}, {ErrorCode::kTransient, 503},
        {ErrorCode::kDatabase, 503},    {ErrorCode::kConflict, 500},
        {ErrorCode::kInternal, 500},    {ErrorCode::kStale, 500},
        {ErrorCode::kNothingToDo, 500},
    };
    const auto all = AllErrorCodes();
    ASSERT_EQ(all.size(), expected.size()) << "a new ErrorCode needs a status here";
    for (ErrorCode code : all) {
        ASSERT_TRUE(expected.contains(code)) << ErrorCodeName(code);
        EXPECT_EQ(StatusFor(code), expected.at(code)) << ErrorCodeName(code);
        Error e = MakeError(code, "x");
        e.retry_at = std::chrono::system_clock::now();
        EXPECT_EQ(StatusFor(e), StatusFor(code)) << "only the code counts: " << ErrorCodeName(code);
    }
}

TEST(StatusFor, ServiceUnavailableExactlyForWhatTheQueueRetries) {
    for (ErrorCode code : AllErrorCodes()) {
        EXPECT_EQ(StatusFor(code) == 503, queue::IsRetryable(MakeError(code, "x")))
            << ErrorCodeName(code);
    }
}

TEST(StatusFor, CallersFaultsAreFourHundredsAndNothingElseIs) {
    for (ErrorCode code : AllErrorCodes()) {
        const bool callers = code == ErrorCode::kInvalid || code == ErrorCode::kMissingData ||
                             code == ErrorCode::kNotFound;
        EXPECT_EQ(StatusFor(code) < 500, callers) << ErrorCodeName(code);
        EXPECT_GE(StatusFor(code), 400) << ErrorCodeName(code);
    }
}

}  // namespace
}  // namespace forgedb::http
