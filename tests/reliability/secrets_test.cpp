// Secrets, on both backends. The real `forgedb serve`, at debug level, with a distinctive value
// for every option that holds a secret and fake GitHub, Gerrit and Phabricator behind it: after
// signed and badly signed webhooks, load routes with right, wrong and missing tokens, crawls that
// succeed and crawls refused by the forge (401, 403, a refused Conduit token that the forge
// echoes) or failing (500), the status route, the pages and the health routes, no secret (nor its
// base64 or percent-encoded form) is in the log, in an answer, or in the text of the job and
// webhook_delivery rows. Every route of the load surface (taken from its route table) refuses a
// missing or wrong token and queues nothing; pages escape user data; static routes serve nothing
// outside their assets; the token comparison is constant-time.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_conduit.hpp"
#include "fake_gerrit.hpp"
#include "fake_github.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/base64.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/load/load_surface.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "support/contrib_site.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/raw_http.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// One distinctive value per secret option of `forgedb serve`.
struct Secrets {
    std::string github_webhook = "ghwhsec-Q7xv3Lr9Tz";
    std::string api_token = "apitok-M2pz8Kd4Wq";
    std::string github_token = "ghp_tokA1b2C3d4E5f6G7h8";
    std::string github_token_file = "ghp_tokZ9y8X7w6V5u4T3s2";
    std::string gerrit_user = "crawler";
    std::string gerrit_password = "gerrit/pw+R4nd0mHx=";
    std::string gerrit_webhook = "gerritwh-S3cr3tK9p";
    std::string phabricator_token = "api-ph4bt0k3nq8w7e6r5t4y3u2i1o0p";
    std::string phabricator_hook_key = "heraldkey-J8n2Qw5Xc";

    // Every secret, and the forms in which it could leak.
    std::vector<std::pair<std::string, std::string>> Forms() const {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
                 {"github webhook secret", github_webhook},
                 {"api token", api_token},
                 {"github token", github_token},
                 {"github token (file)", github_token_file},
                 {"gerrit password", gerrit_password},
                 {"gerrit webhook secret", gerrit_webhook},
                 {"phabricator token", phabricator_token},
                 {"phabricator hook key", phabricator_hook_key}}) {
            out.push_back({name, value});
            out.push_back({name + " (base64)", Base64Encode(value)});
            if (PercentEncode(value) != value) {
                out.push_back({name + " (percent-encoded)", PercentEncode(value)});
            }
        }
        out.push_back({"gerrit basic auth", Base64Encode(gerrit_user + ":" + gerrit_password)});
        return out;
    }
};

// The forge's own error answer with `status` for the next `count` requests under `prefix`.
fake::Fault StatusFault(int status, const std::string& prefix, int count) {
    fake::Fault f;
    f.kind = fake::FaultKind::kStatus;
    f.status = status;
    f.path_prefix = prefix;
    f.count = count;
    return f;
}

std::string WriteFile(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text << "\n";
    return path.string();
}

class ServeSecretsTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        dir_ = fs::temp_directory_path() /
               ("forgedb_secrets_" + std::to_string(getpid()) + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
        fs::create_directories(dir_);
        // The forges behind forgedb.
        fake::GenerateOptions small;
        small.pulls = 2;
        small.issues = 1;
        github_.Generate("octo", "hello", small);
        github_.SetTokenUser(s_.github_token, "octo");
        ASSERT_TRUE(github_.Start());
        gerrit_.Generate("alice", 3);
        gerrit_.SetPassword(s_.gerrit_user, s_.gerrit_password);
        ASSERT_TRUE(gerrit_.Start());
        conduit_.SetTokens({s_.phabricator_token});
        conduit_.Generate("alice", 3);
        ASSERT_TRUE(conduit_.Start());
    }
    void TearDown() override {
        StopServer();
        github_.Stop();
        gerrit_.Stop();
        conduit_.Stop();
        if (!dir_.empty()) fs::remove_all(dir_);
    }

    void StartServer() {
        port_ = FreePort();
        std::vector<std::string> args = {
            FORGEDB_BINARY,
            "--log-level",
            "debug",
            "serve",
            "--database",
            tdb().url(),
            "--listen",
            "127.0.0.1:" + std::to_string(port_),
            "--workers",
            "2",
            "--lease-seconds",
            "5",
            "--github-webhook-secret",
            s_.github_webhook,
            "--api-token",
            s_.api_token,
            "--github-api-url",
            github_.base_url(),
            "--github-token",
            s_.github_token,
            "--github-token-file",
            WriteFile(dir_ / "github-tokens", s_.github_token_file),
            "--gerrit",
            "wm=" + gerrit_.base_url(),
            "--gerrit-auth",
            "wm=" + s_.gerrit_user + ":" + WriteFile(dir_ / "gerrit-password", s_.gerrit_password),
            "--gerrit-webhook-secret",
            "wm=" + WriteFile(dir_ / "gerrit-webhook", s_.gerrit_webhook),
            "--phabricator",
            "wm=" + conduit_.base_url(),
            "--phabricator-token",
            "wm=" + WriteFile(dir_ / "phabricator-token", s_.phabricator_token),
            "--phabricator-hook-key",
            "wm=" + WriteFile(dir_ / "phabricator-hook-key", s_.phabricator_hook_key),
            "--contrib-gerrit",
            "wm",
            "--contrib-phabricator",
            "wm"};
        log_path_ = (dir_ / "serve.log").string();
        server_ = std::make_unique<ChildProcess>(args, log_path_);
        ASSERT_TRUE(WaitHealthy(port_, 20)) << "server did not start:\n" << server_->Log();
        client_ = std::make_unique<TestClient>("127.0.0.1", port_);
    }
    void StopServer() {
        if (!server_) return;
        server_->Kill(SIGTERM);
        server_->Wait();
        log_ = server_->Log();
        server_.reset();
    }

    // Sends a request and keeps its answer (headers and body) for the leak check.
    TestReply Send(const std::string& method, const std::string& path, HttpHeaders headers = {},
                   const std::string& body = "", const std::string& content_type = "") {
        auto reply = client_->Send(method, path, headers, body, content_type);
        EXPECT_TRUE(reply) << method << " " << path << ": " << client_->last_error();
        if (!reply) return {};
        std::string seen = reply->body;
        for (const auto& [name, value] : reply->headers) seen += "\n" + name + ": " + value;
        answers_.push_back(std::move(seen));  // not the request, which holds secrets itself
        return *reply;
    }
    HttpHeaders Bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
    // POST /load/... with the right token; returns the queued job's id (0 when none).
    long long Load(const std::string& path) {
        auto r = Send("POST", path, Bearer(s_.api_token));
        EXPECT_EQ(r.status, 202) << path << ": " << r.body;
        auto j = json::parse(r.body, nullptr, false);
        return j.is_object() && j.contains("id") ? j["id"].get<long long>() : 0;
    }
    // Waits until no job is waiting for a first attempt or running.
    void WaitForJobs(int seconds) {
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
        while (std::chrono::steady_clock::now() < until) {
            if (tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running' OR (state = "
                            "'queued' AND last_error IS NULL)") == 0) {
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        ADD_FAILURE() << "jobs still running after " << seconds << " s";
    }
    // Every text of the rows of `table`.
    std::vector<std::string> TableText(const std::string& table) {
        std::vector<std::string> out;
        auto rows = tdb().conn().Query("SELECT * FROM " + table);
        EXPECT_TRUE(rows) << rows.error().ToString();
        if (!rows) return out;
        for (const auto& r : rows->rows) {
            for (const auto& v : r) {
                if (v) out.push_back(*v);
            }
        }
        return out;
    }

    Secrets s_;
    fs::path dir_;
    fake::FakeGithub github_;
    fake::FakeGerrit gerrit_;
    fake::FakeConduit conduit_;
    int port_ = 0;
    std::string log_path_;
    std::string log_;
    std::unique_ptr<ChildProcess> server_;
    std::unique_ptr<TestClient> client_;
    std::vector<std::string> answers_;
};
FORGEDB_INSTANTIATE_BACKENDS(ServeSecretsTest);

TEST_P(ServeSecretsTest, NoSecretReachesTheLogTheAnswersOrTheTables) {
    StartServer();
    // GitHub webhooks, signed and not.
    const std::string issue = ReadFile(DataPath("github/webhooks/issues/opened.payload.json"));
    HttpHeaders hook{{"X-GitHub-Event", "issues"}, {"X-GitHub-Delivery", "secrets-1"}};
    auto signed_hook = hook;
    signed_hook.emplace_back("X-Hub-Signature-256",
                             "sha256=" + HmacSha256Hex(s_.github_webhook, issue));
    EXPECT_EQ(Send("POST", "/replication", signed_hook, issue, "application/json").status, 202);
    auto bad_hook = hook;
    bad_hook.emplace_back("X-Hub-Signature-256", "sha256=" + HmacSha256Hex("guess", issue));
    EXPECT_EQ(Send("POST", "/replication", bad_hook, issue, "application/json").status, 401);
    // Gerrit events: the secret travels in the query.
    const std::string event =
        ReadFile(DataPath("gerrit/cdevents-community/webhook.comment-added.cdevents.json"));
    EXPECT_EQ(Send("POST", "/replication/gerrit/wm?secret=" + PercentEncode(s_.gerrit_webhook), {},
                   event, "application/json")
                  .status,
              202);
    EXPECT_EQ(
        Send("POST", "/replication/gerrit/wm?secret=guess", {}, event, "application/json").status,
        401);
    EXPECT_EQ(Send("POST", "/replication/gerrit/wm", {}, event, "application/json").status, 401);
    // Herald calls.
    const std::string herald =
        json{{"object", {{"type", "TASK"}, {"phid", "PHID-TASK-6jqrwrnxh3ryxflsfeq6"}}}}.dump();
    EXPECT_EQ(
        Send("POST", "/replication/phabricator/wm",
             {{"X-Phabricator-Webhook-Signature", HmacSha256Hex(s_.phabricator_hook_key, herald)}},
             herald, "application/json")
            .status,
        202);
    EXPECT_EQ(Send("POST", "/replication/phabricator/wm",
                   {{"X-Phabricator-Webhook-Signature", HmacSha256Hex("guess", herald)}}, herald,
                   "application/json")
                  .status,
              401);

    // Load routes with a missing, wrong and right token.
    EXPECT_EQ(Send("POST", "/load/repos/octo/hello").status, 401);
    EXPECT_EQ(Send("POST", "/load/repos/octo/hello", Bearer("guess")).status, 401);
    EXPECT_EQ(Send("POST", "/load/repos/octo/hello",
                   {{"Authorization", "Basic " + Base64Encode("x:" + s_.api_token)}})
                  .status,
              401);
    std::vector<long long> jobs;
    // Crawls that succeed.
    jobs.push_back(Load("/load/repos/octo/hello/pulls"));
    jobs.push_back(Load("/load/gerrit/wm/changes?q=owner:alice"));
    jobs.push_back(Load("/load/phabricator/wm/tasks?author=alice"));
    WaitForJobs(60);
    // Crawls the forges refuse or fail: the errors are built around the credentials.
    github_.AddFault(StatusFault(401, "/repos/octo/hello/issues", 100));
    github_.AddFault(StatusFault(403, "/repos/octo/hello/labels", 100));
    github_.AddFault(StatusFault(500, "/repos/octo/hello/milestones", 100));
    jobs.push_back(Load("/load/repos/octo/hello/issues"));
    jobs.push_back(Load("/load/repos/octo/hello/labels"));
    jobs.push_back(Load("/load/repos/octo/hello/milestones"));
    // Inline, the error is the answer's body.
    github_.AddFault(StatusFault(401, "/repos/octo/hello/pulls/1", 100));
    Send("POST", "/load/repos/octo/hello/pulls/1?inline=true", Bearer(s_.api_token));
    gerrit_.AddFault(StatusFault(401, "/accounts/", 100));
    Send("POST", "/load/gerrit/wm/accounts/alice?inline=true", Bearer(s_.api_token));
    gerrit_.AddFault(StatusFault(403, "/changes/", 1));
    jobs.push_back(Load("/load/gerrit/wm/changes?q=owner:bob"));
    WaitForJobs(30);
    gerrit_.AddFault(StatusFault(500, "/changes/", 100));
    jobs.push_back(Load("/load/gerrit/wm/changes?q=owner:carol"));
    WaitForJobs(30);
    // Conduit refuses the token, quoting it in its answer (as Phabricator does).
    conduit_.SetTokens({"api-someoneelsestokenxxxxxxxxxxx"});
    jobs.push_back(Load("/load/phabricator/wm/tasks?assigned=alice"));
    Send("POST", "/load/phabricator/wm/users/alice?inline=true", Bearer(s_.api_token));
    WaitForJobs(30);
    conduit_.SetTokens({s_.phabricator_token});
    conduit_.AddFault(StatusFault(500, "", 100));
    jobs.push_back(Load("/load/phabricator/wm/revisions?author=alice"));
    WaitForJobs(30);

    // The forge errors did happen and were recorded.
    EXPECT_GE(tdb().Count("SELECT COUNT(*) FROM job WHERE last_error IS NOT NULL"), 5);
    EXPECT_GE(conduit_.Stats().total, 2);
    // Status of every job, with and without the token; the pages; health.
    for (long long id : jobs) {
        ASSERT_GT(id, 0);
        EXPECT_EQ(Send("GET", "/tasks/status/" + std::to_string(id), Bearer(s_.api_token)).status,
                  200);
        EXPECT_EQ(Send("GET", "/tasks/status/" + std::to_string(id)).status, 401);
    }
    auto created = Send("POST", "/query/add/user/", {},
                        json{{"file", -1},
                             {"users",
                              {{{"fullname", "Alice"},
                                {"gerrit_username", "alice"},
                                {"phabricator_username", "alice"},
                                {"github_username", "octo"}}}}}
                            .dump(),
                        "application/json");
    EXPECT_EQ(created.status, 302) << created.body;
    auto hash = json::parse(created.body, nullptr, false).value("query", "");
    EXPECT_FALSE(hash.empty());
    for (const std::string& path :
         std::vector<std::string>{"/", "/" + hash + "/", "/result/" + hash + "/", "/livez",
                                  "/readyz", "/healthz", "/static/forgedb.js", "/no/such/page"}) {
        Send("GET", path);
    }
    StopServer();

    // Everything is in: the server processed deliveries and logged at debug level.
    ASSERT_NE(log_.find("debug"), std::string::npos) << log_;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery"), 3);
    std::vector<std::pair<std::string, std::vector<std::string>>> places = {{"server log", {log_}},
                                                                            {"answers", answers_}};
    for (const char* table : {"job", "webhook_delivery", "github_rate_limit", "github_api_etag",
                              "crawl_watermark", "contrib_coverage"}) {
        places.push_back({std::string("table ") + table, TableText(table)});
    }
    for (const auto& [secret_name, value] : s_.Forms()) {
        for (const auto& [place, texts] : places) {
            for (const auto& text : texts) {
                auto at = text.find(value);
                EXPECT_EQ(at, std::string::npos)
                    << secret_name << " in the " << place << ": ..."
                    << text.substr(at == std::string::npos ? 0 : (at > 200 ? at - 200 : 0), 400);
            }
        }
    }
}

// The routes of the load surface, from its own route table, with a value for each placeholder.
std::vector<std::pair<std::string, std::string>> LoadRoutes(TestDatabase& tdb) {
    SystemClock clock;
    queue::Notifier notifier;
    load::LoadSurface surface(tdb.db(), clock, notifier, OfflineForges(), {"unused"});
    const std::map<std::string, std::string> values = {
        {"owner", "octo"},     {"repo", "hello"},  {"number", "1"}, {"name", "bug"},
        {"username", "alice"}, {"instance", "wm"}, {"id", "1"}};
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& route : surface.Routes()) {
        std::string path = route.pattern;
        for (const auto& [key, value] : values) {
            const std::string placeholder = "{" + key + "}";
            for (size_t at = path.find(placeholder); at != std::string::npos;
                 at = path.find(placeholder)) {
                path.replace(at, placeholder.size(), value);
            }
        }
        EXPECT_EQ(path.find('{'), std::string::npos) << "a placeholder without a value: " << path;
        out.push_back({route.method, path});
    }
    return out;
}

TEST_P(ServeSecretsTest, EveryLoadAndTaskRouteRefusesAMissingOrWrongToken) {
    StartServer();
    auto routes = LoadRoutes(tdb());
    ASSERT_GE(routes.size(), 25u);
    EXPECT_EQ(std::count_if(routes.begin(), routes.end(),
                            [](const auto& r) { return r.second.rfind("/tasks/status/", 0) == 0; }),
              1);
    const std::string& t = s_.api_token;
    const std::vector<std::optional<std::string>> refused = {
        std::nullopt,
        "",
        "Bearer",
        "Bearer ",
        "Bearer guess",
        "Bearer " + t.substr(0, t.size() - 1),
        "Bearer " + t + "x",
        "Bearer " + t.substr(1),
        "Bearer " + std::string(t.size(), 'a'),
        "Bearer " + t + " " + t,
        "Basic " + Base64Encode("api:" + t),
        "Token " + t,
        t,
        "Bearer" + t,
    };
    for (const auto& [method, path] : routes) {
        for (const auto& auth : refused) {
            SCOPED_TRACE(method + " " + path + " with " + auth.value_or("(no Authorization)"));
            HttpHeaders h;
            if (auth) h.emplace_back("Authorization", *auth);
            auto r =
                Send(method, path + (method == "POST" ? "?q=owner:alice&author=alice" : ""), h);
            EXPECT_EQ(r.status, 401) << r.body;
            EXPECT_EQ(r.Header("WWW-Authenticate"), "Bearer");
        }
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 0) << "a refused request queued a job";
    // The right token, in a scheme of any case, is accepted (the refusals above are the token's).
    auto accepted = Send("POST", "/load/repos/octo/hello", {{"Authorization", "bEaReR " + t}});
    ASSERT_EQ(accepted.status, 202) << accepted.body;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 1);
    const auto id = json::parse(accepted.body)["id"].get<long long>();
    EXPECT_EQ(Send("GET", "/tasks/status/" + std::to_string(id), Bearer(t)).status, 200);
    EXPECT_EQ(Send("GET", "/tasks/status/" + std::to_string(id), Bearer(t + "x")).status, 401);
}

// Without a configured token, every request is refused, an empty bearer included.
TEST_P(ServeSecretsTest, WithoutAConfiguredTokenEveryLoadIsRefused) {
    SystemClock clock;
    queue::Notifier notifier;
    load::LoadSurface surface(tdb().db(), clock, notifier, OfflineForges(), {""});
    for (const auto& route : surface.Routes()) {
        for (const char* auth : {"", "Bearer", "Bearer ", "Bearer  "}) {
            http::Request req;
            req.method = route.method;
            req.path = "/load/repos/octo/hello";
            req.params = {{"owner", "octo"}, {"repo", "hello"}, {"id", "1"}};
            req.headers.emplace("Authorization", auth);
            EXPECT_EQ(route.handler(req).status, 401) << route.pattern << " '" << auth << "'";
        }
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 0);
}

// Static routes serve their two assets and nothing else: no encoding of "..", no backslash, no
// double encoding reaches a file outside them.
TEST_P(ServeSecretsTest, StaticRoutesServeNothingOutsideTheirAssets) {
    StartServer();
    const std::string passwd = ReadFile("/etc/passwd");
    const std::string first_line = passwd.substr(0, passwd.find('\n'));
    ASSERT_FALSE(first_line.empty());
    const std::string targets[] = {
        "/static/../../etc/passwd",
        "/static/../../../../../../etc/passwd",
        "/../../../../etc/passwd",
        "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/static/%252e%252e%252f%252e%252e%252fetc%252fpasswd",
        "/static/..%252f..%252f..%252fetc%252fpasswd",
        "/static/..\\..\\..\\..\\etc\\passwd",
        "/static/..%5c..%5c..%5c..%5cetc%5cpasswd",
        "/static/forgedb.css/../../../../etc/passwd",
        "/static/forgedb.css%2f..%2f..%2f..%2fetc%2fpasswd",
        "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
        "/static/....//....//etc/passwd",
        "/static//etc/passwd",
        "//etc/passwd",
        "/static/%00../../etc/passwd",
        "/static/forgedb.css%00.txt",
        "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd/",
        "/..%2f..%2f..%2fetc%2fpasswd",
        "/static/etc/passwd",
        "/etc/passwd",
        "/static/",
        "/static",
    };
    for (const auto& target : targets) {
        SCOPED_TRACE(target);
        RawConnection c(port_);
        ASSERT_TRUE(c.Send(RawRequest("GET", target)));
        auto answer = c.Read();
        ASSERT_TRUE(answer) << "no answer";
        EXPECT_TRUE(answer->status == 400 || answer->status == 404) << answer->status;
        EXPECT_EQ(answer->body.find(first_line), std::string::npos);
        EXPECT_EQ(answer->body.find("root:"), std::string::npos);
    }
    // The assets themselves are served (the refusals above are of the paths).
    RawConnection c(port_);
    ASSERT_TRUE(c.Send(RawRequest("GET", "/static/forgedb.css")));
    auto css = c.Read();
    ASSERT_TRUE(css);
    EXPECT_EQ(css->status, 200);
    EXPECT_NE(css->Header("content-type").find("text/css"), std::string::npos);
    // The server is unharmed.
    EXPECT_TRUE(WaitHealthy(port_, 5));
}

// ---------------------------------------------------------------------------------------------
// Pages escape user data

constexpr const char* kScript = "<script>alert(1)</script>";
constexpr const char* kImage = "\"><img src=x onerror=alert(1)>";
// Usernames take no spaces.
constexpr const char* kImageName = "\"><img/src=x/onerror=alert(1)>";

class PageEscapingTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        clock_ = std::make_unique<ManualClock>(*ParseTimestamp("2024-06-15T12:00:00Z"));
        // The mirror's real names and titles are user data too.
        Exec(
            "INSERT INTO gerrit_account (instance, account_id, username, name) VALUES "
            "('wm', 1, ?, ?)",
            {std::string(kScript), std::string(kImage)});
        Exec(
            "INSERT INTO phabricator_user (instance, phid, id, username, real_name) VALUES "
            "('wm', 'PHID-USER-x', 7, ?, ?)",
            {std::string(kImageName), std::string(kScript)});
        Exec(
            "INSERT INTO contribution (platform, instance, kind, source_id, account, time, "
            "status, title, url, project, repo_owner, change_id, authored, assigned) VALUES "
            "('gerrit', 'wm', 'change', '101', ?, '2024-03-01T10:00:00Z', 'MERGED', ?, '', ?, "
            "'', NULL, ?, ?)",
            {std::string(kScript), std::string(kImage) + std::string(kScript), std::string(kImage),
             true, false});
        site_ = std::make_unique<ContribSite>(tdb(), *clock_);
        service_ = &site_->service();
        cli_ = &site_->client();
    }
    void TearDown() override { site_.reset(); }
    void Exec(const std::string& sql, const std::vector<model::Value>& params) {
        auto res = tdb().conn().Query(sql, params);
        ASSERT_TRUE(res) << res.error().ToString();
    }
    // An HTML page holds the hostile strings only escaped.
    void ExpectEscaped(const std::string& what, const std::string& page) {
        SCOPED_TRACE(what);
        for (const char* raw : {"<script>alert", "<img", "onerror=alert(1)>", "\"><img"}) {
            EXPECT_EQ(page.find(raw), std::string::npos) << raw << " unescaped in:\n" << page;
        }
    }

    std::unique_ptr<ManualClock> clock_;
    std::unique_ptr<ContribSite> site_;
    contrib::Service* service_ = nullptr;
    TestClient* cli_ = nullptr;
};
FORGEDB_INSTANTIATE_BACKENDS(PageEscapingTest);

TEST_P(PageEscapingTest, HostileNamesAndTitlesAreServedOnlyEscaped) {
    // Two people through the API: every name and username hostile.
    json users = json::array({{{"fullname", kScript},
                               {"gerrit_username", kScript},
                               {"phabricator_username", kImageName},
                               {"github_username", kScript}},
                              {{"fullname", kImage},
                               {"gerrit_username", kImageName},
                               {"phabricator_username", kScript},
                               {"github_username", kImageName}}});
    auto created = cli_->Post("/query/add/user/", json{{"file", -1}, {"users", users}}.dump(),
                              "application/json");
    ASSERT_TRUE(created);
    ASSERT_EQ(created->status, 302) << created->body;
    const std::string hash = json::parse(created->body)["query"];
    // The API is JSON: the names come back as they were given.
    auto names = json::parse(cli_->Get("/result/" + hash + "/users/")->body);
    EXPECT_EQ(names["users"], json::array({kScript, kImage}));

    const std::string self = "/" + hash + "/";
    std::vector<std::pair<std::string, std::string>> pages;
    for (const std::string& path :
         {self, self + "?day=2024-03-01", self + "?view=table",
          self + "?user=" + PercentEncode(kImage),
          self + "?user=" + PercentEncode(kImage) + "&day=2024-03-01", std::string("/")}) {
        auto page = cli_->Get(path);
        ASSERT_TRUE(page) << path;
        EXPECT_EQ(page->status, 200) << path;
        EXPECT_NE(page->Header("Content-Type").find("text/html"), std::string::npos);
        pages.push_back({path, page->body});
    }
    // The form re-rendered with what was typed, and its error page.
    const std::string form = "fullname=" + PercentEncode(kScript) +
                             "&gerrit=" + PercentEncode(kImageName) + "&phabricator=&github=";
    for (const char* action : {"add-row", "remove-row"}) {
        auto page = cli_->Post("/", form + "&action=" + std::string(action),
                               "application/x-www-form-urlencoded");
        ASSERT_TRUE(page);
        pages.push_back({std::string("POST / ") + action, page->body});
    }
    auto twice = cli_->Post("/",
                            "fullname=" + PercentEncode(kImage) + "&gerrit=a&fullname=" +
                                PercentEncode(kImage) + "&gerrit=b&action=search",
                            "application/x-www-form-urlencoded");
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->status, 400);
    pages.push_back({"POST / twice", twice->body});
    auto unknown = cli_->Get(self + "?user=" + PercentEncode(kScript + std::string("x")));
    ASSERT_TRUE(unknown);
    pages.push_back({"unknown user", unknown->body});
    for (const auto& [what, body] : pages) ExpectEscaped(what, body);

    // And they are there, escaped: the names, the usernames in the links, the real names, the
    // title of the day's item.
    const std::string& person = pages[0].second;
    EXPECT_NE(person.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos) << person;
    const std::string& other = pages[3].second;
    EXPECT_NE(other.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos)
        << other;
    const std::string& day = pages[1].second;
    EXPECT_NE(day.find("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"),
              std::string::npos)
        << day;
    EXPECT_NE(pages[6].second.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Constant-time comparison

TEST(ConstantTimeCompare, EqualOnlyForTheSameBytes) {
    const std::string token = "apitok-M2pz8Kd4Wq";
    EXPECT_TRUE(ConstantTimeEquals(token, token));
    EXPECT_TRUE(ConstantTimeEquals(token, std::string(token)));
    EXPECT_FALSE(ConstantTimeEquals(token, "apitok-M2pz8Kd4Wr"));                // last byte
    EXPECT_FALSE(ConstantTimeEquals(token, "bpitok-M2pz8Kd4Wq"));                // first byte
    EXPECT_FALSE(ConstantTimeEquals(token, token.substr(0, token.size() - 1)));  // a prefix
    EXPECT_FALSE(ConstantTimeEquals(token, token + "x"));                        // longer
    EXPECT_FALSE(ConstantTimeEquals(token, token + std::string(1, '\0')));       // NUL after
    EXPECT_FALSE(ConstantTimeEquals(token, ""));
    EXPECT_FALSE(ConstantTimeEquals("", token));
    EXPECT_FALSE(ConstantTimeEquals(token, "APITOK-M2PZ8KD4WQ"));  // case matters
    EXPECT_TRUE(ConstantTimeEquals("", ""));  // callers refuse an empty configured token
    // Bytes after a NUL count.
    EXPECT_FALSE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0c", 3)));
    EXPECT_TRUE(ConstantTimeEquals(std::string("a\0b", 3), std::string("a\0b", 3)));
    // Every single-bit difference at every position is seen.
    for (size_t i = 0; i < token.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string other = token;
            other[i] = static_cast<char>(other[i] ^ (1 << bit));
            EXPECT_FALSE(ConstantTimeEquals(token, other)) << i << " " << bit;
        }
    }
}

// The comparison of equal lengths is OpenSSL's CRYPTO_memcmp, which reads every byte whatever
// it finds; the length check reveals nothing about the content. Every place that compares a
// secret goes through it (the Gerrit secret as digests, so that its length does not show
// either).
TEST(ConstantTimeCompare, SecretsAreComparedWithCryptoMemcmpOnly) {
    const fs::path src = fs::path(FORGEDB_TEST_DATA) / ".." / ".." / "src" / "forgedb";
    auto read = [&](const std::string& rel) { return ReadFile((src / rel).string()); };
    const std::string crypto = read("core/crypto.cpp");
    auto at = crypto.find("bool ConstantTimeEquals(");
    ASSERT_NE(at, std::string::npos);
    const std::string body = crypto.substr(at, crypto.find("\n}\n", at) - at);
    EXPECT_NE(body.find("CRYPTO_memcmp(a.data(), b.data(), a.size())"), std::string::npos) << body;
    EXPECT_EQ(body.find(" memcmp("), std::string::npos) << "plain memcmp stops at a difference";
    EXPECT_EQ(body.find("std::memcmp"), std::string::npos);
    EXPECT_EQ(body.find("a == b"), std::string::npos) << body;
    EXPECT_EQ(body.find("for ("), std::string::npos) << "no loop that could stop early";
    struct Use {
        const char* file;
        const char* call;
    };
    for (const Use& u :
         {Use{"web/load/load_surface.cpp", "ConstantTimeEquals(token, options_.api_token)"},
          Use{"forges/github/webhook.cpp", "ConstantTimeEquals(expected,"},
          Use{"forges/gerrit/webhook.cpp",
              "ConstantTimeEquals(Sha256Hex(expected), Sha256Hex(got))"},
          Use{"forges/phabricator/webhook.cpp", "ConstantTimeEquals(HmacSha256Hex(key, body)"}}) {
        const std::string text = read(u.file);
        EXPECT_NE(text.find(u.call), std::string::npos) << u.file;
        EXPECT_EQ(text.find("api_token =="), std::string::npos) << u.file;
        EXPECT_EQ(text.find("== options_.api_token"), std::string::npos) << u.file;
    }
}

}  // namespace
}  // namespace forgedb::testing
