// GitHub REST client: Link parsing, the libcurl transport (against a local server on 127.0.0.1)
// and GithubClient over a scripted in-memory HttpClient with a ManualClock.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forges/github/link_header.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using namespace github;

// ---------------------------------------------------------------------------------------------
// Link header

TEST(LinkHeader, ParsesGithubDocumentationExample) {
    auto links = ParseLinkHeader(
        R"(<https://api.github.com/repositories/1300192/issues?page=2>; rel="prev", )"
        R"(<https://api.github.com/repositories/1300192/issues?page=4>; rel="next", )"
        R"(<https://api.github.com/repositories/1300192/issues?page=515>; rel="last", )"
        R"(<https://api.github.com/repositories/1300192/issues?page=1>; rel="first")");
    ASSERT_EQ(links.size(), 4u);
    EXPECT_EQ(links["prev"], "https://api.github.com/repositories/1300192/issues?page=2");
    EXPECT_EQ(links["next"], "https://api.github.com/repositories/1300192/issues?page=4");
    EXPECT_EQ(links["last"], "https://api.github.com/repositories/1300192/issues?page=515");
    EXPECT_EQ(links["first"], "https://api.github.com/repositories/1300192/issues?page=1");
    EXPECT_EQ(PageParameter(links["last"]), 515);
}

TEST(LinkHeader, ParsesPerPageAndCursorLinks) {
    auto links = ParseLinkHeader(
        R"(<https://api.github.com/repositories/1300192/issues?per_page=2&page=2>; rel="next", )"
        R"(<https://api.github.com/repositories/1300192/issues?per_page=2&page=7715>; rel="last")");
    EXPECT_EQ(PageParameter(links["next"]), 2);
    EXPECT_EQ(PageParameter(links["last"]), 7715);

    // Cursor pagination: no page number, no last link.
    auto cursor = ParseLinkHeader(
        R"(<https://api.github.com/orgs/o/audit-log?after=MS4x%2C1&before=>; rel="next")");
    ASSERT_EQ(cursor.size(), 1u);
    EXPECT_EQ(cursor["next"], "https://api.github.com/orgs/o/audit-log?after=MS4x%2C1&before=");
    EXPECT_FALSE(PageParameter(cursor["next"]));
}

TEST(LinkHeader, ToleratesVariantsAndGarbage) {
    auto links =
        ParseLinkHeader(R"(<https://x/a?page=3>;rel=NEXT,<https://x/b?page=9> ; title="a, b; c" ; )"
                        R"(rel="last  alternate")");
    EXPECT_EQ(links["next"], "https://x/a?page=3");
    EXPECT_EQ(links["last"], "https://x/b?page=9");
    EXPECT_EQ(links["alternate"], "https://x/b?page=9");
    EXPECT_TRUE(ParseLinkHeader("").empty());
    EXPECT_TRUE(ParseLinkHeader("garbage, more garbage").empty());
    EXPECT_TRUE(ParseLinkHeader("<https://x/unterminated; rel=\"next\"").empty());
    auto partial = ParseLinkHeader(R"(nonsense, <https://x/ok>; rel="next")");
    EXPECT_EQ(partial["next"], "https://x/ok");
}

TEST(LinkHeader, PageParameter) {
    EXPECT_EQ(PageParameter("https://api.github.com/x?page=7"), 7);
    EXPECT_EQ(PageParameter("https://api.github.com/x?state=all&page=12&per_page=100"), 12);
    EXPECT_EQ(PageParameter("https://api.github.com/x?page=3#frag"), 3);
    EXPECT_FALSE(PageParameter("https://api.github.com/x"));
    EXPECT_FALSE(PageParameter("https://api.github.com/x?per_page=100"));
    EXPECT_FALSE(PageParameter("https://api.github.com/x?pages=3"));
    EXPECT_FALSE(PageParameter("https://api.github.com/x?page=abc"));
    EXPECT_FALSE(PageParameter("https://api.github.com/x?page=0"));
    EXPECT_FALSE(PageParameter("https://api.github.com/x?page="));
}

// ---------------------------------------------------------------------------------------------
// libcurl transport against a local server

class CurlHttpClientTest : public ::testing::Test {
protected:
    void SetUp() override {
        router_.Add({"GET", "/echo", [](const http::Request& r) {
                         http::Response res = http::Response::Json(
                             200, std::string(r.Header("X-Test").value_or("")) + "|" +
                                      std::string(r.Header("User-Agent").value_or("")));
                         res.headers.emplace_back("X-Reply", "yes");
                         res.headers.emplace_back("ETag", "\"v1\"");
                         return res;
                     }});
        router_.Add({"POST", "/body", [](const http::Request& r) {
                         return http::Response::Json(
                             201, std::string(r.Header("Content-Type").value_or("")) + "|" +
                                      std::string(r.body));
                     }});
        router_.Add({"GET", "/slow", [](const http::Request&) {
                         std::this_thread::sleep_for(milliseconds(1500));
                         return http::Response::Json(200, "late");
                     }});
        http::ServerOptions options;
        options.port = 0;
        options.handler_threads = 8;
        server_ = std::make_unique<http::Server>(router_, options);
        ASSERT_TRUE(server_->Start());
    }
    std::string Url(const std::string& path) const {
        return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
    }

    http::Router router_;
    std::unique_ptr<http::Server> server_;
};

TEST_F(CurlHttpClientTest, GetSendsHeadersAndCollectsResponseHeaders) {
    auto client = MakeCurlHttpClient();
    HttpRequest req;
    req.url = Url("/echo");
    req.headers = {{"X-Test", "hello"}};
    auto res = client->Send(req);
    ASSERT_TRUE(res) << res.error().ToString();
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "hello|forgedb");
    EXPECT_EQ(res->Header("x-reply"), "yes");
    EXPECT_EQ(res->Header("ETag"), "\"v1\"");
    EXPECT_TRUE(res->Header("content-length"));

    // A User-Agent header of the request replaces the default one.
    req.headers.emplace_back("User-Agent", "forgedb-test/1");
    res = client->Send(req);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->body, "hello|forgedb-test/1");
}

TEST_F(CurlHttpClientTest, PostSendsBodyAndStatusesAreResponses) {
    auto client = MakeCurlHttpClient();
    HttpRequest req;
    req.method = "POST";
    req.url = Url("/body");
    req.headers = {{"Content-Type", "application/json"}};
    req.body = std::string(5000, 'x');  // large enough for curl to consider Expect: 100-continue
    auto res = client->Send(req);
    ASSERT_TRUE(res) << res.error().ToString();
    EXPECT_EQ(res->status, 201);
    EXPECT_EQ(res->body, "application/json|" + req.body);

    HttpRequest missing;
    missing.url = Url("/nothing-here");
    res = client->Send(missing);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 404);
}

TEST_F(CurlHttpClientTest, TimeoutIsTransient) {
    CurlOptions options;
    options.total_timeout = milliseconds(200);
    auto client = MakeCurlHttpClient(options);
    HttpRequest req;
    req.url = Url("/slow");
    auto start = std::chrono::steady_clock::now();
    auto res = client->Send(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient);
    EXPECT_NE(res.error().message.find("/slow"), std::string::npos) << res.error().message;
    EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1400));
}

TEST_F(CurlHttpClientTest, ConnectionRefusedIsTransientAndBadSchemeInvalid) {
    std::string url = Url("/echo");
    server_->Stop();
    auto client = MakeCurlHttpClient();
    HttpRequest req;
    req.url = url;
    auto res = client->Send(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient) << res.error().message;

    req.url = "ftp://127.0.0.1/file";
    res = client->Send(req);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kInvalid) << res.error().message;
}

TEST_F(CurlHttpClientTest, ConcurrentCallsShareTheClient) {
    auto client = MakeCurlHttpClient();
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 6; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 10; ++i) {
                HttpRequest req;
                req.url = Url("/echo");
                req.headers = {{"X-Test", std::to_string(t * 100 + i)}};
                auto res = client->Send(req);
                if (res && res->body == std::to_string(t * 100 + i) + "|forgedb") ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 60);
}

// A one-shot raw server that promises 100 bytes and sends 5.
TEST(CurlHttpClient, TruncatedBodyIsTransient) {
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(listener, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(listen(listener, 1), 0);
    socklen_t len = sizeof addr;
    ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    int port = ntohs(addr.sin_port);
    std::thread server([listener] {
        int conn = accept(listener, nullptr, nullptr);
        if (conn < 0) return;
        std::string request;
        char buf[4096];
        while (request.find("\r\n\r\n") == std::string::npos) {
            ssize_t n = read(conn, buf, sizeof buf);
            if (n <= 0) break;
            request.append(buf, static_cast<size_t>(n));
        }
        std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort";
        ssize_t written = write(conn, reply.data(), reply.size());
        (void)written;
        close(conn);
    });
    auto client = MakeCurlHttpClient();
    HttpRequest req;
    req.url = "http://127.0.0.1:" + std::to_string(port) + "/";
    auto res = client->Send(req);
    server.join();
    close(listener);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient) << res.error().message;
}

// ---------------------------------------------------------------------------------------------
// GithubClient over a scripted HttpClient

HttpResponse Resp(int status, std::string body = "",
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    r.headers = std::move(headers);
    return r;
}

std::optional<std::string> HeaderOf(const HttpRequest& req, const std::string& name) {
    for (const auto& [k, v] : req.headers) {
        if (k == name) return v;
    }
    return std::nullopt;
}

// Returns queued responses in order (200 "[]" when the queue is empty) and records requests.
class FakeHttp final : public HttpClient {
public:
    void Push(HttpResponse r) {
        std::lock_guard lock(mu_);
        queue_.emplace_back(std::move(r));
    }
    void PushError(Error e) {
        std::lock_guard lock(mu_);
        queue_.emplace_back(std::move(e));
    }
    Result<HttpResponse> Send(const HttpRequest& request) override {
        int now = ++in_flight_;
        int seen = max_in_flight.load();
        while (now > seen && !max_in_flight.compare_exchange_weak(seen, now)) {
        }
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        Result<HttpResponse> out = fallback;
        {
            std::lock_guard lock(mu_);
            requests_.push_back(request);
            if (!queue_.empty()) {
                out = std::move(queue_.front());
                queue_.pop_front();
            }
        }
        --in_flight_;
        return out;
    }
    std::vector<HttpRequest> requests() {
        std::lock_guard lock(mu_);
        return requests_;
    }
    size_t count() {
        std::lock_guard lock(mu_);
        return requests_.size();
    }
    HttpRequest last() {
        std::lock_guard lock(mu_);
        return requests_.back();
    }

    HttpResponse fallback = Resp(200, "[]");  // when the queue is empty
    milliseconds delay{0};
    std::atomic<int> max_in_flight{0};

private:
    std::mutex mu_;
    std::deque<Result<HttpResponse>> queue_;
    std::vector<HttpRequest> requests_;
    std::atomic<int> in_flight_{0};
};

const std::string kA = "ghp_secretAAAAAAAAAAAAAAAA";
const std::string kB = "ghp_secretBBBBBBBBBBBBBBBB";
const std::string kC = "ghp_secretCCCCCCCCCCCCCCCC";

class GithubClientTest : public ::testing::Test {
protected:
    std::unique_ptr<GithubClient> Make(std::vector<std::string> tokens, int cap = 8,
                                       std::string base = "https://api.github.com") {
        GithubClientOptions options;
        options.base_url = std::move(base);
        options.tokens = std::move(tokens);
        options.max_concurrency = cap;
        return std::make_unique<GithubClient>(http, clock, book, etags, options);
    }
    static long long Epoch(Timestamp t) {
        return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
    }
    std::vector<std::pair<std::string, std::string>> RateHeaders(int remaining, Timestamp reset,
                                                                 std::string resource = "core") {
        return {{"x-ratelimit-limit", "5000"},
                {"x-ratelimit-remaining", std::to_string(remaining)},
                {"x-ratelimit-reset", std::to_string(Epoch(reset))},
                {"x-ratelimit-used", std::to_string(5000 - remaining)},
                {"x-ratelimit-resource", resource}};
    }
    // The token of the last request ("" when none was sent).
    std::string LastToken() {
        auto auth = HeaderOf(http.last(), "Authorization");
        return auth ? auth->substr(7) : "";
    }

    const Timestamp t0 = *ParseTimestamp("2026-01-01T00:00:00Z");
    ManualClock clock{t0};
    FakeHttp http;
    InMemoryRateLimitBook book;
    InMemoryEtagCache etags;
};

TEST_F(GithubClientTest, SendsGithubHeadersAndJoinsPaths) {
    auto client = Make({kA});
    ASSERT_TRUE(client->Get("/repos/octo/hello/issues?per_page=100"));
    HttpRequest req = http.last();
    EXPECT_EQ(req.method, "GET");
    EXPECT_EQ(req.url, "https://api.github.com/repos/octo/hello/issues?per_page=100");
    EXPECT_EQ(HeaderOf(req, "Accept"), "application/vnd.github+json");
    EXPECT_EQ(HeaderOf(req, "X-GitHub-Api-Version"), "2022-11-28");
    EXPECT_EQ(HeaderOf(req, "User-Agent"), "forgedb");
    EXPECT_EQ(HeaderOf(req, "Authorization"), "Bearer " + kA);
    EXPECT_FALSE(HeaderOf(req, "If-None-Match"));

    ASSERT_TRUE(client->Get("repos/octo/hello"));
    EXPECT_EQ(http.last().url, "https://api.github.com/repos/octo/hello");
    ASSERT_TRUE(client->Get("https://api.github.com/repositories/1300192/issues?page=4"));
    EXPECT_EQ(http.last().url, "https://api.github.com/repositories/1300192/issues?page=4");

    GetOptions raw;
    raw.headers = {{"accept", "application/vnd.github.raw+json"}};
    ASSERT_TRUE(client->Get("/repos/octo/hello/readme", raw));
    EXPECT_EQ(HeaderOf(http.last(), "Accept"), "application/vnd.github.raw+json");
}

TEST_F(GithubClientTest, EnterpriseBaseUrlAndTokenOnlyForItsOrigin) {
    auto client = Make({kA}, 8, "https://ghe.example.com/api/v3/");
    ASSERT_TRUE(client->Get("/repos/o/r"));
    EXPECT_EQ(http.last().url, "https://ghe.example.com/api/v3/repos/o/r");
    EXPECT_EQ(LastToken(), kA);
    ASSERT_TRUE(client->Get("https://GHE.example.com/api/v3/repositories/1/issues?page=2"));
    EXPECT_EQ(LastToken(), kA);
    ASSERT_TRUE(client->Get("https://elsewhere.example.com/api/v3/repos/o/r"));
    EXPECT_EQ(LastToken(), "");
}

TEST_F(GithubClientTest, AnonymousWithoutTokens) {
    auto client = Make({});
    EXPECT_EQ(client->token_ids(), std::vector<std::string>{"anonymous"});
    http.Push(Resp(200, "{}", RateHeaders(59, t0 + minutes(60))));
    auto page = client->Get("/repos/o/r");
    ASSERT_TRUE(page);
    EXPECT_FALSE(HeaderOf(http.last(), "Authorization"));
    EXPECT_EQ(page->token_id, "anonymous");
    EXPECT_EQ(book.Get("anonymous", "core")->remaining, 59);
}

TEST_F(GithubClientTest, TokenIdsAreStableAndDoNotRevealTokens) {
    auto client = Make({kA, " " + kB + "\n", "", kA});  // trimmed, blank and duplicate dropped
    auto ids = client->token_ids();
    ASSERT_EQ(ids.size(), 2u);
    EXPECT_EQ(ids[0], TokenId(kA));
    EXPECT_EQ(ids[1], TokenId(kB));
    EXPECT_NE(ids[0], ids[1]);
    EXPECT_EQ(TokenId(kA), TokenId(std::string(kA)));
    EXPECT_EQ(TokenId(kA).find("secret"), std::string::npos);
    EXPECT_THROW(Make({"ghp_bad\ntoken"}), std::invalid_argument);
    EXPECT_THROW(Make({kA}, 8, "api.github.com"), std::invalid_argument);
    try {
        Make({"ghp_bad token"});
        ADD_FAILURE() << "a token with a space was accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()).find("ghp_bad"), std::string::npos);
    }
}

TEST_F(GithubClientTest, ChoosesTheTokenWithTheMostRemainingBudget) {
    auto client = Make({kA, kB, kC});
    book.Observe(TokenId(kA), "core", 5000, 100, t0 + minutes(30));
    book.Observe(TokenId(kB), "core", 5000, 4000, t0 + minutes(30));
    book.Observe(TokenId(kC), "core", 5000, 0, t0 + minutes(10));
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(client->Get("/x"));
        EXPECT_EQ(LastToken(), kB);
    }
    book.Observe(TokenId(kB), "core", 5000, 50, t0 + minutes(30));
    ASSERT_TRUE(client->Get("/x"));
    EXPECT_EQ(LastToken(), kA);

    // The search budget is separate from core.
    book.Observe(TokenId(kA), "search", 30, 0, t0 + minutes(1));
    book.Observe(TokenId(kB), "search", 30, 10, t0 + minutes(1));
    ASSERT_TRUE(client->Get("/search/issues?q=repo:o/r"));
    EXPECT_NE(LastToken(), kA);
}

TEST_F(GithubClientTest, UnknownBudgetCountsAsFull) {
    auto client = Make({kA, kB});
    book.Observe(TokenId(kA), "core", 5000, 4999, t0 + minutes(30));
    ASSERT_TRUE(client->Get("/x"));
    EXPECT_EQ(LastToken(), kB);
}

TEST_F(GithubClientTest, SkipsAnExhaustedTokenUntilItsReset) {
    auto client = Make({kA, kB});
    book.Observe(TokenId(kA), "core", 5000, 0, t0 + minutes(10));
    book.Observe(TokenId(kB), "core", 5000, 1, t0 + minutes(30));
    ASSERT_TRUE(client->Get("/x"));
    EXPECT_EQ(LastToken(), kB);
    clock.Advance(minutes(11));  // A's window has been reset: full again
    ASSERT_TRUE(client->Get("/x"));
    EXPECT_EQ(LastToken(), kA);
}

TEST_F(GithubClientTest, AllTokensExhaustedFailsWithoutARequest) {
    auto client = Make({kA, kB});
    book.Observe(TokenId(kA), "core", 5000, 0, t0 + minutes(20));
    book.Observe(TokenId(kB), "core", 5000, 0, t0 + minutes(10));
    auto res = client->Get("/repos/o/r");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    ASSERT_TRUE(res.error().retry_at);
    EXPECT_EQ(*res.error().retry_at, t0 + minutes(10));
    EXPECT_EQ(http.count(), 0u);
}

TEST_F(GithubClientTest, RecordsRateLimitHeadersFromEveryResponse) {
    auto client = Make({kA});
    http.Push(Resp(200, "[]", RateHeaders(4321, t0 + minutes(42))));
    auto page = client->Get("/x");
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->rate.known);
    EXPECT_EQ(page->rate.limit, 5000);
    EXPECT_EQ(page->rate.remaining, 4321);
    EXPECT_EQ(page->rate.reset_at, t0 + minutes(42));
    EXPECT_EQ(page->rate.resource, "core");
    auto budget = book.Get(TokenId(kA), "core");
    ASSERT_TRUE(budget);
    EXPECT_EQ(budget->remaining, 4321);
    EXPECT_EQ(budget->reset_at, t0 + minutes(42));

    http.Push(Resp(404, R"({"message":"Not Found"})", RateHeaders(4320, t0 + minutes(42))));
    EXPECT_FALSE(client->Get("/missing"));
    EXPECT_EQ(book.Get(TokenId(kA), "core")->remaining, 4320);

    http.Push(Resp(200, "{}", RateHeaders(29, t0 + minutes(1), "search")));
    ASSERT_TRUE(client->Get("/search/issues?q=x"));
    EXPECT_EQ(book.Get(TokenId(kA), "search")->remaining, 29);

    http.Push(Resp(200, "{}"));  // no headers (rate limits off on GitHub Enterprise Server)
    page = client->Get("/x");
    ASSERT_TRUE(page);
    EXPECT_FALSE(page->rate.known);
}

TEST_F(GithubClientTest, EtagRoundTrip) {
    auto client = Make({kA});
    http.Push(Resp(200, R"([{"id":1}])", {{"ETag", R"(W/"abc")"}}));
    auto first = client->Get("/repos/o/r/issues");
    ASSERT_TRUE(first);
    EXPECT_FALSE(first->not_modified);
    EXPECT_EQ(first->etag, R"(W/"abc")");
    EXPECT_EQ(first->url, "https://api.github.com/repos/o/r/issues");

    http.Push(Resp(304, "", {{"ETag", R"(W/"abc")"}}));
    auto second = client->Get("/repos/o/r/issues");
    ASSERT_TRUE(second);
    EXPECT_EQ(HeaderOf(http.last(), "If-None-Match"), R"(W/"abc")");
    EXPECT_EQ(second->status, 304);
    EXPECT_TRUE(second->not_modified);
    EXPECT_EQ(second->body, R"([{"id":1}])");

    // The cache is per token (GitHub's ETags vary with Authorization).
    EXPECT_TRUE(etags.Get("https://api.github.com/repos/o/r/issues", TokenId(kA)));
    EXPECT_FALSE(etags.Get("https://api.github.com/repos/o/r/issues", TokenId(kB)));

    // A changed resource replaces the entry.
    http.Push(Resp(200, R"([{"id":2}])", {{"ETag", R"(W/"def")"}}));
    auto third = client->Get("/repos/o/r/issues");
    ASSERT_TRUE(third);
    EXPECT_EQ(third->body, R"([{"id":2}])");
    EXPECT_EQ(etags.Get("https://api.github.com/repos/o/r/issues", TokenId(kA))->etag,
              R"(W/"def")");

    // Unconditional requests neither send nor store ETags.
    GetOptions unconditional;
    unconditional.conditional = false;
    http.Push(Resp(200, "fresh", {{"ETag", R"(W/"ghi")"}}));
    ASSERT_TRUE(client->Get("/repos/o/r/issues", unconditional));
    EXPECT_FALSE(HeaderOf(http.last(), "If-None-Match"));
    EXPECT_EQ(etags.Get("https://api.github.com/repos/o/r/issues", TokenId(kA))->etag,
              R"(W/"def")");
}

TEST_F(GithubClientTest, ParsesLinksAndLastPage) {
    auto client = Make({kA});
    http.Push(
        Resp(200, "[]",
             {{"Link", R"(<https://api.github.com/repositories/1/issues?page=2>; rel="next", )"
                       R"(<https://api.github.com/repositories/1/issues?page=34>; rel="last")"}}));
    auto page = client->Get("/repos/o/r/issues");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->links["next"], "https://api.github.com/repositories/1/issues?page=2");
    EXPECT_EQ(page->last_page, 34);

    ASSERT_TRUE(client->Get(page->links["next"]));
    EXPECT_EQ(http.last().url, "https://api.github.com/repositories/1/issues?page=2");
    auto single = client->Get("/repos/o/r/issues");  // no Link header
    ASSERT_TRUE(single);
    EXPECT_TRUE(single->links.empty());
    EXPECT_FALSE(single->last_page);
}

TEST_F(GithubClientTest, NotFoundAndGoneIncludeTheUrl) {
    auto client = Make({kA});
    http.Push(Resp(404, R"({"message":"Not Found"})"));
    auto res = client->Get("/repos/o/missing");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kNotFound);
    EXPECT_NE(res.error().message.find("https://api.github.com/repos/o/missing"),
              std::string::npos);
    http.Push(Resp(410, R"({"message":"Issues are disabled for this repo"})"));
    res = client->Get("/repos/o/r/issues");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kNotFound);
}

TEST_F(GithubClientTest, UnauthorizedNamesTheFlagAndRetiresTheToken) {
    auto client = Make({kA, kB});
    book.Observe(TokenId(kB), "core", 5000, 10, t0 + minutes(30));  // A is chosen first
    http.Push(Resp(401, R"({"message":"Bad credentials"})"));
    auto res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kUnauthorized);
    EXPECT_NE(res.error().message.find("GitHub rejected the token"), std::string::npos);
    EXPECT_NE(res.error().message.find("check --github-token"), std::string::npos);
    EXPECT_NE(res.error().message.find(TokenId(kA)), std::string::npos);
    EXPECT_EQ(LastToken(), kA);
    ASSERT_TRUE(client->Get("/x"));
    EXPECT_EQ(LastToken(), kB);
    http.Push(Resp(401, R"({"message":"Bad credentials"})"));
    EXPECT_FALSE(client->Get("/x"));
    size_t sent = http.count();
    res = client->Get("/x");  // no token left
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kUnauthorized);
    EXPECT_EQ(http.count(), sent);
}

TEST_F(GithubClientTest, PrimaryLimitExhaustedRetriesAtReset) {
    auto client = Make({kA});
    http.Push(Resp(403, R"({"message":"API rate limit exceeded for user ID 1."})",
                   RateHeaders(0, t0 + minutes(30))));
    auto res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(30));
    // Known exhausted: the next call fails without a request.
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(30));
    EXPECT_EQ(http.count(), 1u);

    http.Push(Resp(429, "{}", RateHeaders(0, t0 + minutes(45))));
    clock.Advance(minutes(31));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(45));
}

TEST_F(GithubClientTest, RetryAfterSetsRetryAt) {
    auto client = Make({kA});
    http.Push(Resp(429, R"({"message":"slow down"})", {{"Retry-After", "30"}}));
    auto res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + seconds(30));
    EXPECT_EQ(client->Get("/x").error().code, ErrorCode::kRateLimited);  // still waiting
    EXPECT_EQ(http.count(), 1u);

    clock.Advance(seconds(30));
    http.Push(Resp(403, R"({"message":"You have exceeded a secondary rate limit."})",
                   {{"retry-after", "120"}}));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + seconds(30 + 120));
}

// The search API has its own budget (30 a minute): running out of it, or a secondary limit on a
// search, is a wait for the searches that never marks the core budget exhausted.
TEST_F(GithubClientTest, SearchRateLimitsLeaveTheCoreBudgetAlone) {
    auto client = Make({kA});
    book.Observe(TokenId(kA), "core", 5000, 4000, t0 + minutes(30));
    auto search_headers = [&](int remaining, Timestamp reset, bool with_resource = true) {
        std::vector<std::pair<std::string, std::string>> h = {
            {"x-ratelimit-limit", "30"},
            {"x-ratelimit-remaining", std::to_string(remaining)},
            {"x-ratelimit-reset", std::to_string(Epoch(reset))},
            {"x-ratelimit-used", std::to_string(30 - remaining)}};
        if (with_resource) h.emplace_back("x-ratelimit-resource", "search");
        return h;
    };
    http.Push(Resp(403, R"({"message":"API rate limit exceeded for user ID 1."})",
                   search_headers(0, t0 + minutes(1))));
    auto res = client->Get("/search/issues?q=is:pr+author:heavy");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(1));
    EXPECT_EQ(book.Get(TokenId(kA), "search")->remaining, 0);
    EXPECT_EQ(book.Get(TokenId(kA), "core")->remaining, 4000);

    // Core requests go on with the same token; searches wait for the reset without a request.
    http.Push(Resp(200, "{}", RateHeaders(3999, t0 + minutes(30))));
    ASSERT_TRUE(client->Get("/repos/o/r/pulls/1"));
    EXPECT_EQ(LastToken(), kA);
    const size_t sent = http.count();
    res = client->Get("https://api.github.com/search/issues?q=is:pr&page=2");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(1));
    EXPECT_EQ(http.count(), sent);

    // After the reset: a secondary limit on a search (Retry-After) is a wait as well.
    clock.Advance(minutes(1));
    http.Push(Resp(403, R"({"message":"You have exceeded a secondary rate limit."})", [&] {
        auto h = search_headers(25, t0 + minutes(2));
        h.emplace_back("Retry-After", "20");
        return h;
    }()));
    res = client->Get("/search/issues?q=is:issue");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(res.error().retry_at, t0 + minutes(1) + seconds(20));
    EXPECT_EQ(book.Get(TokenId(kA), "search")->remaining, 25);
    EXPECT_EQ(book.Get(TokenId(kA), "core")->remaining, 3999);

    // Without x-ratelimit-resource, the path names the budget.
    auto other = Make({kB});
    http.Push(Resp(403, R"({"message":"API rate limit exceeded"})",
                   search_headers(0, t0 + minutes(2), false)));
    res = other->Get("/search/issues?q=x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(book.Get(TokenId(kB), "search")->remaining, 0);
    EXPECT_FALSE(book.Get(TokenId(kB), "core"));
}

TEST_F(GithubClientTest, SecondaryLimitBacksOffAtLeastAMinuteAndGrows) {
    auto client = Make({kA});
    const std::string secondary =
        R"({"message":"You have exceeded a secondary rate limit. Please wait a few minutes )"
        R"(before you try again.","documentation_url":"https://docs.github.com/..."})";
    http.Push(Resp(403, secondary));
    auto res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    ASSERT_TRUE(res.error().retry_at);
    auto first_wait = *res.error().retry_at - clock.Now();
    EXPECT_GE(first_wait, seconds(60));

    // Not retried before the wait is over.
    EXPECT_EQ(client->Get("/x").error().code, ErrorCode::kRateLimited);
    EXPECT_EQ(http.count(), 1u);

    clock.Set(
        Timestamp(std::chrono::time_point_cast<std::chrono::microseconds>(*res.error().retry_at)));
    http.Push(Resp(403, secondary));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    auto second_wait = *res.error().retry_at - clock.Now();
    EXPECT_GE(second_wait, 2 * first_wait);

    // A success ends the streak.
    clock.Advance(std::chrono::duration_cast<std::chrono::microseconds>(second_wait));
    ASSERT_TRUE(client->Get("/x"));
    http.Push(Resp(403, secondary));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(*res.error().retry_at - clock.Now(), first_wait);

    // 429 without any header is also a secondary limit.
    auto other = Make({kB});
    http.Push(Resp(429, ""));
    res = other->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kRateLimited);
    EXPECT_GE(*res.error().retry_at - clock.Now(), seconds(60));
}

TEST_F(GithubClientTest, OtherStatuses) {
    auto client = Make({kA});
    http.Push(Resp(502, "<html>bad gateway</html>"));
    auto res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient);

    http.Push(Resp(503, "", {{"Retry-After", "5"}}));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient);
    EXPECT_EQ(res.error().retry_at, t0 + seconds(5));

    http.Push(Resp(422, R"({"message":"Validation Failed","errors":[]})"));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kInvalid);
    EXPECT_NE(res.error().message.find("Validation Failed"), std::string::npos);

    // A 403 that is not about rate limits: permissions; retrying will not help.
    http.Push(Resp(403, R"({"message":"Resource not accessible by personal access token"})",
                   RateHeaders(4000, t0 + minutes(30))));
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kInvalid);
    EXPECT_NE(res.error().message.find("Resource not accessible"), std::string::npos);
    ASSERT_TRUE(client->Get("/x"));  // and the token is not blocked

    Error transport = MakeError(ErrorCode::kTransient, "GET https://api.github.com/x: reset");
    http.PushError(transport);
    res = client->Get("/x");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kTransient);
}

TEST_F(GithubClientTest, FollowsRedirectsAndSendsTheTokenOnlyToTheApi) {
    auto client = Make({kA});
    http.Push(Resp(301, R"({"message":"Moved Permanently"})",
                   {{"Location", "https://api.github.com/repositories/42"}}));
    http.Push(Resp(200, R"({"id":42})"));
    auto page = client->Get("/repos/old/name");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->body, R"({"id":42})");
    EXPECT_EQ(page->url, "https://api.github.com/repos/old/name");
    EXPECT_EQ(http.last().url, "https://api.github.com/repositories/42");
    EXPECT_EQ(LastToken(), kA);

    http.Push(Resp(302, "", {{"Location", "https://objects.example.com/blob?sig=1"}}));
    http.Push(Resp(200, "blob"));
    page = client->Get("/repos/o/r/tarball");
    ASSERT_TRUE(page);
    EXPECT_EQ(http.last().url, "https://objects.example.com/blob?sig=1");
    EXPECT_EQ(LastToken(), "");

    http.Push(Resp(307, "", {{"Location", "/repositories/7/issues"}}));
    ASSERT_TRUE(client->Get("/repos/o/r/issues"));
    EXPECT_EQ(http.last().url, "https://api.github.com/repositories/7/issues");
}

TEST_F(GithubClientTest, TokensNeverAppearInErrorsOrLogs) {
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>(
        "github_client_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    capture->set_level(spdlog::level::trace);
    spdlog::set_default_logger(capture);

    auto client = Make({kA});
    std::vector<std::string> messages;
    auto run = [&](Result<HttpResponse> response) {
        if (response) {
            http.Push(std::move(response.value()));
        } else {
            http.PushError(response.error());
        }
        auto res = client->Get("/repos/o/r");
        if (!res) messages.push_back(res.error().ToString());
        clock.Advance(std::chrono::hours(2));  // past any backoff
    };
    run(Resp(404, "{}"));
    run(Resp(403, R"({"message":"You have exceeded a secondary rate limit"})"));
    run(Resp(403, "{}", RateHeaders(0, clock.Now() + minutes(5))));
    run(Resp(429, "{}", {{"Retry-After", "1"}}));
    run(Resp(500, "oops"));
    run(Resp(422, R"({"message":"bad"})"));
    run(Resp(403, R"({"message":"forbidden"})"));
    run(MakeError(ErrorCode::kTransient, "proxy said: Authorization: Bearer " + kA));
    run(Resp(401, R"({"message":"Bad credentials"})"));
    run(Resp(200, "{}"));  // not sent: no token left
    spdlog::set_default_logger(previous);

    ASSERT_EQ(messages.size(), 10u);
    for (const auto& m : messages) {
        EXPECT_EQ(m.find(kA), std::string::npos) << m;
        EXPECT_EQ(m.find("secretAAAA"), std::string::npos) << m;
    }
    EXPECT_FALSE(log.str().empty());
    EXPECT_EQ(log.str().find("secretAAAA"), std::string::npos) << log.str();
}

TEST_F(GithubClientTest, ConcurrencyCapLimitsRequestsInFlight) {
    auto client = Make({kA, kB}, 3);
    http.delay = milliseconds(20);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 3; ++i) {
                if (client->Get("/x")) ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 48);
    EXPECT_LE(http.max_in_flight.load(), 3);
    EXPECT_GE(http.max_in_flight.load(), 2);
    std::set<std::string> used;
    for (const auto& r : http.requests()) used.insert(*HeaderOf(r, "Authorization"));
    EXPECT_EQ(used.size(), 2u);  // in-flight requests spread the load over tokens
}

TEST_F(GithubClientTest, ThreadsShareRateLimitsAndEtags) {
    auto client = Make({kA}, 8);
    http.fallback = Resp(200, "[]", RateHeaders(4000, t0 + minutes(30)));
    http.fallback.headers.emplace_back("ETag", "\"same\"");
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 20; ++i) {
                std::string path =
                    "/repos/o/r" + std::to_string(t) + "/issues/" + std::to_string(i % 4);
                if (client->Get(path)) ++ok;
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(ok.load(), 160);
    ASSERT_EQ(http.count(), 160u);
    int conditional = 0;
    for (const auto& r : http.requests()) conditional += HeaderOf(r, "If-None-Match") ? 1 : 0;
    EXPECT_EQ(conditional, 8 * 16);  // each thread's 4 URLs are cached after their first GET
    EXPECT_EQ(book.Get(TokenId(kA), "core")->remaining, 4000);
}

TEST_F(GithubClientTest, InMemoryBookKeepsTheLowestRemainingPerWindow) {
    book.Observe("t", "core", 5000, 10, t0 + minutes(30));
    book.Observe("t", "core", 5000, 12, t0 + minutes(30));  // an older response, late
    EXPECT_EQ(book.Get("t", "core")->remaining, 10);
    book.Observe("t", "core", 5000, 4999, t0 + minutes(90));  // a new window
    EXPECT_EQ(book.Get("t", "core")->remaining, 4999);
    EXPECT_FALSE(book.Get("t", "search"));
    EXPECT_FALSE(book.Get("u", "core"));
}

// GithubClient over libcurl against a local GitHub-like server: ETags, Link, rate headers.
TEST(GithubClientOverCurl, EndToEnd) {
    http::Router router;
    std::atomic<int> conditional_hits{0};
    router.Add({"GET", "/api/v3/repos/{owner}/{repo}/issues", [&](const http::Request& r) {
                    if (r.Header("Authorization") != "Bearer tok123") {
                        return http::Response::Json(401, R"({"message":"Bad credentials"})");
                    }
                    http::Response res;
                    if (r.Header("If-None-Match") == "\"e1\"") {
                        ++conditional_hits;
                        res.status = 304;
                    } else {
                        res = http::Response::Json(200, R"([{"number":1}])");
                    }
                    res.headers = {{"ETag", "\"e1\""},
                                   {"Link",
                                    "<http://127.0.0.1/api/v3/x?page=2>; rel=\"next\", "
                                    "<http://127.0.0.1/api/v3/x?page=3>; rel=\"last\""},
                                   {"X-RateLimit-Limit", "5000"},
                                   {"X-RateLimit-Remaining", "4999"},
                                   {"X-RateLimit-Reset", "1767229200"},
                                   {"X-RateLimit-Resource", "core"}};
                    return res;
                }});
    http::ServerOptions options;
    options.port = 0;
    options.handler_threads = 4;
    http::Server server(router, options);
    ASSERT_TRUE(server.Start());
    auto transport = MakeCurlHttpClient();
    SystemClock clock;
    InMemoryRateLimitBook book;
    InMemoryEtagCache etags;
    GithubClientOptions gopts;
    gopts.base_url = "http://127.0.0.1:" + std::to_string(server.port()) + "/api/v3";
    gopts.tokens = {"tok123"};
    GithubClient client(*transport, clock, book, etags, gopts);
    auto first = client.Get("/repos/o/r/issues");
    ASSERT_TRUE(first) << first.error().ToString();
    EXPECT_EQ(first->status, 200);
    EXPECT_EQ(first->body, R"([{"number":1}])");
    EXPECT_EQ(first->last_page, 3);
    EXPECT_EQ(book.Get(TokenId("tok123"), "core")->remaining, 4999);
    auto second = client.Get("/repos/o/r/issues");
    ASSERT_TRUE(second) << second.error().ToString();
    EXPECT_TRUE(second->not_modified);
    EXPECT_EQ(second->body, R"([{"number":1}])");
    EXPECT_EQ(conditional_hits.load(), 1);
    server.Stop();
}

}  // namespace
}  // namespace forgedb::sources
