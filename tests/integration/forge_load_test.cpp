// The Gerrit and Phabricator load routes over real HTTP, on both backends: paths and parameters
// are checked strictly, unknown instances are 404, crawls are queued and reported like GitHub's,
// single objects load inline, and the CLI's form of a load path is parsed the same way.

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "fake_conduit.hpp"
#include "fake_gerrit.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/forge/load_router.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/http/server.hpp"
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

class ForgeLoadTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        ASSERT_TRUE(gerrit_fake_.Start());
        ASSERT_TRUE(conduit_fake_.Start());
        // The forges as serve builds them, with one Gerrit and one Phabricator instance "wm".
        app::ForgeSettings settings;
        settings.forges.gerrit.push_back({"wm", gerrit_fake_.base_url(), "", "", ""});
        settings.forges.phabricator.push_back({"wm", conduit_fake_.base_url(), "api-token", ""});
        forges_ = app::MakeForges(settings, tdb().db(), clock_);
        forges_.RegisterTasks(registry_);
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        wopts.retry = queue::RetryPolicy{10ms, 100ms};
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
        surface_ = std::make_unique<load::LoadSurface>(tdb().db(), clock_, notifier_, forges_,
                                                       load::LoadOptions{"s3cret"});
        router_.AddAll(surface_->Routes());
        http::ServerOptions sopts;
        sopts.port = 0;
        server_ = std::make_unique<http::Server>(router_, sopts);
        ASSERT_TRUE(server_->Start());
        cli_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
    }
    void TearDown() override {
        if (server_) server_->Stop();
        forges_ = forge::Forges();  // closes the clients' kept-alive connections first
        gerrit_fake_.Stop();
        conduit_fake_.Stop();
    }

    std::optional<TestReply> Post(const std::string& path) {
        return cli_->Post(path, "", "text/plain", {{"Authorization", "Bearer s3cret"}});
    }

    // Runs jobs until the job tree `location` names is finished; returns its status JSON.
    json RunUntilDone(const std::string& location) {
        auto deadline = std::chrono::steady_clock::now() + 60s;
        for (;;) {
            auto ran = workers_->Drain();
            EXPECT_TRUE(ran) << ran.error().ToString();
            auto status =
                json::parse(cli_->Get(location, {{"Authorization", "Bearer s3cret"}})->body);
            std::string state = status["status"];
            if (state == "succeeded" || state == "failed" || state == "dead") return status;
            if (std::chrono::steady_clock::now() > deadline) return status;
            std::this_thread::sleep_for(20ms);
        }
    }

    long long Count(const std::string& sql) {
        auto res = tdb().conn().Query(sql, {});
        EXPECT_TRUE(res) << res.error().ToString();
        return res ? std::stoll(res->Text(0, 0)) : -1;
    }

    SystemClock clock_;
    queue::Notifier notifier_;
    fake::FakeGerrit gerrit_fake_;
    fake::FakeConduit conduit_fake_;
    forge::Forges forges_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
    std::unique_ptr<load::LoadSurface> surface_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> cli_;
};

TEST_P(ForgeLoadTest, GerritRoutesQueueCrawlsAndLoadAccountsInline) {
    gerrit_fake_.Generate("alice", 130);
    EXPECT_EQ(cli_->Post("/load/gerrit/wm/changes?q=owner:alice", "", "text/plain")->status, 401);
    EXPECT_EQ(Post("/load/gerrit/nope/changes?q=owner:alice")->status, 404);
    EXPECT_EQ(Post("/load/gerrit/wm/changes")->status, 400);  // no query
    EXPECT_EQ(Post("/load/gerrit/wm/changes?q=owner:alice&colour=red")->status, 400);
    EXPECT_EQ(Post("/load/gerrit/wm/changes?q=owner:alice&incremental=maybe")->status, 400);
    EXPECT_EQ(Post("/load/gerrit/wm/changes?q=owner:alice&after=yesterday")->status, 400);
    EXPECT_EQ(Post("/load/gerrit/wm/changes?q=owner:alice&inline=true")->status, 400);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM job"), 0);

    auto queued = Post("/load/gerrit/wm/changes?q=owner:alice");
    ASSERT_EQ(queued->status, 202) << queued->body;
    std::string location = queued->Header("Location");
    ASSERT_EQ(location.rfind("/tasks/status/", 0), 0u);
    EXPECT_EQ(json::parse(Post("/load/gerrit/wm/changes?q=owner:alice")->body)["message"],
              "already queued");
    auto status = RunUntilDone(location);
    EXPECT_EQ(status["status"], "succeeded") << status.dump();
    EXPECT_EQ(status["progress"]["items"], 130);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gerrit_change WHERE instance = 'wm' AND "
                    "owner_username = 'alice'"),
              130);

    auto account = Post("/load/gerrit/wm/accounts/alice?inline=true");
    EXPECT_EQ(account->status, 200) << account->body;
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gerrit_account WHERE instance = 'wm' AND "
                    "username = 'alice'"),
              1);
    EXPECT_EQ(Post("/load/gerrit/wm/accounts/nobody-here?inline=true")->status, 404);
    EXPECT_EQ(Post("/load/gerrit/wm/accounts/alice?inline=perhaps")->status, 400);
}

TEST_P(ForgeLoadTest, PhabricatorRoutesQueueCrawlsAndLoadUsersInline) {
    conduit_fake_.Generate("bob", 120);
    EXPECT_EQ(Post("/load/phabricator/nope/tasks?author=bob")->status, 404);
    EXPECT_EQ(Post("/load/phabricator/wm/tasks")->status, 400);  // none of author/assigned/project
    EXPECT_EQ(Post("/load/phabricator/wm/tasks?author=bob&assigned=bob")->status, 400);
    EXPECT_EQ(Post("/load/phabricator/wm/tasks?author=bob&created_start=2024-13-01")->status, 400);
    EXPECT_EQ(Post("/load/phabricator/wm/revisions")->status, 400);
    EXPECT_EQ(Post("/load/phabricator/wm/tasks?owner=bob")->status, 400);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM job"), 0);

    auto queued = Post("/load/phabricator/wm/tasks?author=bob");
    ASSERT_EQ(queued->status, 202) << queued->body;
    auto status = RunUntilDone(queued->Header("Location"));
    EXPECT_EQ(status["status"], "succeeded") << status.dump();
    EXPECT_EQ(status["progress"]["items"], 120);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM phabricator_task t JOIN phabricator_user u ON "
                    "u.instance = t.instance AND u.phid = t.author_phid WHERE u.username = 'bob'"),
              120);

    auto user = Post("/load/phabricator/wm/users/bob?inline=true");
    EXPECT_EQ(user->status, 200) << user->body;
    EXPECT_EQ(Post("/load/phabricator/wm/users/nobody-here?inline=true")->status, 404);
    auto revisions = Post("/load/phabricator/wm/revisions?author=bob");
    EXPECT_EQ(revisions->status, 202) << revisions->body;
    EXPECT_EQ(RunUntilDone(revisions->Header("Location"))["status"], "succeeded");
}

TEST(ForgeLoadPaths, CliFormIsSplitAndDecoded) {
    auto split = forge::SplitLoadPath("gerrit/wm/changes?q=owner%3Aalice+status%3Amerged");
    ASSERT_TRUE(split);
    EXPECT_EQ(split->first, "/load/gerrit/wm/changes");
    ASSERT_EQ(split->second.count("q"), 1u);
    EXPECT_EQ(split->second.find("q")->second, "owner:alice status:merged");
    EXPECT_EQ(forge::SplitLoadPath("/load/repos/o/r")->first, "/load/repos/o/r");
    EXPECT_EQ(forge::SplitLoadPath("repos/o/r?x=%zz").error().code, ErrorCode::kInvalid);
    // Forges without instances: Gerrit's routes exist, but name no known instance.
    forge::LoadRouter router(OfflineForges());
    auto match = router.Plan("/load/repos/o/r/pulls", {});
    ASSERT_TRUE(match);
    EXPECT_EQ(match->forge->name(), "github");
    EXPECT_FALSE(match->plan.single);
    EXPECT_EQ(router.Plan("/load/gerrit/wm/changes", {{"q", "owner:a"}}).error().code,
              ErrorCode::kNotFound);
    EXPECT_EQ(router.Plan("/load/nothing", {}).error().code, ErrorCode::kNotFound);
}

FORGEDB_INSTANTIATE_BACKENDS(ForgeLoadTest);

}  // namespace
}  // namespace forgedb::testing
