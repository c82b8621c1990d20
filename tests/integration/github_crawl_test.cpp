// GitHub crawls against the fake GitHub over real HTTP, on both backends: a full crawl equals the
// fake's data, a second one costs only 304s, sweeps happen after full scans only, faults and an
// exhausted rate limit delay a crawl without failing it, and the load endpoints queue and report.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_github.hpp"
#include "forgedb/forge/load_params.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/github/forge.hpp"
#include "forgedb/forges/github/load_routes.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/web/load/load_surface.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "ghp_testtoken";

class CrawlTest : public BackendTest {
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
        tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
        tasks::RegisterGithubTasks(registry_, *client_);
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        wopts.retry = queue::RetryPolicy{10ms, 100ms};
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
    }
    void TearDown() override {
        client_.reset();
        http_.reset();  // closes the kept-alive connections first
        fake_.Stop();
    }

    std::int64_t Enqueue(tasks::GithubCrawl c) {
        queue::JobQueue q(tdb().conn(), clock_);
        store::NewJob job;
        job.kind = c.kind;
        job.args = c.ArgsJson();
        job.unique_key = c.UniqueKey();
        auto inserted = q.Enqueue(job);
        EXPECT_TRUE(inserted) << inserted.error().ToString();
        return inserted->id;
    }

    // Runs jobs until the tree of `id` is finished (or `limit` passes); returns its state.
    std::string RunUntilDone(std::int64_t id, std::chrono::seconds limit = 60s) {
        auto deadline = std::chrono::steady_clock::now() + limit;
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

    tasks::GithubCrawl List(std::string resource, std::string state = "all") {
        tasks::GithubCrawl c;
        c.kind = tasks::kGithubListJob;
        c.resource = std::move(resource);
        c.owner = "octo";
        c.repo = "big";
        c.state = std::move(state);
        return c;
    }

    long long Live(const std::string& table) {
        return tdb().Count("SELECT COUNT(*) FROM " + table + " WHERE deleted_at IS NULL");
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
FORGEDB_INSTANTIATE_BACKENDS(CrawlTest);

TEST_P(CrawlTest, FullCrawlEqualsTheFakeAndCostsOneRequestPerPage) {
    fake::GenerateOptions g;
    g.pulls = 250;
    g.issues = 101;
    g.files_per_pull = 2;
    auto repo = fake_.Generate("octo", "big", g);
    tasks::GithubCrawl c;
    c.kind = tasks::kGithubSyncJob;
    c.resource = "repo";
    c.owner = "octo";
    c.repo = "big";
    c.children = true;
    auto id = Enqueue(c);
    ASSERT_EQ(RunUntilDone(id), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 250);
    // GitHub lists pull requests under /issues too.
    EXPECT_EQ(Live("github_issue"), 250 + 101);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue WHERE is_pull_request = ?", {true}),
              250);
    EXPECT_EQ(Live("github_issue_label"), repo.labels);
    EXPECT_EQ(Live("github_milestone"), repo.milestones);
    EXPECT_EQ(Live("github_repository_hook"), repo.hooks);
    // Every row equals the fake's object.
    for (long long n : {repo.pull_numbers.front(), repo.pull_numbers.back()}) {
        auto want = fake_.Get({"octo", "big", fake::ItemKind::kPull, std::to_string(n)});
        ASSERT_TRUE(want);
        auto id_row = (*want)["id"].get<std::int64_t>();
        EXPECT_EQ(tdb().Scalar("SELECT title FROM github_pull_request WHERE id = ?", {id_row}),
                  (*want)["title"].get<std::string>());
        EXPECT_EQ(tdb().Scalar("SELECT state FROM github_pull_request WHERE id = ?", {id_row}),
                  (*want)["state"].get<std::string>());
        EXPECT_EQ(NormTime(tdb().Scalar("SELECT updated_at FROM github_pull_request WHERE id = ?",
                                        {id_row})),
                  (*want)["updated_at"].get<std::string>());
    }
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.per_path["/repos/octo/big/pulls"], 3);   // ceil(250 / 100)
    EXPECT_EQ(stats.per_path["/repos/octo/big/issues"], 4);  // ceil(351 / 100)
    auto tree = *store::LoadJobTree(tdb().conn(), id);
    EXPECT_EQ(tree->state, "succeeded");
    EXPECT_GE(tree->items, 250 + 351);
}

TEST_P(CrawlTest, UnchangedSecondCrawlGetsOnly304s) {
    fake::GenerateOptions g;
    g.pulls = 230;
    fake_.Generate("octo", "big", g);
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls"))), "succeeded");
    auto budget_before = fake_.Budget(kToken);
    fake_.ResetStats();
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls"))), "succeeded");
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.per_path["/repos/octo/big/pulls"], 3);
    EXPECT_EQ(stats.not_modified, stats.total) << "every request of the second crawl was a 304";
    EXPECT_EQ(fake_.Budget(kToken).remaining, budget_before.remaining) << "304s are free";
    EXPECT_EQ(Live("github_pull_request"), 230);
}

TEST_P(CrawlTest, RowsGoneUpstreamAreTombstonedAfterAFullScanOnly) {
    fake::GenerateOptions g;
    g.pulls = 120;
    auto repo = fake_.Generate("octo", "big", g);
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls"))), "succeeded");
    ASSERT_EQ(Live("github_pull_request"), 120);
    long long gone = repo.pull_numbers[5];
    ASSERT_TRUE(fake_.DeleteItem({"octo", "big", fake::ItemKind::kPull, std::to_string(gone)}));
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls", "open"))), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 120) << "an open-only scan deletes nothing";
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls", "all"))), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 119);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request WHERE number = ? AND "
                          "deleted_at IS NOT NULL",
                          {static_cast<std::int64_t>(gone)}),
              1);
    EXPECT_TRUE(
        tdb().Scalar("SELECT pull_requests_last_scanned_at FROM github_repository").has_value());
}

TEST_P(CrawlTest, CrawlThroughFaultsCompletes) {
    fake::GenerateOptions g;
    g.pulls = 350;
    fake_.Generate("octo", "big", g);
    fake_.AddFault({fake::FaultKind::kStatus, 502, 0, 0, "/repos/octo/big/pulls", 2});
    fake_.AddFault({fake::FaultKind::kSecondaryRateLimit, 403, 1, 0, "/repos/octo/big/pulls", 1});
    fake_.AddFault({fake::FaultKind::kTooManyRequests, 429, 1, 0, "/repos/octo/big/pulls", 1});
    fake_.AddFault({fake::FaultKind::kTruncatedBody, 200, 0, 0, "/repos/octo/big/pulls", 1});
    fake_.AddFault({fake::FaultKind::kDropConnection, 200, 0, 0, "/repos/octo/big/pulls", 1});
    ASSERT_EQ(RunUntilDone(Enqueue(List("pulls")), 120s), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 350);
    EXPECT_TRUE(fake_.PendingFaults().empty());
}

TEST_P(CrawlTest, ExhaustedRateLimitReschedulesInsteadOfFailing) {
    fake::GenerateOptions g;
    g.pulls = 50;
    fake_.Generate("octo", "big", g);
    auto reset =
        std::chrono::duration_cast<std::chrono::seconds>((clock_.Now() + 2s).time_since_epoch())
            .count();
    fake_.SetBudget(kToken, 5000, 0, reset);
    auto id = Enqueue(List("pulls"));
    ASSERT_TRUE(workers_->Drain());
    auto tree = *store::LoadJobTree(tdb().conn(), id);
    EXPECT_EQ(tree->state, "queued") << tree->error;
    EXPECT_NE(tree->error.find("rate"), std::string::npos);
    EXPECT_EQ(Live("github_pull_request"), 0);
    ASSERT_EQ(RunUntilDone(id, 30s), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 50);
}

TEST_P(CrawlTest, IncrementalRefreshFetchesOnlyWhatChanged) {
    fake::GenerateOptions g;
    g.pulls = 300;
    g.issues = 0;
    auto repo = fake_.Generate("octo", "big", g);
    auto refresh = List("pulls");
    refresh.kind = tasks::kGithubRefreshJob;
    ASSERT_EQ(RunUntilDone(Enqueue(refresh)), "succeeded");
    EXPECT_EQ(Live("github_pull_request"), 300);
    long long changed = repo.pull_numbers[7];
    ASSERT_TRUE(fake_.UpdateItem({"octo", "big", fake::ItemKind::kPull, std::to_string(changed)},
                                 json{{"title", "changed upstream"}}, clock_.Now()));
    fake_.ResetStats();
    ASSERT_EQ(RunUntilDone(Enqueue(refresh)), "succeeded");
    EXPECT_EQ(fake_.Stats().per_path["/repos/octo/big/pulls"], 1)
        << "sorted by update, the walk stops at the watermark";
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request WHERE title = ?",
                          {std::string("changed upstream")}),
              1);
}

TEST_P(CrawlTest, TokenUsersRepositoriesCarryPermissions) {
    fake_.Generate("octo", "big", {});
    fake_.Generate("octo", "small", {});
    fake_.SetTokenUser(kToken, "octo");
    tasks::GithubCrawl c;
    c.kind = tasks::kGithubListJob;
    c.resource = "my_repos";
    ASSERT_TRUE(tasks::ValidateCrawl(c));
    ASSERT_EQ(RunUntilDone(Enqueue(c)), "succeeded");
    EXPECT_EQ(Live("github_repository"), 2);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_user_repository_association a JOIN "
                          "github_user u ON u.id = a.user_id WHERE u.login = 'octo' AND "
                          "a.can_pull IS NOT NULL"),
              2);
}

TEST_P(CrawlTest, LoadEndpointsQueueAndReport) {
    fake_.Generate("octo", "big", {});
    sources::github::GithubClientOptions options;
    options.base_url = fake_.base_url();
    options.tokens = {kToken};
    forge::Forges forges;
    forges.Add(std::make_unique<github::GithubForge>(github::GithubForgeOptions{}, tdb().db(),
                                                     clock_, options));
    load::LoadSurface surface(tdb().db(), clock_, notifier_, forges, {"s3cret"});
    http::Router router;
    router.AddAll(surface.Routes());
    http::ServerOptions sopts;
    sopts.port = 0;
    http::Server server(router, sopts);
    ASSERT_TRUE(server.Start());
    TestClient cli("127.0.0.1", server.port());
    HttpHeaders auth{{"Authorization", "Bearer s3cret"}};
    EXPECT_EQ(cli.Post("/load/repos/octo/big/pulls", "", "text/plain")->status, 401);
    EXPECT_EQ(
        cli.Post("/load/repos/octo/big/pulls", "", "text/plain", {{"Authorization", "Bearer nope"}})
            ->status,
        401);
    EXPECT_EQ(cli.Post("/load/repos/octo/big/pulls?children=yes", "", "text/plain", auth)->status,
              400);
    EXPECT_EQ(cli.Post("/load/repos/octo/big/pulls?state=merged", "", "text/plain", auth)->status,
              400);
    auto queued = cli.Post("/load/repos/octo/big/pulls?state=all", "", "text/plain", auth);
    ASSERT_EQ(queued->status, 202) << queued->body;
    std::string location = queued->Header("Location");
    ASSERT_EQ(location.rfind("/tasks/status/", 0), 0u);
    auto again = cli.Post("/load/repos/octo/big/pulls?state=all", "", "text/plain", auth);
    EXPECT_EQ(json::parse(again->body)["message"], "already queued");
    EXPECT_EQ(again->Header("Location"), location);
    // A job's status is for the token holder; the scheme matches in any case (RFC 9110).
    EXPECT_EQ(cli.Get(location)->status, 401);
    EXPECT_EQ(cli.Get(location, {{"Authorization", "Bearer nope"}})->status, 401);
    EXPECT_EQ(cli.Get(location, {{"Authorization", "bearer  s3cret"}})->status, 200);
    EXPECT_EQ(cli.Post("/load/repos/octo/big/pulls?state=all", "", "text/plain",
                       {{"Authorization", "BEARER s3cret"}})
                  ->status,
              202);
    auto status = json::parse(cli.Get(location, auth)->body);
    EXPECT_EQ(status["status"], "queued");
    RunUntilDone(status["id"].get<std::int64_t>());
    status = json::parse(cli.Get(location, auth)->body);
    EXPECT_EQ(status["status"], "succeeded");
    EXPECT_EQ(status["progress"]["items"], 100);
    EXPECT_EQ(status["error"], nullptr);
    EXPECT_EQ(cli.Get("/tasks/status/999999", auth)->status, 404);
    EXPECT_EQ(cli.Get("/tasks/status/abc", auth)->status, 400);
    EXPECT_EQ(cli.Get("/tasks/status/999999")->status, 401);
    auto inline_ok = cli.Post("/load/repos/octo/big/issues/1?inline=true", "", "text/plain", auth);
    EXPECT_EQ(inline_ok->status, 200) << inline_ok->body;
    // GitHub's rate-limit picture is copied onto the answer.
    EXPECT_EQ(inline_ok->Header("X-RateLimit-Limit"), "5000");
    EXPECT_EQ(inline_ok->Header("X-RateLimit-Remaining"),
              std::to_string(fake_.Budget(kToken).remaining));
    auto inline_missing =
        cli.Post("/load/repos/octo/big/issues/99999?inline=1", "", "text/plain", auth);
    EXPECT_EQ(inline_missing->status, 404);
    fake_.SetBudget(
        kToken, 5000, 0,
        std::chrono::duration_cast<std::chrono::seconds>((clock_.Now() + 600s).time_since_epoch())
            .count());
    auto limited = cli.Post("/load/repos/octo/big/issues/2?inline=true", "", "text/plain", auth);
    EXPECT_EQ(limited->status, 503);
    EXPECT_FALSE(limited->Header("Retry-After").empty());
    server.Stop();
}

// The real `forgedb work` is killed with SIGKILL while it crawls; a second one takes the expired
// leases over and the crawl ends with every pull request stored once and no job left running.
TEST_P(CrawlTest, WorkerKilledMidCrawlIsResumedByAnother) {
    fake::GenerateOptions g;
    g.pulls = 1500;
    fake_.Generate("octo", "big", g);
    // Slow pages, so that the kill lands in the middle of the crawl.
    fake_.AddFault({fake::FaultKind::kSlow, 200, 0, 300, "/repos/octo/big/pulls", 15});
    auto id = Enqueue(List("pulls"));
    auto start_worker = [&](const std::string& log) {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{FORGEDB_BINARY, "work", "--database", tdb().url(),
                                     "--github-api-url", fake_.base_url(), "--github-token", kToken,
                                     "--workers", "2", "--lease-seconds", "2"},
            (std::filesystem::temp_directory_path() / log).string());
    };
    auto first = start_worker("forgedb_crawl_kill_1_" + std::to_string(getpid()) + ".log");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    // Kill once some pages are in and a page is being fetched (leased, not committed).
    while (std::chrono::steady_clock::now() < deadline &&
           ((*store::LoadJobTree(tdb().conn(), id))->progress_done < 3 ||
            tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'") == 0)) {
        std::this_thread::sleep_for(5ms);
    }
    first->Kill(SIGKILL);
    EXPECT_EQ(first->Wait(), 128 + SIGKILL);
    auto mid = *store::LoadJobTree(tdb().conn(), id);
    EXPECT_GE(mid->progress_done, 3);
    EXPECT_LT(mid->progress_done, 15) << "the kill came after the crawl had ended";
    EXPECT_GT(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'"), 0);
    auto second = start_worker("forgedb_crawl_kill_2_" + std::to_string(getpid()) + ".log");
    deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline &&
           (*store::LoadJobTree(tdb().conn(), id))->state != "succeeded") {
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), id))->state, "succeeded") << second->Log();
    second->Kill(SIGTERM);
    EXPECT_EQ(second->Wait(), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')"), 0);
    EXPECT_EQ(Live("github_pull_request"), 1500);
    EXPECT_EQ(tdb().Count("SELECT COUNT(DISTINCT number) FROM github_pull_request"), 1500);
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), id))->progress_done, 15);
}

TEST(LoadPaths, ParseLikeTheEndpoints) {
    std::multimap<std::string, std::string> none;
    auto c = github::CrawlForPath("/load/repos/o/r/pulls/12/files", none);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->resource, "pull_files");
    EXPECT_EQ(c->number, 12);
    EXPECT_EQ(github::CrawlForPath("/load/repos/o/r/labels/good%20first", none)->name,
              "good%20first");
    EXPECT_EQ(github::CrawlForPath("/load/user/repos", none)->resource, "my_repos");
    std::multimap<std::string, std::string> refresh{{"refresh", "true"}};
    EXPECT_EQ(github::CrawlForPath("/load/repos/o/r/issues", refresh)->kind,
              tasks::kGithubRefreshJob);
    EXPECT_EQ(github::CrawlForPath("/load/repos/o/r/labels", refresh).error().code,
              ErrorCode::kInvalid);
    EXPECT_EQ(github::CrawlForPath("/load/user/alice/repos", none)->username, "alice");
    EXPECT_EQ(github::CrawlForPath("/load/nothing/here", none).error().code, ErrorCode::kNotFound);
    EXPECT_EQ(github::CrawlForPath("/load/repos/o/r/pulls/x", none).error().code,
              ErrorCode::kInvalid);
    EXPECT_FALSE(forge::ParseFlag("inline", std::string_view("yes"), false));
    EXPECT_TRUE(*forge::ParseFlag("inline", std::string_view("1"), false));
    EXPECT_FALSE(*forge::ParseFlag("inline", std::nullopt, false));
}

}  // namespace
}  // namespace forgedb::testing
