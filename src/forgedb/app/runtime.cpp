#include "forgedb/app/runtime.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "forgedb/app/health.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/forges/phabricator/webhook.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/store/migrations.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/load/forge_routes.hpp"
#include "forgedb/web/load/load_routes.hpp"
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

// The GitHub client with its shared state in the database. Owns what it builds.
struct GithubAccess {
    GithubAccess(store::Database& db, const Clock& clock, const GithubConfig& config)
        : http(sources::MakeCurlHttpClient()), book(db, clock), etags(db, clock) {
        sources::github::GithubClientOptions options;
        options.base_url = config.api_url;
        options.tokens = config.tokens;
        options.max_concurrency = config.max_concurrency;
        client =
            std::make_unique<sources::github::GithubClient>(*http, clock, book, etags, options);
    }
    std::unique_ptr<sources::HttpClient> http;
    tasks::DbRateLimitBook book;
    tasks::DbEtagCache etags;
    std::unique_ptr<sources::github::GithubClient> client;
};

// Clients of the configured Gerrit and Phabricator instances. Owns what it builds.
struct WikimediaAccess {
    WikimediaAccess(const Clock& clock, const ForgesConfig& config)
        : http(sources::MakeCurlHttpClient()) {
        for (const auto& g : config.gerrit) {
            gerrit.push_back(std::make_unique<sources::gerrit::GerritClient>(
                *http, clock, sources::gerrit::Instance{g.name, g.url, g.username, g.password}));
            spdlog::info("Gerrit instance {} at {}{}", g.name, g.url,
                         g.username.empty() ? " (anonymous)" : " as " + g.username);
        }
        for (const auto& p : config.phabricator) {
            phabricator.push_back(std::make_unique<sources::phabricator::ConduitClient>(
                *http, clock, sources::phabricator::Instance{p.name, p.url, p.token}));
            spdlog::info("Phabricator instance {} at {}{}", p.name, p.url,
                         p.token.empty() ? " (no Conduit token)" : "");
        }
    }
    std::map<std::string, sources::gerrit::GerritClient*> GerritClients() const {
        std::map<std::string, sources::gerrit::GerritClient*> out;
        for (const auto& c : gerrit) out[c->instance().name] = c.get();
        return out;
    }
    std::map<std::string, sources::phabricator::ConduitClient*> PhabricatorClients() const {
        std::map<std::string, sources::phabricator::ConduitClient*> out;
        for (const auto& c : phabricator) out[c->instance().name] = c.get();
        return out;
    }
    std::unique_ptr<sources::HttpClient> http;
    std::vector<std::unique_ptr<sources::gerrit::GerritClient>> gerrit;
    std::vector<std::unique_ptr<sources::phabricator::ConduitClient>> phabricator;
};

void BuildRegistry(tasks::TaskRegistry& registry, GithubAccess* github,
                   WikimediaAccess* wikimedia) {
    tasks::RegisterDeliveryTasks(registry);
    if (github != nullptr) tasks::RegisterGithubTasks(registry, *github->client);
    if (wikimedia != nullptr) {
        tasks::RegisterGerritTasks(registry, wikimedia->GerritClients());
        tasks::RegisterPhabricatorTasks(registry, wikimedia->PhabricatorClients());
    }
}

load::ForgeClients Clients(GithubAccess& github, WikimediaAccess& wikimedia) {
    return {github.client.get(), wikimedia.GerritClients(), wikimedia.PhabricatorClients()};
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
    GithubAccess github_access(*opened->db, clock, config.github);
    WikimediaAccess wikimedia(clock, config.forges);
    tasks::TaskRegistry registry;
    BuildRegistry(registry, &github_access, &wikimedia);
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
    replication::GithubWebhook github(log, clock, {config.github_webhook_secret});
    if (config.api_token.empty()) {
        spdlog::warn("no --api-token: the /load endpoints will refuse every request");
    }
    std::map<std::string, std::string> gerrit_secrets;
    for (const auto& g : config.forges.gerrit) gerrit_secrets[g.name] = g.webhook_secret;
    for (const auto& [name, secret] : gerrit_secrets) {
        if (secret.empty() && config.insecure_accept_unsigned) {
            spdlog::warn(
                "accepting Gerrit events for '{}' WITHOUT a secret (--insecure-accept-unsigned): "
                "anyone who can reach this server can make forgedb call that Gerrit",
                name);
        } else if (secret.empty()) {
            spdlog::info("Gerrit events for '{}' are refused: no --gerrit-webhook-secret", name);
        }
    }
    replication::GerritEvents gerrit_events(log, clock, gerrit_secrets,
                                            config.insecure_accept_unsigned);
    std::map<std::string, std::string> hook_keys;
    for (const auto& p : config.forges.phabricator) hook_keys[p.name] = p.hook_key;
    replication::PhabricatorEvents phabricator_events(log, clock, hook_keys,
                                                      config.insecure_accept_unsigned);
    load::LoadSurface loads(*opened->db, clock, notifier, Clients(github_access, wikimedia),
                            {config.api_token}, &github_access.book);
    http::Router router;
    router.AddAll(github.Routes());
    router.AddAll(gerrit_events.Routes());
    router.AddAll(phabricator_events.Routes());
    router.AddAll(loads.Routes());
    router.AddAll(HealthRoutes(*opened->db));
    // The contributor view: the WikiContrib-compatible API, then the pages, whose /{hash}/ route
    // comes last so that it never shadows another surface's path.
    contrib::Service contributors(*opened->db, clock, notifier, config.contrib);
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
    GithubAccess github_access(*opened->db, clock, github);
    WikimediaAccess wikimedia(clock, forges);
    tasks::TaskRegistry registry;
    BuildRegistry(registry, &github_access, &wikimedia);
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
    tasks::TaskRegistry registry;
    // No forge clients: GitHub follow-ups are not re-run; a Gerrit or Phabricator delivery queues
    // its refresh job again, for a serve or work process configured for that forge.
    BuildRegistry(registry, nullptr, nullptr);
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
            auto status = tasks::ProcessLoggedDelivery(queue, registry, d.forge, d.delivery_id);
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
    auto split = load::SplitLoadPath(path);
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
    GithubAccess github_access(*opened->db, clock, github);
    WikimediaAccess wikimedia(clock, forges);
    auto plan = load::PlanForPath(load_path, query, Clients(github_access, wikimedia));
    if (!plan) {
        std::fprintf(stderr, "forgedb: %s\n", plan.error().message.c_str());
        return kExitConfig;
    }
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
    BuildRegistry(registry, &github_access, &wikimedia);
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
