// Upstream faults, one test per fault and forge client, on both backends (docs/reliability.md,
// R3). Each fake forge serves a three-page crawl (300 items, 100 a page); the fault is queued for
// the request of page 2, or for every request. For each fault the test proves:
//   (a) a fault once, then success: the failing job is retried with backoff (its run_after moves
//       forward; a rate limit waits for exactly the announced time without using an attempt),
//       and the final rows equal those of a crawl without fault into a fresh database;
//   (b) nothing partial: while page 2 fails, the rows stored are exactly those of the pages
//       committed, none of page 2;
//   (c) a persistent fault: the job ends dead after its attempts with an error naming the fault,
//       without the credential, and no row is written. Rate limits are waits, not failures (the
//       queue refunds the attempt, docs/architecture.md): a persistent one keeps the job queued
//       for each announced time, attempts unused, and the crawl completes once it lifts.
// The queue and the clients run on a ManualClock that the test moves; HTTP is real, on loopback.
// Combinations the fakes cannot produce are absent: the primary rate limit (403 with
// X-RateLimit-Remaining: 0) is GitHub's alone, the in-band ERR-RATE-LIMIT Phabricator's alone;
// Gerrit answers its only rate limit as 429.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "fake_conduit.hpp"
#include "fake_gerrit.hpp"
#include "fake_github.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/job_store.hpp"
#include "reliability/mirror_compare.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using std::chrono::seconds;

constexpr const char* kGithubToken = "ghp_faultsecrettoken0123456789";
constexpr const char* kGerritUser = "crawler";
constexpr const char* kGerritPassword = "gerrit-fault-secret-pw";
constexpr const char* kConduitToken = "api-faultsecrettoken";
constexpr const char* kInstance = "test";
constexpr int kItems = 300;      // three full pages of 100
constexpr int kRetryAfter = 90;  // announced by rate limits; above Phabricator's 60 s minimum
// The client gives up on an answer after kClientTimeout; a "timeout" fault answers later.
constexpr std::chrono::milliseconds kClientTimeout{2000};
constexpr int kSlowMs = 4000;

enum class Forge { kGithub, kGerrit, kPhabricator };

const char* ForgeName(Forge f) {
    switch (f) {
        case Forge::kGithub:
            return "github";
        case Forge::kGerrit:
            return "gerrit";
        case Forge::kPhabricator:
            return "phabricator";
    }
    return "?";
}

// One upstream fault, as the fake produces it.
struct FaultCase {
    const char* name;
    fake::FaultKind kind = fake::FaultKind::kStatus;
    int status = 500;
    bool rate_limit = false;        // a wait for an announced time, not a failed attempt
    bool github_primary = false;    // GitHub's exhausted budget (SetBudget), not a queued fault
    std::vector<std::string> says;  // the job's error contains one of these (case-insensitive)
    int wait = kRetryAfter;         // rate limits: the wait announced (or imposed by the client)
};

const FaultCase kHttp500{"HTTP 500", fake::FaultKind::kStatus, 500, false, false, {"HTTP 500"}};
const FaultCase kPrimaryRateLimit{"403 primary rate limit (X-RateLimit-Remaining: 0)",
                                  fake::FaultKind::kStatus,
                                  403,
                                  true,
                                  true,
                                  {"rate limit"}};
const FaultCase kSecondaryRateLimit{"403 secondary rate limit with Retry-After",
                                    fake::FaultKind::kSecondaryRateLimit,
                                    403,
                                    true,
                                    false,
                                    {"HTTP 403"}};
const FaultCase kConduitRateLimit{"Conduit ERR-RATE-LIMIT",
                                  fake::FaultKind::kSecondaryRateLimit,
                                  200,
                                  true,
                                  false,
                                  {"ERR-RATE-LIMIT"},
                                  60};  // in-band, without Retry-After: the client waits a minute
const FaultCase k429{
    "429 Retry-After", fake::FaultKind::kTooManyRequests, 429, true, false, {"429"}};
const FaultCase kTimeout{"timeout", fake::FaultKind::kSlow,  200, false,
                         false,     {"timed out", "timeout"}};
const FaultCase kTruncatedJson{"truncated JSON (complete answer, half a body)",
                               fake::FaultKind::kMalformedBody,
                               200,
                               false,
                               false,
                               {"not complete JSON"}};
const FaultCase kCutBody{
    "body cut by a closed connection", fake::FaultKind::kTruncatedBody, 200, false, false,
    {"closed", "partial", "remaining"}};
const FaultCase kResetConnection{"connection closed without an answer",
                                 fake::FaultKind::kDropConnection,
                                 200,
                                 false,
                                 false,
                                 {"empty reply", "nothing", "reset", "closed"}};

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool Says(const std::string& error, const FaultCase& f) {
    for (const auto& s : f.says) {
        if (Lower(error).find(Lower(s)) != std::string::npos) return true;
    }
    return false;
}

// Seconds since the epoch of a stored job time.
long long StoredSeconds(const std::optional<std::string>& stored) {
    auto t = ParseTimestamp(NormTime(stored));
    EXPECT_TRUE(t) << stored.value_or("NULL");
    return t ? std::chrono::duration_cast<seconds>(t->time_since_epoch()).count() : 0;
}

// One crawl client, registry and queue over one database.
class Crawler {
public:
    Crawler(Forge forge, TestDatabase& db, ManualClock& clock, const std::string& base_url)
        : forge_(forge), db_(db), clock_(clock) {
        sources::CurlOptions copts;
        copts.connect_timeout = 2000ms;
        copts.total_timeout = kClientTimeout;
        http_ = sources::MakeCurlHttpClient(copts);
        switch (forge) {
            case Forge::kGithub: {
                book_ = std::make_unique<tasks::DbRateLimitBook>(db.db(), clock_);
                etags_ = std::make_unique<tasks::DbEtagCache>(db.db(), clock_);
                sources::github::GithubClientOptions o;
                o.base_url = base_url;
                o.tokens = {kGithubToken};
                github_ = std::make_unique<sources::github::GithubClient>(*http_, clock_, *book_,
                                                                          *etags_, o);
                tasks::RegisterGithubTasks(registry_, *github_);
                break;
            }
            case Forge::kGerrit:
                gerrit_ = std::make_unique<sources::gerrit::GerritClient>(
                    *http_, clock_,
                    sources::gerrit::Instance{kInstance, base_url, kGerritUser, kGerritPassword});
                tasks::RegisterGerritTasks(registry_, {{kInstance, gerrit_.get()}});
                break;
            case Forge::kPhabricator:
                conduit_ = std::make_unique<sources::phabricator::ConduitClient>(
                    *http_, clock_,
                    sources::phabricator::Instance{kInstance, base_url, kConduitToken});
                tasks::RegisterPhabricatorTasks(registry_, {{kInstance, conduit_.get()}});
                break;
        }
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        wopts.retry = queue::RetryPolicy{4000ms, 64000ms};
        workers_ = std::make_unique<queue::WorkerPool>(
            db.db(), clock_, notifier_, [this](queue::JobContext& c) { return registry_.Run(c); },
            wopts);
    }
    ~Crawler() {
        workers_.reset();
        github_.reset();
        gerrit_.reset();
        conduit_.reset();
        http_.reset();
    }

    std::int64_t Enqueue() {
        queue::JobQueue q(db_.conn(), clock_);
        store::NewJob job;
        if (forge_ == Forge::kGithub) {
            tasks::GithubCrawl c;
            c.kind = tasks::kGithubListJob;
            c.resource = "pulls";
            c.owner = "octo";
            c.repo = "big";
            c.state = "all";
            job.kind = c.kind;
            job.args = c.ArgsJson();
            job.unique_key = c.UniqueKey();
        } else if (forge_ == Forge::kGerrit) {
            tasks::GerritCrawl c;
            c.kind = tasks::kGerritChangesJob;
            c.instance = kInstance;
            c.query = "owner:alice";
            job = c.ToJob();
        } else {
            tasks::PhabricatorCrawl c;
            c.kind = tasks::kPhabricatorTasksJob;
            c.instance = kInstance;
            c.author = "alice";
            job = c.ToJob();
        }
        auto inserted = q.Enqueue(job);
        EXPECT_TRUE(inserted) << inserted.error().ToString();
        return inserted ? inserted->id : 0;
    }

    void Drain() {
        auto ran = workers_->Drain();
        EXPECT_TRUE(ran) << ran.error().ToString();
    }

    store::JobTree Tree(std::int64_t id) { return **store::LoadJobTree(db_.conn(), id); }

    // Runs jobs until the tree of `id` ends, moving the clock past every wait.
    std::string RunToEnd(std::int64_t id) {
        for (int round = 0; round < 60; ++round) {
            Drain();
            std::string state = Tree(id).state;
            if (state == "succeeded" || state == "failed" || state == "dead") return state;
            clock_.Advance(seconds(kRetryAfter + 1));
        }
        return "unfinished";
    }

    // The mirrored rows of the crawled kind of object.
    long long Rows() {
        switch (forge_) {
            case Forge::kGithub:
                return db_.Count("SELECT COUNT(*) FROM github_pull_request");
            case Forge::kGerrit:
                return db_.Count("SELECT COUNT(*) FROM gerrit_change");
            case Forge::kPhabricator:
                return db_.Count("SELECT COUNT(*) FROM phabricator_task");
        }
        return -1;
    }

private:
    Forge forge_;
    TestDatabase& db_;
    ManualClock& clock_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<tasks::DbRateLimitBook> book_;
    std::unique_ptr<tasks::DbEtagCache> etags_;
    std::unique_ptr<sources::github::GithubClient> github_;
    std::unique_ptr<sources::gerrit::GerritClient> gerrit_;
    std::unique_ptr<sources::phabricator::ConduitClient> conduit_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
};

class UpstreamFaultTest : public BackendTest {
protected:
    void TearDown() override {
        github_.Stop();
        gerrit_.Stop();
        conduit_.Stop();
    }

    // Starts the fake of `forge` with three pages of data; returns its base URL.
    std::string StartFake(Forge forge) {
        switch (forge) {
            case Forge::kGithub: {
                fake::GenerateOptions g;
                g.pulls = kItems;
                g.issues = 0;
                // The fake embeds in each pull a snapshot of its milestone taken while counting,
                // so the nested copies disagree and the stored milestone would depend on the
                // order of pages.
                g.milestones = 0;
                github_.Generate("octo", "big", g);
                EXPECT_TRUE(github_.Start());
                return github_.base_url();
            }
            case Forge::kGerrit:
                gerrit_.Generate("alice", kItems);
                gerrit_.SetPassword(kGerritUser, kGerritPassword);
                EXPECT_TRUE(gerrit_.Start());
                return gerrit_.base_url();
            case Forge::kPhabricator:
                conduit_.SetTokens({kConduitToken});
                conduit_.Generate("alice", kItems);
                EXPECT_TRUE(conduit_.Start());
                return conduit_.base_url();
        }
        return "";
    }

    fake::FakeServer& Fake(Forge forge) {
        if (forge == Forge::kGithub) return github_;
        if (forge == Forge::kGerrit) return gerrit_;
        return conduit_;
    }

    static std::string PagePath(Forge forge) {
        switch (forge) {
            case Forge::kGithub:
                return "/repos/octo/big/pulls";
            case Forge::kGerrit:
                return "/changes/";
            case Forge::kPhabricator:
                return "/api/maniphest.search";
        }
        return "";
    }

    long long Epoch() {
        return std::chrono::duration_cast<seconds>(clock_.Now().time_since_epoch()).count();
    }

    // Queues `f` for the next `count` page requests (after letting `skip` through).
    void QueueFault(Forge forge, const FaultCase& f, int skip, int count) {
        auto& fake = Fake(forge);
        const std::string path = PagePath(forge);
        if (f.github_primary) {
            // The token's budget: `skip` requests left, then 403 with remaining 0 until reset.
            // (the list job first fetches the repository, which is not mirrored yet).
            github_.SetBudget(kGithubToken, 5000, skip > 0 ? skip + 1 : 0, Epoch() + kRetryAfter);
            return;
        }
        if (skip > 0) fake.AddFault({fake::FaultKind::kSlow, 200, 0, 0, path, skip});
        fake::Fault fault;
        fault.kind = f.kind;
        fault.status = f.status;
        fault.retry_after_seconds = kRetryAfter;
        fault.delay_ms = f.kind == fake::FaultKind::kSlow ? kSlowMs : 0;
        fault.path_prefix = path;
        // libcurl sends a request again, once, when a kept-alive connection closes without an
        // answer: a second drop makes the attempt fail.
        fault.count = f.kind == fake::FaultKind::kDropConnection && count == 1 ? 2 : count;
        fake.AddFault(fault);
    }

    // The job of the tree that holds the fault: the oldest queued job with an error.
    std::optional<store::JobRow> FailingJob(TestDatabase& db) {
        auto id =
            db.Scalar("SELECT MIN(id) FROM job WHERE state = 'queued' AND last_error IS NOT NULL");
        if (!id) return std::nullopt;
        auto job = store::LoadJob(db.conn(), std::stoll(*id));
        if (!job || !*job) return std::nullopt;
        return **job;
    }

    void ExpectNoSecret(const std::string& text) {
        for (const char* secret : {kGithubToken, kGerritPassword, kConduitToken}) {
            EXPECT_EQ(text.find(secret), std::string::npos) << text;
        }
    }

    void Run(Forge forge, const FaultCase& f);

    ManualClock clock_{Timestamp{std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch()))}};
    fake::FakeGithub github_{[this] {
        fake::FakeGithubOptions o;
        o.clock = &clock_;
        return o;
    }()};
    fake::FakeGerrit gerrit_;
    fake::FakeConduit conduit_;
};
FORGEDB_INSTANTIATE_BACKENDS(UpstreamFaultTest);

void UpstreamFaultTest::Run(Forge forge, const FaultCase& f) {
    SCOPED_TRACE(std::string(ForgeName(forge)) + " crawl, fault: " + f.name);
    const std::string base = StartFake(forge);
    const std::vector<std::string> tables = {forge == Forge::kGithub   ? "github_"
                                             : forge == Forge::kGerrit ? "gerrit_"
                                                                       : "phabricator_"};
    const std::vector<std::string> infrastructure = {"github_rate_limit", "github_api_etag"};

    // The reference: the same crawl without fault, into a fresh database.
    auto clean_db = TestDatabase::Create(GetParam());
    ASSERT_TRUE(clean_db);
    {
        Crawler clean(forge, *clean_db, clock_, base);
        auto id = clean.Enqueue();
        ASSERT_EQ(clean.RunToEnd(id), "succeeded") << clean.Tree(id).error;
        ASSERT_EQ(clean.Rows(), kItems);
    }

    // (a) and (b): the fault once, on page 2.
    {
        SCOPED_TRACE("fault once, on page 2");
        Crawler crawler(forge, tdb(), clock_, base);
        auto id = crawler.Enqueue();
        QueueFault(forge, f, /*skip=*/1, /*count=*/1);
        const long long before = Epoch();
        crawler.Drain();
        auto failing = FailingJob(tdb());
        ASSERT_TRUE(failing) << "page 2 did not fail: " << crawler.Tree(id).state;
        EXPECT_TRUE(Says(failing->last_error, f)) << failing->last_error;
        ExpectNoSecret(failing->last_error);
        const long long run_after =
            StoredSeconds(tdb().Scalar("SELECT run_after FROM job WHERE id = ?", {failing->id}));
        if (f.rate_limit) {
            EXPECT_EQ(run_after, before + f.wait) << "the announced time is honoured";
            EXPECT_EQ(failing->attempts, 0) << "a rate limit does not use an attempt";
        } else {
            // Backoff of the first retry: between half and all of 4 s.
            EXPECT_GE(run_after, before + 2);
            EXPECT_LE(run_after, before + 4);
            EXPECT_EQ(failing->attempts, 1);
        }
        // (b) Nothing of page 2: the rows are exactly those of the pages committed.
        auto tree = crawler.Tree(id);
        EXPECT_EQ(crawler.Rows(), tree.items);
        EXPECT_LE(crawler.Rows(), kItems - 100);
        EXPECT_GE(crawler.Rows(), 100) << "page 1 is stored";
        // Not due before its time.
        const long long requests = Fake(forge).Stats().total;
        clock_.Advance(seconds(run_after - before - 1));
        crawler.Drain();
        EXPECT_EQ(Fake(forge).Stats().total, requests) << "retried before its run_after";
        EXPECT_EQ(crawler.Tree(id).state, tree.state);
        ASSERT_EQ(crawler.RunToEnd(id), "succeeded") << crawler.Tree(id).error;
        EXPECT_TRUE(Fake(forge).PendingFaults().empty());
        EXPECT_EQ(crawler.Rows(), kItems);
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state <> 'succeeded'"), 0);
        EXPECT_GT(ExpectSameMirror(tdb(), *clean_db, GetParam(), tables, infrastructure), kItems);
    }

    // (c): the fault on every request.
    auto dead_db = TestDatabase::Create(GetParam());
    ASSERT_TRUE(dead_db);
    {
        SCOPED_TRACE("persistent fault");
        Fake(forge).ClearFaults();
        Crawler crawler(forge, *dead_db, clock_, base);
        auto id = crawler.Enqueue();
        if (f.rate_limit) {
            // A wait each time, for the announced time, attempts unused; then it completes.
            QueueFault(forge, f, 0, 1000);
            for (int round = 0; round < 4; ++round) {
                if (f.github_primary) QueueFault(forge, f, 0, 0);  // a new empty budget
                const long long before = Epoch();
                crawler.Drain();
                auto job = crawler.Tree(id);
                EXPECT_EQ(job.state, "queued") << round;
                EXPECT_EQ(job.job.attempts, 0) << round;
                EXPECT_TRUE(Says(job.error, f)) << job.error;
                ExpectNoSecret(job.error);
                EXPECT_EQ(
                    StoredSeconds(dead_db->Scalar("SELECT run_after FROM job WHERE id = ?", {id})),
                    before + f.wait);
                EXPECT_EQ(crawler.Rows(), 0);
                clock_.Advance(seconds(f.wait));
            }
            Fake(forge).ClearFaults();
            if (f.github_primary) github_.SetBudget(kGithubToken, 5000, 5000, Epoch() + 3600);
            ASSERT_EQ(crawler.RunToEnd(id), "succeeded") << crawler.Tree(id).error;
            EXPECT_EQ(crawler.Rows(), kItems);
        } else {
            QueueFault(forge, f, 0, 1000);
            EXPECT_EQ(crawler.RunToEnd(id), "dead") << crawler.Tree(id).error;
            auto tree = crawler.Tree(id);
            EXPECT_EQ(tree.job.attempts, tree.job.max_attempts);
            EXPECT_TRUE(Says(tree.error, f)) << tree.error;
            ExpectNoSecret(tree.error);
            EXPECT_EQ(crawler.Rows(), 0) << "nothing of a page that never came";
        }
        auto errors = dead_db->conn().Query("SELECT last_error FROM job");
        ASSERT_TRUE(errors);
        for (size_t i = 0; i < errors->rows.size(); ++i) ExpectNoSecret(errors->Text(i, 0));
        Fake(forge).ClearFaults();
    }
}

#define FORGEDB_FAULT_TEST(ForgeId, FaultId, fault_case) \
    TEST_P(UpstreamFaultTest, ForgeId##_##FaultId) { Run(Forge::k##ForgeId, fault_case); }

FORGEDB_FAULT_TEST(Github, Http500, kHttp500)
FORGEDB_FAULT_TEST(Github, PrimaryRateLimit403, kPrimaryRateLimit)
FORGEDB_FAULT_TEST(Github, SecondaryRateLimit403, kSecondaryRateLimit)
FORGEDB_FAULT_TEST(Github, TooManyRequests429RetryAfter, k429)
FORGEDB_FAULT_TEST(Github, Timeout, kTimeout)
FORGEDB_FAULT_TEST(Github, TruncatedJson, kTruncatedJson)
FORGEDB_FAULT_TEST(Github, BodyCutByClosedConnection, kCutBody)
FORGEDB_FAULT_TEST(Github, ConnectionClosedWithoutAnswer, kResetConnection)

FORGEDB_FAULT_TEST(Gerrit, Http500, kHttp500)
FORGEDB_FAULT_TEST(Gerrit, TooManyRequests429RetryAfter, k429)
FORGEDB_FAULT_TEST(Gerrit, Timeout, kTimeout)
FORGEDB_FAULT_TEST(Gerrit, TruncatedJson, kTruncatedJson)
FORGEDB_FAULT_TEST(Gerrit, BodyCutByClosedConnection, kCutBody)
FORGEDB_FAULT_TEST(Gerrit, ConnectionClosedWithoutAnswer, kResetConnection)

FORGEDB_FAULT_TEST(Phabricator, Http500, kHttp500)
FORGEDB_FAULT_TEST(Phabricator, ConduitRateLimit, kConduitRateLimit)
FORGEDB_FAULT_TEST(Phabricator, TooManyRequests429RetryAfter, k429)
FORGEDB_FAULT_TEST(Phabricator, Timeout, kTimeout)
FORGEDB_FAULT_TEST(Phabricator, TruncatedJson, kTruncatedJson)
FORGEDB_FAULT_TEST(Phabricator, BodyCutByClosedConnection, kCutBody)
FORGEDB_FAULT_TEST(Phabricator, ConnectionClosedWithoutAnswer, kResetConnection)

}  // namespace
}  // namespace forgedb::testing
