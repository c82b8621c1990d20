// The fake GitHub server over real HTTP on loopback: paging and Link headers, filters and sorting,
// ETags and 304s, primary rate limits, injected faults, request counting, error shapes, generated
// and recorded data, mutations, the control API and the standalone binary.

#include "fake_forge/fake_github.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::fake {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;
using testing::HttpHeaders;
using testing::TestClient;
using testing::TestClientOptions;
using testing::TestReply;

constexpr const char* kToken = "test-token";

long long EpochNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// rel -> URL of a Link header.
std::map<std::string, std::string> Links(const std::string& header) {
    std::map<std::string, std::string> out;
    size_t pos = 0;
    while ((pos = header.find('<', pos)) != std::string::npos) {
        size_t end = header.find('>', pos);
        size_t rel = header.find("rel=\"", end);
        size_t rel_end = header.find('"', rel + 5);
        if (end == std::string::npos || rel == std::string::npos) break;
        out[header.substr(rel + 5, rel_end - rel - 5)] = header.substr(pos + 1, end - pos - 1);
        pos = rel_end;
    }
    return out;
}

int PageOf(const std::string& url) {
    size_t p = url.find("page=");
    while (p != std::string::npos && p > 0 && url[p - 1] != '?' && url[p - 1] != '&') {
        p = url.find("page=", p + 1);
    }
    return p == std::string::npos ? -1 : std::stoi(url.substr(p + 5));
}

// GET over a plain socket; returns every byte received until the server closes.
std::string RawGet(int port, const std::string& path) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        close(fd);
        return "connect failed";
    }
    std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: token " +
                      kToken + "\r\n\r\n";
    send(fd, req.data(), req.size(), MSG_NOSIGNAL);
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return out;
}

class FakeGithubTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto st = fake_.Start();
        ASSERT_TRUE(st) << st.error().ToString();
        client_ = std::make_unique<TestClient>(
            "127.0.0.1", fake_.port(), TestClientOptions{.timeout = std::chrono::seconds(10)});
    }

    std::optional<TestReply> Get(const std::string& path, HttpHeaders headers = {}) {
        headers.emplace_back("Authorization", std::string("token ") + kToken);
        return client_->Get(path, headers);
    }

    static json Body(const std::optional<TestReply>& r) { return json::parse(r->body); }

    // Follows rel="next" from `path`; returns every item, and the number of requests.
    std::vector<json> All(const std::string& path, int* requests = nullptr) {
        std::vector<json> items;
        std::string next = path;
        int n = 0;
        while (!next.empty()) {
            auto r = Get(next);
            EXPECT_TRUE(r);
            if (!r) break;
            EXPECT_EQ(r->status, 200) << next;
            ++n;
            for (auto& x : Body(r)) items.push_back(x);
            auto links = Links(r->Header("Link"));
            next = links.count("next") ? links["next"].substr(fake_.base_url().size()) : "";
            if (n > 10000) break;
        }
        if (requests) *requests = n;
        return items;
    }

    std::string Path(const std::string& tail) const { return "/repos/octo/hello" + tail; }

    GeneratedRepo Make(int pulls, int issues, int closed_percent = 40) {
        GenerateOptions o;
        o.pulls = pulls;
        o.issues = issues;
        o.closed_percent = closed_percent;
        return fake_.Generate("octo", "hello", o);
    }

    FakeGithub fake_;
    std::unique_ptr<TestClient> client_;
};

// ---- paging ----

using FakeGithubPaging = FakeGithubTest;

TEST_F(FakeGithubPaging, ExactlyOneFullPageHasNoLinkHeader) {
    Make(100, 0, 0);
    auto r = Get(Path("/pulls?per_page=100"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(Body(r).size(), 100u);
    EXPECT_FALSE(r->HasHeader("Link"));
}

TEST_F(FakeGithubPaging, OneHundredAndOneItemsMakeTwoPages) {
    Make(101, 0, 0);
    auto r = Get(Path("/pulls?per_page=100"));
    ASSERT_TRUE(r);
    EXPECT_EQ(Body(r).size(), 100u);
    auto links = Links(r->Header("Link"));
    EXPECT_EQ(links.size(), 2u);  // next and last only, as GitHub on page 1
    ASSERT_TRUE(links.count("next"));
    EXPECT_EQ(PageOf(links["next"]), 2);
    EXPECT_EQ(PageOf(links["last"]), 2);
    EXPECT_EQ(links["next"].rfind(fake_.base_url() + Path("/pulls?"), 0), 0u) << links["next"];
    EXPECT_NE(links["next"].find("per_page=100"), std::string::npos);

    auto r2 = Get(links["next"].substr(fake_.base_url().size()));
    ASSERT_TRUE(r2);
    EXPECT_EQ(Body(r2).size(), 1u);
    auto links2 = Links(r2->Header("Link"));
    EXPECT_FALSE(links2.count("next"));
    EXPECT_FALSE(links2.count("last"));
    EXPECT_EQ(PageOf(links2["prev"]), 1);
    EXPECT_EQ(PageOf(links2["first"]), 1);
}

TEST_F(FakeGithubPaging, EmptyListIsAnEmptyArrayWithoutLink) {
    Make(0, 0);
    auto r = Get(Path("/pulls?per_page=100"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "[]");
    EXPECT_FALSE(r->HasHeader("Link"));
}

TEST_F(FakeGithubPaging, LastPageNumberAndPerPageLimits) {
    Make(5000, 0);
    auto r = Get(Path("/pulls?state=all&per_page=100"));
    ASSERT_TRUE(r);
    EXPECT_EQ(PageOf(Links(r->Header("Link"))["last"]), 50);
    auto d = Get(Path("/pulls?state=all"));  // default per_page 30
    EXPECT_EQ(Body(d).size(), 30u);
    EXPECT_EQ(PageOf(Links(d->Header("Link"))["last"]), 167);
    auto big = Get(Path("/pulls?state=all&per_page=500"));  // capped at 100
    EXPECT_EQ(Body(big).size(), 100u);
    auto middle = Get(Path("/pulls?state=all&per_page=100&page=7"));
    auto links = Links(middle->Header("Link"));
    EXPECT_EQ(PageOf(links["prev"]), 6);
    EXPECT_EQ(PageOf(links["next"]), 8);
    EXPECT_EQ(PageOf(links["last"]), 50);
    EXPECT_EQ(PageOf(links["first"]), 1);
    auto beyond = Get(Path("/pulls?state=all&per_page=100&page=51"));
    EXPECT_EQ(beyond->body, "[]");
}

TEST_F(FakeGithubPaging, FollowingNextReachesEveryItemOnce) {
    auto g = Make(777, 555);
    int requests = 0;
    auto items = All(Path("/issues?state=all&per_page=100"), &requests);
    EXPECT_EQ(requests, 14);  // 1332 items
    std::multiset<long long> seen;
    for (const auto& i : items) seen.insert(i["number"].get<long long>());
    EXPECT_EQ(seen.size(), 1332u);
    for (long long n = 1; n <= 1332; ++n) EXPECT_EQ(seen.count(n), 1u) << n;
    // Pulls are listed among issues with a pull_request key.
    size_t with_pr = 0;
    for (const auto& i : items) with_pr += i.contains("pull_request");
    EXPECT_EQ(with_pr, g.pull_numbers.size());
}

// ---- filters and sorting ----

using FakeGithubFilters = FakeGithubTest;

TEST_F(FakeGithubFilters, StateFilter) {
    auto g = Make(300, 200);
    EXPECT_EQ(All(Path("/pulls?per_page=100")).size(), static_cast<size_t>(g.open_pulls));
    EXPECT_EQ(All(Path("/pulls?state=closed&per_page=100")).size(),
              static_cast<size_t>(300 - g.open_pulls));
    EXPECT_EQ(All(Path("/pulls?state=all&per_page=100")).size(), 300u);
    auto open_issues = All(Path("/issues?per_page=100"));
    EXPECT_EQ(open_issues.size(), static_cast<size_t>(g.open_pulls + g.open_issues));
    for (const auto& i : open_issues) EXPECT_EQ(i["state"], "open");
    for (const auto& p : All(Path("/pulls?state=closed&per_page=100"))) {
        EXPECT_EQ(p["state"], "closed");
        EXPECT_FALSE(p["closed_at"].is_null());
    }
    auto bad = Get(Path("/pulls?state=nonsense"));
    EXPECT_EQ(bad->status, 422);
}

TEST_F(FakeGithubFilters, SinceKeepsItemsUpdatedAtOrAfter) {
    Make(200, 100);
    auto all = All(Path("/issues?state=all&per_page=100"));
    ASSERT_EQ(all.size(), 300u);
    std::vector<std::string> times;
    for (const auto& i : all) times.push_back(i["updated_at"]);
    std::sort(times.begin(), times.end());
    const std::string since = times[times.size() / 3];
    size_t expected = 0;
    for (const auto& t : times) expected += t >= since;
    auto got = All(Path("/issues?state=all&per_page=50&since=" + since));
    EXPECT_EQ(got.size(), expected);
    for (const auto& i : got) EXPECT_GE(i["updated_at"].get<std::string>(), since);
    EXPECT_EQ(Get(Path("/issues?since=yesterday"))->status, 422);
}

TEST_F(FakeGithubFilters, SortDirections) {
    Make(250, 0, 50);
    auto desc = All(Path("/pulls?state=all&sort=updated&direction=desc&per_page=100"));
    ASSERT_EQ(desc.size(), 250u);
    for (size_t i = 1; i < desc.size(); ++i) {
        EXPECT_GE(desc[i - 1]["updated_at"].get<std::string>(),
                  desc[i]["updated_at"].get<std::string>());
    }
    auto asc = All(Path("/pulls?state=all&sort=updated&direction=asc&per_page=100"));
    for (size_t i = 1; i < asc.size(); ++i) {
        EXPECT_LE(asc[i - 1]["updated_at"].get<std::string>(),
                  asc[i]["updated_at"].get<std::string>());
    }
    // Default: newest created first.
    auto created = All(Path("/pulls?state=all&per_page=100"));
    for (size_t i = 1; i < created.size(); ++i) {
        EXPECT_GT(created[i - 1]["number"].get<long long>(), created[i]["number"].get<long long>());
    }
}

// ---- conditional requests and rate limits ----

using FakeGithubCaching = FakeGithubTest;

TEST_F(FakeGithubCaching, MatchingEtagGives304WithoutCharge) {
    auto g = Make(10, 5, 0);
    auto first = Get(Path("/pulls"));
    ASSERT_TRUE(first);
    std::string etag = first->Header("ETag");
    ASSERT_FALSE(etag.empty());
    EXPECT_EQ(etag.front(), '"');  // strong
    int remaining = std::stoi(first->Header("x-ratelimit-remaining"));

    auto again = Get(Path("/pulls"), {{"If-None-Match", etag}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 304);
    EXPECT_TRUE(again->body.empty());
    EXPECT_EQ(std::stoi(again->Header("x-ratelimit-remaining")), remaining);
    EXPECT_EQ(fake_.Budget(kToken).remaining, remaining);
    EXPECT_EQ(Get(Path("/pulls"), {{"If-None-Match", "W/" + etag}})->status, 304);
    auto paged = Get(Path("/pulls?per_page=2"));
    auto paged304 = Get(Path("/pulls?per_page=2"), {{"If-None-Match", paged->Header("ETag")}});
    EXPECT_EQ(paged304->status, 304);
    EXPECT_FALSE(paged->Header("Link").empty());
    EXPECT_EQ(paged304->Header("Link"), paged->Header("Link"));
    remaining -= 1;
    EXPECT_EQ(fake_.Stats().not_modified, 3);

    // A change gives a new body, a new ETag and a charged 200.
    ASSERT_TRUE(
        fake_.UpdateItem({"octo", "hello", ItemKind::kPull, std::to_string(g.pull_numbers[0])},
                         {{"title", "x"}}, Timestamp{std::chrono::seconds{1800000000}}));
    auto changed = Get(Path("/pulls"), {{"If-None-Match", etag}});
    EXPECT_EQ(changed->status, 200);
    EXPECT_NE(changed->Header("ETag"), etag);
    EXPECT_EQ(std::stoi(changed->Header("x-ratelimit-remaining")), remaining - 1);
}

TEST_F(FakeGithubCaching, ExhaustedBudgetGives403) {
    Make(3, 0);
    const long long reset = EpochNow() + 1800;
    fake_.SetBudget(kToken, 100, 2, reset);
    auto a = Get(Path("/pulls"));
    EXPECT_EQ(a->status, 200);
    EXPECT_EQ(a->Header("x-ratelimit-limit"), "100");
    EXPECT_EQ(a->Header("x-ratelimit-remaining"), "1");
    EXPECT_EQ(a->Header("x-ratelimit-used"), "99");
    EXPECT_EQ(a->Header("x-ratelimit-reset"), std::to_string(reset));
    EXPECT_EQ(a->Header("x-ratelimit-resource"), "core");
    std::string etag = a->Header("ETag");
    EXPECT_EQ(Get(Path("/pulls"))->Header("x-ratelimit-remaining"), "0");
    auto limited = Get(Path("/pulls"));
    EXPECT_EQ(limited->status, 403);
    EXPECT_EQ(limited->Header("x-ratelimit-remaining"), "0");
    EXPECT_EQ(limited->Header("x-ratelimit-reset"), std::to_string(reset));
    EXPECT_NE(Body(limited)["message"].get<std::string>().find("API rate limit exceeded"),
              std::string::npos);
    EXPECT_TRUE(Body(limited).contains("documentation_url"));
    auto rate = Get("/rate_limit");  // always answered, never charged
    EXPECT_EQ(rate->status, 200);
    EXPECT_EQ(Body(rate)["resources"]["core"]["remaining"], 0);
    // A conditional request that matches still gets its 304.
    EXPECT_EQ(Get(Path("/pulls"), {{"If-None-Match", etag}})->status, 304);
    EXPECT_EQ(fake_.Stats().rate_limited, 1);
    // Other tokens and anonymous requests have their own budgets (GitHub: 60 anonymous).
    auto anon = client_->Get(Path("/pulls"));
    EXPECT_EQ(anon->status, 200);
    EXPECT_EQ(anon->Header("x-ratelimit-limit"), "60");
    EXPECT_EQ(client_->Get(Path("/pulls"), {{"Authorization", "Bearer other"}})
                  ->Header("x-ratelimit-remaining"),
              "4999");
    // A reset time in the past starts a new hour.
    fake_.SetBudget(kToken, 100, 0, EpochNow() - 1);
    auto fresh = Get(Path("/pulls"));
    EXPECT_EQ(fresh->status, 200);
    EXPECT_EQ(fresh->Header("x-ratelimit-remaining"), "99");
}

// ---- faults ----

using FakeGithubFaults = FakeGithubTest;

TEST_F(FakeGithubFaults, ServerErrorsInOrderThenNormal) {
    Make(5, 0);
    for (int status : {500, 502, 503}) {
        fake_.AddFault({FaultKind::kStatus, status, 0, 0, "/repos/", 1});
    }
    fake_.AddFault({FaultKind::kStatus, 500, 0, 0, "/users/", 1});  // does not match
    int before = fake_.Budget(kToken).remaining;
    EXPECT_EQ(Get(Path("/pulls"))->status, 500);
    EXPECT_EQ(Get(Path("/pulls"))->status, 502);
    auto r503 = Get(Path("/pulls"));
    EXPECT_EQ(r503->status, 503);
    EXPECT_TRUE(Body(r503).contains("message"));
    EXPECT_EQ(Get(Path("/pulls"))->status, 200);
    EXPECT_EQ(fake_.Budget(kToken).remaining, before - 1);  // faults are not charged
    EXPECT_EQ(fake_.PendingFaults().size(), 1u);
    EXPECT_EQ(Get("/users/octo")->status, 500);
    EXPECT_TRUE(fake_.PendingFaults().empty());
}

TEST_F(FakeGithubFaults, CountAppliesToSeveralRequests) {
    Make(5, 0);
    fake_.AddFault({FaultKind::kStatus, 502, 0, 0, "", 2});
    EXPECT_EQ(Get(Path("/pulls"))->status, 502);
    EXPECT_EQ(Get(Path("/issues"))->status, 502);
    EXPECT_EQ(Get(Path("/issues"))->status, 200);
    EXPECT_EQ(fake_.Stats().faults, 2);
}

TEST_F(FakeGithubFaults, SecondaryRateLimitAnd429CarryRetryAfter) {
    Make(5, 0);
    fake_.AddFault({FaultKind::kSecondaryRateLimit, 0, 42, 0, "", 1});
    fake_.AddFault({FaultKind::kTooManyRequests, 0, 7, 0, "", 1});
    auto secondary = Get(Path("/pulls"));
    EXPECT_EQ(secondary->status, 403);
    EXPECT_EQ(secondary->Header("Retry-After"), "42");
    EXPECT_NE(Body(secondary)["message"].get<std::string>().find(
                  "You have exceeded a secondary rate limit"),
              std::string::npos);
    auto too_many = Get(Path("/pulls"));
    EXPECT_EQ(too_many->status, 429);
    EXPECT_EQ(too_many->Header("Retry-After"), "7");
}

TEST_F(FakeGithubFaults, SlowResponse) {
    Make(5, 0, 0);
    fake_.AddFault({FaultKind::kSlow, 0, 0, 300, Path("/pulls"), 1});
    auto t0 = steady_clock::now();
    auto r = Get(Path("/pulls"));
    auto elapsed = steady_clock::now() - t0;
    EXPECT_EQ(r->status, 200);
    EXPECT_GE(elapsed, std::chrono::milliseconds(300));
    EXPECT_EQ(Body(r).size(), 5u);
}

TEST_F(FakeGithubFaults, TruncatedBodyHasFullContentLengthThenCloses) {
    Make(50, 0);
    const std::string full = Get(Path("/pulls?per_page=50"))->body;
    fake_.AddFault({FaultKind::kTruncatedBody, 0, 0, 0, "", 1});
    std::string raw = RawGet(fake_.port(), Path("/pulls?per_page=50"));
    size_t head_end = raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << raw.substr(0, 200);
    std::string head = raw.substr(0, head_end);
    std::string body = raw.substr(head_end + 4);
    EXPECT_EQ(head.rfind("HTTP/1.1 200", 0), 0u);
    EXPECT_NE(head.find("Content-Length: " + std::to_string(full.size())), std::string::npos);
    EXPECT_EQ(body.size(), full.size() / 2);
    EXPECT_EQ(body, full.substr(0, full.size() / 2));
    // An HTTP client sees a failed transfer, and the next request works.
    fake_.AddFault({FaultKind::kTruncatedBody, 0, 0, 0, "", 1});
    EXPECT_FALSE(Get(Path("/pulls?per_page=50")));
    EXPECT_EQ(Get(Path("/pulls?per_page=50"))->body, full);
}

TEST_F(FakeGithubFaults, DroppedConnectionAnswersNothing) {
    Make(5, 0);
    fake_.AddFault({FaultKind::kDropConnection, 0, 0, 0, "", 1});
    EXPECT_EQ(RawGet(fake_.port(), Path("/pulls")), "");
    fake_.AddFault({FaultKind::kDropConnection, 0, 0, 0, "", 1});
    auto r = Get(Path("/pulls"));
    EXPECT_FALSE(r);
    EXPECT_EQ(Get(Path("/pulls"))->status, 200);
}

// ---- counting, errors ----

using FakeGithubStats = FakeGithubTest;

TEST_F(FakeGithubStats, CountsRequestsPerPathAnd304s) {
    Make(120, 0, 0);
    All(Path("/pulls?per_page=50"));  // 3 requests
    auto one = Get(Path("/pulls/7"));
    Get(Path("/pulls/7"), {{"If-None-Match", one->Header("ETag")}});
    Get("/nowhere");
    client_->Get("/_fake/stats");  // the control API is not counted
    auto s = fake_.Stats();
    EXPECT_EQ(s.total, 6);
    EXPECT_EQ(s.not_modified, 1);
    EXPECT_EQ(s.per_path[Path("/pulls")], 3);
    EXPECT_EQ(s.per_path[Path("/pulls/7")], 2);
    EXPECT_EQ(s.per_path["/nowhere"], 1);
    ASSERT_EQ(s.urls.size(), 6u);
    EXPECT_EQ(s.urls[0], Path("/pulls?per_page=50"));
    EXPECT_EQ(s.urls[1], Path("/pulls?page=2&per_page=50"));
    fake_.ResetStats();
    EXPECT_EQ(fake_.Stats().total, 0);
    EXPECT_TRUE(fake_.Stats().urls.empty());
}

TEST_F(FakeGithubStats, NotFoundHasGithubShape) {
    Make(5, 0);
    const std::vector<std::string> paths = {"/repos/octo/nope",     Path("/pulls/999"),
                                            Path("/issues/999"),    Path("/labels/nope"),
                                            Path("/milestones/99"), Path("/hooks/1"),
                                            "/users/nobody",        "/completely/unknown/path"};
    for (const auto& path : paths) {
        auto r = Get(path);
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 404) << path;
        auto b = Body(r);
        EXPECT_EQ(b["message"], "Not Found") << path;
        EXPECT_EQ(b["documentation_url"].get<std::string>().rfind("https://docs.github.com/", 0),
                  0u)
            << path;
    }
}

// ---- data ----

using FakeGithubData = FakeGithubTest;

TEST_F(FakeGithubData, GeneratesFiveThousandPullsQuickly) {
    GenerateOptions o;
    o.pulls = 5000;
    o.issues = 1000;
    auto t0 = steady_clock::now();
    auto g = fake_.Generate("octo", "big", o);
    // Timings are printed, not asserted: speed is measured by the benchmarks.
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t0);
    std::printf("generated 5000 pulls, 1000 issues in %lld ms\n",
                static_cast<long long>(ms.count()));
    EXPECT_EQ(g.pull_numbers.size(), 5000u);
    EXPECT_EQ(g.issue_numbers.size(), 1000u);
    EXPECT_EQ(g.files, 15000);

    int requests = 0;
    auto t1 = steady_clock::now();
    auto pulls = All("/repos/octo/big/pulls?state=all&per_page=100", &requests);
    auto serve_ms = std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - t1);
    std::printf("served 5000 pulls in %d pages in %lld ms\n", requests,
                static_cast<long long>(serve_ms.count()));
    EXPECT_EQ(requests, 50);
    ASSERT_EQ(pulls.size(), 5000u);
    std::set<long long> numbers, ids;
    for (const auto& p : pulls) {
        numbers.insert(p["number"].get<long long>());
        ids.insert(p["id"].get<long long>());
    }
    EXPECT_EQ(numbers, std::set<long long>(g.pull_numbers.begin(), g.pull_numbers.end()));
    EXPECT_EQ(ids.size(), 5000u);
    const json& p = pulls.front();
    for (const char* key : {"url", "id", "node_id", "html_url", "number", "state", "title", "user",
                            "body", "created_at", "updated_at", "closed_at", "merged_at", "labels",
                            "milestone", "head", "base", "_links", "draft"}) {
        EXPECT_TRUE(p.contains(key)) << key;
    }
    EXPECT_FALSE(p.contains("mergeable"));  // single-pull key, not in lists
    EXPECT_EQ(p["head"]["repo"]["full_name"], "octo/big");
    EXPECT_EQ(p["base"]["ref"], "main");
    EXPECT_EQ(p["head"]["sha"].get<std::string>().size(), 40u);
    EXPECT_TRUE(p["user"].contains("login"));

    const long long n = g.pull_numbers[17];
    auto single = Body(Get("/repos/octo/big/pulls/" + std::to_string(n)));
    EXPECT_TRUE(single.contains("mergeable"));
    EXPECT_EQ(single["changed_files"], 3);
    EXPECT_EQ(Body(Get("/repos/octo/big/pulls/" + std::to_string(n) + "/files")).size(), 3u);
    EXPECT_EQ(Body(Get("/repos/octo/big/pulls/" + std::to_string(n) + "/reviews")).size(), 1u);
    auto comments = Body(Get("/repos/octo/big/issues/" + std::to_string(n) + "/comments"));
    ASSERT_EQ(comments.size(), 1u);
    EXPECT_EQ(comments[0]["issue_url"],
              "https://api.github.com/repos/octo/big/issues/" + std::to_string(n));
    auto as_issue = Body(Get("/repos/octo/big/issues/" + std::to_string(n)));
    EXPECT_TRUE(as_issue.contains("pull_request"));
    EXPECT_NE(as_issue["id"], single["id"]);
    EXPECT_EQ(Body(Get("/repos/octo/big/labels")).size(), 8u);
    EXPECT_EQ(Body(Get("/repos/octo/big/labels/good%20first%20issue"))["name"], "good first issue");
    EXPECT_EQ(Body(Get("/repos/octo/big/milestones?state=all")).size(), 3u);
    EXPECT_EQ(Body(Get("/repos/octo/big/milestones/3"))["number"], 3);
    auto hooks = Body(Get("/repos/octo/big/hooks"));
    ASSERT_EQ(hooks.size(), 2u);
    EXPECT_EQ(
        Get("/repos/octo/big/hooks/" + std::to_string(hooks[0]["id"].get<long long>()))->status,
        200);
    EXPECT_EQ(Get("/repos/octo/big/issues/comments?per_page=100")->status, 200);
    EXPECT_EQ(Body(Get("/repos/octo/big"))["full_name"], "octo/big");
    EXPECT_EQ(Body(Get("/users/octo"))["login"], "octo");
    EXPECT_EQ(Body(Get("/user"))["login"], "octo");  // tokens map to the first user
    EXPECT_EQ(Body(Get("/users/octo/repos"))[0]["name"], "big");
    EXPECT_EQ(Body(Get("/user/repos"))[0]["name"], "big");
    EXPECT_EQ(client_->Get("/user")->status, 401);  // anonymous
    fake_.SetTokenUser("alice-token", "dev-alice");
    EXPECT_EQ(Body(client_->Get("/user", {{"Authorization", "token alice-token"}}))["login"],
              "dev-alice");

    // Deterministic: the same seed gives the same content.
    FakeGithub other;
    auto g2 = other.Generate("octo", "big", o);
    EXPECT_EQ(g2.pull_numbers, g.pull_numbers);
    EXPECT_EQ(other.Get({"octo", "big", ItemKind::kPull, std::to_string(n)})->dump(),
              single.dump());
}

TEST_F(FakeGithubData, RecordedFixturesServeAsARepository) {
    fake_.AddRecordedFixtures(testing::DataPath("github/rest/recorded"));
    const std::string repo = "/repos/octokit-fixture-org/hello-world";
    auto r = Get(repo);
    ASSERT_EQ(r->status, 200);
    EXPECT_EQ(Body(r)["full_name"], "octokit-fixture-org/hello-world");
    auto open = Body(Get(repo + "/pulls"));
    EXPECT_EQ(open.size(), 3u);
    EXPECT_EQ(Body(Get(repo + "/pulls?state=all")).size(), 4u);
    auto pull = Body(Get(repo + "/pulls/235"));
    EXPECT_EQ(pull["title"].get<std::string>().empty(), false);
    EXPECT_EQ(pull["merged"], true);
    EXPECT_TRUE(Body(Get(repo + "/pulls/182"))["head"]["repo"].is_null());  // as recorded
    EXPECT_EQ(Body(Get(repo + "/pulls/235/files")).size(), 2u);
    auto issues = Body(Get(repo + "/issues?state=all"));
    EXPECT_EQ(issues.size(), 7u);  // 3 issues + 4 pulls
    EXPECT_EQ(Body(Get(repo + "/labels")).size(), 9u);
    EXPECT_EQ(Body(Get(repo + "/milestones")).size(), 6u);
    EXPECT_EQ(Body(Get(repo + "/hooks")).size(), 3u);
    EXPECT_EQ(Get("/users/sigmavirus24")->status, 200);
    EXPECT_THROW(fake_.AddRecordedFixtures("/nonexistent/folder"), std::runtime_error);
}

TEST_F(FakeGithubData, MutationsShowInListsAndFilters) {
    auto g = Make(20, 10, 0);  // all open
    const long long pull = g.pull_numbers[4];
    const std::string issue = std::to_string(g.issue_numbers[0]);
    const Timestamp later = *ParseTimestamp("2030-01-02T03:04:05Z");
    ASSERT_TRUE(fake_.UpdateItem({"octo", "hello", ItemKind::kPull, std::to_string(pull)},
                                 {{"title", "Renamed"}, {"state", "closed"}}, later));
    EXPECT_FALSE(fake_.UpdateItem({"octo", "hello", ItemKind::kPull, issue}, {{"title", "x"}},
                                  later));  // an issue is not a pull
    auto top = Body(Get(Path("/pulls?state=all&sort=updated&direction=desc&per_page=1")));
    EXPECT_EQ(top[0]["number"], pull);
    EXPECT_EQ(top[0]["title"], "Renamed");
    EXPECT_EQ(top[0]["updated_at"], "2030-01-02T03:04:05Z");
    EXPECT_EQ(top[0]["closed_at"], "2030-01-02T03:04:05Z");
    auto since = Body(Get(Path("/issues?state=all&since=2030-01-01T00:00:00Z")));
    ASSERT_EQ(since.size(), 1u);
    EXPECT_EQ(since[0]["number"], pull);  // the pull's issue entry follows it
    EXPECT_EQ(since[0]["title"], "Renamed");

    ASSERT_TRUE(fake_.DeleteItem({"octo", "hello", ItemKind::kIssue, issue}));
    EXPECT_EQ(Get(Path("/issues/" + issue))->status, 404);
    EXPECT_FALSE(fake_.DeleteItem({"octo", "hello", ItemKind::kIssue, issue}));

    auto added = fake_.AddItem("octo", "hello", ItemKind::kPull, {{"title", "Brand new"}}, later);
    ASSERT_TRUE(added);
    EXPECT_EQ((*added)["number"], 31);
    EXPECT_EQ(Body(Get(Path("/pulls/31")))["title"], "Brand new");
    const Timestamp latest = *ParseTimestamp("2031-01-01T00:00:00Z");
    auto comment =
        fake_.AddItem("octo", "hello", ItemKind::kIssueComment, {{"body", "hi"}}, latest, 31);
    ASSERT_TRUE(comment);
    auto commented = Body(Get(Path("/issues/31")));
    EXPECT_EQ(commented["comments"], 1);
    EXPECT_EQ(commented["updated_at"], "2031-01-01T00:00:00Z");
    EXPECT_EQ(Body(Get(Path("/issues/31/comments")))[0]["body"], "hi");
    auto label =
        fake_.AddItem("octo", "hello", ItemKind::kLabel, {{"name", "needs review"}}, later);
    ASSERT_TRUE(label);
    EXPECT_EQ(Get(Path("/labels/needs%20review"))->status, 200);
    EXPECT_FALSE(
        fake_.AddItem("octo", "hello", ItemKind::kLabel, {{"name", "needs review"}}, later));
}

TEST_F(FakeGithubData, ParallelReadersAndWriters) {
    auto g = Make(300, 0, 0);
    std::atomic<int> failures{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
            TestClient c("127.0.0.1", fake_.port());
            for (int i = 0; i < 20; ++i) {
                auto r = c.Get(Path("/pulls?per_page=100&page=" + std::to_string(1 + (i + t) % 3)),
                               {{"Authorization", "token parallel"}});
                if (!r || r->status != 200 || json::parse(r->body).size() != 100) ++failures;
            }
        });
    }
    const Timestamp at = *ParseTimestamp("2030-01-01T00:00:00Z");
    for (int i = 0; i < 200; ++i) {
        const std::string n = std::to_string(g.pull_numbers[static_cast<size_t>(i) % 300]);
        EXPECT_TRUE(fake_.UpdateItem({"octo", "hello", ItemKind::kPull, n},
                                     {{"title", "edit " + std::to_string(i)}}, at));
    }
    for (auto& r : readers) r.join();
    EXPECT_EQ(failures, 0);
    EXPECT_EQ(fake_.Stats().per_path[Path("/pulls")], 80);
}

TEST(FakeGithubServer, StopDoesNotWaitForIdleKeepAliveConnections) {
    FakeGithub fake;
    ASSERT_TRUE(fake.Start());
    fake.Generate("octo", "hello", {});
    TestClient client("127.0.0.1", fake.port(), {.keep_alive = true});
    ASSERT_EQ(client.Get("/repos/octo/hello")->status, 200);  // the connection stays open
    auto t0 = steady_clock::now();
    fake.Stop();
    EXPECT_LT(steady_clock::now() - t0, std::chrono::seconds(5));
    EXPECT_EQ(fake.port(), 0);
}

// ---- control API and the standalone binary ----

using FakeGithubControl = FakeGithubTest;

TEST_F(FakeGithubControl, DrivesFaultsBudgetsDataAndStats) {
    auto gen =
        client_->Post("/_fake/generate", R"({"owner":"ctl","name":"repo","pulls":40,"issues":0})",
                      "application/json");
    ASSERT_EQ(gen->status, 200) << gen->body;
    EXPECT_EQ(Body(gen)["pull_numbers"].size(), 40u);

    auto fault = client_->Post("/_fake/faults", R"({"kind":"status","status":503,"count":1})",
                               "application/json");
    ASSERT_EQ(fault->status, 200) << fault->body;
    EXPECT_EQ(Get("/repos/ctl/repo/pulls")->status, 503);
    EXPECT_EQ(Get("/repos/ctl/repo/pulls")->status, 200);

    auto budget = client_->Put(
        std::string("/_fake/budgets/") + kToken,
        R"({"limit":10,"remaining":0,"reset":)" + std::to_string(EpochNow() + 600) + "}",
        "application/json");
    ASSERT_EQ(budget->status, 200) << budget->body;
    EXPECT_EQ(Get("/repos/ctl/repo/pulls")->status, 403);
    client_->Put(std::string("/_fake/budgets/") + kToken, R"({"remaining":10})",
                 "application/json");

    auto patch = client_->Patch("/_fake/repos/ctl/repo/pull/4",
                                R"({"patch":{"title":"via control"},"at":"2029-05-05T00:00:00Z"})",
                                "application/json");
    ASSERT_EQ(patch->status, 200) << patch->body;
    auto item = Body(client_->Get("/_fake/repos/ctl/repo/pull/4"));
    EXPECT_EQ(item["title"], "via control");
    EXPECT_EQ(item["updated_at"], "2029-05-05T00:00:00Z");
    auto add = client_->Post("/_fake/repos/ctl/repo/issue", R"({"fields":{"title":"added"}})",
                             "application/json");
    ASSERT_EQ(add->status, 201) << add->body;
    EXPECT_EQ(Body(add)["number"], 41);
    EXPECT_EQ(client_->Delete("/_fake/repos/ctl/repo/issue/41")->status, 200);
    EXPECT_EQ(client_->Delete("/_fake/repos/ctl/repo/issue/41")->status, 404);

    auto stats = Body(client_->Get("/_fake/stats"));
    EXPECT_EQ(stats["total"], 3);
    EXPECT_EQ(stats["rate_limited"], 1);
    EXPECT_EQ(stats["faults"], 1);
    EXPECT_EQ(stats["per_path"]["/repos/ctl/repo/pulls"], 3);
    EXPECT_EQ(client_->Delete("/_fake/stats")->status, 200);
    EXPECT_EQ(fake_.Stats().total, 0);
    EXPECT_EQ(client_->Post("/_fake/faults", R"({"kind":"nonsense"})", "application/json")->status,
              400);
}

TEST(FakeGithubBinary, ServesGeneratedRepositoryUntilSigterm) {
    const std::string binary =
        (std::filesystem::path(FORGEDB_BINARY).parent_path() / "forgedb-fake-forge").string();
    if (!std::filesystem::exists(binary)) GTEST_SKIP() << "not built: " << binary;
    const auto log = std::filesystem::temp_directory_path() /
                     ("fake_forge_" + std::to_string(getpid()) + ".log");
    std::filesystem::remove(log);
    testing::ChildProcess child({binary, "--listen", "127.0.0.1:0", "--generate", "demo/app:250",
                                 "--fixtures", testing::DataPath("github/rest/recorded")},
                                log.string());
    int port = 0;
    for (int i = 0; i < 200 && port == 0; ++i) {
        std::string text = child.Log();
        size_t at = text.find("fake forge listening on http://127.0.0.1:");
        if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
            port = std::stoi(
                text.substr(at + std::string("fake forge listening on http://127.0.0.1:").size()));
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ASSERT_GT(port, 0) << child.Log();
    TestClient client("127.0.0.1", port);
    auto pulls =
        client.Get("/repos/demo/app/pulls?state=all&per_page=100", {{"Authorization", "token x"}});
    ASSERT_TRUE(pulls);
    EXPECT_EQ(pulls->status, 200);
    EXPECT_EQ(PageOf(Links(pulls->Header("Link"))["last"]), 3);
    EXPECT_EQ(client.Get("/repos/octokit-fixture-org/hello-world")->status, 200);
    child.Kill(SIGTERM);
    EXPECT_EQ(child.Wait(), 0);
    std::filesystem::remove(log);
}

}  // namespace
}  // namespace forgedb::fake
