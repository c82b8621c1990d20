#include "forgedb/http/http.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace forgedb::http
