// The WikiContrib-compatible API over real HTTP, on both backends: the exact shapes of every
// route, filter semantics, crawl coverage (queued once per window and freshness), bad input
// (answered 400/404 in the original's error shape, storing nothing), chunked CSV upload and CORS.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

Timestamp At(const char* text) { return *ParseTimestamp(text); }

std::set<std::string> Keys(const json& j) {
    std::set<std::string> out;
    for (auto it = j.begin(); it != j.end(); ++it) out.insert(it.key());
    return out;
}

const json kJane = {{"fullname", "Jane Doe"},
                    {"gerrit_username", "jdoe"},
                    {"phabricator_username", "jdoe"},
                    {"github_username", "JaneD"}};

class ContribApiTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        SeedMirror();
        contrib::ContribConfig config;
        config.gerrit_instance = "wm";
        config.gerrit_url = "https://gerrit.example.org/r/";
        config.phabricator_instance = "wm";
        config.phabricator_url = "https://phab.example.org";
        config.github_orgs = {"wikimedia"};
        Serve(config);
    }
    void TearDown() override {
        if (server_) server_->Stop();
    }

    void Serve(const contrib::ContribConfig& config) {
        if (server_) server_->Stop();
        server_.reset();
        forges_ = ContribForges(config);
        service_ = std::make_unique<contrib::Service>(tdb().db(), clock_, notifier_, config,
                                                      forges_.get());
        api_ = std::make_unique<api::WikiContribApi>(*service_);
        router_ = http::Router();
        router_.AddAll(api_->Routes());
        http::ServerOptions opts;
        opts.port = 0;
        server_ = std::make_unique<http::Server>(router_, opts);
        ASSERT_TRUE(server_->Start());
        cli_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
    }

    void Exec(const std::string& sql, const std::vector<model::Value>& params) {
        auto res = tdb().conn().Query(sql, params);
        ASSERT_TRUE(res) << res.error().ToString();
    }

    void AddContribution(const std::string& platform, const std::string& kind,
                         const std::string& id, const std::string& account, const char* time,
                         const std::string& status, const std::string& title,
                         const std::string& url = "", const std::string& project = "",
                         bool authored = true, bool assigned = false) {
        std::string owner = platform == "github" ? "wikimedia" : "";
        std::string instance = platform == "github" ? "github" : "wm";
        Exec(
            "INSERT INTO contribution (platform, instance, kind, source_id, account, time, status, "
            "title, url, project, repo_owner, change_id, authored, assigned) VALUES "
            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            {platform, instance, kind, id, account, FormatForgeTime(At(time)), status, title, url,
             project, owner, authored, assigned});
    }

    void SeedMirror() {
        Exec(
            "INSERT INTO phabricator_user (instance, phid, id, username, real_name) VALUES "
            "('wm', 'PHID-USER-jane', 7, 'jdoe', 'Jane Doe')",
            {});
        Exec(
            "INSERT INTO gerrit_account (instance, account_id, username, name) VALUES "
            "('wm', 1, 'jdoe', 'Jane Doe')",
            {});
        Exec("INSERT INTO github_user (id, login, name) VALUES (1, 'JaneD', 'Jane Doe')", {});
        AddContribution("gerrit", "change", "101", "jdoe", "2024-03-01T10:00:00Z", "MERGED",
                        "Fix bug", "", "mediawiki/core", true, true);
        // The same title again: both are kept.
        AddContribution("gerrit", "change", "102", "jdoe", "2024-03-01T11:00:00Z", "NEW", "Fix bug",
                        "", "mediawiki/core", true, true);
        AddContribution("gerrit", "change", "103", "jdoe", "2024-03-02T09:00:00Z", "ABANDONED",
                        "Dropped", "", "", true, true);
        AddContribution("gerrit", "change", "104", "jdoe", "2022-01-01T09:00:00Z", "MERGED",
                        "Too old", "", "mediawiki/core", true, true);
        AddContribution("phabricator", "task", "5", "PHID-USER-jane", "2024-03-01T12:00:00Z",
                        "open", "A task", "", "", true, false);
        AddContribution("phabricator", "task", "6", "PHID-USER-jane", "2024-04-01T12:00:00Z",
                        "resolved", "Done task", "", "", false, true);
        AddContribution("phabricator", "task", "7", "PHID-USER-jane", "2024-04-02T12:00:00Z",
                        "declined", "Declined task", "", "", true, false);
        AddContribution("github", "commit", "abc123", "janed", "2024-03-01T13:00:00Z", "merged",
                        "Commit message", "https://github.com/wikimedia/x/commit/abc123",
                        "wikimedia/x", true, true);
    }

    std::optional<TestReply> PostJson(const std::string& path, const json& body) {
        return cli_->Post(path.c_str(), body.dump(), "application/json");
    }
    std::optional<TestReply> PatchJson(const std::string& path, const json& body) {
        return cli_->Patch(path.c_str(), body.dump(), "application/json");
    }
    std::optional<TestReply> PostForm(const std::string& path, const std::vector<FormPart>& parts) {
        auto form = MultipartForm(parts);
        return cli_->Post(path, form.body, form.content_type);
    }
    std::optional<TestReply> PatchForm(const std::string& path,
                                       const std::vector<FormPart>& parts) {
        auto form = MultipartForm(parts);
        return cli_->Patch(path, form.body, form.content_type);
    }
    json Body(const std::optional<TestReply>& r) {
        EXPECT_TRUE(r);
        if (!r) return json();
        auto j = json::parse(r->body, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << r->body;
        return j;
    }
    // Asserts the original's error shape and returns the message.
    std::string ErrorOf(const std::optional<TestReply>& r, int status) {
        EXPECT_TRUE(r);
        if (!r) return "";
        EXPECT_EQ(r->status, status) << r->body;
        auto j = Body(r);
        EXPECT_EQ(Keys(j), (std::set<std::string>{"message", "error"})) << r->body;
        EXPECT_EQ(j.value("error", 0), 1);
        EXPECT_EQ(r->Header("Access-Control-Allow-Origin"), "*");
        return j.value("message", "");
    }
    std::string Create(const json& user = kJane) {
        auto r = PostJson("/query/add/user/", {{"file", -1}, {"users", {user}}});
        EXPECT_TRUE(r);
        if (!r) return "";
        EXPECT_EQ(r->status, 302) << r->body;
        return Body(r).value("query", "");
    }
    long long Count(const std::string& table) {
        return tdb().Count("SELECT COUNT(*) FROM " + table);
    }

    void FinishAllJobs(const char* state, const std::string& kind_prefix = "") {
        auto res = tdb().conn().Query("SELECT id FROM job WHERE kind LIKE ?", {kind_prefix + "%"});
        ASSERT_TRUE(res);
        for (size_t i = 0; i < res->rows.size(); ++i) {
            ASSERT_TRUE(store::FinishJob(tdb().conn(), res->Int(i, 0), state,
                                         std::string(state) == "succeeded" ? "" : "no such user",
                                         clock_.Now()));
        }
    }

    ManualClock clock_{At("2024-06-15T12:00:00Z")};
    queue::Notifier notifier_;
    std::unique_ptr<forge::Forges> forges_;
    std::unique_ptr<contrib::Service> service_;
    std::unique_ptr<api::WikiContribApi> api_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> cli_;
};

TEST_P(ContribApiTest, CreateRedirectsToTheResultAndCarriesIt) {
    auto r = PostJson("/query/add/user/", {{"file", -1}, {"users", {kJane}}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 302) << r->body;
    std::string hash = contrib::QueryHash({{"Jane Doe", "jdoe", "jdoe", "JaneD"}});
    EXPECT_EQ(r->Header("Location"), "/result/" + hash + "/");
    EXPECT_EQ(r->Header("Access-Control-Allow-Origin"), "*");
    json j = Body(r);
    EXPECT_EQ(Keys(j),
              (std::set<std::string>{"query", "meta", "result", "previous", "current", "next",
                                     "current_gerrit", "current_phabricator", "current_github",
                                     "accounts", "filters", "coverage"}));
    EXPECT_EQ(j["query"], hash);
    EXPECT_EQ(j["current"], "Jane Doe");
    EXPECT_TRUE(j["previous"].is_null());
    EXPECT_TRUE(j["next"].is_null());
    EXPECT_EQ(j["current_gerrit"], "jdoe");
    EXPECT_EQ(j["current_github"], "JaneD");
    EXPECT_EQ(j["meta"], (json{{"full_names",
                                {{"phab_full_name", "Jane Doe"},
                                 {"gerrit_full_name", "Jane Doe"},
                                 {"github_full_name", "Jane Doe"}}},
                               {"rate_limits", {{"github_rate_limit_message", ""}}},
                               {"match_percent", 100.0}}));
    EXPECT_EQ(j["filters"], (json{{"start_time", "2023-06-16T12:00:00Z"},
                                  {"end_time", "2024-06-15T12:00:00Z"},
                                  {"status", "merged,open,resolved,p-open"}}));
    EXPECT_EQ(j["accounts"], (json{{"gerrit", "https://gerrit.example.org/r/q/owner:jdoe"},
                                   {"phabricator", "https://phab.example.org/p/jdoe/"},
                                   {"github", "https://github.com/JaneD"}}));
    // Default statuses: merged, open (Gerrit NEW included), resolved, p-open; oldest first; the
    // two changes with one title are both there.
    const json& items = j["result"];
    ASSERT_EQ(items.size(), 5u) << items.dump();
    EXPECT_EQ(items[0], (json{{"time", "2024-03-01T10:00:00+00:00"},
                              {"platform", "Gerrit"},
                              {"status", "MERGED"},
                              {"staus", "MERGED"},
                              {"title", "Fix bug"},
                              {"url", "https://gerrit.example.org/r/c/mediawiki/core/+/101"},
                              {"kind", "change"},
                              {"authored", true},
                              {"assigned", true}}));
    EXPECT_EQ(items[1]["status"], "NEW");
    EXPECT_EQ(items[1]["title"], "Fix bug");
    EXPECT_EQ(items[2]["platform"], "Phabricator");
    EXPECT_EQ(items[2]["url"], "https://phab.example.org/T5");
    EXPECT_EQ(items[2]["status"], "open");
    EXPECT_EQ(items[3]["platform"], "Github");
    EXPECT_EQ(items[3]["url"], "https://github.com/wikimedia/x/commit/abc123");
    EXPECT_EQ(items[4]["title"], "Done task");
    EXPECT_EQ(items[4]["assigned"], true);
    EXPECT_EQ(items[4]["authored"], false);
    for (const auto& it : items) EXPECT_EQ(Keys(it).size(), 9u);
    // The GET the redirect names answers the same result.
    auto again = cli_->Get(("/result/" + hash + "/").c_str());
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(Body(again)["result"], items);
}

TEST_P(ContribApiTest, FirstViewQueuesCrawlsOnceAndFreshnessHoldsThem) {
    std::string hash = Create();
    // Gerrit owner, Phabricator authored and assigned, GitHub contributor.
    EXPECT_EQ(Count("job"), 4);
    EXPECT_EQ(Count("contrib_coverage"), 4);
    auto first = Body(cli_->Get(("/result/" + hash + "/").c_str()));
    EXPECT_EQ(Keys(first["coverage"]), (std::set<std::string>{"complete", "jobs", "pages_done",
                                                              "items", "errors", "platforms"}));
    EXPECT_EQ(first["coverage"]["complete"], false);
    EXPECT_EQ(first["coverage"]["jobs"].size(), 4u);
    // Progress per forge: every forge of the person is being crawled.
    EXPECT_EQ(Keys(first["coverage"]["platforms"]),
              (std::set<std::string>{"gerrit", "phabricator", "github"}));
    for (const char* forge : {"gerrit", "phabricator", "github"}) {
        EXPECT_EQ(first["coverage"]["platforms"][forge]["complete"], false) << forge;
    }
    EXPECT_EQ(Count("job"), 4);  // the window is being crawled: not queued again
    EXPECT_EQ(Count("contrib_coverage"), 4);

    FinishAllJobs("succeeded");
    auto done = Body(cli_->Get(("/result/" + hash + "/").c_str()));
    json forge_done = {{"complete", true}, {"pages_done", 0}, {"items", 0}};
    EXPECT_EQ(
        done["coverage"],
        (json{{"complete", true},
              {"jobs", json::array()},
              {"pages_done", 0},
              {"items", 0},
              {"errors", json::array()},
              {"platforms",
               {{"gerrit", forge_done}, {"phabricator", forge_done}, {"github", forge_done}}}}));
    EXPECT_EQ(Count("job"), 4);
    // Still fresh 23 hours later; stale after the freshness (24 h): crawled again.
    clock_.Advance(23h);
    (void)cli_->Get(("/result/" + hash + "/").c_str());
    EXPECT_EQ(Count("job"), 4);
    clock_.Advance(2h);
    auto stale = Body(cli_->Get(("/result/" + hash + "/").c_str()));
    EXPECT_EQ(Count("job"), 8);
    EXPECT_EQ(stale["coverage"]["complete"], false);
    // The result still shows what the mirror has now.
    EXPECT_EQ(stale["result"].size(), 5u);
}

TEST_P(ContribApiTest, ProgressIsReportedPerForge) {
    std::string hash = Create();
    // Gerrit's crawl has read two pages; Phabricator's two are done; GitHub's has not started.
    auto gerrit = tdb().conn().Query("SELECT id FROM job WHERE kind LIKE 'gerrit.%'", {});
    ASSERT_TRUE(gerrit);
    ASSERT_EQ(gerrit->rows.size(), 1u);
    ASSERT_TRUE(
        store::AddProgress(tdb().conn(), gerrit->Int(0, 0), 2, 150, std::nullopt, clock_.Now()));
    FinishAllJobs("succeeded", "phabricator.");
    auto j = Body(cli_->Get(("/result/" + hash + "/").c_str()));
    const json& p = j["coverage"]["platforms"];
    EXPECT_EQ(p["gerrit"], (json{{"complete", false}, {"pages_done", 2}, {"items", 150}}));
    EXPECT_EQ(p["phabricator"], (json{{"complete", true}, {"pages_done", 0}, {"items", 0}}));
    EXPECT_EQ(p["github"], (json{{"complete", false}, {"pages_done", 0}, {"items", 0}}));
    EXPECT_EQ(j["coverage"]["pages_done"], 2);
    EXPECT_EQ(j["coverage"]["items"], 150);
    EXPECT_EQ(j["coverage"]["jobs"].size(), 2u);
}

TEST_P(ContribApiTest, CrawlErrorCutInsideACharacterStillGivesTheResult) {
    std::string hash = Create();
    // An error message ending in half of a UTF-8 character, as a cut forge answer leaves it.
    auto res = tdb().conn().Query("SELECT id FROM job", {});
    ASSERT_TRUE(res);
    for (size_t i = 0; i < res->rows.size(); ++i) {
        ASSERT_TRUE(store::FinishJob(tdb().conn(), res->Int(i, 0), "failed", "Gerrit said: caf\xC3",
                                     clock_.Now()));
    }
    auto r = cli_->Get(("/result/" + hash + "/").c_str());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    auto j = Body(r);
    ASSERT_EQ(j["coverage"]["errors"].size(), 4u);
    EXPECT_EQ(j["coverage"]["errors"][0], "Gerrit said: caf\xEF\xBF\xBD");  // U+FFFD
}

TEST_P(ContribApiTest, FailedCrawlsAreReportedAndNotRetriedWhileFresh) {
    std::string hash = Create();
    FinishAllJobs("failed");
    auto j = Body(cli_->Get(("/result/" + hash + "/").c_str()));
    EXPECT_EQ(j["coverage"]["complete"], true);
    EXPECT_EQ(j["coverage"]["errors"].size(), 4u);
    EXPECT_EQ(Count("job"), 4);
}

TEST_P(ContribApiTest, WebhookFedForgesStayCoveredAndCrawlOnViewFalseQueuesNothing) {
    contrib::ContribConfig config = service_->config();
    config.gerrit_webhooks = config.phabricator_webhooks = config.github_webhooks = true;
    Serve(config);
    std::string hash = Create();
    EXPECT_EQ(Count("job"), 4);
    FinishAllJobs("succeeded");
    clock_.Advance(72h);
    (void)cli_->Get(("/result/" + hash + "/").c_str());
    EXPECT_EQ(Count("job"), 4);

    config.crawl_on_view = false;
    Serve(config);
    std::string other = Create({{"fullname", "John Roe"},
                                {"gerrit_username", "jroe"},
                                {"phabricator_username", ""},
                                {"github_username", ""}});
    auto j = Body(cli_->Get(("/result/" + other + "/").c_str()));
    EXPECT_EQ(j["coverage"]["complete"], true);
    EXPECT_TRUE(j["coverage"]["jobs"].empty());
    EXPECT_EQ(Count("job"), 4);
}

TEST_P(ContribApiTest, FilterStatusOnlyChangeDateChangeAndRangeChecks) {
    std::string hash = Create();
    std::string path = "/query/" + hash + "/update/filter/";
    auto got = Body(cli_->Get(path.c_str()));
    EXPECT_EQ(got, (json{{"pk", hash},
                         {"query", hash},
                         {"start_time", "2023-06-16T12:00:00Z"},
                         {"end_time", "2024-06-15T12:00:00Z"},
                         {"status", "merged,open,resolved,p-open"}}));
    // Status only: {"result": [...]} from the mirror.
    auto r = PatchJson(path, {{"username", "Jane Doe"}, {"status", "abandoned,declined"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    json j = Body(r);
    EXPECT_EQ(Keys(j), (std::set<std::string>{"result"}));
    ASSERT_EQ(j["result"].size(), 2u);
    EXPECT_EQ(j["result"][0]["status"], "ABANDONED");
    EXPECT_EQ(j["result"][1]["status"], "declined");
    EXPECT_EQ(Keys(j["result"][0]).size(), 9u);  // the same item shape as the result
    // Dates: the full result, previous and next "".
    r = PatchJson(path, {{"username", "Jane Doe"},
                         {"start_time", "2024-03-01T00:00:00.000Z"},
                         {"end_time", "2024-03-31T00:00:00Z"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    j = Body(r);
    EXPECT_EQ(j["previous"], "");
    EXPECT_EQ(j["next"], "");
    EXPECT_EQ(j["filters"]["start_time"], "2024-03-01T00:00:00Z");
    EXPECT_EQ(j["filters"]["status"], "abandoned,declined");
    EXPECT_EQ(j["result"].size(), 1u);  // the abandoned change of March 2

    // Range checks on the server; nothing is stored.
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Jane Doe"},
                                       {"start_time", "2024-04-01T00:00:00Z"},
                                       {"end_time", "2024-03-01T00:00:00Z"}}),
                      400),
              "start_time must not be after end_time");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Jane Doe"},
                                       {"start_time", "2022-01-01T00:00:00Z"},
                                       {"end_time", "2024-03-01T00:00:00Z"}}),
                      400),
              "The time range can be at most 366 days");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Jane Doe"},
                                       {"start_time", "2030-01-01T00:00:00Z"},
                                       {"end_time", "2030-02-01T00:00:00Z"}}),
                      400),
              "end_time is too far in the future");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Jane Doe"}, {"end_time", "yesterday"}}), 400),
              "end_time, Datetime has wrong format.");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Jane Doe"}, {"status", "pending"}}), 400),
              "status, 'pending' is not a valid status");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"status", "merged"}}), 400),
              "username, This field is required.");
    EXPECT_EQ(ErrorOf(PatchJson(path, {{"username", "Nobody"}, {"status", "merged"}}), 404),
              "Not Found");
    EXPECT_EQ(ErrorOf(PatchJson("/query/nope/update/filter/", {{"username", "Jane Doe"}}), 404),
              "Not found.");
    got = Body(cli_->Get(path.c_str()));
    EXPECT_EQ(got["start_time"], "2024-03-01T00:00:00Z");
    EXPECT_EQ(got["end_time"], "2024-03-31T00:00:00Z");
    EXPECT_EQ(got["status"], "abandoned,declined");

    // Re-submitting the same person keeps the filter (the original reset it).
    EXPECT_EQ(Create(), hash);
    EXPECT_EQ(Body(cli_->Get(path.c_str()))["status"], "abandoned,declined");
}

TEST_P(ContribApiTest, BadInputIsRefusedAndStoresNothing) {
    auto bad = [&](const json& body, const std::string& message) {
        EXPECT_EQ(ErrorOf(PostJson("/query/add/user/", body), 400), message) << body.dump();
    };
    bad({{"users", {kJane}}}, "Fill the form completely!");
    bad({{"file", -1}}, "Fill the form completely!");
    bad({{"file", -1}, {"users", {{{"fullname", "Jane"}, {"gerrit_username", "j"}}}}},
        "Fill the form completely!");
    bad({{"file", -1},
         {"users",
          {{{"fullname", ""},
            {"gerrit_username", ""},
            {"phabricator_username", ""},
            {"github_username", ""}}}}},
        "Please provide users data");
    bad({{"file", -1}, {"users", {kJane, kJane}}}, "Fullname's has to be unique!!");
    bad({{"file", -1},
         {"users",
          {{{"fullname", ""},
            {"gerrit_username", "j"},
            {"phabricator_username", ""},
            {"github_username", ""}}}}},
        "fullname, This field may not be blank.");
    bad({{"file", -1},
         {"users",
          {{{"fullname", "Jane"},
            {"gerrit_username", "j d"},
            {"phabricator_username", ""},
            {"github_username", ""}}}}},
        "gerrit_username, Enter a valid username.");
    bad({{"file", -1},
         {"users",
          {{{"fullname", 3},
            {"gerrit_username", "j"},
            {"phabricator_username", ""},
            {"github_username", ""}}}}},
        "fullname, Not a valid string.");
    bad({{"file", 0}}, "Please provide a CSV file");
    EXPECT_EQ(ErrorOf(cli_->Post("/query/add/user/", "{\"file\": ", "application/json"), 400),
              "JSON parse error - the body is not valid JSON");
    EXPECT_EQ(ErrorOf(cli_->Post("/query/add/user/", "[1]", "application/json"), 400),
              "JSON parse error - the body must be a JSON object");
    EXPECT_EQ(Count("contrib_query"), 0);
    EXPECT_EQ(Count("contrib_query_user"), 0);
    EXPECT_EQ(Count("job"), 0);

    EXPECT_EQ(ErrorOf(cli_->Get("/result/nope/"), 404), "Not found.");
    EXPECT_EQ(ErrorOf(cli_->Get("/result/nope/users/"), 404), "Not found.");
    EXPECT_EQ(ErrorOf(cli_->Get("/result/nope/commits/"), 404), "Not found.");
    EXPECT_EQ(ErrorOf(cli_->Get("/query/nope/update/user/"), 404), "Not found.");
    EXPECT_EQ(ErrorOf(cli_->Delete("/query/nope/update/user/"), 404), "Not found.");
    std::string hash = Create();
    EXPECT_EQ(ErrorOf(cli_->Get(("/result/" + hash + "/?user=Nobody").c_str()), 404), "Not Found");
    EXPECT_EQ(ErrorOf(cli_->Get(("/result/" + hash + "/commits/?created=junk").c_str()), 400),
              "created, Enter a valid date/time.");
    EXPECT_EQ(ErrorOf(cli_->Get(("/result/" + hash + "/commits/?day=2024-02-30").c_str()), 400),
              "day, Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
    EXPECT_EQ(ErrorOf(PostJson("/result/match-fullnames/", {{"users", json::array()}}), 400),
              "Fill the form completely!");
}

TEST_P(ContribApiTest, UsersReadReplaceDeleteAndCheck) {
    std::string hash = Create();
    std::string path = "/query/" + hash + "/update/user/";
    EXPECT_EQ(Body(cli_->Get(path.c_str())), (json{{"users",
                                                    {{{"pk", 1},
                                                      {"query", hash},
                                                      {"fullname", "Jane Doe"},
                                                      {"gerrit_username", "jdoe"},
                                                      {"github_username", "JaneD"},
                                                      {"phabricator_username", "jdoe"}}}},
                                                   {"file", -1}}));
    EXPECT_EQ(Body(PostJson("/query/" + hash + "/check/", json::object())),
              (json{{"query", true}, {"filter", true}}));
    EXPECT_EQ(Body(PostJson("/query/nope/check/", json::object())),
              (json{{"query", false}, {"filter", false}}));
    // Keeps the filter across the new hash.
    ASSERT_EQ(PatchJson("/query/" + hash + "/update/filter/",
                        {{"username", "Jane Doe"}, {"status", "merged"}})
                  ->status,
              200);
    json john = {{"fullname", "John Roe"},
                 {"gerrit_username", ""},
                 {"phabricator_username", "jroe"},
                 {"github_username", ""}};
    auto r = PatchJson(path, {{"file", -1}, {"users", {kJane, john}}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 303) << r->body;
    std::string moved =
        contrib::QueryHash({{"Jane Doe", "jdoe", "jdoe", "JaneD"}, {"John Roe", "", "jroe", ""}});
    EXPECT_EQ(r->Header("Location"), "/result/" + moved + "/");
    EXPECT_EQ(Body(r)["next"], "John Roe");
    EXPECT_EQ(ErrorOf(cli_->Get(path.c_str()), 404), "Not found.");
    EXPECT_EQ(Body(cli_->Get(("/result/" + moved + "/users/").c_str())),
              (json{{"users", {"Jane Doe", "John Roe"}}}));
    auto second = Body(cli_->Get(("/result/" + moved + "/?user=John%20Roe").c_str()));
    EXPECT_EQ(second["previous"], "Jane Doe");
    EXPECT_TRUE(second["next"].is_null());
    EXPECT_EQ(second["filters"]["status"], "merged");
    // John has no account in the mirror: the original's sentinels.
    EXPECT_EQ(second["meta"]["full_names"],
              (json{{"phab_full_name", "OOPS! We couldn't find an account with that username."},
                    {"gerrit_full_name", "OOPS! We couldn't find a username in your request."},
                    {"github_full_name", "OOPS! We couldn't find a username in your request."}}));
    EXPECT_EQ(second["meta"]["match_percent"], 0.0);
    EXPECT_TRUE(second["result"].empty());
    auto totals = Body(cli_->Get(("/result/" + moved + "/totals/").c_str()));
    ASSERT_EQ(totals["users"].size(), 2u);
    EXPECT_EQ(totals["users"][0]["gerrit"], 1);  // MERGED only
    EXPECT_EQ(totals["users"][0]["github"], 1);
    EXPECT_EQ(totals["users"][0]["total"], 2);
    EXPECT_EQ(totals["users"][1]["total"], 0);

    EXPECT_EQ(ErrorOf(PatchJson("/query/" + moved + "/update/user/", {{"file", -1}}), 400),
              "Fill form completely!");
    EXPECT_EQ(
        ErrorOf(PatchJson("/query/" + moved + "/update/user/", {{"file", -1},
                                                                {"users",
                                                                 {{{"fullname", ""},
                                                                   {"gerrit_username", ""},
                                                                   {"phabricator_username", ""},
                                                                   {"github_username", ""}}}}}),
                400),
        "Cannot update with the empty fields");
    auto del = cli_->Delete(("/query/" + moved + "/update/user/").c_str());
    EXPECT_EQ(Body(del), (json{{"message", "Successfully deleted the Query"}, {"error", 0}}));
    EXPECT_EQ(Count("contrib_query"), 0);
    EXPECT_EQ(Count("contrib_query_user"), 0);
    EXPECT_EQ(Count("contrib_query_filter"), 0);
}

TEST_P(ContribApiTest, MatchFullnames) {
    EXPECT_EQ(Body(PostJson("/result/match-fullnames/", {{"users", {kJane}}})),
              (json{{"match_percent", 100.0}}));
    json unknown = kJane;
    unknown["phabricator_username"] = "ghost";
    EXPECT_EQ(Body(PostJson("/result/match-fullnames/", {{"users", {unknown}}})),
              (json{{"match_percent", 0.0}}));
    EXPECT_EQ(Count("contrib_query"), 0);
}

TEST_P(ContribApiTest, CommitsOfADayByDayOrCreatedAndPaged) {
    std::string hash = Create();
    std::string base = "/result/" + hash + "/commits/";
    auto j = Body(cli_->Get((base + "?day=2024-03-01").c_str()));
    EXPECT_EQ(Keys(j), (std::set<std::string>{"count", "next", "previous", "results"}));
    EXPECT_EQ(j["count"], 4);  // 101 MERGED, 102 NEW, task 5 open, the commit
    EXPECT_TRUE(j["next"].is_null());
    EXPECT_TRUE(j["previous"].is_null());
    EXPECT_EQ(j["results"][0], (json{{"heading", "Fix bug"},
                                     {"platform", "Gerrit"},
                                     {"redirect", "101"},
                                     {"authored", true},
                                     {"assigned", true},
                                     {"status", "MERGED"},
                                     {"staus", "MERGED"},
                                     {"url", "https://gerrit.example.org/r/c/mediawiki/core/+/101"},
                                     {"time", "2024-03-01T10:00:00+00:00"}}));
    EXPECT_EQ(j["results"][2]["redirect"], "T5");
    EXPECT_EQ(j["results"][3]["redirect"], "https://github.com/wikimedia/x/commit/abc123");
    // The original client's form: the exact times, "+" sent unencoded (read as a space).
    auto c = Body(
        cli_->Get((base + "?created=2024-03-01T10:00:00+00:00,2024-03-01T12:00:00+00:00").c_str()));
    EXPECT_EQ(c["count"], 2);
    EXPECT_EQ(c["results"][1]["platform"], "Phabricator");

    for (int i = 0; i < 60; ++i) {
        AddContribution("gerrit", "change", std::to_string(1000 + i), "jdoe",
                        "2024-05-05T08:00:00Z", "MERGED", "Bulk " + std::to_string(i), "",
                        "mediawiki/core", true, true);
    }
    auto p1 = Body(cli_->Get((base + "?day=2024-05-05").c_str(),
                             HttpHeaders{{"Host", "contrib.example.org"}}));
    EXPECT_EQ(p1["count"], 60);
    EXPECT_EQ(p1["results"].size(), 50u);
    EXPECT_EQ(p1["next"], "http://contrib.example.org" + base + "?day=2024-05-05&page=2");
    auto p2 = Body(cli_->Get((base + "?day=2024-05-05&page=2").c_str(),
                             HttpHeaders{{"Host", "contrib.example.org"}}));
    EXPECT_EQ(p2["results"].size(), 10u);
    EXPECT_TRUE(p2["next"].is_null());
    EXPECT_EQ(p2["previous"], "http://contrib.example.org" + base + "?day=2024-05-05");
    EXPECT_EQ(ErrorOf(cli_->Get((base + "?day=2024-05-05&page=3").c_str()), 404), "Invalid page.");
    EXPECT_EQ(ErrorOf(cli_->Get((base + "?day=2024-05-05&page=x").c_str()), 404), "Invalid page.");
}

TEST_P(ContribApiTest, ChunkedCsvUpload) {
    std::string part1 = "fullname,Gerrit,Phabricator,Github\r\nJane Doe,jdoe,jdoe,Ja";
    std::string part2 = "neD\r\nJohn Roe,,jroe,\r\n";
    auto r = PostForm("/query/add/user/", {{"file", "0", "", ""},
                                           {"chunk", "1", "", ""},
                                           {"complete", "-1", "", ""},
                                           {"csv_file", part1, "users.csv", "text/csv"}});
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json step = Body(r);
    std::string hash = step.value("message", "");
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_EQ(step, (json{{"message", hash}, {"chunk", "1"}, {"error", 0}}));
    EXPECT_EQ(Count("contrib_query"), 0);  // not a query until the last chunk
    // Out of order: refused.
    EXPECT_EQ(ErrorOf(PostForm("/query/add/user/", {{"file", "0", "", ""},
                                                    {"chunk", "3", "", ""},
                                                    {"complete", "0", "", ""},
                                                    {"hash_code", hash, "", ""},
                                                    {"csv_file", part2, "users.csv", "text/csv"}}),
                      400),
              "chunk, expected chunk 2, not 3");
    r = PostForm("/query/add/user/", {{"file", "0", "", ""},
                                      {"chunk", "2", "", ""},
                                      {"complete", "0", "", ""},
                                      {"hash_code", hash, "", ""},
                                      {"csv_file", part2, "users.csv", "text/csv"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 302) << r->body;
    EXPECT_EQ(r->Header("Location"), "/result/" + hash + "/");
    EXPECT_EQ(Body(r)["next"], "John Roe");
    EXPECT_EQ(Count("contrib_upload_chunk"), 0);
    auto users = Body(cli_->Get(("/query/" + hash + "/update/user/").c_str()));
    EXPECT_EQ(users["file"], 0);
    EXPECT_EQ(users["uri"],
              "http://127.0.0.1:" + std::to_string(server_->port()) + "/query/" + hash + "/csv/");
    auto csv = cli_->Get(("/query/" + hash + "/csv/").c_str());
    ASSERT_TRUE(csv);
    EXPECT_EQ(csv->body,
              "fullname,Gerrit,Phabricator,Github\r\nJane Doe,jdoe,jdoe,JaneD\r\n"
              "John Roe,,jroe,\r\n");

    // PATCH with CSV chunks replaces the users of a CSV query and keeps its hash.
    std::string path = "/query/" + hash + "/update/user/";
    r = PatchForm(path,
                  {{"file", "0", "", ""},
                   {"chunk", "1", "", ""},
                   {"complete", "-1", "", ""},
                   {"csv_file", "fullname,Gerrit,Phabricator,Github\n", "u.csv", "text/csv"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(Body(r), (json{{"message", "Successfully updated."}, {"chunk", "1"}, {"error", 0}}));
    r = PatchForm(path, {{"file", "0", "", ""},
                         {"chunk", "2", "", ""},
                         {"complete", "0", "", ""},
                         {"csv_file", "Ann Lee,alee,,\n", "u.csv", "text/csv"}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 303) << r->body;
    EXPECT_EQ(r->Header("Location"), "/result/" + hash + "/");
    EXPECT_EQ(Body(cli_->Get(("/result/" + hash + "/users/").c_str())),
              (json{{"users", {"Ann Lee"}}}));

    // A malformed CSV in one chunk: 400, nothing stored.
    EXPECT_EQ(ErrorOf(PostForm("/query/add/user/",
                               {{"file", "0", "", ""},
                                {"chunk", "1", "", ""},
                                {"complete", "0", "", ""},
                                {"csv_file", "name,gerrit\nx,y\n", "u.csv", "text/csv"}}),
                      400),
              "CSV file uploaded is not in the supported format. Click on \xE2\x93\x98 "
              "(Information icon) to check the format.");
    EXPECT_EQ(ErrorOf(PostForm("/query/add/user/", {{"file", "0", "", ""},
                                                    {"chunk", "1", "", ""},
                                                    {"complete", "0", "", ""}}),
                      400),
              "Please provide a CSV file");
    EXPECT_EQ(
        ErrorOf(cli_->Post("/query/add/user/", "--x\r\nbroken", "multipart/form-data; boundary=x"),
                400),
        "Multipart form parse error - the body is malformed");
    EXPECT_EQ(Count("contrib_query"), 1);
    EXPECT_EQ(Count("contrib_upload_chunk"), 0);
}

TEST_P(ContribApiTest, CorsOnEveryAnswerAndPreflights) {
    auto r = cli_->Options("/query/add/user/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->Header("Access-Control-Allow-Origin"), "*");
    EXPECT_NE(r->Header("Access-Control-Allow-Methods").find("PATCH"), std::string::npos);
    r = cli_->Options("/result/abc/commits/");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
    std::string hash = Create();
    for (const auto& path : {"/result/" + hash + "/", "/result/" + hash + "/users/",
                             "/query/" + hash + "/update/filter/", std::string("/result/nope/")}) {
        auto g = cli_->Get(path.c_str());
        ASSERT_TRUE(g);
        EXPECT_EQ(g->Header("Access-Control-Allow-Origin"), "*") << path;
    }
}

FORGEDB_INSTANTIATE_BACKENDS(ContribApiTest);

}  // namespace
}  // namespace forgedb::testing
