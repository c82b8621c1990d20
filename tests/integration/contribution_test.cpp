// The contributions read model on both backends: the triggers keep `contribution` equal to the
// mirror on insert, update and tombstone; ListContributions reads one person's window (bounds,
// organisation filter, Change-Id de-duplication, order); the account lookups; push webhooks and
// the github.contributor crawl against the fake GitHub fill github_commit.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "fake_github.hpp"
#include "forgedb/contrib/store.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/job_store.hpp"
#include "support/test_support.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using model::Null;
using model::Value;

Timestamp T(const std::string& text) { return *ParseTimestamp(text); }

class ContributionTest : public BackendTest {
protected:
    void Exec(const std::string& sql, const std::vector<Value>& params = {}) {
        auto r = tdb().conn().Query(sql, params);
        ASSERT_TRUE(r) << sql << ": " << r.error().ToString();
    }

    // The contribution rows of one source object, as "account time status title project
    // repo_owner authored assigned", sorted.
    std::vector<std::string> Rows(const std::string& platform, const std::string& kind,
                                  const std::string& source_id) {
        auto r = tdb().conn().Query(
            "SELECT account, time, status, title, project, repo_owner, authored, assigned, url "
            "FROM contribution WHERE platform = ? AND kind = ? AND source_id = ?",
            {platform, kind, source_id});
        EXPECT_TRUE(r) << r.error().ToString();
        std::vector<std::string> out;
        if (!r) return out;
        auto flag = [](const std::optional<std::string>& v) {
            return std::string(v && (*v == "1" || *v == "t" || *v == "true") ? "1" : "0");
        };
        for (size_t i = 0; i < r->rows.size(); ++i) {
            out.push_back(r->Text(i, 0) + " " + NormTime(r->At(i, 1)) + " " + r->Text(i, 2) + " " +
                          r->Text(i, 3) + " " + r->Text(i, 4) + " " + r->Text(i, 5) + " " +
                          flag(r->At(i, 6)) + flag(r->At(i, 7)));
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    void InsertChange(const std::string& instance, long long number, Value owner,
                      const std::string& created, const std::string& status = "NEW",
                      const std::string& subject = "Fix it", Value change_id = Null{}) {
        Exec(
            "INSERT INTO gerrit_change (instance, number, change_id, project, subject, status, "
            "owner_username, created_at, updated_at) VALUES (?, ?, ?, 'mediawiki/core', ?, ?, ?, "
            "?, ?)",
            {instance, static_cast<std::int64_t>(number), change_id, subject, status, owner,
             created, created});
    }

    void InsertTask(long long id, Value author, Value owner, const std::string& created,
                    const std::string& status_name = "Open") {
        Exec(
            "INSERT INTO phabricator_task (instance, id, phid, title, status, status_name, "
            "author_phid, owner_phid, created_at, modified_at) VALUES ('phab', ?, ?, 'A task', "
            "'open', ?, ?, ?, ?, ?)",
            {static_cast<std::int64_t>(id), "PHID-TASK-" + std::to_string(id), status_name, author,
             owner, created, created});
    }

    void InsertRepo(std::int64_t id, const std::string& owner, const std::string& name) {
        Exec("INSERT INTO github_repository (id, name, full_name, owner_login) VALUES (?, ?, ?, ?)",
             {id, name, owner + "/" + name, owner});
    }

    void InsertCommit(const std::string& sha, const std::string& login, const std::string& date,
                      const std::string& repo, const std::string& message) {
        Exec(
            "INSERT INTO github_commit (sha, repo_full_name, author_login, author_name, "
            "committer_date, message, html_url, change_id) VALUES (?, ?, ?, 'Some One', ?, ?, ?, "
            "?)",
            {sha, repo, login, date, message, "https://github.com/" + repo + "/commit/" + sha,
             process::github::ChangeIdOf(message).empty()
                 ? Value{Null{}}
                 : Value{process::github::ChangeIdOf(message)}});
    }

    std::vector<std::string> List(const store::ContributorAccounts& who, const std::string& start,
                                  const std::string& end) {
        auto rows = store::ListContributions(tdb().conn(), who, T(start), T(end));
        EXPECT_TRUE(rows) << rows.error().ToString();
        std::vector<std::string> out;
        if (!rows) return out;
        for (const auto& r : *rows) {
            out.push_back(r.platform + ":" + r.kind + ":" + r.source_id + "@" +
                          FormatForgeTime(r.time));
        }
        return out;
    }
};

TEST_P(ContributionTest, GerritChangeFollowsItsRow) {
    InsertChange("wm", 1, std::string("Alice"), "2024-03-01T10:00:00Z");
    EXPECT_EQ(Rows("gerrit", "change", "1"),
              std::vector<std::string>{"alice 2024-03-01T10:00:00Z NEW Fix it mediawiki/core  11"});
    Exec("UPDATE gerrit_change SET status = 'MERGED' WHERE number = 1");
    Exec("UPDATE gerrit_change SET subject = 'Fix it properly' WHERE number = 1");
    EXPECT_EQ(Rows("gerrit", "change", "1"),
              std::vector<std::string>{
                  "alice 2024-03-01T10:00:00Z MERGED Fix it properly mediawiki/core  11"});
    Exec("UPDATE gerrit_change SET deleted_at = '2024-04-01T00:00:00.000000Z' WHERE number = 1");
    EXPECT_TRUE(Rows("gerrit", "change", "1").empty());
    // No owner username known: no contribution until it is.
    InsertChange("wm", 2, Null{}, "2024-03-02T10:00:00Z");
    EXPECT_TRUE(Rows("gerrit", "change", "2").empty());
    Exec("UPDATE gerrit_change SET owner_username = 'bob' WHERE number = 2");
    EXPECT_EQ(Rows("gerrit", "change", "2").size(), 1u);
    // An upsert that changes nothing watched keeps the row.
    Exec("UPDATE gerrit_change SET updated_at = '2024-05-01T00:00:00Z' WHERE number = 2");
    EXPECT_EQ(Rows("gerrit", "change", "2").size(), 1u);
    // A row deleted by hand takes its contribution with it, and can be stored again.
    Exec("DELETE FROM gerrit_change WHERE number = 2");
    EXPECT_TRUE(Rows("gerrit", "change", "2").empty());
    InsertChange("wm", 2, std::string("bob"), "2024-03-02T10:00:00Z");
    EXPECT_EQ(Rows("gerrit", "change", "2").size(), 1u);
}

TEST_P(ContributionTest, PhabricatorAuthorAndOwner) {
    InsertTask(7, std::string("PHID-USER-a"), Null{}, "2024-02-01T00:00:00Z");
    EXPECT_EQ(Rows("phabricator", "task", "7"),
              std::vector<std::string>{"PHID-USER-a 2024-02-01T00:00:00Z Open A task   10"});
    Exec("UPDATE phabricator_task SET owner_phid = 'PHID-USER-b' WHERE id = 7");
    EXPECT_EQ(Rows("phabricator", "task", "7"),
              (std::vector<std::string>{"PHID-USER-a 2024-02-01T00:00:00Z Open A task   10",
                                        "PHID-USER-b 2024-02-01T00:00:00Z Open A task   01"}));
    // Reassigned: the old owner's row goes.
    Exec(
        "UPDATE phabricator_task SET owner_phid = 'PHID-USER-c', status_name = 'Resolved' "
        "WHERE id = 7");
    EXPECT_EQ(Rows("phabricator", "task", "7"),
              (std::vector<std::string>{"PHID-USER-a 2024-02-01T00:00:00Z Resolved A task   10",
                                        "PHID-USER-c 2024-02-01T00:00:00Z Resolved A task   01"}));
    // The author takes it: one row, authored and assigned.
    Exec("UPDATE phabricator_task SET owner_phid = 'PHID-USER-a' WHERE id = 7");
    EXPECT_EQ(Rows("phabricator", "task", "7"),
              std::vector<std::string>{"PHID-USER-a 2024-02-01T00:00:00Z Resolved A task   11"});
    Exec("UPDATE phabricator_task SET deleted_at = '2024-04-01T00:00:00.000000Z' WHERE id = 7");
    EXPECT_TRUE(Rows("phabricator", "task", "7").empty());
}

TEST_P(ContributionTest, GithubPullRequestsCountWhenMerged) {
    InsertRepo(10, "Wikimedia", "pywikibot");
    Exec(
        "INSERT INTO github_pull_request (id, number, state, title, user_login, base_repo_id, "
        "html_url, created_at) VALUES (100, 1, 'open', 'Add feature', 'Carol', 10, "
        "'https://github.com/Wikimedia/pywikibot/pull/1', '2024-01-01T00:00:00Z')");
    EXPECT_TRUE(Rows("github", "pull_request", "100").empty());
    Exec(
        "UPDATE github_pull_request SET state = 'closed', merged_at = '2024-01-05T00:00:00Z' "
        "WHERE id = 100");
    EXPECT_EQ(
        Rows("github", "pull_request", "100"),
        std::vector<std::string>{
            "carol 2024-01-05T00:00:00Z merged Add feature Wikimedia/pywikibot wikimedia 11"});
    // Closed unmerged pulls never count; neither do tombstoned ones.
    Exec(
        "INSERT INTO github_pull_request (id, number, state, title, user_login, base_repo_id, "
        "closed_at) VALUES (101, 2, 'closed', 'Nope', 'carol', 10, '2024-01-06T00:00:00Z')");
    EXPECT_TRUE(Rows("github", "pull_request", "101").empty());
    Exec(
        "UPDATE github_pull_request SET deleted_at = '2024-02-01T00:00:00.000000Z' WHERE id = 100");
    EXPECT_TRUE(Rows("github", "pull_request", "100").empty());
}

TEST_P(ContributionTest, GithubIssuesButNotPullRequestIssues) {
    InsertRepo(10, "wikimedia", "pywikibot");
    Exec(
        "INSERT INTO github_issue (id, repo_id, number, state, title, user_login, "
        "is_pull_request, created_at) VALUES (200, 10, 3, 'open', 'Bug', 'Dan', ?, "
        "'2024-01-02T00:00:00Z')",
        {false});
    Exec(
        "INSERT INTO github_issue (id, repo_id, number, state, title, user_login, "
        "is_pull_request, created_at) VALUES (201, 10, 4, 'open', 'A pull', 'Dan', ?, "
        "'2024-01-03T00:00:00Z')",
        {true});
    EXPECT_EQ(Rows("github", "issue", "200"),
              std::vector<std::string>{
                  "dan 2024-01-02T00:00:00Z open Bug wikimedia/pywikibot wikimedia 10"});
    EXPECT_TRUE(Rows("github", "issue", "201").empty());
    Exec("UPDATE github_issue SET state = 'closed' WHERE id = 200");
    EXPECT_EQ(Rows("github", "issue", "200"),
              std::vector<std::string>{
                  "dan 2024-01-02T00:00:00Z closed Bug wikimedia/pywikibot wikimedia 10"});
}

TEST_P(ContributionTest, GithubCommitsTitleAndAccount) {
    InsertCommit("abc", "Eve", "2024-01-02T03:04:05Z", "wikimedia/operations-puppet",
                 "Subject line\r\n\nBody\n\nChange-Id: I0000\nChange-Id: I1234abcd\n");
    EXPECT_EQ(Rows("github", "commit", "abc"),
              std::vector<std::string>{"eve 2024-01-02T03:04:05Z merged Subject line "
                                       "wikimedia/operations-puppet wikimedia 11"});
    EXPECT_EQ(tdb().Scalar("SELECT change_id FROM contribution WHERE source_id = 'abc'"),
              "I1234abcd");
    Exec("UPDATE github_commit SET deleted_at = '2024-02-01T00:00:00.000000Z' WHERE sha = 'abc'");
    EXPECT_TRUE(Rows("github", "commit", "abc").empty());
}

TEST(ChangeIdOf, TakesTheLastTrailer) {
    EXPECT_EQ(process::github::ChangeIdOf("x\n\nChange-Id: Iaa\nChange-Id: Ibb"), "Ibb");
    EXPECT_EQ(process::github::ChangeIdOf("x\n\nChange-Id: Iaa\r\n"), "Iaa");
    EXPECT_EQ(process::github::ChangeIdOf("x\n\nChange-Id: nothex"), "");
    EXPECT_EQ(process::github::ChangeIdOf("no trailer"), "");
}

TEST_P(ContributionTest, ListContributionsReadsOneWindow) {
    InsertRepo(10, "wikimedia", "core");
    InsertRepo(11, "elsewhere", "tool");
    InsertChange("wm", 1, std::string("heavy"), "2024-01-01T00:00:00Z");     // = start: in
    InsertChange("wm", 2, std::string("heavy"), "2024-06-30T23:59:59Z");     // end - 1 s: in
    InsertChange("wm", 3, std::string("heavy"), "2024-07-01T00:00:00Z");     // = end: out
    InsertChange("wm", 4, std::string("someone"), "2024-02-01T00:00:00Z");   // other person
    InsertChange("other", 5, std::string("heavy"), "2024-02-01T00:00:00Z");  // other instance
    InsertChange("wm", 6, std::string("someone"), "2024-02-02T00:00:00Z", "MERGED", "Mirrored",
                 std::string("Ifeed"));
    InsertTask(7, std::string("PHID-USER-h"), Null{}, "2024-03-01T00:00:00Z");
    InsertCommit("c1", "Heavy", "2024-04-01T00:00:00Z", "wikimedia/core", "Own commit");
    InsertCommit("c2", "heavy", "2024-04-02T00:00:00Z", "elsewhere/tool", "Other org");
    // The mirror of Gerrit change 6 (someone else's change): counted once, as Gerrit.
    InsertCommit("c3", "heavy", "2024-04-03T00:00:00Z", "wikimedia/core",
                 "Mirrored\n\nChange-Id: Ifeed");
    Exec(
        "INSERT INTO github_pull_request (id, number, title, user_login, base_repo_id, "
        "merged_at) VALUES (100, 1, 'PR', 'heavy', 10, '2024-01-01T00:00:00Z')");

    store::ContributorAccounts who;
    who.gerrit_instance = "wm";
    who.gerrit_username = "Heavy";
    who.phabricator_instance = "phab";
    who.phabricator_phid = "PHID-USER-h";
    who.github_login = "HEAVY";
    EXPECT_EQ(List(who, "2024-01-01T00:00:00Z", "2024-07-01T00:00:00Z"),
              (std::vector<std::string>{
                  "gerrit:change:1@2024-01-01T00:00:00Z",
                  "github:pull_request:100@2024-01-01T00:00:00Z",
                  "phabricator:task:7@2024-03-01T00:00:00Z",
                  "github:commit:c1@2024-04-01T00:00:00Z",
                  "github:commit:c2@2024-04-02T00:00:00Z",
                  "gerrit:change:2@2024-06-30T23:59:59Z",
              }));
    who.github_orgs = {"Wikimedia"};
    EXPECT_EQ(List(who, "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z"),
              std::vector<std::string>{"github:commit:c1@2024-04-01T00:00:00Z"});
    // Without the Gerrit change the mirrored commit counts.
    Exec("UPDATE gerrit_change SET deleted_at = '2024-08-01T00:00:00.000000Z' WHERE number = 6");
    EXPECT_EQ(List(who, "2024-04-01T00:00:00Z", "2024-05-01T00:00:00Z"),
              (std::vector<std::string>{"github:commit:c1@2024-04-01T00:00:00Z",
                                        "github:commit:c3@2024-04-03T00:00:00Z"}));
    // Empty and inverted windows, and nobody.
    EXPECT_TRUE(List(who, "2024-04-01T00:00:00Z", "2024-04-01T00:00:00Z").empty());
    EXPECT_TRUE(
        List(store::ContributorAccounts{}, "2024-01-01T00:00:00Z", "2025-01-01T00:00:00Z").empty());
    // A fractional start excludes the whole second before it.
    auto rows = store::ListContributions(tdb().conn(), who, T("2024-01-01T00:00:00Z") + 1ms,
                                         T("2024-02-01T00:00:00Z"));
    ASSERT_TRUE(rows);
    EXPECT_TRUE(rows->empty());
}

TEST_P(ContributionTest, AccountLookups) {
    Exec(
        "INSERT INTO phabricator_user (instance, phid, username, real_name) VALUES "
        "('phab', 'PHID-USER-h', 'Heavy', 'Heavy Person')");
    Exec(
        "INSERT INTO gerrit_account (instance, account_id, username, name) VALUES "
        "('wm', 1, 'heavy', 'Heavy G')");
    Exec("INSERT INTO github_user (id, login, name) VALUES (5, 'Heavy', 'Heavy H')");
    auto& c = tdb().conn();
    EXPECT_EQ(store::PhabricatorPhid(c, "phab", "heavy").value(), "PHID-USER-h");
    EXPECT_EQ(store::PhabricatorPhid(c, "phab", "Heavy").value(), "PHID-USER-h");
    EXPECT_EQ(store::PhabricatorPhid(c, "phab", "nobody").value(), std::nullopt);
    EXPECT_EQ(store::PhabricatorRealName(c, "phab", "HEAVY").value(), "Heavy Person");
    EXPECT_EQ(store::GerritRealName(c, "wm", "Heavy").value(), "Heavy G");
    EXPECT_EQ(store::GerritRealName(c, "wm", "nobody").value(), std::nullopt);
    EXPECT_EQ(store::GithubRealName(c, "heavy").value(), "Heavy H");
    // Unknown accounts fall back to what the mirrored changes and commits say.
    InsertChange("wm", 9, std::string("ghost"), "2024-01-01T00:00:00Z");
    Exec("UPDATE gerrit_change SET owner_name = 'Ghost Writer' WHERE number = 9");
    EXPECT_EQ(store::GerritRealName(c, "wm", "ghost").value(), "Ghost Writer");
    InsertCommit("c9", "committer", "2024-01-01T00:00:00Z", "a/b", "x");
    EXPECT_EQ(store::GithubRealName(c, "Committer").value(), "Some One");
    EXPECT_EQ(store::GithubRealName(c, "nobody").value(), std::nullopt);
}

TEST_P(ContributionTest, PushWebhookStoresCommits) {
    WebhookHarness h(tdb());
    EXPECT_EQ(h.Deliver("push", "github/webhooks/push/with-new-branch.payload.json", "push-1"),
              202);
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery"), "processed");
    const std::string sha = "6113728f27ae82c7b1a177c8d03f9e96e0adf246";
    EXPECT_EQ(tdb().Scalar("SELECT author_login FROM github_commit WHERE sha = ?", {sha}),
              "Codertocat");
    EXPECT_EQ(tdb().Scalar("SELECT repo_full_name FROM github_commit WHERE sha = ?", {sha}),
              "Codertocat/Hello-World");
    EXPECT_EQ(
        NormTime(tdb().Scalar("SELECT committer_date FROM github_commit WHERE sha = ?", {sha})),
        "2019-05-15T15:19:25Z");
    EXPECT_TRUE(tdb().Scalar(
        "SELECT last_replicated_via_webhook_at FROM github_commit WHERE sha = ?", {sha}));
    EXPECT_EQ(Rows("github", "commit", sha),
              std::vector<std::string>{"codertocat 2019-05-15T15:19:25Z merged Initial commit "
                                       "Codertocat/Hello-World codertocat 11"});
    // The repository envelope is stored as for other events; a push without commits is fine.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_repository"), 1);
    EXPECT_EQ(h.Deliver("push", "github/webhooks/push/payload.json", "push-2"), 202);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'processed'"), 2);
    // The same commit again (another branch): still one row.
    EXPECT_EQ(
        h.Deliver("push", "github/webhooks/push/with-no-username-committer.payload.json", "push-3"),
        202);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_commit"), 1);
}

class CommitsCrawlTest : public ContributionTest {
protected:
    void SetUp() override {
        ContributionTest::SetUp();
        if (!tdb_) return;
        ASSERT_TRUE(fake_.Start());
        http_ = sources::MakeCurlHttpClient();
        book_ = std::make_unique<tasks::DbRateLimitBook>(tdb().db(), clock_);
        etags_ = std::make_unique<tasks::DbEtagCache>(tdb().db(), clock_);
        sources::github::GithubClientOptions options;
        options.base_url = fake_.base_url();
        options.tokens = {"ghp_testtoken"};
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

    std::string Run(std::int64_t id) {
        auto deadline = std::chrono::steady_clock::now() + 60s;
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

    // The SHAs the fake serves for `login` in owner/name with committer dates in [since, until].
    std::set<std::string> FakeShas(const std::string& owner, const std::string& name,
                                   const std::string& login, const std::string& since,
                                   const std::string& until) {
        std::set<std::string> out;
        for (int page = 1;; ++page) {
            http::Request req;
            req.method = "GET";
            req.path = "/repos/" + owner + "/" + name + "/commits";
            req.query = {{"per_page", "100"}, {"page", std::to_string(page)}};
            auto body = nlohmann::json::parse(fake_.Handle(req).body);
            if (body.empty()) break;
            for (const auto& c : body) {
                std::string date = c["commit"]["committer"]["date"];
                if (c["author"]["login"] == login && date >= since && date <= until) {
                    out.insert(c["sha"].get<std::string>());
                }
            }
        }
        return out;
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

TEST_P(CommitsCrawlTest, CrawlEqualsTheFakesCommits) {
    fake::GenerateOptions g;
    g.pulls = 0;
    g.issues = 0;
    g.commits = 400;  // 200 by heavy: pages of 100 in the window
    g.commit_authors = {"heavy", "other"};
    g.organization = true;
    g.start = T("2024-01-01T00:00:00Z");
    g.spacing = 1h;
    fake_.Generate("WikiOrg", "core", g);
    g.commits = 10;
    g.seed = 2;
    g.start = T("2024-01-05T00:00:00Z");
    fake_.Generate("WikiOrg", "tools", g);
    g.organization = false;
    g.seed = 3;
    fake_.Generate("heavy", "dotfiles", g);  // a user, not an organisation: /users fallback

    const Timestamp start = T("2024-01-02T00:00:00Z");
    const Timestamp end = T("2024-01-12T00:00:00Z");
    auto job = tasks::GithubContributorCrawl("Heavy", {"wikiorg", "heavy", "WikiOrg"}, start, end);
    EXPECT_EQ(job.kind, "github.contributor");
    ASSERT_TRUE(job.unique_key);
    EXPECT_EQ(*job.unique_key,
              "github.contributor:heavy:heavy,wikiorg:2024-01-02T00:00:00Z..2024-01-12T00:00:00Z");
    queue::JobQueue q(tdb().conn(), clock_);
    auto inserted = q.Enqueue(job);
    ASSERT_TRUE(inserted);
    // A second request for the same person and window joins the first.
    auto again =
        q.Enqueue(tasks::GithubContributorCrawl("heavy", {"heavy", "wikiorg"}, start, end));
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->created);
    ASSERT_EQ(Run(inserted->id), "succeeded");

    std::set<std::string> want;
    for (auto [owner, name] : {std::pair{"WikiOrg", "core"}, std::pair{"WikiOrg", "tools"},
                               std::pair{"heavy", "dotfiles"}}) {
        auto s = FakeShas(owner, name, "heavy", "2024-01-02T00:00:00Z", "2024-01-12T00:00:00Z");
        want.insert(s.begin(), s.end());
    }
    ASSERT_GT(want.size(), 100u);
    std::set<std::string> got;
    auto res = tdb().conn().Query("SELECT sha FROM github_commit WHERE lower(author_login) = ?",
                                  {std::string("heavy")});
    ASSERT_TRUE(res);
    for (size_t i = 0; i < res->rows.size(); ++i) got.insert(res->Text(i, 0));
    EXPECT_EQ(got, want);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_commit WHERE change_id IS NOT NULL "
                          "AND last_replicated_via_api_at IS NOT NULL") > 0,
              true);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_repository"), 3);

    // The view's read: the window is [start, end), the crawl's until is inclusive.
    store::ContributorAccounts who;
    who.github_login = "heavy";
    who.github_orgs = {"wikiorg"};
    auto rows = store::ListContributions(tdb().conn(), who, start, end);
    ASSERT_TRUE(rows);
    std::set<std::string> listed;
    for (const auto& r : *rows) {
        EXPECT_EQ(r.kind, "commit");
        EXPECT_TRUE(r.project == "WikiOrg/core" || r.project == "WikiOrg/tools") << r.project;
        EXPECT_LT(r.time, end);
        listed.insert(r.source_id);
    }
    std::set<std::string> want_org;
    for (const auto& sha : want) {
        auto repo = tdb().Scalar("SELECT repo_full_name FROM github_commit WHERE sha = ?", {sha});
        auto date =
            NormTime(tdb().Scalar("SELECT committer_date FROM github_commit WHERE sha = ?", {sha}));
        if (repo && repo->rfind("WikiOrg/", 0) == 0 && date < "2024-01-12T00:00:00Z") {
            want_org.insert(sha);
        }
    }
    EXPECT_EQ(listed, want_org);
    auto tree = store::LoadJobTree(tdb().conn(), inserted->id);
    ASSERT_TRUE(tree && *tree);
    EXPECT_EQ((*tree)->items, static_cast<long long>(want.size()));
}

FORGEDB_INSTANTIATE_BACKENDS(ContributionTest);
FORGEDB_INSTANTIATE_BACKENDS(CommitsCrawlTest);

}  // namespace
}  // namespace forgedb::testing
