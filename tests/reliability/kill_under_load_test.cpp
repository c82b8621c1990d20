// kill -9 under load (docs/reliability.md, R2), on both backends, against the real binary:
//   - 2,000 signed GitHub deliveries arrive on 16 connections while workers process them; the
//     server is killed with SIGKILL after about half were answered. After a restart every
//     delivery answered 2xx is in the ledger once and processed once, and the mirror holds
//     exactly the objects of the deliveries logged.
//   - a repository crawl with children is killed mid-way; after a restart it ends equal, row by
//     row, to the same crawl run cleanly into a fresh database.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_github.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/store/job_store.hpp"
#include "reliability/mirror_compare.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kSecret = "kill-load-secret";
constexpr const char* kApiToken = "kill-load-api-token";
constexpr const char* kGithubToken = "ghp_killloadtoken";
constexpr int kDeliveries = 2000;
constexpr int kClients = 16;
constexpr long long kIssueIdBase = 7000000000LL;

std::string LogPath(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("forgedb_" + name + "_" + std::to_string(getpid()) + ".log"))
        .string();
}

// Polls `done` every 50 ms until it holds or `limit` passes; returns its last value.
template <typename F>
bool PollUntil(F done, std::chrono::seconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return done();
        std::this_thread::sleep_for(50ms);
    }
    return true;
}

class KillUnderLoadTest : public BackendTest {
protected:
    std::unique_ptr<ChildProcess> StartServer(int port, int workers, const std::string& log,
                                              std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {FORGEDB_BINARY,
                                         "serve",
                                         "--database",
                                         tdb().url(),
                                         "--listen",
                                         "127.0.0.1:" + std::to_string(port),
                                         "--github-webhook-secret",
                                         kSecret,
                                         "--workers",
                                         std::to_string(workers),
                                         "--lease-seconds",
                                         "2"};
        if (extra.empty()) extra = {"--github-api-url", "http://127.0.0.1:9"};  // never GitHub
        args.insert(args.end(), extra.begin(), extra.end());
        auto child = std::make_unique<ChildProcess>(args, LogPath(log));
        if (!WaitHealthy(port, 30)) ADD_FAILURE() << "server did not start:\n" << child->Log();
        return child;
    }
};
FORGEDB_INSTANTIATE_BACKENDS(KillUnderLoadTest);

TEST_P(KillUnderLoadTest, DeliveriesAnswered2xxAreProcessedOnceAfterAKillUnderLoad) {
    // 2,000 distinct issues: the fixture's "opened" with the issue's id, number and title
    // rewritten.
    const json fixture =
        json::parse(ReadFile(DataPath("github/webhooks/issues/opened.payload.json")));
    std::vector<std::string> bodies(kDeliveries);
    for (int i = 0; i < kDeliveries; ++i) {
        json p = fixture;
        p["issue"]["id"] = kIssueIdBase + i;
        p["issue"]["number"] = 10000 + i;
        p["issue"]["title"] = "load " + std::to_string(i);
        bodies[i] = p.dump();
    }
    auto delivery_id = [](int i) { return "load-" + std::to_string(i); };

    int port = FreePort();
    auto server = StartServer(port, /*workers=*/2, "kill_load_1");
    std::atomic<int> answered{0};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::set<std::string> accepted;  // answered 2xx
    std::vector<std::thread> clients;
    for (int t = 0; t < kClients; ++t) {
        clients.emplace_back([&, t] {
            TestClientOptions o;
            o.keep_alive = true;
            o.timeout = 30000ms;
            TestClient client("127.0.0.1", port, o);
            for (int i = t; i < kDeliveries && !stop.load(); i += kClients) {
                HttpHeaders h{
                    {"X-GitHub-Event", "issues"},
                    {"X-GitHub-Delivery", delivery_id(i)},
                    {"X-Hub-Signature-256", "sha256=" + HmacSha256Hex(kSecret, bodies[i])}};
                auto reply = client.Post("/replication", bodies[i], "application/json", h);
                if (!reply) continue;  // cut by the kill: unknown fate
                if (reply->status >= 200 && reply->status < 300) {
                    std::lock_guard lock(mu);
                    accepted.insert(delivery_id(i));
                }
                answered.fetch_add(1);
            }
        });
    }
    ASSERT_TRUE(PollUntil([&] { return answered.load() >= kDeliveries / 2; }, 60s))
        << answered.load() << " answered\n"
        << server->Log();
    server->Kill(SIGKILL);
    stop = true;
    for (auto& c : clients) c.join();
    EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    const long long accepted_count = static_cast<long long>(accepted.size());
    EXPECT_GE(accepted_count, kDeliveries / 2);
    EXPECT_LT(accepted_count, kDeliveries) << "the kill came after the load had ended";
    std::cout << "[          ] accepted before the kill: " << accepted_count << ", processed: "
              << tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'processed'")
              << std::endl;

    // What was processed before the kill; a second processing would stamp it again.
    std::map<std::string, std::string> processed_before;
    {
        auto res = tdb().conn().Query(
            "SELECT delivery_id, processed_at FROM webhook_delivery WHERE status = 'processed'");
        ASSERT_TRUE(res);
        for (size_t i = 0; i < res->rows.size(); ++i) {
            processed_before[res->Text(i, 0)] = res->Text(i, 1);
        }
    }

    port = FreePort();
    server = StartServer(port, /*workers=*/2, "kill_load_2");
    const std::string live_jobs =
        "SELECT COUNT(*) FROM job WHERE kind = 'webhook.deliveries' AND state IN ('queued', "
        "'running')";
    EXPECT_TRUE(PollUntil(
        [&] {
            return tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'pending'") ==
                       0 &&
                   tdb().Count(live_jobs) == 0;
        },
        90s))
        << server->Log();
    server->Kill(SIGTERM);
    EXPECT_EQ(server->Wait(), 0) << server->Log();

    // Every delivery answered 2xx is in the ledger once, processed; so is every other one logged.
    std::map<std::string, std::string> ledger;  // delivery id -> status
    {
        auto res = tdb().conn().Query(
            "SELECT delivery_id, status, processed_at FROM webhook_delivery WHERE forge = "
            "'github'");
        ASSERT_TRUE(res);
        for (size_t i = 0; i < res->rows.size(); ++i) {
            EXPECT_EQ(ledger.count(res->Text(i, 0)), 0u)
                << "twice in the ledger: " << res->Text(i, 0);
            ledger[res->Text(i, 0)] = res->Text(i, 1);
            EXPECT_TRUE(res->At(i, 2).has_value()) << res->Text(i, 0) << " has no processed_at";
        }
    }
    for (const auto& id : accepted) {
        auto it = ledger.find(id);
        ASSERT_NE(it, ledger.end()) << "answered 2xx and lost: " << id;
        EXPECT_EQ(it->second, "processed") << id;
    }
    for (const auto& [id, status] : ledger) EXPECT_EQ(status, "processed") << id;
    EXPECT_GE(static_cast<long long>(ledger.size()), accepted_count);

    // Each delivery belongs to exactly one processing job, which succeeded.
    std::map<std::string, int> jobs_of;
    {
        auto res = tdb().conn().Query(
            "SELECT args, state, attempts FROM job WHERE kind = 'webhook.deliveries'");
        ASSERT_TRUE(res);
        EXPECT_GT(res->rows.size(), 0u);
        for (size_t i = 0; i < res->rows.size(); ++i) {
            EXPECT_EQ(res->Text(i, 1), "succeeded") << res->Text(i, 0);
            const json args = json::parse(res->Text(i, 0));
            for (const auto& d : args.at("delivery_ids")) {
                ++jobs_of[d.get<std::string>()];
            }
        }
    }
    for (const auto& [id, status] : ledger) EXPECT_EQ(jobs_of[id], 1) << id;
    EXPECT_EQ(jobs_of.size(), ledger.size()) << "a job names a delivery not in the ledger";

    // Processed once: what was processed before the kill was not processed again.
    {
        auto res = tdb().conn().Query("SELECT delivery_id, processed_at FROM webhook_delivery");
        ASSERT_TRUE(res);
        int unchanged = 0;
        for (size_t i = 0; i < res->rows.size(); ++i) {
            auto it = processed_before.find(res->Text(i, 0));
            if (it == processed_before.end()) continue;
            EXPECT_EQ(res->Text(i, 1), it->second) << "processed again: " << res->Text(i, 0);
            ++unchanged;
        }
        EXPECT_EQ(unchanged, static_cast<int>(processed_before.size()));
    }

    // The mirror holds one issue per logged delivery, and exactly those.
    std::set<long long> want_issues;
    for (const auto& [id, status] : ledger) {
        want_issues.insert(kIssueIdBase + std::stoll(id.substr(std::string("load-").size())));
    }
    std::set<long long> issues;
    {
        auto res = tdb().conn().Query("SELECT id FROM github_issue WHERE deleted_at IS NULL");
        ASSERT_TRUE(res);
        for (size_t i = 0; i < res->rows.size(); ++i) issues.insert(res->Int(i, 0));
    }
    EXPECT_EQ(issues, want_issues);
    EXPECT_EQ(tdb().Count("SELECT COUNT(DISTINCT number) FROM github_issue"),
              static_cast<long long>(ledger.size()));
}

TEST_P(KillUnderLoadTest, CrawlKilledMidWayResumesAndEqualsACleanCrawl) {
    fake::FakeGithub fake;
    fake::GenerateOptions g;
    g.pulls = 250;
    g.issues = 80;
    g.files_per_pull = 2;
    // The fake embeds in each item a snapshot of its milestone taken while counting, so the
    // nested copies disagree; the stored milestone would depend on the order of pages.
    g.milestones = 0;
    fake.Generate("octo", "big", g);
    ASSERT_TRUE(fake.Start());
    const std::vector<std::string> forge_args = {"--github-api-url", fake.base_url(),
                                                 "--github-token",   kGithubToken,
                                                 "--api-token",      kApiToken};
    // Slow pull request pages and files, so that the kill lands in the middle of the crawl.
    fake.AddFault({fake::FaultKind::kSlow, 200, 0, 100, "/repos/octo/big/pulls", 60});

    int port = FreePort();
    auto server = StartServer(port, /*workers=*/2, "kill_crawl_1", forge_args);
    TestClient client("127.0.0.1", port);
    auto queued = client.Post("/load/repos/octo/big?children=true", "", "text/plain",
                              {{"Authorization", std::string("Bearer ") + kApiToken}});
    ASSERT_TRUE(queued);
    ASSERT_EQ(queued->status, 202) << queued->body;
    const auto id = json::parse(queued->body).at("id").get<std::int64_t>();
    auto tree = [&] { return **store::LoadJobTree(tdb().conn(), id); };
    // Kill once some pages are in and a job is running (leased, not committed).
    ASSERT_TRUE(PollUntil(
        [&] {
            return tdb().Count("SELECT COUNT(*) FROM github_pull_request") >= 100 &&
                   tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'running'") > 0;
        },
        60s))
        << server->Log();
    server->Kill(SIGKILL);
    EXPECT_EQ(server->Wait(), 128 + SIGKILL);
    auto mid = tree();
    EXPECT_NE(mid.state, "succeeded") << "the kill came after the crawl had ended";
    EXPECT_GT(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')"), 0);

    port = FreePort();
    server = StartServer(port, /*workers=*/2, "kill_crawl_2", forge_args);
    EXPECT_TRUE(PollUntil(
        [&] {
            return tree().state == "succeeded" &&
                   tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('running', 'queued')") ==
                       0;
        },
        120s))
        << tree().state << " " << tree().error << "\n"
        << server->Log();
    server->Kill(SIGTERM);
    EXPECT_EQ(server->Wait(), 0) << server->Log();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state IN ('failed', 'dead')"), 0);

    // The same crawl, cleanly, into a fresh database.
    fake.ClearFaults();
    auto clean = TestDatabase::Create(GetParam());
    ASSERT_TRUE(clean);
    std::vector<std::string> args = {
        FORGEDB_BINARY,  "load",           "repos/octo/big", "--children",
        "--wait",        "--database",     clean->url(),     "--github-api-url",
        fake.base_url(), "--github-token", kGithubToken};
    ChildProcess load(args, LogPath("kill_crawl_clean"));
    EXPECT_EQ(load.Wait(), 0) << load.Log();

    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 250);
    EXPECT_EQ(clean->Count("SELECT COUNT(*) FROM github_pull_request"), 250);
    EXPECT_GT(ExpectSameMirror(tdb(), *clean, GetParam(), {"github_"},
                               {"github_rate_limit", "github_api_etag"}),
              250 + 330);
    fake.Stop();
}

}  // namespace
}  // namespace forgedb::testing
