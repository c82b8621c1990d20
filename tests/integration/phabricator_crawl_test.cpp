// Phabricator crawls against the fake Conduit over real HTTP, on both backends: authored and
// assigned task crawls equal the fake's data at one request per page, "assigned" is right for a
// user who authored nothing, faults delay a crawl without failing it, configuration errors fail
// it at once with a clear message, incremental crawls walk modifiedStart from the watermark, and
// revisions, projects and single objects are mirrored. The queue's clock is a ManualClock that
// the tests move past back-offs and rate-limit waits.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_conduit.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/crawl_store.hpp"
#include "forgedb/store/job_store.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kToken = "api-crawltesttoken";
constexpr const char* kInstance = "wikimedia";
constexpr const char* kTasksPath = "/api/maniphest.search";
constexpr const char* kUsersPath = "/api/user.search";

std::string Epoch(const json& v) {
    return v.is_null() ? "NULL" : FormatForgeTime(*FromUnixSeconds(v.get<long long>()));
}

long long Pages(long long n) { return std::max(1LL, (n + 99) / 100); }

class PhabricatorCrawlTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        conduit_.SetTokens({kToken});
        ASSERT_TRUE(conduit_.Start());
        http_ = sources::MakeCurlHttpClient();
        client_ = MakeClient(kToken);
        tasks::RegisterPhabricatorTasks(registry_, {{kInstance, client_.get()}});
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
        conduit_.Stop();
    }

    std::unique_ptr<sources::phabricator::ConduitClient> MakeClient(const std::string& token) {
        return std::make_unique<sources::phabricator::ConduitClient>(
            *http_, clock_, sources::phabricator::Instance{kInstance, conduit_.base_url(), token});
    }

    static tasks::PhabricatorCrawl Tasks(std::string author, std::string assigned = "") {
        tasks::PhabricatorCrawl c;
        c.kind = tasks::kPhabricatorTasksJob;
        c.instance = kInstance;
        c.author = std::move(author);
        c.assigned = std::move(assigned);
        return c;
    }

    std::int64_t Enqueue(const tasks::PhabricatorCrawl& c) {
        EXPECT_TRUE(tasks::ValidateCrawl(c));
        queue::JobQueue q(tdb().conn(), clock_);
        auto inserted = q.Enqueue(c.ToJob());
        EXPECT_TRUE(inserted) << inserted.error().ToString();
        return inserted ? inserted->id : 0;
    }

    // Runs jobs until the tree of `id` has finished, moving the clock past every wait.
    std::string RunUntilDone(std::int64_t id) {
        for (int round = 0; round < 100; ++round) {
            auto ran = workers_->Drain();
            EXPECT_TRUE(ran) << ran.error().ToString();
            auto tree = store::LoadJobTree(tdb().conn(), id);
            std::string state = (tree && *tree) ? (*tree)->state : "missing";
            if (state == "succeeded" || state == "failed" || state == "dead") return state;
            clock_.Advance(61s);
        }
        return "unfinished";
    }

    store::JobTree Tree(std::int64_t id) { return **store::LoadJobTree(tdb().conn(), id); }

    std::vector<long long> TaskIds(const std::string& column, const std::string& phid) {
        std::vector<long long> ids;
        auto res = tdb().conn().Query(
            "SELECT id FROM phabricator_task WHERE instance = ? AND " + column + " = ? ORDER BY id",
            {std::string(kInstance), phid});
        EXPECT_TRUE(res);
        for (size_t i = 0; i < res->rows.size(); ++i) ids.push_back(res->Int(i, 0));
        return ids;
    }

    // Every listed task's row holds exactly what the fake serves.
    void ExpectTasksMirrored(const std::vector<long long>& ids) {
        for (long long id : ids) {
            SCOPED_TRACE("T" + std::to_string(id));
            json t = *conduit_.GetTask(id);
            const json& f = t["fields"];
            auto col = [&](const std::string& c) {
                return tdb().Scalar(
                    "SELECT " + c + " FROM phabricator_task WHERE instance = ? AND id = ?",
                    {std::string(kInstance), static_cast<std::int64_t>(id)});
            };
            auto text = [](const json& v) -> std::optional<std::string> {
                if (v.is_null()) return std::nullopt;
                return v.get<std::string>();
            };
            EXPECT_EQ(col("phid"), t["phid"].get<std::string>());
            EXPECT_EQ(col("title"), f["name"].get<std::string>());
            EXPECT_EQ(col("status"), f["status"]["value"].get<std::string>());
            EXPECT_EQ(col("status_name"), f["status"]["name"].get<std::string>());
            EXPECT_EQ(col("priority"), f["priority"]["name"].get<std::string>());
            EXPECT_EQ(col("priority_value"), std::to_string(f["priority"]["value"].get<int>()));
            EXPECT_EQ(col("subtype"), f["subtype"].get<std::string>());
            EXPECT_EQ(col("author_phid"), text(f["authorPHID"]));
            EXPECT_EQ(col("owner_phid"), text(f["ownerPHID"]));
            EXPECT_EQ(col("closer_phid"), text(f["closerPHID"]));
            EXPECT_EQ(NormTime(col("created_at")), Epoch(f["dateCreated"]));
            EXPECT_EQ(NormTime(col("modified_at")), Epoch(f["dateModified"]));
            EXPECT_EQ(NormTime(col("closed_at")), Epoch(f["dateClosed"]));
            EXPECT_EQ(json::parse(col("projects").value_or("null")),
                      t["attachments"]["projects"]["projectPHIDs"]);
            EXPECT_EQ(json::parse(col("raw").value_or("null")), t);
        }
    }

    ManualClock clock_{Timestamp{std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::system_clock::now().time_since_epoch())}};
    fake::FakeConduit conduit_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<sources::phabricator::ConduitClient> client_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
};
FORGEDB_INSTANTIATE_BACKENDS(PhabricatorCrawlTest);

TEST_P(PhabricatorCrawlTest, AuthoredAndAssignedCrawlsEqualTheFakeAtOneRequestPerPage) {
    for (int n : {0, 100, 101, 250}) {
        SCOPED_TRACE("n = " + std::to_string(n));
        std::string name = "user" + std::to_string(n);
        auto user = conduit_.Generate(name, n, {.seed = static_cast<std::uint64_t>(n)});
        ASSERT_EQ(user.authored.size(), static_cast<size_t>(n));
        ASSERT_EQ(user.assigned.size(), static_cast<size_t>(n));

        conduit_.ResetStats();
        auto authored = Enqueue(Tasks(name));
        ASSERT_EQ(RunUntilDone(authored), "succeeded") << Tree(authored).error;
        auto stats = conduit_.Stats();
        EXPECT_EQ(stats.per_path[kTasksPath], Pages(n));
        EXPECT_EQ(stats.per_path[kUsersPath], 1) << "the username is resolved once";
        EXPECT_EQ(stats.total, Pages(n) + 1);
        EXPECT_EQ(TaskIds("author_phid", user.phid), user.authored);
        ExpectTasksMirrored(user.authored);
        EXPECT_EQ(Tree(authored).progress_done, Pages(n));
        EXPECT_EQ(Tree(authored).items, n);

        conduit_.ResetStats();
        auto assigned = Enqueue(Tasks("", name));
        ASSERT_EQ(RunUntilDone(assigned), "succeeded") << Tree(assigned).error;
        stats = conduit_.Stats();
        EXPECT_EQ(stats.per_path[kTasksPath], Pages(n));
        EXPECT_EQ(stats.per_path[kUsersPath], 0) << "the user is mirrored by now";
        EXPECT_EQ(TaskIds("owner_phid", user.phid), user.assigned);
        ExpectTasksMirrored(user.assigned);
        EXPECT_EQ(Tree(assigned).items, n);
        // Pages follow the cursor verbatim, with the constraint and the page size.
        for (const auto& url : stats.urls) {
            EXPECT_NE(url.find("constraints[assigned][0]=" + user.phid), std::string::npos) << url;
            EXPECT_NE(url.find("limit=100"), std::string::npos) << url;
            EXPECT_NE(url.find("attachments[projects]=1"), std::string::npos) << url;
        }
        if (n > 100) {
            EXPECT_NE(stats.urls.back().find("after="), std::string::npos);
        }
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_user WHERE username LIKE 'user%'"), 4);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state <> 'succeeded'"), 0);
}

TEST_P(PhabricatorCrawlTest, AssignedIsRightForAUserWhoAuthoredNothing) {
    auto bob = conduit_.Generate("bob", 0, {.assigned = 30, .others = 40});
    ASSERT_TRUE(bob.authored.empty());
    ASSERT_EQ(bob.assigned.size(), 30u);
    auto assigned = Enqueue(Tasks("", "bob"));
    ASSERT_EQ(RunUntilDone(assigned), "succeeded") << Tree(assigned).error;
    EXPECT_EQ(TaskIds("owner_phid", bob.phid), bob.assigned);
    ExpectTasksMirrored(bob.assigned);
    EXPECT_EQ(tdb().Scalar("SELECT phid FROM phabricator_user WHERE username = 'bob'"), bob.phid);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_task"), 30)
        << "other users' tasks are not fetched";
    auto authored = Enqueue(Tasks("BOB"));  // usernames are case-insensitive
    ASSERT_EQ(RunUntilDone(authored), "succeeded");
    EXPECT_TRUE(TaskIds("author_phid", bob.phid).empty());
}

TEST_P(PhabricatorCrawlTest, UnknownUserFailsAtOnceWithAClearError) {
    conduit_.Generate("alice", 5);
    auto id = Enqueue(Tasks("nobody"));
    EXPECT_EQ(RunUntilDone(id), "failed");
    auto tree = Tree(id);
    EXPECT_NE(tree.error.find("no Phabricator user 'nobody' on wikimedia"), std::string::npos)
        << tree.error;
    EXPECT_EQ(tree.job.attempts, 1);
    EXPECT_EQ(conduit_.Stats().per_path[kTasksPath], 0);
}

TEST_P(PhabricatorCrawlTest, RefusedTokenFailsTheJobOnceWithoutTheToken) {
    conduit_.Generate("alice", 5);
    const std::string wrong = "api-wrongtoken";
    auto bad_client = MakeClient(wrong);
    tasks::TaskRegistry registry;
    tasks::RegisterPhabricatorTasks(registry, {{kInstance, bad_client.get()}});
    queue::WorkerOptions wopts;
    wopts.threads = 0;
    wopts.retry = queue::RetryPolicy{10ms, 100ms};
    queue::WorkerPool workers(
        tdb().db(), clock_, notifier_, [&](queue::JobContext& c) { return registry.Run(c); },
        wopts);
    auto id = Enqueue(Tasks("alice"));
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(workers.Drain());
        clock_.Advance(61s);
    }
    auto tree = Tree(id);
    EXPECT_EQ(tree.state, "failed");
    EXPECT_EQ(tree.job.attempts, 1) << "a refused token is not retried";
    EXPECT_NE(tree.error.find("ERR-INVALID-AUTH"), std::string::npos) << tree.error;
    EXPECT_NE(tree.error.find("--phabricator-token"), std::string::npos) << tree.error;
    EXPECT_EQ(tree.error.find(wrong), std::string::npos) << tree.error;
    EXPECT_EQ(conduit_.Stats().total, 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_task"), 0);
}

TEST_P(PhabricatorCrawlTest, InBandConduitErrorFailsTheJobWithItsMessage) {
    conduit_.Generate("alice", 5);
    conduit_.AddConduitError(
        {"maniphest.search", "ERR-CONDUIT-CORE", "Query overheated (injected).", 1});
    auto id = Enqueue(Tasks("alice"));
    EXPECT_EQ(RunUntilDone(id), "failed");
    auto tree = Tree(id);
    EXPECT_NE(tree.error.find("maniphest.search: ERR-CONDUIT-CORE: Query overheated (injected)."),
              std::string::npos)
        << tree.error;
    EXPECT_EQ(tree.job.attempts, 1);
}

TEST_P(PhabricatorCrawlTest, CrawlThroughFaultsCompletes) {
    auto alice = conduit_.Generate("alice", 250);
    // Faults are taken by the requests in order; a zero-delay "slow" fault lets one request
    // through, so that every page job meets some and none runs out of attempts.
    auto fault = [&](fake::FaultKind kind, int status, const char* path) {
        conduit_.AddFault({kind, status, 1, 0, path, 1});
    };
    fault(fake::FaultKind::kStatus, 500, kUsersPath);
    fault(fake::FaultKind::kStatus, 500, kTasksPath);           // page 1
    fault(fake::FaultKind::kSlow, 200, kTasksPath);             // page 1 succeeds
    fault(fake::FaultKind::kTooManyRequests, 429, kTasksPath);  // page 2
    fault(fake::FaultKind::kTruncatedBody, 200, kTasksPath);
    fault(fake::FaultKind::kSlow, 200, kTasksPath);            // page 2 succeeds
    fault(fake::FaultKind::kDropConnection, 200, kTasksPath);  // page 3
    // Phabricator's own rate limit, in-band with HTTP 200.
    fault(fake::FaultKind::kSecondaryRateLimit, 200, kTasksPath);
    fault(fake::FaultKind::kStatus, 503, kTasksPath);
    auto id = Enqueue(Tasks("alice"));
    ASSERT_EQ(RunUntilDone(id), "succeeded") << Tree(id).error;
    EXPECT_TRUE(conduit_.PendingFaults().empty());
    EXPECT_EQ(TaskIds("author_phid", alice.phid), alice.authored);
    ExpectTasksMirrored(alice.authored);
    EXPECT_EQ(conduit_.Stats().per_path[kTasksPath], 3 + 6) << "three pages, six failed calls";
    auto tree = Tree(id);
    EXPECT_EQ(tree.job.attempts, 3) << "page 1: the user lookup, a 500, then success";
    EXPECT_EQ(Tree(id).progress_done, 3);
    EXPECT_EQ(Tree(id).items, 250);
}

TEST_P(PhabricatorCrawlTest, RateLimitWaitsAtLeastAMinuteWithoutUsingAnAttempt) {
    conduit_.Generate("alice", 5);
    conduit_.AddFault({fake::FaultKind::kTooManyRequests, 429, 1, 0, kUsersPath, 1});
    auto id = Enqueue(Tasks("alice"));
    ASSERT_TRUE(workers_->Drain());
    auto tree = Tree(id);
    EXPECT_EQ(tree.state, "queued") << tree.error;
    EXPECT_NE(tree.error.find("rate limited"), std::string::npos) << tree.error;
    clock_.Advance(30s);
    ASSERT_TRUE(workers_->Drain());
    EXPECT_EQ(Tree(id).state, "queued") << "not due before a minute has passed";
    EXPECT_EQ(conduit_.Stats().total, 1);
    EXPECT_EQ(RunUntilDone(id), "succeeded");
    EXPECT_EQ(Tree(id).job.attempts, 1) << "the wait did not use an attempt";
}

TEST_P(PhabricatorCrawlTest, IncrementalCrawlWalksModifiedStartFromTheWatermark) {
    auto alice = conduit_.Generate("alice", 150, {.assigned = 10});
    auto incremental = Tasks("alice");
    incremental.incremental = true;
    auto first = Enqueue(incremental);
    ASSERT_EQ(RunUntilDone(first), "succeeded") << Tree(first).error;
    EXPECT_EQ(TaskIds("author_phid", alice.phid), alice.authored);
    auto stats = conduit_.Stats();
    for (const auto& url : stats.urls) {
        if (url.rfind(kTasksPath, 0) != 0) continue;
        EXPECT_NE(url.find("order=outdated"), std::string::npos) << url;
        EXPECT_EQ(url.find("modifiedStart"), std::string::npos) << "no watermark yet: " << url;
    }
    // The watermark is the greatest dateModified among the authored tasks.
    long long latest = 0;
    for (long long id : alice.authored) {
        latest =
            std::max(latest, (*conduit_.GetTask(id))["fields"]["dateModified"].get<long long>());
    }
    auto mark = store::GetWatermark(tdb().conn(), "phabricator:wikimedia", "tasks:author=alice");
    ASSERT_TRUE(mark && *mark);
    EXPECT_EQ(FormatForgeTime(**mark), FormatForgeTime(*FromUnixSeconds(latest)));

    // One task changes upstream.
    long long changed = 0;
    for (long long id : alice.authored) {
        auto status = (*conduit_.GetTask(id))["fields"]["status"]["value"].get<std::string>();
        if (status == "open" || status == "stalled") changed = id;
    }
    ASSERT_NE(changed, 0);
    Timestamp at = *FromUnixSeconds(latest) + 24h;
    ASSERT_TRUE(conduit_.UpdateTask(
        changed, {{"fields", {{"name", "changed upstream"}, {"status", {{"value", "resolved"}}}}}},
        at));
    conduit_.ResetStats();
    auto second = Enqueue(incremental);
    ASSERT_EQ(RunUntilDone(second), "succeeded") << Tree(second).error;
    stats = conduit_.Stats();
    EXPECT_EQ(stats.per_path[kTasksPath], 1) << "only what changed since the watermark";
    EXPECT_EQ(stats.per_path[kUsersPath], 0);
    ASSERT_FALSE(stats.urls.empty());
    const long long start = latest - 5 * 60;
    EXPECT_NE(stats.urls.back().find("constraints[modifiedStart]=" + std::to_string(start)),
              std::string::npos)
        << stats.urls.back();
    EXPECT_LT(Tree(second).items, 10) << "the overlap re-reads a few tasks at most";
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_task WHERE id = ?",
                           {static_cast<std::int64_t>(changed)}),
              "changed upstream");
    EXPECT_EQ(tdb().Scalar("SELECT status_name FROM phabricator_task WHERE id = ?",
                           {static_cast<std::int64_t>(changed)}),
              "Resolved");
    EXPECT_EQ(NormTime(tdb().Scalar("SELECT closed_at FROM phabricator_task WHERE id = ?",
                                    {static_cast<std::int64_t>(changed)})),
              FormatForgeTime(at));
    ExpectTasksMirrored(alice.authored);
    mark = store::GetWatermark(tdb().conn(), "phabricator:wikimedia", "tasks:author=alice");
    EXPECT_EQ(FormatForgeTime(**mark), FormatForgeTime(at));
    // A full crawl leaves the watermark alone.
    ASSERT_EQ(RunUntilDone(Enqueue(Tasks("alice"))), "succeeded");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM crawl_watermark"), 1);
}

TEST_P(PhabricatorCrawlTest, RevisionsByAuthorEqualTheFake) {
    auto carol = conduit_.Generate("carol", 0, {.assigned = 0, .revisions = 120});
    conduit_.Generate("dave", 0, {.assigned = 0, .revisions = 7});
    tasks::PhabricatorCrawl c;
    c.kind = tasks::kPhabricatorRevisionsJob;
    c.instance = kInstance;
    c.author = "carol";
    auto id = Enqueue(c);
    ASSERT_EQ(RunUntilDone(id), "succeeded") << Tree(id).error;
    EXPECT_EQ(conduit_.Stats().per_path["/api/differential.revision.search"], 2);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_revision"), 120);
    for (long long rid : carol.revisions) {
        json r = *conduit_.GetRevision(rid);
        const json& f = r["fields"];
        auto col = [&](const std::string& name) {
            return tdb().Scalar("SELECT " + name + " FROM phabricator_revision WHERE id = ?",
                                {static_cast<std::int64_t>(rid)});
        };
        EXPECT_EQ(col("phid"), r["phid"].get<std::string>());
        EXPECT_EQ(col("title"), f["title"].get<std::string>());
        EXPECT_EQ(col("status"), f["status"]["value"].get<std::string>());
        EXPECT_EQ(col("status_name"), f["status"]["name"].get<std::string>());
        EXPECT_EQ(col("author_phid"), carol.phid);
        EXPECT_EQ(col("repository_phid"), f["repositoryPHID"].get<std::string>());
        EXPECT_EQ(col("diff_phid"), f["diffPHID"].get<std::string>());
        EXPECT_EQ(NormTime(col("created_at")), Epoch(f["dateCreated"]));
        EXPECT_EQ(NormTime(col("modified_at")), Epoch(f["dateModified"]));
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_revision WHERE id = ? AND "
                              "closed = ?",
                              {static_cast<std::int64_t>(rid), f["status"]["closed"].get<bool>()}),
                  1);
    }
}

TEST_P(PhabricatorCrawlTest, ProjectCrawlTakesASlugOrAPhid) {
    conduit_.Generate("alice", 120, {.others = 60});
    json project = *conduit_.GetProject("wikidata");
    std::vector<long long> want;
    for (long long id = 1;; ++id) {
        auto t = conduit_.GetTask(id);
        if (!t) break;
        const auto& tagged = (*t)["attachments"]["projects"]["projectPHIDs"];
        if (std::find(tagged.begin(), tagged.end(), project["phid"]) != tagged.end()) {
            want.push_back(id);
        }
    }
    ASSERT_FALSE(want.empty());
    tasks::PhabricatorCrawl c;
    c.kind = tasks::kPhabricatorTasksJob;
    c.instance = kInstance;
    c.project = "wikidata";
    ASSERT_EQ(RunUntilDone(Enqueue(c)), "succeeded");
    EXPECT_EQ(conduit_.Stats().per_path["/api/project.search"], 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_task"),
              static_cast<long long>(want.size()));
    ExpectTasksMirrored(want);
    conduit_.ResetStats();
    c.project = project["phid"].get<std::string>();
    ASSERT_EQ(RunUntilDone(Enqueue(c)), "succeeded");
    EXPECT_EQ(conduit_.Stats().per_path["/api/project.search"], 0);
    c.project = "no-such-project";
    auto missing = Enqueue(c);
    EXPECT_EQ(RunUntilDone(missing), "failed");
    EXPECT_NE(Tree(missing).error.find("no Phabricator project 'no-such-project'"),
              std::string::npos);
}

TEST_P(PhabricatorCrawlTest, ObjectRefreshByPhid) {
    auto alice = conduit_.Generate("alice", 2, {.revisions = 1});
    json task = *conduit_.GetTask(alice.authored.front());
    auto object = [&](const std::string& phid) {
        tasks::PhabricatorCrawl c;
        c.kind = tasks::kPhabricatorObjectJob;
        c.instance = kInstance;
        c.phid = phid;
        return Enqueue(c);
    };
    ASSERT_EQ(RunUntilDone(object(task["phid"].get<std::string>())), "succeeded");
    ExpectTasksMirrored({alice.authored.front()});
    ASSERT_EQ(RunUntilDone(object(alice.phid)), "succeeded");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_user"), 1);
    auto revision = *conduit_.GetRevision(alice.revisions.front());
    ASSERT_EQ(RunUntilDone(object(revision["phid"].get<std::string>())), "succeeded");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_revision"), 1);
    conduit_.ResetStats();
    ASSERT_EQ(RunUntilDone(object("PHID-PSTE-abcdefghijklmnopqrst")), "succeeded");
    EXPECT_EQ(conduit_.Stats().total, 0) << "types that are not mirrored need no call";
    auto gone = object("PHID-TASK-doesnotexistanywhere1");
    EXPECT_EQ(RunUntilDone(gone), "failed");
    EXPECT_EQ(Tree(gone).job.attempts, 1);
}

TEST_P(PhabricatorCrawlTest, UserLookupAndUnknownInstance) {
    conduit_.Generate("alice", 1);
    tasks::PhabricatorCrawl c;
    c.kind = tasks::kPhabricatorUserJob;
    c.instance = kInstance;
    c.username = "Alice";
    ASSERT_TRUE(tasks::RunPhabricatorUserNow(tdb().conn(), *client_, clock_, c));
    EXPECT_EQ(tdb().Scalar("SELECT real_name FROM phabricator_user"), "Alice Example");
    c.username = "zed";
    auto missing = tasks::RunPhabricatorUserNow(tdb().conn(), *client_, clock_, c);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
    EXPECT_EQ(missing.error().message, "no Phabricator user 'zed' on wikimedia");
    c.username = "alice";
    c.instance = "elsewhere";
    auto id = Enqueue(c);
    EXPECT_EQ(RunUntilDone(id), "failed");
    EXPECT_EQ(Tree(id).job.attempts, 1);
    EXPECT_NE(Tree(id).error.find("no Phabricator instance 'elsewhere'"), std::string::npos);
}

// The real `forgedb work` is killed with SIGKILL in the middle of a crawl; a second one takes
// the expired lease over and resumes at the page the first one was fetching, so the crawl ends
// with every task stored once and no job left running.
class PhabricatorKillTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        conduit_.SetTokens({kToken});
        ASSERT_TRUE(conduit_.Start());
        token_file_ = (std::filesystem::temp_directory_path() /
                       ("forgedb_phab_token_" + std::to_string(getpid())))
                          .string();
        std::ofstream(token_file_) << kToken << "\n";
    }
    void TearDown() override {
        conduit_.Stop();
        if (!token_file_.empty()) std::filesystem::remove(token_file_);
    }
    std::unique_ptr<ChildProcess> StartWorker(const std::string& log) {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{
                FORGEDB_BINARY, "work", "--database", tdb().url(), "--phabricator",
                std::string(kInstance) + "=" + conduit_.base_url(), "--phabricator-token",
                std::string(kInstance) + "=" + token_file_, "--workers", "2", "--lease-seconds",
                "2"},
            (std::filesystem::temp_directory_path() / (log + std::to_string(getpid()) + ".log"))
                .string());
    }
    store::JobTree Tree(std::int64_t id) { return **store::LoadJobTree(tdb().conn(), id); }

    SystemClock clock_;
    fake::FakeConduit conduit_;
    std::string token_file_;
};
FORGEDB_INSTANTIATE_BACKENDS(PhabricatorKillTest);

TEST_P(PhabricatorKillTest, WorkerKilledMidCrawlIsResumedByAnother) {
    auto alice = conduit_.Generate("alice", 1500, {.assigned = 0});
    // Slow pages, so that the kill lands while a page is being fetched.
    conduit_.AddFault({fake::FaultKind::kSlow, 200, 0, 300, kTasksPath, 15});
    tasks::PhabricatorCrawl c;
    c.kind = tasks::kPhabricatorTasksJob;
    c.instance = kInstance;
    c.author = "alice";
    queue::JobQueue q(tdb().conn(), clock_);
    auto inserted = q.Enqueue(c.ToJob());
    ASSERT_TRUE(inserted);
    const std::int64_t id = inserted->id;

    auto first = StartWorker("forgedb_phab_kill_1_");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < deadline &&
           (Tree(id).progress_done < 3 ||
            tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'") == 0)) {
        std::this_thread::sleep_for(5ms);
    }
    first->Kill(SIGKILL);
    EXPECT_EQ(first->Wait(), 128 + SIGKILL);
    auto mid = Tree(id);
    EXPECT_GE(mid.progress_done, 3) << first->Log();
    EXPECT_LT(mid.progress_done, 15) << "the kill came after the crawl had ended";
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'"), 1)
        << "the page being fetched is left leased";
    const long long stored_mid = tdb().Count("SELECT COUNT(*) FROM phabricator_task");
    EXPECT_EQ(stored_mid, mid.items) << "rows and progress commit together";

    auto second = StartWorker("forgedb_phab_kill_2_");
    deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline && Tree(id).state != "succeeded") {
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(Tree(id).state, "succeeded") << second->Log();
    second->Kill(SIGTERM);
    EXPECT_EQ(second->Wait(), 0) << second->Log();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')"), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_task"), 1500);
    EXPECT_EQ(tdb().Count("SELECT COUNT(DISTINCT id) FROM phabricator_task WHERE author_phid = ?",
                          {alice.phid}),
              1500);
    EXPECT_EQ(Tree(id).progress_done, 15) << "every page counted once";
    EXPECT_EQ(Tree(id).items, 1500);
    // Identical rows: every stored task equals the fake's.
    for (long long tid : {alice.authored.front(), alice.authored[700], alice.authored.back()}) {
        json t = *conduit_.GetTask(tid);
        EXPECT_EQ(json::parse(tdb()
                                  .Scalar("SELECT raw FROM phabricator_task WHERE id = ?",
                                          {static_cast<std::int64_t>(tid)})
                                  .value_or("null")),
                  t);
    }
}

TEST(PhabricatorCrawl, ValidationKeysAndArguments) {
    tasks::PhabricatorCrawl c;
    c.kind = tasks::kPhabricatorTasksJob;
    c.instance = "wikimedia";
    EXPECT_FALSE(tasks::ValidateCrawl(c)) << "no target";
    c.author = "alice";
    EXPECT_TRUE(tasks::ValidateCrawl(c));
    c.assigned = "bob";
    EXPECT_FALSE(tasks::ValidateCrawl(c)) << "two targets";
    c.assigned.clear();
    c.created_start = *FromUnixSeconds(1700000000);
    c.created_end = *FromUnixSeconds(1600000000);
    EXPECT_FALSE(tasks::ValidateCrawl(c)) << "start after end";
    c.created_end = *FromUnixSeconds(1800000000);
    ASSERT_TRUE(tasks::ValidateCrawl(c));
    EXPECT_EQ(c.UniqueKey(),
              "phabricator.tasks:wikimedia:author=alice:created=2023-11-14T22:13:20Z.."
              "2027-01-15T08:00:00Z");
    tasks::PhabricatorCrawl upper = c;
    upper.author = "ALICE";
    EXPECT_EQ(upper.UniqueKey(), c.UniqueKey()) << "usernames are case-insensitive";
    c.incremental = true;
    c.after = "335";
    auto back = tasks::PhabricatorCrawl::FromArgs(c.ArgsJson());
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(back->ArgsJson(), c.ArgsJson());
    EXPECT_EQ(back->after, "335");
    EXPECT_TRUE(back->incremental);
    EXPECT_EQ(c.ToJob().unique_key, c.UniqueKey());
    EXPECT_EQ(c.ToJob().kind, "phabricator.tasks");

    tasks::PhabricatorCrawl o;
    o.kind = tasks::kPhabricatorObjectJob;
    o.instance = "wikimedia";
    o.phid = "T123";
    EXPECT_FALSE(tasks::ValidateCrawl(o));
    o.phid = "PHID-TASK-abc";
    EXPECT_TRUE(tasks::ValidateCrawl(o));
    EXPECT_EQ(o.UniqueKey(), "phabricator.object:wikimedia:PHID-TASK-abc");
    o.instance = "Bad Name";
    EXPECT_FALSE(tasks::ValidateCrawl(o));
    tasks::PhabricatorCrawl r;
    r.kind = tasks::kPhabricatorRevisionsJob;
    r.instance = "wikimedia";
    EXPECT_FALSE(tasks::ValidateCrawl(r));
    r.author = "carol";
    EXPECT_TRUE(tasks::ValidateCrawl(r));
    r.kind = "phabricator.nothing";
    EXPECT_FALSE(tasks::ValidateCrawl(r));
    EXPECT_FALSE(tasks::PhabricatorCrawl::FromArgs("not json"));
    EXPECT_FALSE(tasks::PhabricatorCrawl::FromArgs(R"({"kind":"phabricator.user"})"));
}

}  // namespace
}  // namespace forgedb::testing
