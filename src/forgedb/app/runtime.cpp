#include "forgedb/app/runtime.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "forgedb/app/forges.hpp"
#include "forgedb/app/health.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/load_router.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/store/migrations.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/load/load_surface.hpp"
#include "forgedb/web/ui/pages.hpp"

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

ForgeSettings Settings(const GithubConfig& github, const ForgesConfig& forges) {
    ForgeSettings s;
    s.github = github;
    s.forges = forges;
    return s;
}

}  // namespace

int RunServe(const ServeConfig& config) {
    sigset_t signals = BlockStopSignals();
    int code = 0;
    auto opened = OpenAndMigrate(config.database, code);
    if (!opened) return code;
    if (config.github_webhook_secret.empty()) {
        spdlog::warn(
            "accepting UNSIGNED GitHub deliveries (--insecure-accept-unsigned): anyone "
            "who can reach this server can write to the mirror");
    }
    SystemClock clock;
    queue::Notifier notifier;
    ForgeSettings settings{config.github, config.github_webhook_secret, config.forges,
                           config.insecure_accept_unsigned, config.contrib};
    forge::Forges forges = MakeForges(settings, *opened->db, clock);
    tasks::TaskRegistry registry;
    forges.RegisterTasks(registry);
    queue::WorkerOptions wopts;
    wopts.threads = config.workers;
    wopts.lease = std::chrono::seconds(config.github.lease_seconds);
    queue::WorkerPool workers(
        *opened->db, clock, notifier, [&registry](queue::JobContext& c) { return registry.Run(c); },
        wopts);
    replication::DeliveryLog log(*opened->db, clock, notifier, &tasks::DeliveriesJob);
    if (auto st = log.Start(); !st) {
        spdlog::error("{}", st.error().ToString());
        return kExitRuntime;
    }
    if (config.api_token.empty()) {
        spdlog::warn("no --api-token: the /load endpoints will refuse every request");
    }
    for (const auto& g : config.forges.gerrit) {
        if (g.webhook_secret.empty() && config.insecure_accept_unsigned) {
            spdlog::warn(
                "accepting Gerrit events for '{}' WITHOUT a secret (--insecure-accept-unsigned): "
                "anyone who can reach this server can make forgedb call that Gerrit",
                g.name);
        } else if (g.webhook_secret.empty()) {
            spdlog::info("Gerrit events for '{}' are refused: no --gerrit-webhook-secret", g.name);
        }
    }
    load::LoadSurface loads(*opened->db, clock, notifier, forges, {config.api_token});
    http::Router router;
    router.AddAll(forges.WebhookRoutes(log, clock));
    router.AddAll(loads.Routes());
    router.AddAll(HealthRoutes(*opened->db));
    // The contributor view: the WikiContrib-compatible API, then the pages, whose /{hash}/ route
    // comes last so that it never shadows another surface's path.
    contrib::Service contributors(*opened->db, clock, notifier, config.contrib, &forges);
    api::WikiContribApi contrib_api(contributors,
                                    {.query_changes = !config.contrib_read_only_queries});
    ui::Pages pages(contributors);
    router.AddAll(contrib_api.Routes());
    router.AddAll(pages.Routes());
    http::Server server(router, config.http);
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

int RunWork(const std::string& database, int workers_count, const GithubConfig& github,
            const ForgesConfig& forges) {
    sigset_t signals = BlockStopSignals();
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    SystemClock clock;
    queue::Notifier notifier;
    forge::Forges all = MakeForges(Settings(github, forges), *opened->db, clock);
    tasks::TaskRegistry registry;
    all.RegisterTasks(registry);
    queue::WorkerOptions wopts;
    wopts.threads = workers_count;
    wopts.lease = std::chrono::seconds(github.lease_seconds);
    wopts.lower_priority = false;
    queue::WorkerPool workers(
        *opened->db, clock, notifier, [&registry](queue::JobContext& c) { return registry.Run(c); },
        wopts);
    workers.Start();
    spdlog::info("forgedb worker running {} workers on {}", workers_count, opened->db->Describe());
    WaitForStop(signals);
    workers.Stop();
    return 0;
}

int RunMigrate(const std::string& database) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    return opened ? 0 : code;
}

int RunReplay(const std::string& database, const ReplayOptions& options) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto& conn = *opened->conn;
    SystemClock clock;
    // Only the deliveries job is registered: GitHub follow-ups are not re-run; a Gerrit or
    // Phabricator delivery queues its refresh job again, for a serve or work process configured
    // for that forge.
    forge::Forges forges = MakeForges({}, *opened->db, clock);
    tasks::TaskRegistry registry;
    tasks::RegisterDeliveryTasks(registry, forges);
    store::DeliveryFilter filter;
    filter.since = options.since;
    filter.event = options.event;
    filter.forge = options.forge;
    filter.pending_only = options.pending_only;
    auto deliveries = store::ListDeliveries(conn, filter);
    if (!deliveries) {
        spdlog::error("{}", deliveries.error().ToString());
        return kExitRuntime;
    }
    queue::JobQueue queue(conn, clock);
    // One delivery per transaction; a payload that cannot be processed is recorded as failed.
    auto replay_one = [&](const store::DeliveryKey& d) -> Result<std::string> {
        Error payload_error;
        {
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
            auto status =
                tasks::ProcessLoggedDelivery(queue, registry, forges, d.forge, d.delivery_id);
            if (status) {
                FORGEDB_TRY(tx.Commit());
                return status;
            }
            if (!tasks::IsPayloadError(status.error())) return Unexpected(status.error());
            payload_error = status.error();
        }  // the partial writes roll back here
        spdlog::warn("{} delivery {}: {}", d.forge, d.delivery_id, payload_error.ToString());
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        FORGEDB_TRY(store::SetDeliveryOutcome(conn, d.forge, d.delivery_id, "failed",
                                              payload_error.ToString(), clock.Now()));
        FORGEDB_TRY(tx.Commit());
        return std::string("failed");
    };
    std::map<std::string, int> counts;
    for (const auto& d : *deliveries) {
        auto status = replay_one(d);
        if (!status) {
            spdlog::error("{} delivery {}: {}; stopping the replay", d.forge, d.delivery_id,
                          status.error().ToString());
            return kExitRuntime;
        }
        ++counts[*status];
    }
    std::string summary;
    for (const auto& [k, v] : counts) summary += " " + k + "=" + std::to_string(v);
    spdlog::info("replayed {} deliveries:{}", deliveries->size(), summary);
    return 0;
}

int RunLoad(const std::string& database, const std::string& path, bool children,
            const std::string& state, bool refresh, bool wait, const GithubConfig& github,
            const ForgesConfig& forges) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto split = forge::SplitLoadPath(path);
    if (!split) {
        std::fprintf(stderr, "forgedb: %s\n", split.error().message.c_str());
        return kExitConfig;
    }
    auto& [load_path, query] = *split;
    // The CLI's flags become the route's query parameters (GitHub routes only take them).
    if (!load_path.starts_with("/load/gerrit/") && !load_path.starts_with("/load/phabricator/")) {
        query.emplace("children", children ? "true" : "false");
        query.emplace("state", state);
        query.emplace("refresh", refresh ? "true" : "false");
    }
    SystemClock clock;
    forge::Forges all = MakeForges(Settings(github, forges), *opened->db, clock);
    forge::LoadRouter router(all);
    query.erase("inline");
    auto match = router.Plan(load_path, query);
    if (!match) {
        std::fprintf(stderr, "forgedb: %s\n", match.error().message.c_str());
        return kExitConfig;
    }
    const forge::LoadPlan* plan = &match->plan;
    queue::JobQueue queue(*opened->conn, clock);
    auto inserted = queue.Enqueue(plan->job);
    if (!inserted) {
        spdlog::error("{}", inserted.error().ToString());
        return kExitRuntime;
    }
    std::printf("%s job %lld: %s\n", inserted->created ? "queued" : "already queued",
                static_cast<long long>(inserted->id), plan->job.unique_key.value_or("").c_str());
    if (!wait) return 0;
    sigset_t signals = BlockStopSignals();
    (void)signals;
    queue::Notifier notifier;
    tasks::TaskRegistry registry;
    all.RegisterTasks(registry);
    queue::WorkerOptions wopts;
    wopts.threads = 2;
    wopts.lower_priority = false;
    queue::WorkerPool workers(
        *opened->db, clock, notifier, [&registry](queue::JobContext& c) { return registry.Run(c); },
        wopts);
    workers.Start();
    bool tty = isatty(fileno(stderr));
    std::string last_line;
    for (;;) {
        auto tree = store::LoadJobTree(*opened->conn, inserted->id);
        if (!tree || !*tree) {
            spdlog::error("cannot read job {}", inserted->id);
            return kExitRuntime;
        }
        const auto& t = **tree;
        long long total = t.progress_total.value_or(0);
        std::string bar;
        if (total > 0) {
            int filled = static_cast<int>(30.0 * std::min(t.progress_done, total) / total);
            bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] ";
        }
        std::string line = bar + t.state + " pages " + std::to_string(t.progress_done) + "/" +
                           (total > 0 ? std::to_string(total) : "?") + ", " +
                           std::to_string(t.items) + " items";
        if (line != last_line) {  // a terminal gets a bar redrawn in place, a log one line each
            std::fprintf(stderr, tty ? "\r%s" : "%s\n", line.c_str());
            last_line = line;
        }
        if (t.state == "succeeded" || t.state == "failed" || t.state == "dead") {
            if (tty) std::fprintf(stderr, "\n");
            workers.Stop();
            if (t.state != "succeeded") {
                std::fprintf(stderr, "forgedb: job %lld %s: %s\n",
                             static_cast<long long>(inserted->id), t.state.c_str(),
                             t.error.c_str());
                return kExitRuntime;
            }
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

int RunJobs(const std::string& database, const std::string& action, long long id) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto& conn = *opened->conn;
    if (action == "list") {
        auto jobs = store::ListJobs(conn, 50);
        if (!jobs) {
            spdlog::error("{}", jobs.error().ToString());
            return kExitRuntime;
        }
        std::printf("%8s  %-10s %-20s %8s %10s  %s\n", "id", "state", "kind", "attempts",
                    "progress", "error");
        for (const auto& j : *jobs) {
            std::string progress = std::to_string(j.progress_done) + "/" +
                                   (j.progress_total ? std::to_string(*j.progress_total) : "?");
            std::printf("%8lld  %-10s %-20s %8d %10s  %s\n", static_cast<long long>(j.id),
                        j.state.c_str(), j.kind.c_str(), j.attempts, progress.c_str(),
                        j.last_error.c_str());
        }
        return 0;
    }
    if (action == "show") {
        auto tree = store::LoadJobTree(conn, id);
        if (!tree || !*tree) {
            std::fprintf(stderr, "forgedb: no job %lld\n", id);
            return kExitRuntime;
        }
        std::printf("%s\nargs: %s\n", load::JobStatusJson(**tree).c_str(),
                    (*tree)->job.args.c_str());
        return 0;
    }
    if (action == "retry") {
        SystemClock clock;
        auto done = store::RetryJob(conn, id, clock.Now());
        if (!done || !*done) {
            std::fprintf(stderr, "forgedb: job %lld is not failed or dead\n", id);
            return kExitRuntime;
        }
        std::printf("job %lld queued again\n", id);
        return 0;
    }
    std::fprintf(stderr, "forgedb: jobs takes list, show ID or retry ID\n");
    return kExitConfig;
}

}  // namespace forgedb::app
