// `forgedb serve`: the HTTP server (webhooks, /load, the contributor view, health checks) and
// in-process workers, until SIGINT or SIGTERM.

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/app/health.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/load/load_surface.hpp"
#include "forgedb/web/ui/pages.hpp"

namespace forgedb::app {
namespace commands {
namespace {

// The values as parsed; `config` holds those that need no reading or conversion.
struct ServeFlags {
    ServeConfig config;
    std::string listen = "127.0.0.1:8080";
    std::string secret_file;     // --github-webhook-secret-file
    std::string api_token_file;  // --api-token-file
    HttpFlags http;
    GithubFlags github;
    ForgesFlags forges;
    ContribFlags contrib;
};

// The HTTP server's threads and limits (see docs/architecture.md, "The HTTP server").
void AddHttpOptions(CLI::App& cmd, HttpFlags& http) {
    cmd.add_option("--http-threads", http.handler_threads,
                   "Threads running request handlers (requests handled at once)")
        ->envname("FORGEDB_HTTP_THREADS")
        ->capture_default_str();
    cmd.add_option("--http-io-threads", http.io_threads,
                   "Threads serving the sockets (every connection, however slow, costs none)")
        ->envname("FORGEDB_HTTP_IO_THREADS")
        ->capture_default_str();
    cmd.add_option("--http-max-body-bytes", http.max_body_bytes,
                   "Largest request body, chunked or not (413 at the limit)")
        ->envname("FORGEDB_HTTP_MAX_BODY_BYTES")
        ->capture_default_str();
    cmd.add_option("--http-max-header-bytes", http.max_header_bytes,
                   "Largest request line and headers together (431)")
        ->envname("FORGEDB_HTTP_MAX_HEADER_BYTES")
        ->capture_default_str();
    cmd.add_option("--http-max-headers", http.max_headers, "Most header fields in a request (431)")
        ->envname("FORGEDB_HTTP_MAX_HEADERS")
        ->capture_default_str();
    cmd.add_option("--http-header-timeout", http.header_timeout,
                   "Time from a request's first byte to the end of its headers")
        ->envname("FORGEDB_HTTP_HEADER_TIMEOUT")
        ->capture_default_str();
    cmd.add_option("--http-request-timeout", http.request_timeout,
                   "Time from a request's first byte to the end of its body")
        ->envname("FORGEDB_HTTP_REQUEST_TIMEOUT")
        ->capture_default_str();
    cmd.add_option("--http-idle-timeout", http.idle_timeout,
                   "Time a kept-alive connection may wait for its next request")
        ->envname("FORGEDB_HTTP_IDLE_TIMEOUT")
        ->capture_default_str();
    cmd.add_option("--http-max-connections", http.max_connections,
                   "Open connections at most; more are answered 503")
        ->envname("FORGEDB_HTTP_MAX_CONNECTIONS")
        ->capture_default_str();
    cmd.add_option("--http-max-connections-per-client", http.max_connections_per_client,
                   "Open connections at most from one client address; more are answered 503")
        ->envname("FORGEDB_HTTP_MAX_CONNECTIONS_PER_CLIENT")
        ->capture_default_str();
}

// The contributor view's flags.
void AddContribOptions(CLI::App& cmd, ContribFlags& contrib, bool& read_only_queries) {
    cmd.add_option("--contrib-gerrit", contrib.gerrit,
                   "Gerrit instance whose usernames the contributor view uses (default: the "
                   "first --gerrit)")
        ->envname("FORGEDB_CONTRIB_GERRIT");
    cmd.add_option("--contrib-phabricator", contrib.phabricator,
                   "Phabricator instance of the contributor view (default: the first "
                   "--phabricator)")
        ->envname("FORGEDB_CONTRIB_PHABRICATOR");
    cmd.add_option("--contrib-github-org", contrib.github_orgs,
                   "GitHub organisation whose commits, pull requests and issues the "
                   "contributor view counts (repeatable)")
        ->envname("FORGEDB_CONTRIB_GITHUB_ORG");
    cmd.add_option("--contrib-freshness", contrib.freshness,
                   "How long a crawled window stays fresh for the contributor view (90s, 30m, "
                   "6h, 1d)")
        ->envname("FORGEDB_CONTRIB_FRESHNESS")
        ->capture_default_str();
    cmd.add_option("--contrib-webhooks-current", contrib.webhooks_current,
                   "Forges whose webhooks keep the mirror current (gerrit, phabricator, "
                   "github): a window once crawled never goes stale")
        ->delimiter(',')
        ->envname("FORGEDB_CONTRIB_WEBHOOKS_CURRENT");
    cmd.add_flag("--contrib-no-crawl", contrib.no_crawl,
                 "Views never queue crawls (the mirror is filled by webhooks and /load)")
        ->envname("FORGEDB_CONTRIB_NO_CRAWL");
    cmd.add_flag("--contrib-read-only-queries", read_only_queries,
                 "Refuse the WikiContrib API's PATCH and DELETE of stored queries (403), which "
                 "need no credentials: for public servers")
        ->envname("FORGEDB_CONTRIB_READ_ONLY_QUERIES");
}

void AddOptions(CLI::App& cmd, ServeFlags& f) {
    cmd.add_option("--listen", f.listen, "Address to listen on, HOST:PORT")
        ->envname("FORGEDB_LISTEN")
        ->capture_default_str();
    AddDatabase(cmd, f.config.database);
    auto* secret = cmd.add_option("--github-webhook-secret", f.config.github_webhook_secret,
                                  "Secret of the GitHub webhooks (checks X-Hub-Signature-256)")
                       ->envname("FORGEDB_GITHUB_WEBHOOK_SECRET");
    cmd.add_option("--github-webhook-secret-file", f.secret_file,
                   "File whose first line is the GitHub webhook secret")
        ->envname("FORGEDB_GITHUB_WEBHOOK_SECRET_FILE")
        ->excludes(secret);
    cmd.add_flag("--insecure-accept-unsigned", f.config.insecure_accept_unsigned,
                 "Accept GitHub deliveries without a signature (no secret configured)")
        ->envname("FORGEDB_INSECURE_ACCEPT_UNSIGNED");
    cmd.add_option("--workers", f.config.workers, "In-process job workers (0: none)")
        ->envname("FORGEDB_WORKERS")
        ->capture_default_str();
    AddHttpOptions(cmd, f.http);
    AddGithub(cmd, f.github);
    AddForges(cmd, f.forges);
    AddContribOptions(cmd, f.contrib, f.config.contrib_read_only_queries);
    auto* api_token =
        cmd.add_option("--api-token", f.config.api_token,
                       "Bearer token the /load endpoints require (none: they refuse all)")
            ->envname("FORGEDB_API_TOKEN");
    cmd.add_option("--api-token-file", f.api_token_file, "File whose first line is the API token")
        ->envname("FORGEDB_API_TOKEN_FILE")
        ->excludes(api_token);
}

// The checked configuration; ConfigError on the first bad value, in the order of the checks.
ServeConfig Check(const ServeFlags& f) {
    ServeConfig config = f.config;
    config.github = ResolveGithub(f.github);
    config.forges = ResolveForges(f.forges);
    config.contrib = OrConfigError(BuildContrib(f.contrib, config.forges));
    if (!f.api_token_file.empty())
        config.api_token = OrConfigError(ReadSecretFile(f.api_token_file));
    config.listen = OrConfigError(ParseListen(f.listen));
    config.http = OrConfigError(BuildHttp(f.http, config.listen));
    if (!f.secret_file.empty()) {
        config.github_webhook_secret = OrConfigError(ReadSecretFile(f.secret_file));
    }
    if (auto st = Validate(config); !st) ConfigError(st.error().message);
    return config;
}

}  // namespace

Command AddServe(CLI::App& app) {
    auto* cmd = app.add_subcommand("serve", "Run the HTTP server and in-process workers");
    auto flags = std::make_shared<ServeFlags>();
    AddOptions(*cmd, *flags);
    return {cmd, [flags] { return RunServe(Check(*flags)); }};
}

}  // namespace commands

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

}  // namespace forgedb::app
