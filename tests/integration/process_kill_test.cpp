// The real binary is killed with SIGKILL after answering 202 and before processing; a restart
// processes every accepted delivery. Runs on both backends.

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "forgedb/core/crypto.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

class KillTest : public BackendTest {
protected:
    std::unique_ptr<ChildProcess> StartServer(int port, int workers) {
        std::vector<std::string> args = {FORGEDB_BINARY, "serve", "--database", tdb().url(),
                                         "--listen", "127.0.0.1:" + std::to_string(port),
                                         "--github-webhook-secret", "kill-test", "--workers",
                                         std::to_string(workers),
                                         // never the real GitHub: follow-up crawls fail locally
                                         "--github-api-url", "http://127.0.0.1:9"};
        auto log = std::filesystem::temp_directory_path() /
                   ("forgedb_kill_" + std::to_string(getpid()) + ".log");
        auto child = std::make_unique<ChildProcess>(args, log.string());
        if (!WaitHealthy(port, 20)) {
            ADD_FAILURE() << "server did not start:\n" << child->Log();
        }
        return child;
    }
};
FORGEDB_INSTANTIATE_BACKENDS(KillTest);

TEST_P(KillTest, DeliveriesAcceptedBeforeAKillAreProcessedAfterRestart) {
    const std::string body = ReadFile(DataPath("github/webhooks/pull_request/opened.payload.json"));
    const std::string issue = ReadFile(DataPath("github/webhooks/issues/opened.payload.json"));
    int port = FreePort();
    {
        auto server = StartServer(port, /*workers=*/0);  // accepts, never processes
        TestClient client("127.0.0.1", port);
        for (int i = 0; i < 5; ++i) {
            const std::string& b = i % 2 ? issue : body;
            HttpHeaders h{{"X-GitHub-Event", i % 2 ? "issues" : "pull_request"},
                          {"X-GitHub-Delivery", "kill-" + std::to_string(i)},
                          {"X-Hub-Signature-256", "sha256=" + HmacSha256Hex("kill-test", b)}};
            auto res = client.Post("/replication", b, "application/json", h);
            ASSERT_TRUE(res);
            ASSERT_EQ(res->status, 202);
        }
        server->Kill(SIGKILL);
        EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'pending'"), 5);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'queued'"), 5);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 0);

    port = FreePort();
    auto server = StartServer(port, /*workers=*/2);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    const std::string deliveries = "SELECT COUNT(*) FROM job WHERE kind = 'webhook.deliveries'";
    while (std::chrono::steady_clock::now() < deadline &&
           tdb().Count(deliveries + " AND state = 'succeeded'") < 5) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(tdb().Count(deliveries + " AND state = 'succeeded'"), 5) << server->Log();
    EXPECT_EQ(tdb().Count(deliveries + " AND state <> 'succeeded'"), 0);
    // The pull request's "opened" asked for a crawl of its files, as a job of its own.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'github.list' AND unique_key = "
                          "'github.list:pull_files:Codertocat/Hello-World#2'"),
              1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'processed'"), 5);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 1);
    server->Kill(SIGTERM);
    EXPECT_EQ(server->Wait(), 0) << server->Log();
}

}  // namespace
}  // namespace forgedb::testing
