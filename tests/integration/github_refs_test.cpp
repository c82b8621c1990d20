// Releases, branches and tags on both backends: every recorded `release`, `create` and `delete`
// delivery through the webhook endpoint; the ordering rules when deliveries arrive out of order
// (driven through ProcessEvent with chosen receive times); the releases, branches and tags
// crawls against the fake GitHub, with 304s on a second crawl and the sweep of a full scan.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fake_github.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/github/events.hpp"
#include "forgedb/forges/github/load_routes.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/job_store.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string Str(const json& v) { return v.is_null() ? "NULL" : v.get<std::string>(); }

// ---------------------------------------------------------------------------------------------
// Recorded deliveries through the endpoint

class RefsWebhookTest : public BackendTest {
protected:
    // Delivers `body` into a fresh database; returns the delivery's status.
    std::string DeliverFresh(const std::string& event, const std::string& body) {
        tdb_ = TestDatabase::Create(GetParam());
        harness_ = std::make_unique<WebhookHarness>(tdb());
        auto res = harness_->Post(event, body, "d-1");
        EXPECT_TRUE(res);
        if (!res) return "";
        EXPECT_EQ(res->status, 202) << res->body;
        harness_->Drain();
        return tdb().Scalar("SELECT status FROM webhook_delivery").value_or("");
    }
    std::optional<std::string> Col(const std::string& column, std::int64_t id) {
        return tdb().Scalar("SELECT " + column + " FROM github_release WHERE id = ?", {id});
    }

    std::unique_ptr<WebhookHarness> harness_;
};
FORGEDB_INSTANTIATE_BACKENDS(RefsWebhookTest);

TEST_P(RefsWebhookTest, EveryReleaseFixtureIsStored) {
    auto files = ListFiles("github/webhooks/release");
    ASSERT_GE(files.size(), 6u);
    std::set<std::string> actions;
    for (const auto& f : files) {
        SCOPED_TRACE(f);
        json p = json::parse(ReadFile(f));
        const std::string action = p["action"];
        actions.insert(action);
        ASSERT_EQ(DeliverFresh("release", p.dump()), "processed")
            << tdb().Scalar("SELECT error FROM webhook_delivery").value_or("");
        const json& r = p["release"];
        auto id = r["id"].get<std::int64_t>();
        EXPECT_EQ(Col("repo_id", id), std::to_string(p["repository"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Col("tag_name", id), r["tag_name"].get<std::string>());
        EXPECT_EQ(Col("target_commitish", id), r["target_commitish"].get<std::string>());
        EXPECT_EQ(Col("name", id).value_or("NULL"), Str(r["name"]));
        EXPECT_EQ(Col("html_url", id), r["html_url"].get<std::string>());
        EXPECT_EQ(Col("author_login", id), r["author"]["login"].get<std::string>());
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_release WHERE id = ? AND prerelease = ? "
                              "AND draft = ?",
                              {id, r["prerelease"].get<bool>(), r["draft"].get<bool>()}),
                  1);
        EXPECT_EQ(NormTime(Col("created_at", id)), Str(r["created_at"]));
        EXPECT_EQ(NormTime(Col("published_at", id)), Str(r["published_at"]));
        EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = ?",
                               {r["author"]["id"].get<std::int64_t>()}),
                  r["author"]["login"].get<std::string>());
        EXPECT_EQ(Col("deleted_at", id).has_value(), action == "deleted");
        // The generated column is the later stamp: here the delivery's receive time.
        EXPECT_EQ(NormTime(Col("last_replicated_at", id)),
                  NormTime(Col("last_replicated_via_webhook_at", id)));
        EXPECT_EQ(NormTime(Col("last_replicated_via_webhook_at", id)),
                  NormTime(tdb().Scalar("SELECT received_at FROM webhook_delivery")));
        harness_.reset();
    }
    for (const char* a : {"created", "deleted", "edited", "prereleased", "published", "released"})
        EXPECT_TRUE(actions.count(a)) << a;
}

TEST_P(RefsWebhookTest, UnpublishedReleaseBecomesADraft) {
    json p = json::parse(ReadFile(DataPath("github/webhooks/release/published.payload.json")));
    p["action"] = "unpublished";
    p["release"]["draft"] = true;
    p["release"]["published_at"] = nullptr;
    ASSERT_EQ(DeliverFresh("release", p.dump()), "processed");
    auto id = p["release"]["id"].get<std::int64_t>();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_release WHERE id = ? AND draft = ? AND "
                          "published_at IS NULL",
                          {id, true}),
              1);
}

TEST_P(RefsWebhookTest, CreateAndDeleteFixturesWriteRefs) {
    for (const char* event : {"create", "delete"}) {
        for (const auto& f : ListFiles(std::string("github/webhooks/") + event)) {
            SCOPED_TRACE(f);
            json p = json::parse(ReadFile(f));
            ASSERT_EQ(DeliverFresh(event, p.dump()), "processed")
                << tdb().Scalar("SELECT error FROM webhook_delivery").value_or("");
            auto repo_id = p["repository"]["id"].get<std::int64_t>();
            const std::string type = p["ref_type"];
            const std::string name = p["ref"];
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref"), 1);
            auto deleted = tdb().Scalar(
                "SELECT deleted_at FROM github_ref WHERE repo_id = ? AND ref_type = ? AND name = ?",
                {repo_id, type, name});
            EXPECT_EQ(deleted.has_value(), std::string(event) == "delete");
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref WHERE sha IS NULL AND "
                                  "last_replicated_via_webhook_at IS NOT NULL AND "
                                  "last_replicated_at = last_replicated_via_webhook_at"),
                      1);
            EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = ?",
                                   {p["sender"]["id"].get<std::int64_t>()}),
                      p["sender"]["login"].get<std::string>());
            harness_.reset();
        }
    }
}

TEST_P(RefsWebhookTest, CreateWithoutRefFailsThatDeliveryOnly) {
    json p = json::parse(ReadFile(DataPath("github/webhooks/create/payload.json")));
    p.erase("ref");
    ASSERT_EQ(DeliverFresh("create", p.dump()), "failed");
    auto error = tdb().Scalar("SELECT error FROM webhook_delivery");
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("create payload has no 'ref' string"), std::string::npos) << *error;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref"), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_repository"), 0) << "rolled back";
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'succeeded'"), 1);

    // A good delivery after it goes through.
    auto good = ReadFile(DataPath("github/webhooks/create/payload.json"));
    ASSERT_EQ(harness_->Post("create", good, "d-2")->status, 202);
    harness_->Drain();
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = 'd-2'"),
              "processed");

    json wrong = json::parse(good);
    wrong["ref"] = 42;
    ASSERT_EQ(harness_->Post("delete", wrong.dump(), "d-3")->status, 202);
    harness_->Drain();
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = 'd-3'"),
              "failed");
}

TEST_P(RefsWebhookTest, RepositoryRefTypeIsIgnored) {
    json p = json::parse(ReadFile(DataPath("github/webhooks/create/payload.json")));
    p["ref_type"] = "repository";
    EXPECT_EQ(DeliverFresh("create", p.dump()), "ignored");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref"), 0);
}

// ---------------------------------------------------------------------------------------------
// Out-of-order deliveries, with receive times chosen by the test

class RefsOrderingTest : public BackendTest {
protected:
    static Timestamp At(int minute) {
        return *ParseTimestamp("2024-03-01T12:00:00Z") + std::chrono::minutes(minute);
    }
    // Processes `payload` as the delivery of `event` received at `at`; returns the outcome.
    std::string Process(const std::string& event, const json& payload, Timestamp at) {
        auto parsed = ParseOnThisThread(payload.dump());
        EXPECT_TRUE(parsed);
        process::github::Context ctx{tdb().conn(), model::github::Via::kWebhook, at, nullptr};
        auto r = process::github::ProcessEvent(event, *parsed, ctx);
        EXPECT_TRUE(r) << r.error().ToString();
        return r ? process::github::EventOutcomeName(r->outcome) : "error";
    }
    json Release(const std::string& action) {
        json p = json::parse(ReadFile(DataPath("github/webhooks/release/published.payload.json")));
        p["action"] = action;
        return p;
    }
    json Ref(const std::string& event, const std::string& name, const std::string& type) {
        json p = json::parse(ReadFile(DataPath("github/webhooks/" + event + "/payload.json")));
        p["ref"] = name;
        p["ref_type"] = type;
        return p;
    }
    std::optional<std::string> ReleaseCol(const std::string& column) {
        return tdb().Scalar("SELECT " + column + " FROM github_release");
    }
    std::optional<std::string> RefCol(const std::string& column, const std::string& name) {
        return tdb().Scalar("SELECT " + column + " FROM github_ref WHERE name = ?", {name});
    }
};
FORGEDB_INSTANTIATE_BACKENDS(RefsOrderingTest);

TEST_P(RefsOrderingTest, DeletedReleaseStaysDeletedWhenALateCreatedArrives) {
    EXPECT_EQ(Process("release", Release("deleted"), At(10)), "processed");
    // Sent before the deletion, received after it; and one received earlier, processed later.
    EXPECT_EQ(Process("release", Release("created"), At(11)), "stale");
    EXPECT_EQ(Process("release", Release("published"), At(12)), "stale");
    EXPECT_EQ(Process("release", Release("edited"), At(5)), "stale");
    EXPECT_EQ(NormTime(ReleaseCol("deleted_at")), "2024-03-01T12:10:00Z");
}

TEST_P(RefsOrderingTest, RepeatedReleaseDeleteKeepsTheFirstDeletedAt) {
    EXPECT_EQ(Process("release", Release("deleted"), At(10)), "processed");
    EXPECT_EQ(Process("release", Release("deleted"), At(20)), "stale");
    EXPECT_EQ(NormTime(ReleaseCol("deleted_at")), "2024-03-01T12:10:00Z");
    EXPECT_EQ(NormTime(ReleaseCol("last_replicated_via_webhook_at")), "2024-03-01T12:10:00Z");
}

TEST_P(RefsOrderingTest, CreatedOrPublishedNeverOverwriteANewerState) {
    json edited = Release("edited");
    edited["release"]["name"] = "Renamed";
    EXPECT_EQ(Process("release", edited, At(10)), "processed");
    json published = Release("published");
    published["release"]["name"] = "Old name";
    EXPECT_EQ(Process("release", published, At(8)), "stale") << "received before the edit";
    json created = Release("created");
    created["release"]["name"] = "First name";
    EXPECT_EQ(Process("release", created, At(12)), "stale") << "created is the first state";
    EXPECT_EQ(ReleaseCol("name"), "Renamed");
    // A publication older than the stored one is stale whatever its receive time (unpublished,
    // then published again).
    json republished = Release("published");
    republished["release"]["published_at"] = "2019-06-01T00:00:00Z";
    EXPECT_EQ(Process("release", republished, At(13)), "processed");
    EXPECT_EQ(Process("release", Release("published"), At(14)), "stale");
    EXPECT_EQ(NormTime(ReleaseCol("published_at")), "2019-06-01T00:00:00Z");
    // A newer updated_at, where GitHub sends one, applies; an older one does not.
    json newer = Release("edited");
    newer["release"]["published_at"] = "2019-06-01T00:00:00Z";
    newer["release"]["updated_at"] = "2019-07-01T00:00:00Z";
    newer["release"]["name"] = "Updated";
    EXPECT_EQ(Process("release", newer, At(15)), "processed");
    newer["release"]["updated_at"] = "2019-06-15T00:00:00Z";
    newer["release"]["name"] = "Older update";
    EXPECT_EQ(Process("release", newer, At(16)), "stale");
    EXPECT_EQ(ReleaseCol("name"), "Updated");
}

TEST_P(RefsOrderingTest, RefCreateRevivesOnlyWhenNewerThanTheDelete) {
    EXPECT_EQ(Process("create", Ref("create", "topic", "branch"), At(1)), "processed");
    EXPECT_EQ(Process("delete", Ref("delete", "topic", "branch"), At(10)), "processed");
    // The create of the old branch, received late but before the delete: stays deleted.
    EXPECT_EQ(Process("create", Ref("create", "topic", "branch"), At(5)), "stale");
    EXPECT_EQ(NormTime(RefCol("deleted_at", "topic")), "2024-03-01T12:10:00Z");
    // A new branch of the same name, created after the delete: revived.
    EXPECT_EQ(Process("create", Ref("create", "topic", "branch"), At(20)), "processed");
    EXPECT_EQ(RefCol("deleted_at", "topic"), std::nullopt);
    EXPECT_EQ(NormTime(RefCol("last_replicated_at", "topic")), "2024-03-01T12:20:00Z");
    // A tag of the same name is another row.
    EXPECT_EQ(Process("delete", Ref("delete", "topic", "tag"), At(21)), "processed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref WHERE name = 'topic' AND "
                          "deleted_at IS NULL AND ref_type = 'branch'"),
              1);
}

TEST_P(RefsOrderingTest, RefDeleteOlderThanTheCreateChangesNothing) {
    EXPECT_EQ(Process("create", Ref("create", "v2", "tag"), At(10)), "processed");
    EXPECT_EQ(Process("delete", Ref("delete", "v2", "tag"), At(5)), "stale");
    EXPECT_EQ(RefCol("deleted_at", "v2"), std::nullopt);
}

TEST_P(RefsOrderingTest, RepeatedRefDeleteKeepsTheFirstDeletedAt) {
    // Deleted before any create was seen: a tombstone row, which an older create cannot lift.
    EXPECT_EQ(Process("delete", Ref("delete", "old", "branch"), At(10)), "processed");
    EXPECT_EQ(Process("delete", Ref("delete", "old", "branch"), At(15)), "processed");
    EXPECT_EQ(Process("delete", Ref("delete", "old", "branch"), At(3)), "stale");
    EXPECT_EQ(Process("create", Ref("create", "old", "branch"), At(2)), "stale");
    EXPECT_EQ(NormTime(RefCol("deleted_at", "old")), "2024-03-01T12:10:00Z");
    EXPECT_EQ(NormTime(RefCol("last_replicated_via_webhook_at", "old")), "2024-03-01T12:15:00Z");
}

// ---------------------------------------------------------------------------------------------
// Crawls against the fake GitHub

constexpr const char* kToken = "ghp_refs";

class RefsCrawlTest : public BackendTest {
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
        wopts.retry = queue::RetryPolicy{10ms, 100ms};
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
    }
    void TearDown() override {
        client_.reset();
        http_.reset();
        fake_.Stop();
    }

    std::string Crawl(const std::string& resource, const std::string& kind = tasks::kGithubListJob,
                      bool children = false) {
        tasks::GithubCrawl c;
        c.kind = kind;
        c.resource = resource;
        c.owner = "octo";
        c.repo = "rel";
        c.children = children;
        queue::JobQueue q(tdb().conn(), clock_);
        store::NewJob job;
        job.kind = c.kind;
        job.args = c.ArgsJson();
        job.unique_key = c.UniqueKey();
        auto inserted = q.Enqueue(job);
        EXPECT_TRUE(inserted);
        if (!inserted) return "enqueue failed";
        auto deadline = std::chrono::steady_clock::now() + 60s;
        for (;;) {
            EXPECT_TRUE(workers_->Drain());
            auto tree = store::LoadJobTree(tdb().conn(), inserted->id);
            std::string state = (tree && *tree) ? (*tree)->state : "missing";
            if (state == "succeeded" || state == "failed" || state == "dead") return state;
            if (std::chrono::steady_clock::now() > deadline) return "timeout:" + state;
            std::this_thread::sleep_for(20ms);
        }
    }
    long long LiveRefs(const std::string& type) {
        return tdb().Count(
            "SELECT COUNT(*) FROM github_ref WHERE ref_type = ? AND deleted_at IS NULL", {type});
    }
    long long LiveReleases() {
        return tdb().Count("SELECT COUNT(*) FROM github_release WHERE deleted_at IS NULL");
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
FORGEDB_INSTANTIATE_BACKENDS(RefsCrawlTest);

TEST_P(RefsCrawlTest, ListsArePagedSecondCrawlIs304AndSweepsKeepToTheirType) {
    fake::GenerateOptions g;
    g.pulls = 1;
    g.issues = 0;
    g.releases = 130;  // two pages of releases and of tags
    g.branches = 105;  // two pages of branches
    auto repo = fake_.Generate("octo", "rel", g);
    ASSERT_EQ(repo.tags, 130);
    for (const char* list : {"releases", "branches", "tags"}) {
        ASSERT_EQ(Crawl(list), "succeeded") << list;
    }
    EXPECT_EQ(LiveReleases(), 130);
    EXPECT_EQ(LiveRefs("branch"), 105);
    EXPECT_EQ(LiveRefs("tag"), 130);
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.per_path["/repos/octo/rel/releases"], 2);
    EXPECT_EQ(stats.per_path["/repos/octo/rel/branches"], 2);
    EXPECT_EQ(stats.per_path["/repos/octo/rel/tags"], 2);

    // Rows equal the fake's objects.
    auto main = fake_.Get({"octo", "rel", fake::ItemKind::kBranch, "main"});
    ASSERT_TRUE(main);
    EXPECT_EQ(
        tdb().Scalar("SELECT sha FROM github_ref WHERE ref_type = 'branch' AND name = 'main'"),
        (*main)["commit"]["sha"].get<std::string>());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_ref WHERE ref_type = 'branch' AND "
                          "protected = ?",
                          {true}),
              1);
    auto tag = fake_.Get({"octo", "rel", fake::ItemKind::kTag, "v1.7.0"});
    ASSERT_TRUE(tag);
    EXPECT_EQ(tdb().Scalar("SELECT sha FROM github_ref WHERE ref_type = 'tag' AND name = 'v1.7.0'"),
              (*tag)["commit"]["sha"].get<std::string>());
    auto first = tdb().Scalar("SELECT id FROM github_release WHERE tag_name = 'v1.0.0'");
    ASSERT_TRUE(first);
    auto rel = fake_.Get({"octo", "rel", fake::ItemKind::kRelease, *first});
    ASSERT_TRUE(rel);
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_release WHERE id = ?", {std::stoll(*first)}),
              (*rel)["name"].get<std::string>());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_release WHERE prerelease = ?", {true}), 1);
    EXPECT_TRUE(tdb().Scalar("SELECT releases_last_scanned_at FROM github_repository"));
    EXPECT_TRUE(tdb().Scalar("SELECT branches_last_scanned_at FROM github_repository"));
    EXPECT_TRUE(tdb().Scalar("SELECT tags_last_scanned_at FROM github_repository"));

    // Unchanged: every request of a second crawl is a free 304.
    fake_.ResetStats();
    auto budget = fake_.Budget(kToken);
    for (const char* list : {"releases", "branches", "tags"}) {
        ASSERT_EQ(Crawl(list), "succeeded") << list;
    }
    stats = fake_.Stats();
    EXPECT_EQ(stats.total, 6);
    EXPECT_EQ(stats.not_modified, stats.total);
    EXPECT_EQ(fake_.Budget(kToken).remaining, budget.remaining);
    EXPECT_EQ(LiveReleases(), 130);

    // Gone upstream: the full scans tombstone the release and the branch; the branches sweep
    // leaves tags alone, and the tag of the deleted release still exists upstream.
    ASSERT_TRUE(fake_.DeleteItem({"octo", "rel", fake::ItemKind::kRelease, *first}));
    ASSERT_TRUE(fake_.DeleteItem({"octo", "rel", fake::ItemKind::kBranch, "feature/7"}));
    ASSERT_EQ(Crawl("releases"), "succeeded");
    ASSERT_EQ(Crawl("branches"), "succeeded");
    EXPECT_EQ(LiveReleases(), 129);
    EXPECT_TRUE(
        tdb().Scalar("SELECT deleted_at FROM github_release WHERE id = ?", {std::stoll(*first)}));
    EXPECT_EQ(LiveRefs("branch"), 104);
    EXPECT_TRUE(tdb().Scalar(
        "SELECT deleted_at FROM github_ref WHERE ref_type = 'branch' AND name = 'feature/7'"));
    EXPECT_EQ(LiveRefs("tag"), 130);
}

TEST_P(RefsCrawlTest, RepositoryChildrenIncludeReleasesBranchesAndTags) {
    fake::GenerateOptions g;
    g.pulls = 2;
    g.issues = 1;
    auto repo = fake_.Generate("octo", "rel", g);
    ASSERT_EQ(Crawl("repo", tasks::kGithubSyncJob, /*children=*/true), "succeeded");
    EXPECT_EQ(LiveReleases(), repo.releases);
    EXPECT_EQ(LiveRefs("branch"), repo.branches);
    EXPECT_EQ(LiveRefs("tag"), repo.tags);
    EXPECT_GT(repo.releases, 0);
}

TEST_P(RefsCrawlTest, ACrawlDoesNotReviveARefDeletedAfterItsFetch) {
    fake::GenerateOptions g;
    g.pulls = 1;
    g.issues = 0;
    fake_.Generate("octo", "rel", g);
    ASSERT_EQ(Crawl("branches"), "succeeded");
    ASSERT_EQ(LiveRefs("branch"), 2);
    // A delete delivery received after any crawl of this test could have fetched the branch.
    auto payload = json::parse(ReadFile(DataPath("github/webhooks/delete/payload.json")));
    payload["ref"] = "main";
    payload["ref_type"] = "branch";
    payload["repository"]["id"] =
        std::stoll(*tdb().Scalar("SELECT id FROM github_repository LIMIT 1"));
    auto parsed = ParseOnThisThread(payload.dump());
    ASSERT_TRUE(parsed);
    process::github::Context ctx{tdb().conn(), model::github::Via::kWebhook,
                                 clock_.Now() + std::chrono::hours(1), nullptr};
    ASSERT_TRUE(process::github::ProcessEvent("delete", *parsed, ctx));
    ASSERT_EQ(Crawl("branches"), "succeeded");
    EXPECT_EQ(LiveRefs("branch"), 1) << "the crawl's copy is older than the delete";
}

TEST(RefsLoadPaths, ParseLikeTheEndpoints) {
    std::multimap<std::string, std::string> none;
    for (const char* list : {"releases", "branches", "tags"}) {
        auto c = github::CrawlForPath(std::string("/load/repos/o/r/") + list, none);
        ASSERT_TRUE(c) << list;
        EXPECT_EQ(c->kind, tasks::kGithubListJob);
        EXPECT_EQ(c->resource, list);
        EXPECT_EQ(c->UniqueKey(), std::string("github.list:") + list + ":o/r");
    }
}

}  // namespace
}  // namespace forgedb::testing
