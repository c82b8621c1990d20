// The github.contributor crawl against the fake GitHub over real HTTP, on both backends: commits,
// merged pull requests and opened issues of one login in an organisation end up in
// `contribution` exactly as the fake holds them, with a known number of requests; a search over
// GitHub's 1,000-result cap is split; the search rate limit, a secondary limit, incomplete
// results and malformed or truncated answers delay the crawl without storing part of a page; a
// repeat stores the same rows. Also: the fake's GET /search/issues, and the recorded search
// answer of octokit/fixtures through the crawl.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fake_github.hpp"
#include "forgedb/contrib/store.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/job_store.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "ghp_contributor";

Timestamp T(const std::string& text) { return *ParseTimestamp(text); }

long long Epoch(Timestamp t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

long long Pages(long long items) { return std::max(1LL, (items + 99) / 100); }

// What the fake holds for one login in some repositories and a window: the ids of the pull
// requests merged in it and of the plain issues created in it.
struct Expected {
    std::set<std::string> pulls;
    std::set<std::string> issues;
};

class ContributorCrawlTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        ASSERT_TRUE(fake_.Start());
        http_ = sources::MakeCurlHttpClient();
        book_ = std::make_unique<tasks::DbRateLimitBook>(tdb().db(), clock_);
        etags_ = std::make_unique<tasks::DbEtagCache>(tdb().db(), clock_);
        sources::github::GithubClientOptions options;
        options.base_url = fake_.base_url();
        options.tokens = {kToken};
        client_ = std::make_unique<sources::github::GithubClient>(*http_, clock_, *book_, *etags_,
                                                                  options);
        tasks::RegisterGithubTasks(registry_, *client_);
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        // Retries wait long enough for a test to look at the job between two attempts.
        wopts.retry = queue::RetryPolicy{1s, 1s};
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
    }
    void TearDown() override {
        client_.reset();
        http_.reset();
        fake_.Stop();
    }

    std::int64_t Enqueue(const std::string& login, const std::vector<std::string>& orgs,
                         Timestamp start, Timestamp end) {
        queue::JobQueue q(tdb().conn(), clock_);
        auto inserted = q.Enqueue(tasks::GithubContributorCrawl(login, orgs, start, end));
        EXPECT_TRUE(inserted) << inserted.error().ToString();
        EXPECT_TRUE(inserted->created);
        return inserted->id;
    }

    std::string Run(std::int64_t id) {
        auto deadline = std::chrono::steady_clock::now() + 120s;
        for (;;) {
            auto ran = workers_->Drain();
            EXPECT_TRUE(ran) << ran.error().ToString();
            auto tree = store::LoadJobTree(tdb().conn(), id);
            std::string state = (tree && *tree) ? (*tree)->state : "missing";
            if (state == "succeeded" || state == "failed" || state == "dead") return state;
            if (std::chrono::steady_clock::now() > deadline) return "timeout:" + state;
            std::this_thread::sleep_for(20ms);
        }
    }

    // Runs what is due once; returns the job's row.
    store::JobRow RunOnce(std::int64_t id) {
        auto ran = workers_->Drain();
        EXPECT_TRUE(ran) << ran.error().ToString();
        auto job = store::LoadJob(tdb().conn(), id);
        EXPECT_TRUE(job && *job);
        return job && *job ? **job : store::JobRow{};
    }

    Expected Expect(const std::vector<fake::GeneratedRepo>& repos, const std::string& login,
                    Timestamp start, Timestamp end) {
        Expected e;
        auto in = [&](const json& v) {
            if (!v.is_string()) return false;
            auto t = ParseTimestamp(v.get<std::string>());
            return t && *t >= start && *t <= end;
        };
        for (const auto& r : repos) {
            for (long long n : r.pull_numbers) {
                auto p = fake_.Get({r.owner, r.name, fake::ItemKind::kPull, std::to_string(n)});
                EXPECT_TRUE(p);
                if ((*p)["user"]["login"] == login && in((*p)["merged_at"])) {
                    e.pulls.insert(std::to_string((*p)["id"].get<long long>()));
                }
            }
            for (long long n : r.issue_numbers) {
                auto i = fake_.Get({r.owner, r.name, fake::ItemKind::kIssue, std::to_string(n)});
                EXPECT_TRUE(i);
                if ((*i)["user"]["login"] == login && in((*i)["created_at"])) {
                    e.issues.insert(std::to_string((*i)["id"].get<long long>()));
                }
            }
        }
        return e;
    }

    std::set<std::string> Contributions(const std::string& kind, const std::string& account) {
        auto res = tdb().conn().Query(
            "SELECT source_id FROM contribution WHERE platform = 'github' AND kind = ? AND "
            "account = ?",
            {kind, account});
        EXPECT_TRUE(res) << res.error().ToString();
        std::set<std::string> out;
        for (size_t i = 0; res && i < res->rows.size(); ++i) out.insert(res->Text(i, 0));
        return out;
    }

    // Every contribution of `account`, as "kind id time status title project", in order.
    std::vector<std::string> Snapshot(const std::string& account) {
        auto res = tdb().conn().Query(
            "SELECT kind, source_id, time, status, title, project FROM contribution WHERE "
            "account = ? ORDER BY kind, source_id",
            {account});
        EXPECT_TRUE(res) << res.error().ToString();
        std::vector<std::string> out;
        for (size_t i = 0; res && i < res->rows.size(); ++i) {
            out.push_back(res->Text(i, 0) + " " + res->Text(i, 1) + " " + NormTime(res->At(i, 2)) +
                          " " + res->Text(i, 3) + " " + res->Text(i, 4) + " " + res->Text(i, 5));
        }
        return out;
    }

    // Requests whose logged URL starts with `prefix` and contains `needle`.
    static long long Requests(const fake::RequestStats& stats, const std::string& prefix,
                              const std::string& needle = "") {
        long long n = 0;
        for (const auto& url : stats.urls) {
            n += url.rfind(prefix, 0) == 0 && url.find(needle) != std::string::npos;
        }
        return n;
    }

    fake::GenerateOptions Org(const std::string& start) {
        fake::GenerateOptions g;
        g.organization = true;
        g.start = T(start);
        g.spacing = 1h;
        g.comments_per_item = 0;
        g.files_per_pull = 1;
        g.reviews_per_pull = 0;
        g.milestones = 0;
        g.hooks = 0;
        g.labels = 3;
        return g;
    }

    SystemClock clock_;
    fake::FakeGithub fake_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<tasks::DbRateLimitBook> book_;
    std::unique_ptr<tasks::DbEtagCache> etags_;
    std::unique_ptr<sources::github::GithubClient> client_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
};

TEST_P(ContributorCrawlTest, StoresWhatTheFakeHoldsWithTheFewestRequestsAndRepeatsIdempotently) {
    // heavy authors two thirds of core's pulls and issues; some are open, some closed without a
    // merge, some merged or created outside the window. Other organisations are not searched.
    auto g = Org("2024-01-01T00:00:00Z");
    g.pulls = 400;
    g.issues = 250;
    g.closed_percent = 70;
    g.item_authors = {"heavy", "heavy", "other"};
    g.commits = 150;  // hourly: the last 54 are in the window, half of them by heavy
    g.commit_authors = {"heavy", "other"};
    auto core = fake_.Generate("WikiOrg", "core", g);
    g = Org("2024-01-20T00:00:00Z");
    g.pulls = 60;
    g.issues = 40;
    g.seed = 2;
    g.item_authors = {"heavy"};
    auto tools = fake_.Generate("WikiOrg", "tools", g);
    g = Org("2024-01-10T00:00:00Z");
    g.pulls = 40;
    g.issues = 10;
    g.closed_percent = 100;
    g.seed = 3;
    g.item_authors = {"heavy"};
    auto elsewhere = fake_.Generate("OtherOrg", "lib", g);

    const Timestamp start = T("2024-01-05T00:00:00Z");
    const Timestamp end = T("2024-02-10T00:00:00Z");
    const Expected want = Expect({core, tools}, "heavy", start, end);
    const Expected outside = Expect({elsewhere}, "heavy", start, end);
    ASSERT_GT(want.pulls.size(), 100u) << "two pages of merged pull requests";
    ASSERT_GT(want.issues.size(), 100u) << "two pages of issues";
    ASSERT_FALSE(outside.pulls.empty());
    // Merged pull requests of heavy outside the window, and unmerged ones, exist.
    const Expected all =
        Expect({core, tools}, "heavy", T("2000-01-01T00:00:00Z"), T("2100-01-01T00:00:00Z"));
    ASSERT_GT(all.pulls.size(), want.pulls.size());
    ASSERT_GT(all.issues.size(), want.issues.size());

    fake_.ResetStats();
    auto id = Enqueue("Heavy", {"WikiOrg"}, start, end);
    ASSERT_EQ(Run(id), "succeeded");

    EXPECT_EQ(Contributions("pull_request", "heavy"), want.pulls);
    EXPECT_EQ(Contributions("issue", "heavy"), want.issues);
    // Only merged pull requests were fetched, none of another organisation.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"),
              static_cast<long long>(want.pulls.size()));
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request WHERE merged_at IS NULL"), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"),
              static_cast<long long>(want.issues.size()));

    // The view's read of the window.
    store::ContributorAccounts who;
    who.github_login = "heavy";
    who.github_orgs = {"wikiorg"};
    auto rows = store::ListContributions(tdb().conn(), who, start, end);
    ASSERT_TRUE(rows) << rows.error().ToString();
    std::set<std::string> listed_pulls, listed_issues;
    for (const auto& r : *rows) {
        if (r.kind == "pull_request") listed_pulls.insert(r.source_id);
        if (r.kind == "issue") listed_issues.insert(r.source_id);
        EXPECT_EQ(r.project.rfind("WikiOrg/", 0), 0u) << r.kind << " " << r.project;
    }
    EXPECT_EQ(listed_pulls, want.pulls);
    EXPECT_EQ(listed_issues, want.issues);

    // The floor: the organisation's repositories (1 page), each repository's commits (1 page
    // each), the pages of both searches, one request per merged pull request, and no repository
    // lookup (the listing stored them all).
    const long long search_pages = Pages(static_cast<long long>(want.pulls.size())) +
                                   Pages(static_cast<long long>(want.issues.size()));
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.per_path["/orgs/wikiorg/repos"], 1);
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/core/commits"), 1);
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/tools/commits"), 1);
    EXPECT_EQ(stats.per_path["/search/issues"], search_pages);
    EXPECT_EQ(Requests(stats, "/search/issues",
                       "q=is:pr%20is:merged%20author:Heavy%20org:wikiorg%20"
                       "merged:2024-01-05T00:00:00Z..2024-02-10T00:00:00Z"),
              Pages(static_cast<long long>(want.pulls.size())));
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/core/pulls/") +
                  Requests(stats, "/repos/WikiOrg/tools/pulls/"),
              static_cast<long long>(want.pulls.size()));
    EXPECT_EQ(stats.per_path["/repos/WikiOrg/core"] + stats.per_path["/repos/WikiOrg/tools"], 0);
    EXPECT_EQ(stats.total, 1 + 2 + search_pages + static_cast<long long>(want.pulls.size()));
    EXPECT_EQ(stats.rate_limited, 0);

    auto tree = store::LoadJobTree(tdb().conn(), id);
    ASSERT_TRUE(tree && *tree);
    const long long commits =
        tdb().Count("SELECT COUNT(*) FROM github_commit WHERE lower(author_login) = 'heavy'");
    EXPECT_GT(commits, 0);
    EXPECT_EQ((*tree)->items, commits + static_cast<long long>(want.pulls.size()) +
                                  static_cast<long long>(want.issues.size()));
    // The searches' progress marks, one per organisation and search.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM crawl_watermark WHERE source = "
                          "'github.contributor'"),
              2);
    // The search budget is its own.
    auto search_budget = book_->Get(sources::github::TokenId(kToken), "search");
    ASSERT_TRUE(search_budget);
    EXPECT_EQ(search_budget->limit, 30);
    EXPECT_EQ(fake_.Budget(kToken, "search").used(), search_pages);

    // A repeat stores the same rows; pull requests already mirrored as merged are not fetched
    // again, and the unchanged lists answer 304.
    const auto before = Snapshot("heavy");
    const long long repositories = tdb().Count("SELECT COUNT(*) FROM github_repository");
    fake_.ResetStats();
    auto again = Enqueue("Heavy", {"wikiorg"}, start, end);
    ASSERT_NE(again, id);
    ASSERT_EQ(Run(again), "succeeded");
    EXPECT_EQ(Snapshot("heavy"), before);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_repository"), repositories);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"),
              static_cast<long long>(want.pulls.size()));
    stats = fake_.Stats();
    EXPECT_EQ(stats.per_path["/search/issues"], search_pages);
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/core/pulls/") +
                  Requests(stats, "/repos/WikiOrg/tools/pulls/"),
              0);
    EXPECT_EQ(stats.total, 1 + 2 + search_pages);
    EXPECT_EQ(stats.not_modified, 3);
}

TEST_P(ContributorCrawlTest, SplitsAWindowWithMoreResultsThanTheSearchCap) {
    auto g = Org("2024-03-01T00:00:00Z");
    g.pulls = 1500;
    g.issues = 0;
    g.closed_percent = 100;
    g.merged_percent = 100;
    g.spacing = 10min;
    g.item_authors = {"heavy"};
    auto big = fake_.Generate("WikiOrg", "big", g);
    const Timestamp start = T("2024-02-01T00:00:00Z");
    const Timestamp end = T("2024-06-01T00:00:00Z");
    const Expected want = Expect({big}, "heavy", start, end);
    ASSERT_EQ(want.pulls.size(), 1500u);

    // The fake counts them all, and serves the first 1,000 only.
    http::Request probe;
    probe.method = "GET";
    probe.path = "/search/issues";
    probe.query = {{"q", "is:pr is:merged author:heavy org:wikiorg"}, {"per_page", "100"}};
    auto first = fake_.Handle(probe);
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(json::parse(first.body)["total_count"], 1500);
    probe.query.emplace("page", "11");
    EXPECT_EQ(fake_.Handle(probe).status, 422);

    fake_.ResetStats();
    auto id = Enqueue("heavy", {"wikiorg"}, start, end);
    ASSERT_EQ(Run(id), "succeeded");
    EXPECT_EQ(Contributions("pull_request", "heavy"), want.pulls);
    auto stats = fake_.Stats();
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/big/pulls/"), 1500);
    // At least: the whole window's first page, then every result once in pages of 100 over the
    // halves, then the issue search.
    EXPECT_GE(Requests(stats, "/search/issues", "q=is:pr"), 1 + 15);
    // The whole window was asked for once: its first page counts 1,500, so it was split.
    EXPECT_EQ(
        Requests(stats, "/search/issues", "merged:2024-02-01T00:00:00Z..2024-06-01T00:00:00Z"), 1);
    EXPECT_EQ(Requests(stats, "/search/issues", "page=11"), 0);
    EXPECT_EQ(stats.rate_limited, 0);
}

TEST_P(ContributorCrawlTest, SearchRateLimitDelaysTheJobAndLeavesTheCoreBudgetAlone) {
    auto g = Org("2024-01-01T00:00:00Z");
    g.pulls = 40;
    g.issues = 30;
    g.closed_percent = 100;
    g.merged_percent = 100;
    g.item_authors = {"heavy"};
    auto core = fake_.Generate("WikiOrg", "core", g);
    const Timestamp start = T("2023-12-01T00:00:00Z");
    const Timestamp end = T("2024-04-01T00:00:00Z");
    const Expected want = Expect({core}, "heavy", start, end);
    ASSERT_EQ(want.pulls.size(), 40u);
    ASSERT_EQ(want.issues.size(), 30u);

    // The search budget is spent until a reset two seconds ahead: GitHub answers 403.
    fake_.SetBudget(kToken, 30, 0, Epoch(clock_.Now() + 2s), "search");
    fake_.ResetStats();
    auto id = Enqueue("heavy", {"wikiorg"}, start, end);
    auto job = RunOnce(id);
    EXPECT_EQ(job.state, "queued") << job.last_error;
    EXPECT_NE(job.last_error.find("rate limit"), std::string::npos) << job.last_error;
    EXPECT_EQ(job.attempts, 0) << "a rate limit is a wait, not a failed attempt";
    EXPECT_TRUE(Contributions("pull_request", "heavy").empty());
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.rate_limited, 1);
    EXPECT_EQ(stats.per_path["/search/issues"], 1);
    // The core budget paid for the core requests only; the client knows that search is
    // exhausted and core is not.
    EXPECT_EQ(fake_.Budget(kToken, "core").used(), stats.total - 1);
    const auto token = sources::github::TokenId(kToken);
    EXPECT_EQ(book_->Get(token, "search")->remaining, 0);
    EXPECT_GT(book_->Get(token, "core")->remaining, 4900);

    // The next minute has one search left (until two seconds later): the pull request search
    // gets it; the client then holds the issue search back until that reset, and the job resumes
    // after the search it had finished.
    fake_.SetBudget(kToken, 30, 1, Epoch(clock_.Now() + 4s), "search");
    ASSERT_EQ(Run(id), "succeeded");
    EXPECT_EQ(Contributions("pull_request", "heavy"), want.pulls);
    EXPECT_EQ(Contributions("issue", "heavy"), want.issues);
    stats = fake_.Stats();
    EXPECT_EQ(stats.rate_limited, 1);
    EXPECT_EQ(Requests(stats, "/search/issues", "q=is:pr"), 2);
    EXPECT_EQ(Requests(stats, "/search/issues", "q=is:issue"), 1);
    EXPECT_EQ(Requests(stats, "/repos/WikiOrg/core/pulls/"), 40);
    job = RunOnce(id);
    EXPECT_EQ(job.attempts, 1);

    // A secondary limit on a search is a wait as well.
    fake_.AddFault({fake::FaultKind::kSecondaryRateLimit, 403, 1, 0, "/search/issues", 1});
    auto second = Enqueue("heavy", {"wikiorg"}, start, end);
    job = RunOnce(second);
    EXPECT_EQ(job.state, "queued") << job.last_error;
    EXPECT_NE(job.last_error.find("rate limit"), std::string::npos) << job.last_error;
    EXPECT_GT(book_->Get(token, "core")->remaining, 4900);
    ASSERT_EQ(Run(second), "succeeded");
    EXPECT_EQ(Contributions("issue", "heavy"), want.issues);
}

TEST_P(ContributorCrawlTest, BrokenSearchAnswersStoreNoPartialPage) {
    auto g = Org("2024-01-01T00:00:00Z");
    g.pulls = 0;
    g.issues = 250;
    g.item_authors = {"heavy"};
    auto core = fake_.Generate("WikiOrg", "core", g);
    const Timestamp start = T("2023-12-01T00:00:00Z");
    const Timestamp end = T("2024-04-01T00:00:00Z");
    const Expected want = Expect({core}, "heavy", start, end);
    ASSERT_EQ(want.issues.size(), 250u);

    // The pull request search and the first page of issues pass; the second page arrives whole
    // but cut in half.
    fake_.AddFault({fake::FaultKind::kSlow, 200, 0, 0, "/search/issues", 2});
    fake_.AddFault({fake::FaultKind::kMalformedBody, 200, 0, 0, "/search/issues", 1});
    auto id = Enqueue("heavy", {"wikiorg"}, start, end);
    auto job = RunOnce(id);
    EXPECT_EQ(job.state, "queued") << job.last_error;
    EXPECT_EQ(job.attempts, 1);
    EXPECT_NE(job.last_error.find("JSON"), std::string::npos) << job.last_error;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 100);
    EXPECT_EQ(Contributions("issue", "heavy").size(), 100u);

    // The retry reads the issues again from their first page; its second page is cut on the
    // wire this time. The third attempt completes.
    fake_.AddFault({fake::FaultKind::kSlow, 200, 0, 0, "/search/issues", 1});
    fake_.AddFault({fake::FaultKind::kTruncatedBody, 200, 0, 0, "/search/issues", 1});
    ASSERT_EQ(Run(id), "succeeded");
    EXPECT_TRUE(fake_.PendingFaults().empty());
    job = RunOnce(id);
    EXPECT_EQ(job.attempts, 3);
    EXPECT_EQ(Contributions("issue", "heavy"), want.issues);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 250);
}

TEST_P(ContributorCrawlTest, IncompleteResultsAreRetriedNotStored) {
    auto g = Org("2024-01-01T00:00:00Z");
    g.pulls = 30;
    g.issues = 10;
    g.closed_percent = 100;
    g.merged_percent = 100;
    g.item_authors = {"heavy"};
    auto core = fake_.Generate("WikiOrg", "core", g);
    const Timestamp start = T("2023-12-01T00:00:00Z");
    const Timestamp end = T("2024-04-01T00:00:00Z");
    const Expected want = Expect({core}, "heavy", start, end);

    fake_.SetIncompleteSearches(1);
    auto id = Enqueue("heavy", {"wikiorg"}, start, end);
    auto job = RunOnce(id);
    EXPECT_EQ(job.state, "queued") << job.last_error;
    EXPECT_NE(job.last_error.find("incomplete_results"), std::string::npos) << job.last_error;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 0);
    ASSERT_EQ(Run(id), "succeeded");
    EXPECT_EQ(Contributions("pull_request", "heavy"), want.pulls);
    EXPECT_EQ(Contributions("issue", "heavy"), want.issues);
}

// octokit/fixtures' recorded search (two issues of a repository of octokit-fixture-org, found by
// text) served as the answer to the crawl's issue search: the items, which name their repository
// by repository_url only, are stored under the repository that the organisation listing stored.
TEST_P(ContributorCrawlTest, RecordedSearchAnswerIsStored) {
    json scenario = json::parse(
        ReadFile(DataPath("github/rest/recorded/search-issues.octokit-fixtures.raw-fixture.json")));
    json repo, search;
    std::vector<std::pair<std::string, std::string>> search_headers;
    for (const auto& step : scenario) {
        const std::string path = step.value("path", "");
        if (step.value("method", "") == "post" && path.rfind("/orgs/", 0) == 0) {
            repo = step["response"];
        }
        if (step.value("method", "") == "get" && path.rfind("/search/issues", 0) == 0) {
            search = step["response"];
            const auto& raw = step["rawHeaders"];
            for (size_t i = 0; i + 1 < raw.size(); i += 2) {
                std::string name = raw[i];
                if (name.rfind("X-RateLimit-", 0) == 0)
                    search_headers.emplace_back(name, raw[i + 1]);
            }
        }
    }
    ASSERT_TRUE(repo.is_object());
    ASSERT_EQ(search["items"].size(), 2u);
    const std::string org = repo["owner"]["login"];
    const std::string full_name = repo["full_name"];

    http::Router router;
    router.Add({"GET", "/orgs/{org}/repos", [&](const http::Request& r) {
                    if (r.params.at("org") != org) return http::Response::Json(404, "{}");
                    return http::Response::Json(200, json::array({repo}).dump());
                }});
    router.Add({"GET", "/repos/{owner}/{name}/commits",
                [](const http::Request&) { return http::Response::Json(200, "[]"); }});
    router.Add({"GET", "/search/issues", [&](const http::Request& r) {
                    std::string q(r.Query("q").value_or(""));
                    http::Response res = http::Response::Json(
                        200, q.rfind("is:issue", 0) == 0
                                 ? search.dump()
                                 : R"({"total_count":0,"incomplete_results":false,"items":[]})");
                    res.headers = search_headers;
                    return res;
                }});
    http::ServerOptions sopts;
    sopts.port = 0;
    http::Server server(router, sopts);
    ASSERT_TRUE(server.Start());
    sources::github::GithubClientOptions options;
    options.base_url = "http://127.0.0.1:" + std::to_string(server.port());
    options.tokens = {kToken};
    auto http = sources::MakeCurlHttpClient();  // closed before the server stops
    sources::github::GithubClient client(*http, clock_, *book_, *etags_, options);
    tasks::TaskRegistry registry;
    tasks::RegisterGithubTasks(registry, client);
    queue::WorkerOptions wopts;
    wopts.threads = 0;
    queue::WorkerPool workers(
        tdb().db(), clock_, notifier_, [&](queue::JobContext& c) { return registry.Run(c); },
        wopts);

    auto id = Enqueue("octokit-fixture-user-a", {org}, T("2022-07-01T00:00:00Z"),
                      T("2022-08-01T00:00:00Z"));
    ASSERT_TRUE(workers.Drain());
    auto job = store::LoadJob(tdb().conn(), id);
    ASSERT_TRUE(job && *job);
    EXPECT_EQ((*job)->state, "succeeded") << (*job)->last_error;
    http.reset();
    server.Stop();

    const std::int64_t repo_id = repo["id"];
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue WHERE repo_id = ?", {repo_id}), 2);
    for (const auto& item : search["items"]) {
        const std::int64_t issue_id = item["id"];
        EXPECT_EQ(tdb().Scalar("SELECT title FROM github_issue WHERE id = ?", {issue_id}),
                  item["title"].get<std::string>());
        EXPECT_EQ(
            NormTime(tdb().Scalar("SELECT created_at FROM github_issue WHERE id = ?", {issue_id})),
            item["created_at"].get<std::string>());
        auto row = tdb().conn().Query(
            "SELECT account, project, repo_owner, status FROM contribution WHERE kind = 'issue' "
            "AND source_id = ?",
            {std::to_string(issue_id)});
        ASSERT_TRUE(row);
        ASSERT_EQ(row->rows.size(), 1u);
        EXPECT_EQ(row->Text(0, 0), item["user"]["login"].get<std::string>());
        EXPECT_EQ(row->Text(0, 1), full_name);
        EXPECT_EQ(row->Text(0, 2), org);
        EXPECT_EQ(row->Text(0, 3), "open");
    }
    // The recorded rate-limit headers went to the search budget.
    auto budget = book_->Get(sources::github::TokenId(kToken), "search");
    ASSERT_TRUE(budget);
    EXPECT_EQ(budget->limit, 30);
}

FORGEDB_INSTANTIATE_BACKENDS(ContributorCrawlTest);

// The fake's GET /search/issues, without a network.
class FakeGithubSearchTest : public ::testing::Test {
protected:
    http::Response Search(const std::string& q, std::multimap<std::string, std::string> extra = {},
                          const std::string& token = kToken) {
        http::Request req;
        req.method = "GET";
        req.path = "/search/issues";
        if (!q.empty()) req.query.emplace("q", q);
        for (auto& kv : extra) req.query.insert(kv);
        if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
        return fake_.Handle(req);
    }
    static std::string HeaderOf(const http::Response& r, const std::string& name) {
        for (const auto& [k, v] : r.headers) {
            if (k == name) return v;
        }
        return "";
    }

    fake::FakeGithub fake_;
};

TEST_F(FakeGithubSearchTest, AnswersTheQueryGrammarLikeGithub) {
    fake::GenerateOptions g;
    g.organization = true;
    g.pulls = 60;
    g.issues = 40;
    g.closed_percent = 50;
    g.item_authors = {"alice", "bob"};
    g.start = T("2024-01-01T00:00:00Z");
    g.spacing = 1h;
    auto repo = fake_.Generate("Org", "repo", g);

    long long merged_by_alice = 0, issues_by_bob_day2 = 0;
    for (long long n : repo.pull_numbers) {
        auto p = *fake_.Get({"Org", "repo", fake::ItemKind::kPull, std::to_string(n)});
        merged_by_alice += p["user"]["login"] == "alice" && !p["merged_at"].is_null();
    }
    for (long long n : repo.issue_numbers) {
        auto i = *fake_.Get({"Org", "repo", fake::ItemKind::kIssue, std::to_string(n)});
        const std::string created = i["created_at"];
        issues_by_bob_day2 += i["user"]["login"] == "bob" && created.rfind("2024-01-02", 0) == 0;
    }
    ASSERT_GT(merged_by_alice, 0);
    ASSERT_GT(issues_by_bob_day2, 0);

    auto res = Search("is:pr is:merged author:ALICE org:org", {{"per_page", "100"}});
    ASSERT_EQ(res.status, 200) << res.body;
    auto body = json::parse(res.body);
    EXPECT_EQ(body["total_count"], merged_by_alice);
    EXPECT_EQ(body["incomplete_results"], false);
    ASSERT_EQ(body["items"].size(), static_cast<size_t>(merged_by_alice));
    for (const auto& item : body["items"]) {
        EXPECT_EQ(item["user"]["login"], "alice");
        EXPECT_FALSE(item["pull_request"]["merged_at"].is_null());
        EXPECT_TRUE(item["repository_url"].get<std::string>().ends_with("/repos/Org/repo"));
        EXPECT_FALSE(item.contains("repository"));
        EXPECT_TRUE(item.contains("score"));
    }
    EXPECT_EQ(HeaderOf(res, "x-ratelimit-resource"), "search");
    EXPECT_EQ(HeaderOf(res, "x-ratelimit-limit"), "30");
    EXPECT_EQ(HeaderOf(res, "x-ratelimit-remaining"), "29");
    EXPECT_EQ(HeaderOf(res, "Cache-Control"), "no-cache");
    EXPECT_EQ(HeaderOf(res, "ETag"), "");

    // Day ranges include the whole last day; sort=created&order=asc.
    res = Search("is:issue author:bob user:org created:2024-01-02..2024-01-02",
                 {{"sort", "created"}, {"order", "asc"}, {"per_page", "2"}});
    ASSERT_EQ(res.status, 200) << res.body;
    body = json::parse(res.body);
    EXPECT_EQ(body["total_count"], issues_by_bob_day2);
    ASSERT_FALSE(body["items"].empty());
    EXPECT_FALSE(body["items"][0].contains("pull_request"));
    if (body["items"].size() == 2) {
        EXPECT_LE(body["items"][0]["created_at"].get<std::string>(),
                  body["items"][1]["created_at"].get<std::string>());
    }
    if (issues_by_bob_day2 > 2) {
        EXPECT_NE(HeaderOf(res, "Link").find("rel=\"next\""), std::string::npos);
    }
    // Over HTTP, terms separated by '+' or by an encoded space.
    ASSERT_TRUE(fake_.Start());
    TestClient cli("127.0.0.1", fake_.port());
    HttpHeaders auth{{"Authorization", std::string("Bearer ") + kToken}};
    for (const char* q :
         {"is:issue+author:bob+user:org+created:2024-01-02..2024-01-02",
          "is%3Aissue%20author%3Abob%20user%3Aorg%20created%3A2024-01-02..2024-01-02"}) {
        auto got = cli.Get(std::string("/search/issues?q=") + q, auth);
        ASSERT_TRUE(got);
        ASSERT_EQ(got->status, 200) << got->body;
        EXPECT_EQ(json::parse(got->body)["total_count"], issues_by_bob_day2) << q;
    }
    fake_.Stop();  // the client keeps no connection open
    // Exact times: an inclusive range of one second.
    const bool first_is_issue = repo.issue_numbers.front() == 1;
    res = Search("is:issue created:2024-01-01T00:00:00Z..2024-01-01T00:00:00Z");
    EXPECT_EQ(json::parse(res.body)["total_count"].get<long long>(), first_is_issue ? 1 : 0);
    res = Search("created:2024-01-01T00:00:00Z..2024-01-01T00:00:00Z");
    EXPECT_EQ(json::parse(res.body)["total_count"].get<long long>(), 1);

    // Refusals: no query, an account that does not exist, a bad range.
    EXPECT_EQ(Search("").status, 422);
    EXPECT_EQ(Search("is:pr org:nobody").status, 422);
    EXPECT_EQ(Search("is:pr merged:yesterday..today").status, 422);

    // Incomplete results, once.
    fake_.SetIncompleteSearches(1);
    body = json::parse(Search("is:pr author:alice", {{"per_page", "10"}}).body);
    EXPECT_EQ(body["incomplete_results"], true);
    EXPECT_EQ(body["items"].size(), 5u);
    body = json::parse(Search("is:pr author:alice", {{"per_page", "10"}}).body);
    EXPECT_EQ(body["incomplete_results"], false);
    EXPECT_EQ(body["items"].size(), 10u);

    // The search budget runs out on its own; core is untouched.
    fake_.SetBudget(kToken, 30, 0, Epoch(SystemClock().Now() + 30s), "search");
    const int core_before = fake_.Budget(kToken).remaining;
    res = Search("is:pr");
    EXPECT_EQ(res.status, 403);
    EXPECT_EQ(HeaderOf(res, "x-ratelimit-remaining"), "0");
    EXPECT_EQ(HeaderOf(res, "x-ratelimit-resource"), "search");
    EXPECT_EQ(fake_.Budget(kToken).remaining, core_before);
    EXPECT_EQ(fake_.Stats().rate_limited, 1);
}

}  // namespace
}  // namespace forgedb::testing
