#include "forgedb/app/runtime.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <map>

#include "forgedb/core/clock.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/replication/delivery_log.hpp"
#include "forgedb/replication/github_webhook.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/migrations.hpp"
#include "forgedb/tasks/process_delivery.hpp"
#include "forgedb/tasks/task_registry.hpp"

namespace forgedb::app {
namespace {

constexpr int kExitRuntime = 1;
constexpr int kExitConfig = 2;

// Blocks SIGINT/SIGTERM in every thread started after this call, so that WaitForStop() can take
// them synchronously.
sigset_t BlockStopSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    return set;
}

void WaitForStop(const sigset_t& set) {
    int sig = 0;
    sigwait(&set, &sig);
    spdlog::info("received signal {}, stopping", sig);
}

struct Opened {
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::Connection> conn;
};

// Opens the database and applies pending migrations; nullopt (after logging) on failure.
std::optional<Opened> OpenAndMigrate(const std::string& url, int& exit_code) {
    auto db = store::Database::Open(url);
    if (!db) {
        spdlog::error("{}", db.error().message);
        exit_code = kExitConfig;
        return std::nullopt;
    }
    auto conn = (*db)->Connect();
    if (!conn) {
        spdlog::error("{}", conn.error().message);
        exit_code = kExitRuntime;
        return std::nullopt;
    }
    auto applied = store::Migrate(**conn);
    if (!applied) {
        spdlog::error("{}", applied.error().ToString());
        exit_code = kExitRuntime;
        return std::nullopt;
    }
    for (const auto& name : *applied) spdlog::info("applied migration {}", name);
    spdlog::info("database {} is at the current schema", (*db)->Describe());
    return Opened{std::move(db).value(), std::move(conn).value()};
}

tasks::TaskRegistry BuildRegistry() {
    tasks::TaskRegistry registry;
    tasks::RegisterDeliveryTasks(registry);
    return registry;
}

}  // namespace

int RunServe(const ServeConfig& config) {
    sigset_t signals = BlockStopSignals();
    int code = 0;
    auto opened = OpenAndMigrate(config.database, code);
    if (!opened) return code;
    if (config.github_webhook_secret.empty()) {
        spdlog::warn("accepting UNSIGNED GitHub deliveries (--insecure-accept-unsigned): anyone "
                     "who can reach this server can write to the mirror");
    }
    SystemClock clock;
    queue::Notifier notifier;
    tasks::TaskRegistry registry = BuildRegistry();
    queue::WorkerOptions wopts;
    wopts.threads = config.workers;
    queue::WorkerPool workers(*opened->db, clock, notifier,
                              [&registry](queue::JobContext& c) { return registry.Run(c); }, wopts);
    replication::DeliveryLog log(*opened->db, clock, notifier, &tasks::DeliveriesJob);
    if (auto st = log.Start(); !st) {
        spdlog::error("{}", st.error().ToString());
        return kExitRuntime;
    }
    replication::GithubWebhook github(log, clock, {config.github_webhook_secret});
    http::Router router;
    router.AddAll(github.Routes());
    router.Add({"GET", "/healthz", [](const http::Request&) {
                    return http::Response::Json(200, "{\"status\":\"ok\"}");
                }});
    http::ServerOptions sopts;
    sopts.host = config.listen.host;
    sopts.port = config.listen.port;
    sopts.threads = config.http_threads;
    http::Server server(router, sopts);
    if (auto st = server.Start(); !st) {
        spdlog::error("{}", st.error().message);
        return kExitConfig;
    }
    workers.Start();
    spdlog::info("forgedb listening on http://{}:{} with {} workers", config.listen.host,
                 server.port(), config.workers);
    WaitForStop(signals);
    server.Stop();
    log.Stop();
    workers.Stop();
    spdlog::info("stopped");
    return 0;
}

int RunWork(const std::string& database, int workers_count) {
    sigset_t signals = BlockStopSignals();
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    SystemClock clock;
    queue::Notifier notifier;
    tasks::TaskRegistry registry = BuildRegistry();
    queue::WorkerOptions wopts;
    wopts.threads = workers_count;
    wopts.lower_priority = false;
    queue::WorkerPool workers(*opened->db, clock, notifier,
                              [&registry](queue::JobContext& c) { return registry.Run(c); }, wopts);
    workers.Start();
    spdlog::info("forgedb worker running {} workers on {}", workers_count,
                 opened->db->Describe());
    WaitForStop(signals);
    workers.Stop();
    return 0;
}

int RunMigrate(const std::string& database) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    return opened ? 0 : code;
}

int RunReplay(const std::string& database, std::optional<Timestamp> since,
              std::optional<std::string> event) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto& conn = *opened->conn;
    SystemClock clock;
    tasks::TaskRegistry registry = BuildRegistry();
    store::DeliveryFilter filter;
    filter.since = since;
    filter.event = std::move(event);
    auto ids = store::ListDeliveryIds(conn, filter);
    if (!ids) {
        spdlog::error("{}", ids.error().ToString());
        return kExitRuntime;
    }
    queue::JobQueue queue(conn, clock);
    // One delivery per transaction; a payload that cannot be processed is recorded as failed.
    auto replay_one = [&](const std::string& id) -> Result<std::string> {
        Error payload_error;
        {
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
            auto status = tasks::ProcessGithubDelivery(queue, registry, id);
            if (status) {
                FORGEDB_TRY(tx.Commit());
                return status;
            }
            if (!tasks::IsPayloadError(status.error())) return Unexpected(status.error());
            payload_error = status.error();
        }  // the partial writes roll back here
        spdlog::warn("delivery {}: {}", id, payload_error.ToString());
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        FORGEDB_TRY(store::SetDeliveryOutcome(conn, "github", id, "failed", payload_error.ToString(),
                                              clock.Now()));
        FORGEDB_TRY(tx.Commit());
        return std::string("failed");
    };
    std::map<std::string, int> counts;
    for (const auto& id : *ids) {
        auto status = replay_one(id);
        if (!status) {
            spdlog::error("delivery {}: {}; stopping the replay", id, status.error().ToString());
            return kExitRuntime;
        }
        ++counts[*status];
    }
    std::string summary;
    for (const auto& [k, v] : counts) summary += " " + k + "=" + std::to_string(v);
    spdlog::info("replayed {} deliveries:{}", ids->size(), summary);
    return 0;
}

}  // namespace forgedb::app
