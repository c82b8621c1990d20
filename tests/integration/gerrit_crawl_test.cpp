// Gerrit crawls against the fake Gerrit over real HTTP, on both backends: a crawl of an owner's
// changes equals the fake's data column by column with one request per page, faults delay a
// crawl without failing it, incremental crawls read only the window since the watermark, windows
// and credentials reach the server, stale events write nothing, and refreshes follow upstream.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fake_gerrit.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/gerrit/changes.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/crawl_store.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kInstance = "test";

std::string Text(const std::optional<std::string>& v) { return v ? *v : "NULL"; }

// SQLite stores booleans as 0/1, PostgreSQL answers t/f.
std::string Bool(const std::optional<std::string>& v) {
    if (!v) return "NULL";
    return (*v == "1" || *v == "t" || *v == "true") ? "true" : "false";
}

std::string GerritTimeAsStored(const json& obj, const char* key) {
    if (!obj.contains(key) || !obj[key].is_string()) return "NULL";
    auto t = ParseTimestamp(obj[key].get<std::string>());
    return t ? FormatForgeTime(*t) : "UNPARSABLE";
}

std::string JsonTextOr(const json& obj, const char* key) {
    if (!obj.contains(key) || obj[key].is_null()) return "NULL";
    return obj[key].is_string() ? obj[key].get<std::string>() : obj[key].dump();
}

class GerritCrawlTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        ASSERT_TRUE(fake_.Start());
        http_ = sources::MakeCurlHttpClient();
        client_ = MakeClient("", "");
        tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
        tasks::RegisterGerritTasks(registry_, {{kInstance, client_.get()}});
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

    std::unique_ptr<sources::gerrit::GerritClient> MakeClient(std::string user, std::string pw) {
        return std::make_unique<sources::gerrit::GerritClient>(
            *http_, clock_,
            sources::gerrit::Instance{kInstance, fake_.base_url(), std::move(user), std::move(pw)});
    }

    tasks::GerritCrawl Changes(std::string query) {
        tasks::GerritCrawl c;
        c.kind = tasks::kGerritChangesJob;
        c.instance = kInstance;
        c.query = std::move(query);
        return c;
    }

    std::int64_t Enqueue(const tasks::GerritCrawl& c) {
        EXPECT_TRUE(tasks::ValidateCrawl(c));
        queue::JobQueue q(tdb().conn(), clock_);
        auto inserted = q.Enqueue(c.ToJob());
        EXPECT_TRUE(inserted) << inserted.error().ToString();
        return inserted ? inserted->id : 0;
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

    long long ChangeRows() {
        return tdb().Count("SELECT COUNT(*) FROM gerrit_change WHERE instance = ?",
                           {std::string(kInstance)});
    }

    std::optional<Timestamp> Watermark(const std::string& scope) {
        auto w = store::GetWatermark(tdb().conn(), std::string("gerrit:") + kInstance, scope);
        EXPECT_TRUE(w) << w.error().ToString();
        return w ? *w : std::nullopt;
    }

    // Every column the mirror maps, for every change of `account_id` in the fake, equals the
    // stored row; the change's current revision and its owner too. Returns the changes checked.
    // Changes in `history` may also keep revisions that were current before.
    int ExpectMirrorEqualsFake(long long account_id, const std::set<long long>& history = {}) {
        int checked = 0;
        for (const json& c : fake_.Changes()) {
            if (c["owner"]["_account_id"].get<long long>() != account_id) continue;
            ++checked;
            const auto number = c["_number"].get<std::int64_t>();
            SCOPED_TRACE("change " + std::to_string(number));
            auto res = tdb().conn().Query(
                "SELECT change_id, triplet_id, project, branch, topic, subject, status, "
                "owner_account_id, owner_username, owner_name, created_at, updated_at, "
                "submitted_at, insertions, deletions, current_revision, current_patch_set, "
                "work_in_progress, deleted_at, last_replicated_via_api_at, raw "
                "FROM gerrit_change WHERE instance = ? AND number = ?",
                {std::string(kInstance), number});
            EXPECT_TRUE(res);
            if (!res || res->empty()) {
                ADD_FAILURE() << "not mirrored";
                continue;
            }
            auto col = [&](size_t i) { return res->At(0, i); };
            EXPECT_EQ(Text(col(0)), c["change_id"]);
            EXPECT_EQ(Text(col(1)), c["id"]);
            EXPECT_EQ(Text(col(2)), c["project"]);
            EXPECT_EQ(Text(col(3)), c["branch"]);
            EXPECT_EQ(Text(col(4)), JsonTextOr(c, "topic"));
            EXPECT_EQ(Text(col(5)), c["subject"]);
            EXPECT_EQ(Text(col(6)), c["status"]);
            EXPECT_EQ(Text(col(7)), std::to_string(account_id));
            EXPECT_EQ(NormTime(col(10)), GerritTimeAsStored(c, "created"));
            EXPECT_EQ(NormTime(col(11)), GerritTimeAsStored(c, "updated"));
            EXPECT_EQ(NormTime(col(12)), GerritTimeAsStored(c, "submitted"));
            EXPECT_EQ(Text(col(13)), JsonTextOr(c, "insertions"));
            EXPECT_EQ(Text(col(14)), JsonTextOr(c, "deletions"));
            const std::string current = c["current_revision"];
            const json& rev = c["revisions"][current];
            EXPECT_EQ(Text(col(15)), current);
            EXPECT_EQ(Text(col(16)), rev["_number"].dump());
            EXPECT_EQ(Bool(col(17)), c.value("work_in_progress", false) ? "true" : "false");
            EXPECT_EQ(Text(col(18)), "NULL");
            EXPECT_NE(Text(col(19)), "NULL");
            auto raw = json::parse(Text(col(20)), nullptr, false);
            EXPECT_EQ(raw.value("_number", 0LL), number) << "raw holds the ChangeInfo";

            if (!history.contains(number)) {
                EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE instance = ? "
                                      "AND change_number = ?",
                                      {std::string(kInstance), number}),
                          1)
                    << "only the current revision is asked for";
            }
            auto revs = tdb().conn().Query(
                "SELECT revision, patch_set, ref, kind, uploader_account_id, created_at, "
                "commit_subject FROM gerrit_revision WHERE instance = ? AND change_number = ? "
                "AND revision = ?",
                {std::string(kInstance), number, current});
            EXPECT_TRUE(revs);
            if (!revs || revs->rows.size() != 1) {
                ADD_FAILURE() << "the current revision is not mirrored";
                continue;
            }
            EXPECT_EQ(revs->Text(0, 0), current);
            EXPECT_EQ(revs->Text(0, 1), rev["_number"].dump());
            EXPECT_EQ(revs->Text(0, 2), rev["ref"]);
            EXPECT_EQ(revs->Text(0, 3), rev["kind"]);
            EXPECT_EQ(revs->Text(0, 4), rev["uploader"]["_account_id"].dump());
            EXPECT_EQ(NormTime(revs->At(0, 5)), GerritTimeAsStored(rev, "created"));
            EXPECT_EQ(Text(revs->At(0, 6)), "NULL") << "no CURRENT_COMMIT requested";
        }
        auto owner = tdb().conn().Query(
            "SELECT username, name, email FROM gerrit_account WHERE instance = ? AND "
            "account_id = ?",
            {std::string(kInstance), static_cast<std::int64_t>(account_id)});
        EXPECT_TRUE(owner);
        if (checked > 0 && owner && owner->rows.size() == 1) {
            auto username = tdb().Scalar(
                "SELECT owner_username FROM gerrit_change WHERE owner_account_id = ? LIMIT 1",
                {static_cast<std::int64_t>(account_id)});
            EXPECT_EQ(owner->Text(0, 0), Text(username));
            EXPECT_EQ(owner->Text(0, 1),
                      Text(tdb().Scalar("SELECT owner_name FROM gerrit_change WHERE "
                                        "owner_account_id = ? LIMIT 1",
                                        {static_cast<std::int64_t>(account_id)})));
            EXPECT_EQ(owner->Text(0, 2), owner->Text(0, 0) + "@example.org");
        } else if (checked > 0) {
            ADD_FAILURE() << "owner account " << account_id << " not mirrored";
        }
        return checked;
    }

    SystemClock clock_;
    fake::FakeGerrit fake_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<sources::gerrit::GerritClient> client_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
};
FORGEDB_INSTANTIATE_BACKENDS(GerritCrawlTest);

TEST_P(GerritCrawlTest, CrawlOfAnOwnerEqualsTheFakeWithOneRequestPerPage) {
    // Someone else's changes, which no crawl below may pick up.
    fake_.Generate("bystander", 30);
    long long expected_rows = 0;
    for (int n : {0, 100, 101, 250}) {
        SCOPED_TRACE("owner with " + std::to_string(n) + " changes");
        const std::string user = "dev" + std::to_string(n);
        auto gen = fake_.Generate(user, n);
        fake_.ResetStats();
        auto id = Enqueue(Changes("owner:" + user));
        ASSERT_EQ(RunUntilDone(id), "succeeded");
        const int pages = std::max(1, (n + 99) / 100);
        auto stats = fake_.Stats();
        EXPECT_EQ(stats.per_path["/changes/"], pages) << "ceil(max(n, 1) / 100) requests";
        EXPECT_EQ(stats.total, pages);
        EXPECT_EQ(
            tdb().Count("SELECT COUNT(*) FROM gerrit_change WHERE owner_username = ?", {user}), n);
        expected_rows += n;
        EXPECT_EQ(ChangeRows(), expected_rows);
        EXPECT_EQ(ExpectMirrorEqualsFake(gen.account_id), n);
        auto tree = *store::LoadJobTree(tdb().conn(), id);
        EXPECT_EQ(tree->state, "succeeded");
        EXPECT_EQ(tree->items, n);
        EXPECT_EQ(tree->progress_done, pages);
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE id = ? OR parent_id = ?", {id, id}),
                  pages)
            << "one job per page, the later ones children of the first";
        // A crawl with no lower bound covered everything: its watermark is the newest update.
        auto mark = Watermark("owner:" + user);
        if (n == 0) {
            EXPECT_FALSE(mark);
        } else {
            ASSERT_TRUE(mark);
            EXPECT_EQ(FormatForgeTime(*mark), FormatForgeTime(gen.latest_update));
        }
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change WHERE owner_username = ?",
                          {std::string("bystander")}),
              0);
}

TEST_P(GerritCrawlTest, FaultsDelayTheCrawlWithoutFailingIt) {
    auto gen = fake_.Generate("alice", 250);
    fake_.AddFault({fake::FaultKind::kStatus, 500, 0, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kTooManyRequests, 429, 1, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kTruncatedBody, 200, 0, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kDropConnection, 200, 0, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kStatus, 503, 0, 0, "/changes/", 1});
    auto id = Enqueue(Changes("owner:alice"));
    ASSERT_EQ(RunUntilDone(id, 120s), "succeeded");
    EXPECT_TRUE(fake_.PendingFaults().empty());
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.faults, 5);
    EXPECT_EQ(stats.per_path["/changes/"], 3 + 5) << "three pages, five faulted attempts";
    EXPECT_EQ(ChangeRows(), 250);
    EXPECT_EQ(ExpectMirrorEqualsFake(gen.account_id), 250);
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), id))->items, 250) << "no page was written twice";
}

TEST_P(GerritCrawlTest, IncrementalCrawlReadsOnlyTheWindowSinceTheWatermark) {
    auto gen = fake_.Generate("alice", 150);
    tasks::GerritCrawl crawl = Changes("owner:alice");
    crawl.incremental = true;
    ASSERT_EQ(RunUntilDone(Enqueue(crawl)), "succeeded");
    EXPECT_EQ(ChangeRows(), 150);
    auto first_mark = Watermark("owner:alice");
    ASSERT_TRUE(first_mark);
    EXPECT_EQ(FormatForgeTime(*first_mark), FormatForgeTime(gen.latest_update));

    // Upstream moves on: one change is merged, another gets a new patch set.
    const long long merged = gen.numbers[10];
    const long long reworked = gen.numbers[20];
    const Timestamp later = gen.latest_update + 2h;
    ASSERT_TRUE(
        fake_.UpdateChange(merged, {{"status", "MERGED"}, {"subject", "Merged upstream"}}, later));
    auto sha = fake_.AddPatchSet(reworked, later + 1min);
    ASSERT_TRUE(sha);
    fake_.ResetStats();
    auto id = Enqueue(crawl);
    ASSERT_EQ(RunUntilDone(id), "succeeded");
    auto stats = fake_.Stats();
    ASSERT_EQ(stats.per_path["/changes/"], 1);
    ASSERT_EQ(stats.urls.size(), 1u);
    const std::string from = FormatGerritTime(*first_mark - 5min).substr(0, 19);
    EXPECT_NE(
        stats.urls[0].find("after:%22" + from.substr(0, 10) + "%20" + from.substr(11) + "%22"),
        std::string::npos)
        << stats.urls[0];
    // Exactly the changes updated since the watermark minus the overlap were read.
    long long in_window = 0;
    for (const json& c : fake_.Changes()) {
        if (*ParseTimestamp(c["updated"].get<std::string>()) >= *first_mark - 5min) ++in_window;
    }
    EXPECT_GE(in_window, 2);
    EXPECT_LT(in_window, 150);
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), id))->items, in_window);
    EXPECT_EQ(ChangeRows(), 150);
    EXPECT_EQ(ExpectMirrorEqualsFake(gen.account_id, {reworked}), 150);
    EXPECT_EQ(tdb().Scalar("SELECT status FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(merged)}),
              "MERGED");
    EXPECT_EQ(tdb().Scalar("SELECT current_revision FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(reworked)}),
              *sha);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE change_number = ?",
                          {static_cast<std::int64_t>(reworked)}),
              2)
        << "the earlier current revision stays, the new one is added";
    auto second_mark = Watermark("owner:alice");
    ASSERT_TRUE(second_mark);
    EXPECT_EQ(FormatForgeTime(*second_mark), FormatForgeTime(later + 1min));
}

TEST_P(GerritCrawlTest, WindowBoundsReachTheServerAndLeaveTheWatermarkAlone) {
    auto gen = fake_.Generate("alice", 120);
    tasks::GerritCrawl crawl = Changes("owner:alice status:merged");
    crawl.after = gen.latest_update - std::chrono::hours(24 * 40);
    crawl.before = gen.latest_update - std::chrono::hours(24 * 10) + 500ms;
    auto id = Enqueue(crawl);
    ASSERT_EQ(RunUntilDone(id), "succeeded");
    long long expected = 0;
    for (const json& c : fake_.Changes()) {
        auto updated = *ParseTimestamp(c["updated"].get<std::string>());
        auto after = std::chrono::floor<std::chrono::seconds>(*crawl.after);
        auto before = std::chrono::ceil<std::chrono::seconds>(*crawl.before);
        if (c["status"] == "MERGED" && updated >= after && updated <= before) ++expected;
    }
    EXPECT_GT(expected, 0);
    EXPECT_EQ(ChangeRows(), expected);
    auto stats = fake_.Stats();
    ASSERT_FALSE(stats.urls.empty());
    EXPECT_NE(stats.urls[0].find("after:%22"), std::string::npos) << stats.urls[0];
    EXPECT_NE(stats.urls[0].find("before:%22"), std::string::npos) << stats.urls[0];
    EXPECT_FALSE(Watermark("owner:alice status:merged"))
        << "a window with a start of its own says nothing about what came before it";

    tasks::GerritCrawl backwards = crawl;
    std::swap(backwards.after, backwards.before);
    EXPECT_EQ(tasks::ValidateCrawl(backwards).error().code, ErrorCode::kInvalid);
}

TEST_P(GerritCrawlTest, AuthenticatedCrawlUsesTheAEndpointsAndWrongPasswordsFail) {
    fake_.Generate("alice", 5);
    fake_.SetPassword("crawler", "right-password");
    auto good = MakeClient("crawler", "right-password");
    auto bad = MakeClient("crawler", "wrong-password");
    tasks::TaskRegistry registry;
    tasks::RegisterGerritTasks(registry, {{kInstance, good.get()}, {"broken", bad.get()}});
    queue::WorkerOptions wopts;
    wopts.threads = 0;
    wopts.retry = queue::RetryPolicy{10ms, 100ms};
    workers_ = std::make_unique<queue::WorkerPool>(
        tdb().db(), clock_, notifier_,
        [&registry](queue::JobContext& c) { return registry.Run(c); }, wopts);
    auto id = Enqueue(Changes("owner:alice"));
    ASSERT_EQ(RunUntilDone(id), "succeeded");
    EXPECT_EQ(ChangeRows(), 5);
    auto stats = fake_.Stats();
    ASSERT_EQ(stats.urls.size(), 1u);
    EXPECT_EQ(stats.urls[0].rfind("/r/a/changes/", 0), 0u) << stats.urls[0];

    tasks::GerritCrawl broken = Changes("owner:alice");
    broken.instance = "broken";
    auto failed = Enqueue(broken);
    EXPECT_EQ(RunUntilDone(failed), "failed") << "bad credentials are not retried";
    auto job = *store::LoadJob(tdb().conn(), failed);
    EXPECT_EQ(job->attempts, 1);
    EXPECT_NE(job->last_error.find("crawler"), std::string::npos) << job->last_error;
    EXPECT_EQ(job->last_error.find("wrong-password"), std::string::npos) << job->last_error;
}

TEST_P(GerritCrawlTest, UnknownInstanceFailsWithoutRetry) {
    tasks::GerritCrawl c = Changes("owner:alice");
    c.instance = "nowhere";
    auto id = Enqueue(c);
    EXPECT_EQ(RunUntilDone(id), "failed");
    auto job = *store::LoadJob(tdb().conn(), id);
    EXPECT_EQ(job->attempts, 1);
    EXPECT_NE(job->last_error.find("nowhere"), std::string::npos) << job->last_error;
    EXPECT_EQ(fake_.Stats().total, 0);
}

TEST_P(GerritCrawlTest, CrawlKeysAndArgumentsRoundTrip) {
    tasks::GerritCrawl c = Changes("owner:alice");
    c.incremental = true;
    c.after = ParseTimestamp("2024-01-02T03:04:05Z");
    EXPECT_EQ(c.UniqueKey(), "gerrit.changes:test:owner:alice after:2024-01-02T03:04:05Z");
    auto back = tasks::GerritCrawl::FromArgs(c.ArgsJson());
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(back->UniqueKey(), c.UniqueKey());
    EXPECT_TRUE(back->incremental);
    EXPECT_EQ(back->after, c.after);
    EXPECT_FALSE(back->before);
    tasks::GerritCrawl account;
    account.kind = tasks::kGerritAccountJob;
    account.instance = "test";
    account.account = "alice";
    EXPECT_EQ(account.UniqueKey(), "gerrit.account:test:alice");
    tasks::GerritCrawl change;
    change.kind = tasks::kGerritChangeJob;
    change.instance = "test";
    change.number = 42;
    EXPECT_EQ(change.ToJob().unique_key, "gerrit.change:test:42");
    for (const char* bad :
         {"[]", "{}", R"({"kind":"gerrit.changes","instance":"test"})",
          R"({"kind":"gerrit.changes","instance":"","query":"owner:a"})",
          R"({"kind":"gerrit.change","instance":"test","number":"12"})",
          R"({"kind":"gerrit.account","instance":"test","account":" "})",
          R"({"kind":"gerrit.changes","instance":"test","query":"x","after":"yesterday"})",
          R"({"kind":"gerrit.nope","instance":"test"})"}) {
        auto parsed = tasks::GerritCrawl::FromArgs(bad);
        ASSERT_FALSE(parsed) << bad;
        EXPECT_EQ(parsed.error().code, ErrorCode::kInvalid) << bad;
    }
}

TEST_P(GerritCrawlTest, AccountLookupStoresTheAccount) {
    auto gen = fake_.Generate("alice", 1);
    tasks::GerritCrawl c;
    c.kind = tasks::kGerritAccountJob;
    c.instance = kInstance;
    c.account = "alice";
    ASSERT_EQ(RunUntilDone(Enqueue(c)), "succeeded");
    EXPECT_EQ(tdb().Scalar("SELECT username FROM gerrit_account WHERE account_id = ?",
                           {static_cast<std::int64_t>(gen.account_id)}),
              "alice");
    EXPECT_EQ(tdb().Scalar("SELECT name FROM gerrit_account WHERE account_id = ?",
                           {static_cast<std::int64_t>(gen.account_id)}),
              "Alice Example");
    c.account = "nobody";
    auto missing = Enqueue(c);
    EXPECT_EQ(RunUntilDone(missing), "failed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_account"), 1);
}

// Processes one event as the delivery job would, in its own transaction.
std::string ProcessEvent(TestDatabase& tdb, const Clock& clock, const json& event,
                         const std::string& id) {
    store::Delivery d;
    d.forge = "gerrit";
    d.instance = kInstance;
    d.delivery_id = id;
    d.event = event["type"];
    d.received_at = clock.Now();
    d.headers_json = "{}";
    d.body = event.dump();
    auto inserted = store::InsertDelivery(tdb.conn(), d);
    EXPECT_TRUE(inserted && *inserted);
    queue::JobQueue q(tdb.conn(), clock);
    auto tx = store::Transaction::Begin(tdb.conn());
    EXPECT_TRUE(tx);
    auto outcome = tasks::ProcessGerritDelivery(q, d);
    EXPECT_TRUE(outcome) << outcome.error().ToString();
    EXPECT_TRUE(tx->Commit());
    return outcome ? *outcome : "error";
}

TEST_P(GerritCrawlTest, StaleEventAfterANewerCrawlWritesNothing) {
    auto gen = fake_.Generate("alice", 3);
    ASSERT_EQ(RunUntilDone(Enqueue(Changes("owner:alice"))), "succeeded");
    const long long number = gen.numbers[1];
    auto stored = *fake_.GetChange(number);
    const auto updated = *ParseTimestamp(stored["updated"].get<std::string>());
    auto seconds = [](Timestamp t) {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    };
    json event = {
        {"type", "comment-added"},
        {"change",
         {{"project", stored["project"]},
          {"branch", "master"},
          {"id", stored["change_id"]},
          {"number", number},
          {"subject", "Subject from an old event"},
          {"owner", {{"username", "alice"}, {"name", "Alice Example"}}},
          {"status", "NEW"}}},
        {"eventCreatedOn", seconds(updated - 1h)},
    };
    const std::string before_row = *tdb().Scalar("SELECT raw FROM gerrit_change WHERE number = ?",
                                                 {static_cast<std::int64_t>(number)});
    EXPECT_EQ(ProcessEvent(tdb(), clock_, event, "old"), "stale");
    EXPECT_EQ(tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(number)}),
              stored["subject"].get<std::string>());
    EXPECT_EQ(tdb().Scalar("SELECT raw FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(number)}),
              before_row);
    EXPECT_FALSE(
        tdb().Scalar("SELECT last_replicated_via_webhook_at FROM gerrit_change WHERE "
                     "number = ?",
                     {static_cast<std::int64_t>(number)}));
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'gerrit.change'"), 0);

    // A newer event (Gerrit updated the change when it happened) applies, moves raw forward,
    // and asks for a refresh, which brings the REST truth.
    ASSERT_TRUE(fake_.UpdateChange(number, json::object(), updated + 1h));
    event["eventCreatedOn"] = seconds(updated + 1h);
    event["change"]["subject"] = "Subject from a new event";
    EXPECT_EQ(ProcessEvent(tdb(), clock_, event, "new"), "processed");
    EXPECT_EQ(tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(number)}),
              "Subject from a new event");
    EXPECT_EQ(json::parse(*tdb().Scalar("SELECT raw FROM gerrit_change WHERE number = ?",
                                        {static_cast<std::int64_t>(number)}))["subject"],
              "Subject from a new event");

    EXPECT_TRUE(
        tdb().Scalar("SELECT last_replicated_via_webhook_at FROM gerrit_change WHERE "
                     "number = ?",
                     {static_cast<std::int64_t>(number)}));
    auto refresh = tdb().Scalar(
        "SELECT id FROM job WHERE kind = 'gerrit.change' AND "
        "unique_key = ?",
        {"gerrit.change:test:" + std::to_string(number)});
    ASSERT_TRUE(refresh);
    ASSERT_EQ(RunUntilDone(std::stoll(*refresh)), "succeeded");
    EXPECT_EQ(tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(number)}),
              stored["subject"].get<std::string>());
}

TEST_P(GerritCrawlTest, StaleRestPayloadWritesNothing) {
    auto gen = fake_.Generate("alice", 1);
    const long long number = gen.numbers[0];
    ASSERT_EQ(RunUntilDone(Enqueue(Changes("owner:alice"))), "succeeded");
    // Upstream answers an older version (a lagging replica): the newer row stays.
    auto stored = *fake_.GetChange(number);
    const auto updated = *ParseTimestamp(stored["updated"].get<std::string>());
    auto older = stored;
    older["updated"] = FormatGerritTime(updated - 1h);
    older["subject"] = "Old subject";
    auto doc = JsonDocument::Parse(older.dump());
    ASSERT_TRUE(doc);
    auto tx = store::Transaction::Begin(tdb().conn());
    ASSERT_TRUE(tx);
    process::gerrit::Context ctx{tdb().conn(), kInstance, model::Via::kApi, clock_.Now(), nullptr};
    auto p = process::gerrit::ProcessChange(doc->root(), ctx);
    ASSERT_TRUE(p) << p.error().ToString();
    EXPECT_TRUE(p->stale);
    ASSERT_TRUE(tx->Commit());
    EXPECT_EQ(tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?",
                           {static_cast<std::int64_t>(number)}),
              stored["subject"].get<std::string>());
}

// Gerrit answers 404 alike for a deleted change and for one the reader may not see. A refresh
// tombstones a change only when an authenticated reader still sees its project; otherwise the
// change is marked unreadable and keeps its data; a later successful read lifts the mark.
class GerritNotFoundTest : public GerritCrawlTest {
protected:
    // Crawls alice's two changes, with the authenticated client when `authenticated`.
    void SetUpMirror(bool authenticated) {
        gen_ = fake_.Generate("alice", 2);
        if (authenticated) {
            fake_.SetPassword("crawler", "pw");
            auth_client_ = MakeClient("crawler", "pw");
            registry_ = tasks::TaskRegistry();
            tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
            tasks::RegisterGerritTasks(registry_, {{kInstance, auth_client_.get()}});
        }
        ASSERT_EQ(RunUntilDone(Enqueue(Changes("owner:alice"))), "succeeded");
        number_ = gen_.numbers[0];
        project_ = fake_.GetChange(number_)->value("project", "");
        subject_ = tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?", {number_});
        ASSERT_TRUE(subject_);
    }
    std::string Refresh(std::int64_t number) {
        tasks::GerritCrawl c;
        c.kind = tasks::kGerritChangeJob;
        c.instance = kInstance;
        c.number = number;
        return RunUntilDone(Enqueue(c));
    }
    std::optional<std::string> Column(const std::string& column) {
        return tdb().Scalar("SELECT " + column + " FROM gerrit_change WHERE number = ?", {number_});
    }
    void ExpectDataKept() {
        EXPECT_EQ(Column("subject"), subject_);
        EXPECT_EQ(
            tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE change_number = ?", {number_}),
            1);
    }

    fake::GeneratedGerritOwner gen_;
    std::unique_ptr<sources::gerrit::GerritClient> auth_client_;
    std::int64_t number_ = 0;
    std::string project_;
    std::optional<std::string> subject_;
};
FORGEDB_INSTANTIATE_BACKENDS(GerritNotFoundTest);

TEST_P(GerritNotFoundTest, AnonymousReaderMarksAMissingChangeUnreadableAndKeepsIt) {
    SetUpMirror(/*authenticated=*/false);
    ASSERT_TRUE(fake_.DeleteChange(number_));
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_FALSE(Column("deleted_at")) << "an anonymous reader cannot tell deleted from hidden";
    auto first = Column("unreadable_at");
    ASSERT_TRUE(first);
    ExpectDataKept();
    // A second 404 keeps the time (microseconds) the change was first found unreadable.
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_EQ(Column("unreadable_at"), first);
    for (const auto& url : fake_.Stats().urls) {
        EXPECT_EQ(url.find("/projects/"), std::string::npos) << "no project check anonymously";
    }
}

TEST_P(GerritNotFoundTest, AuthenticatedReaderTombstonesAChangeWhoseProjectItSees) {
    SetUpMirror(/*authenticated=*/true);
    ASSERT_TRUE(fake_.DeleteChange(number_));
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_TRUE(Column("deleted_at"));
    EXPECT_FALSE(Column("unreadable_at"));
    ExpectDataKept();  // a tombstone keeps the row too; only deleted_at says it is gone
    // The other change is untouched.
    EXPECT_FALSE(tdb().Scalar("SELECT deleted_at FROM gerrit_change WHERE number = ?",
                              {static_cast<std::int64_t>(gen_.numbers[1])}));
}

TEST_P(GerritNotFoundTest, HiddenChangeIsUnreadableUntilItCanBeReadAgain) {
    SetUpMirror(/*authenticated=*/true);
    // The project is hidden from the reader too: deleted and hidden cannot be told apart.
    fake_.SetProjectVisible(project_, false);
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_FALSE(Column("deleted_at"));
    EXPECT_TRUE(Column("unreadable_at"));
    ExpectDataKept();
    // Shown again: the next refresh reads it and lifts the mark.
    fake_.SetProjectVisible(project_, true);
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_FALSE(Column("unreadable_at"));
    EXPECT_FALSE(Column("deleted_at"));
}

TEST_P(GerritNotFoundTest, AChangeHiddenInAVisibleProjectIsTombstonedAsGerritCannotTell) {
    // The limit of the rule, written down: a change hidden from an authenticated reader in a
    // project it sees answers exactly as a deleted one, and is tombstoned; a later successful
    // read lifts the tombstone.
    SetUpMirror(/*authenticated=*/true);
    ASSERT_TRUE(fake_.SetChangeVisible(number_, false));
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_TRUE(Column("deleted_at"));
    ASSERT_TRUE(fake_.SetChangeVisible(number_, true));
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_FALSE(Column("deleted_at"));
}

TEST_P(GerritNotFoundTest, ProjectCheckFailureRetriesInsteadOfGuessing) {
    SetUpMirror(/*authenticated=*/true);
    ASSERT_TRUE(fake_.DeleteChange(number_));
    fake_.AddFault({fake::FaultKind::kStatus, 500, 0, 0, "/projects/", 1});
    ASSERT_EQ(Refresh(number_), "succeeded");
    EXPECT_TRUE(Column("deleted_at")) << "the retry after the 500 checks the project again";
    EXPECT_FALSE(Column("unreadable_at"));
}

TEST_P(GerritNotFoundTest, AChangeNeverMirroredWritesNothing) {
    SetUpMirror(/*authenticated=*/true);
    ASSERT_EQ(Refresh(424242), "succeeded");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change WHERE number = 424242"), 0);
}

// The whole path of an event: POST /replication/gerrit/{instance} over HTTP, the delivery job,
// the partial update from the event, and the refresh that makes the row equal upstream.
TEST_P(GerritCrawlTest, EventThroughTheEndpointEndsWithTheChangeAsUpstreamHasIt) {
    auto gen = fake_.Generate("alice", 3);
    ASSERT_EQ(RunUntilDone(Enqueue(Changes("owner:alice"))), "succeeded");
    const long long number = gen.numbers[2];
    const Timestamp at = gen.latest_update + 1h;
    auto sha = fake_.AddPatchSet(number, at);
    ASSERT_TRUE(sha);
    auto change = *fake_.GetChange(number);
    const auto& rev = change["revisions"][*sha];
    auto epoch = [](Timestamp t) {
        return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
    };
    json event = {
        {"type", "patchset-created"},
        {"change",
         {{"project", change["project"]},
          {"branch", change["branch"]},
          {"id", change["change_id"]},
          {"number", number},
          {"subject", change["subject"]},
          {"owner", {{"name", "Alice Example"}, {"username", "alice"}}},
          {"status", change["status"]},
          {"createdOn", epoch(*ParseTimestamp(change["created"].get<std::string>()))}}},
        {"patchSet",
         {{"number", rev["_number"]},
          {"revision", *sha},
          {"ref", rev["ref"]},
          {"kind", "REWORK"},
          {"createdOn", epoch(at)},
          {"sizeInsertions", 3},
          {"sizeDeletions", -2}}},
        {"project", {{"name", change["project"]}}},
        {"eventCreatedOn", epoch(at) + 1},
    };

    queue::Notifier notifier;
    replication::DeliveryLog log(tdb().db(), clock_, notifier, &tasks::DeliveriesJob);
    ASSERT_TRUE(log.Start());
    replication::GerritEvents events(log, clock_, {{kInstance, "hook-secret"}}, false);
    http::Router router;
    router.AddAll(events.Routes());
    http::ServerOptions sopts;
    sopts.port = 0;
    http::Server server(router, sopts);
    ASSERT_TRUE(server.Start());
    TestClient cli("127.0.0.1", server.port());
    const std::string body = event.dump();
    auto res = cli.Post("/replication/gerrit/test?secret=hook-secret", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    server.Stop();
    log.Stop();

    auto job = tdb().Scalar("SELECT id FROM job WHERE kind = 'webhook.deliveries'");
    ASSERT_TRUE(job);
    ASSERT_EQ(RunUntilDone(std::stoll(*job)), "succeeded");
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE forge = 'gerrit' AND "
                           "delivery_id = ?",
                           {replication::EventDeliveryId("test", body)}),
              "processed");
    auto refresh = tdb().Scalar("SELECT id FROM job WHERE kind = 'gerrit.change'");
    ASSERT_TRUE(refresh);
    ASSERT_EQ(RunUntilDone(std::stoll(*refresh)), "succeeded");
    EXPECT_EQ(ExpectMirrorEqualsFake(gen.account_id, {number}), 3);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE change_number = ?",
                          {static_cast<std::int64_t>(number)}),
              2);
    EXPECT_TRUE(
        tdb().Scalar("SELECT last_replicated_via_webhook_at FROM gerrit_change WHERE "
                     "number = ?",
                     {static_cast<std::int64_t>(number)}));

    // `forgedb replay --forge gerrit --pending` processes a Gerrit delivery left pending (as by a
    // job that died) from the log.
    ASSERT_TRUE(tdb().conn().Query(
        "UPDATE webhook_delivery SET status = 'pending', processed_at = NULL WHERE forge = "
        "'gerrit'"));
    app::ReplayOptions replay;
    replay.forge = "gerrit";
    replay.pending_only = true;
    EXPECT_EQ(app::RunReplay(tdb().url(), replay), 0);
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE forge = 'gerrit'"),
              "processed");
    EXPECT_TRUE(tdb().Scalar("SELECT processed_at FROM webhook_delivery WHERE forge = 'gerrit'"));
}

// The real `forgedb work` is killed with SIGKILL in the middle of a crawl (slow pages make sure
// of it); a second one takes the expired lease over, and the crawl ends with every change stored
// once, equal to the fake, and no job left running.
TEST_P(GerritCrawlTest, WorkerKilledMidCrawlIsResumedByAnother) {
    auto gen = fake_.Generate("alice", 1500);
    fake_.AddFault({fake::FaultKind::kSlow, 200, 0, 300, "/changes/", 15});
    tasks::GerritCrawl crawl = Changes("owner:alice");
    crawl.incremental = true;
    auto id = Enqueue(crawl);
    auto start_worker = [&](const std::string& log) {
        return std::make_unique<ChildProcess>(
            std::vector<std::string>{FORGEDB_BINARY, "work", "--database", tdb().url(), "--gerrit",
                                     std::string(kInstance) + "=" + fake_.base_url(), "--workers",
                                     "2", "--lease-seconds", "2"},
            (std::filesystem::temp_directory_path() / log).string());
    };
    auto progress = [&] { return (*store::LoadJobTree(tdb().conn(), id))->progress_done; };
    auto running = [&] { return tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'"); };
    auto first = start_worker("forgedb_gerrit_kill_1_" + std::to_string(getpid()) + ".log");
    auto deadline = std::chrono::steady_clock::now() + 30s;
    // Kill once some pages are in and the next one is being fetched (leased, not committed).
    while (std::chrono::steady_clock::now() < deadline && (progress() < 3 || running() == 0)) {
        std::this_thread::sleep_for(5ms);
    }
    first->Kill(SIGKILL);
    EXPECT_EQ(first->Wait(), 128 + SIGKILL);
    const long long mid = progress();
    EXPECT_GE(mid, 3) << first->Log();
    EXPECT_LT(mid, 15) << "the kill came after the crawl had ended";
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')"), 1)
        << "one page of the chain is live: the one being fetched (or just queued)";
    EXPECT_EQ(ChangeRows(), mid * 100) << "pages commit whole";

    auto second = start_worker("forgedb_gerrit_kill_2_" + std::to_string(getpid()) + ".log");
    deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline &&
           (*store::LoadJobTree(tdb().conn(), id))->state != "succeeded") {
        std::this_thread::sleep_for(50ms);
    }
    auto tree = *store::LoadJobTree(tdb().conn(), id);
    EXPECT_EQ(tree->state, "succeeded") << second->Log();
    second->Kill(SIGTERM);
    EXPECT_EQ(second->Wait(), 0) << second->Log();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')"), 0);
    EXPECT_EQ(tree->progress_done, 15) << "every page counted once";
    EXPECT_EQ(tree->items, 1500);
    EXPECT_EQ(ChangeRows(), 1500);
    EXPECT_EQ(ExpectMirrorEqualsFake(gen.account_id), 1500);
    auto mark = Watermark("owner:alice");
    ASSERT_TRUE(mark);
    EXPECT_EQ(FormatForgeTime(*mark), FormatForgeTime(gen.latest_update));
}

}  // namespace
}  // namespace forgedb::testing
