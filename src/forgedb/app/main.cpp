// forgedb: mirror code-forge data into SQL. Command-line entry point.

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>

#include "forgedb/app/config.hpp"
#include "forgedb/app/runtime.hpp"

namespace {

[[noreturn]] void ConfigError(const std::string& message) {
    std::fprintf(stderr, "forgedb: %s\n", message.c_str());
    std::exit(2);
}

void SetUpLogging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("forgedb");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    auto lvl = spdlog::level::from_str(level);
    if (lvl == spdlog::level::off && level != "off") ConfigError("unknown --log-level " + level);
    spdlog::set_level(lvl);
}

}  // namespace

int main(int argc, char** argv) {
    using forgedb::app::ServeConfig;
    CLI::App app{"forgedb: mirror GitHub, Gerrit and Phabricator data into SQL"};
    app.require_subcommand(1);
    std::string log_level = "info";
    app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
        ->envname("FORGEDB_LOG_LEVEL")
        ->capture_default_str();

    ServeConfig serve_cfg;
    std::string listen = "127.0.0.1:8080";
    std::string secret_file;
    auto* serve = app.add_subcommand("serve", "Run the HTTP server and in-process workers");
    auto add_database = [](CLI::App* cmd, std::string& target) {
        cmd->add_option("--database", target, "sqlite:PATH or postgresql://USER@HOST:PORT/DB")
            ->envname("FORGEDB_DATABASE")
            ->capture_default_str();
    };
    serve->add_option("--listen", listen, "Address to listen on, HOST:PORT")
        ->envname("FORGEDB_LISTEN")
        ->capture_default_str();
    add_database(serve, serve_cfg.database);
    auto* secret_opt =
        serve
            ->add_option("--github-webhook-secret", serve_cfg.github_webhook_secret,
                         "Secret of the GitHub webhooks (checks X-Hub-Signature-256)")
            ->envname("FORGEDB_GITHUB_WEBHOOK_SECRET");
    serve
        ->add_option("--github-webhook-secret-file", secret_file,
                     "File whose first line is the GitHub webhook secret")
        ->envname("FORGEDB_GITHUB_WEBHOOK_SECRET_FILE")
        ->excludes(secret_opt);
    serve
        ->add_flag("--insecure-accept-unsigned", serve_cfg.insecure_accept_unsigned,
                   "Accept GitHub deliveries without a signature (no secret configured)")
        ->envname("FORGEDB_INSECURE_ACCEPT_UNSIGNED");
    serve->add_option("--workers", serve_cfg.workers, "In-process job workers (0: none)")
        ->envname("FORGEDB_WORKERS")
        ->capture_default_str();
    // The HTTP server's threads and limits (see docs/architecture.md, "The HTTP server").
    forgedb::app::HttpFlags http_flags;
    serve
        ->add_option("--http-threads", http_flags.handler_threads,
                     "Threads running request handlers (requests handled at once)")
        ->envname("FORGEDB_HTTP_THREADS")
        ->capture_default_str();
    serve
        ->add_option("--http-io-threads", http_flags.io_threads,
                     "Threads serving the sockets (every connection, however slow, costs none)")
        ->envname("FORGEDB_HTTP_IO_THREADS")
        ->capture_default_str();
    serve
        ->add_option("--http-max-body-bytes", http_flags.max_body_bytes,
                     "Largest request body, chunked or not (413 at the limit)")
        ->envname("FORGEDB_HTTP_MAX_BODY_BYTES")
        ->capture_default_str();
    serve
        ->add_option("--http-max-header-bytes", http_flags.max_header_bytes,
                     "Largest request line and headers together (431)")
        ->envname("FORGEDB_HTTP_MAX_HEADER_BYTES")
        ->capture_default_str();
    serve
        ->add_option("--http-max-headers", http_flags.max_headers,
                     "Most header fields in a request (431)")
        ->envname("FORGEDB_HTTP_MAX_HEADERS")
        ->capture_default_str();
    serve
        ->add_option("--http-header-timeout", http_flags.header_timeout,
                     "Time from a request's first byte to the end of its headers")
        ->envname("FORGEDB_HTTP_HEADER_TIMEOUT")
        ->capture_default_str();
    serve
        ->add_option("--http-request-timeout", http_flags.request_timeout,
                     "Time from a request's first byte to the end of its body")
        ->envname("FORGEDB_HTTP_REQUEST_TIMEOUT")
        ->capture_default_str();
    serve
        ->add_option("--http-idle-timeout", http_flags.idle_timeout,
                     "Time a kept-alive connection may wait for its next request")
        ->envname("FORGEDB_HTTP_IDLE_TIMEOUT")
        ->capture_default_str();
    serve
        ->add_option("--http-max-connections", http_flags.max_connections,
                     "Open connections at most; more are answered 503")
        ->envname("FORGEDB_HTTP_MAX_CONNECTIONS")
        ->capture_default_str();
    serve
        ->add_option("--http-max-connections-per-client", http_flags.max_connections_per_client,
                     "Open connections at most from one client address; more are answered 503")
        ->envname("FORGEDB_HTTP_MAX_CONNECTIONS_PER_CLIENT")
        ->capture_default_str();

    // GitHub API access, shared by serve, work and load.
    forgedb::app::GithubConfig github;
    std::vector<std::string> github_token_files;
    auto add_github = [&](CLI::App* cmd) {
        cmd->add_option("--github-api-url", github.api_url,
                        "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)")
            ->envname("FORGEDB_GITHUB_API_URL")
            ->capture_default_str();
        cmd->add_option("--github-token", github.tokens,
                        "GitHub API token (repeat for several; none: anonymous)")
            ->envname("FORGEDB_GITHUB_TOKEN");
        cmd->add_option("--github-token-file", github_token_files,
                        "File with GitHub API tokens, one per line (repeatable)")
            ->envname("FORGEDB_GITHUB_TOKEN_FILE");
        cmd->add_option("--github-max-concurrency", github.max_concurrency,
                        "GitHub requests in flight at once")
            ->envname("FORGEDB_GITHUB_MAX_CONCURRENCY")
            ->capture_default_str();
        cmd->add_option("--lease-seconds", github.lease_seconds,
                        "Job lease; a crashed worker's jobs are taken over after it")
            ->envname("FORGEDB_LEASE_SECONDS")
            ->capture_default_str();
    };
    add_github(serve);

    // Gerrit and Phabricator instances, shared by serve, work and load.
    forgedb::app::ForgesFlags forges_flags;
    auto add_forges = [&](CLI::App* cmd) {
        cmd->add_option("--gerrit", forges_flags.gerrit,
                        "Gerrit instance NAME=URL, e.g. wikimedia=https://gerrit.wikimedia.org/r "
                        "(repeatable)")
            ->envname("FORGEDB_GERRIT");
        cmd->add_option("--gerrit-auth", forges_flags.gerrit_auth,
                        "NAME=USER:PASSWORD-FILE: HTTP credentials of a Gerrit instance "
                        "(default: anonymous)")
            ->envname("FORGEDB_GERRIT_AUTH");
        cmd->add_option("--gerrit-webhook-secret", forges_flags.gerrit_webhook_secret,
                        "NAME=FILE: secret the Gerrit event endpoint requires as ?secret=")
            ->envname("FORGEDB_GERRIT_WEBHOOK_SECRET");
        cmd->add_option("--phabricator", forges_flags.phabricator,
                        "Phabricator instance NAME=URL, e.g. "
                        "wikimedia=https://phabricator.wikimedia.org (repeatable)")
            ->envname("FORGEDB_PHABRICATOR");
        cmd->add_option("--phabricator-token", forges_flags.phabricator_token,
                        "NAME=TOKEN-FILE: Conduit API token of a Phabricator instance")
            ->envname("FORGEDB_PHABRICATOR_TOKEN");
        cmd->add_option("--phabricator-hook-key", forges_flags.phabricator_hook_key,
                        "NAME=KEY-FILE: HMAC key of the instance's Herald webhook")
            ->envname("FORGEDB_PHABRICATOR_HOOK_KEY");
        cmd->add_option("--gitlab", forges_flags.gitlab,
                        "GitLab instance NAME=URL, e.g. wikimedia=https://gitlab.wikimedia.org "
                        "(repeatable)")
            ->envname("FORGEDB_GITLAB");
        cmd->add_option("--gitlab-token", forges_flags.gitlab_token,
                        "NAME=TOKEN-FILE: API token of a GitLab instance (default: anonymous "
                        "reads of public data)")
            ->envname("FORGEDB_GITLAB_TOKEN");
        cmd->add_option("--gitlab-webhook-secret", forges_flags.gitlab_webhook_secret,
                        "NAME=FILE: secret token the GitLab webhook endpoint requires as "
                        "X-Gitlab-Token")
            ->envname("FORGEDB_GITLAB_WEBHOOK_SECRET");
    };
    add_forges(serve);
    forgedb::app::ContribFlags contrib_flags;
    serve
        ->add_option("--contrib-gerrit", contrib_flags.gerrit,
                     "Gerrit instance whose usernames the contributor view uses (default: the "
                     "first --gerrit)")
        ->envname("FORGEDB_CONTRIB_GERRIT");
    serve
        ->add_option("--contrib-phabricator", contrib_flags.phabricator,
                     "Phabricator instance of the contributor view (default: the first "
                     "--phabricator)")
        ->envname("FORGEDB_CONTRIB_PHABRICATOR");
    serve
        ->add_option("--contrib-github-org", contrib_flags.github_orgs,
                     "GitHub organisation whose commits, pull requests and issues the "
                     "contributor view counts (repeatable)")
        ->envname("FORGEDB_CONTRIB_GITHUB_ORG");
    serve
        ->add_option("--contrib-freshness", contrib_flags.freshness,
                     "How long a crawled window stays fresh for the contributor view (90s, 30m, "
                     "6h, 1d)")
        ->envname("FORGEDB_CONTRIB_FRESHNESS")
        ->capture_default_str();
    serve
        ->add_option("--contrib-webhooks-current", contrib_flags.webhooks_current,
                     "Forges whose webhooks keep the mirror current (gerrit, phabricator, "
                     "github): a window once crawled never goes stale")
        ->delimiter(',')
        ->envname("FORGEDB_CONTRIB_WEBHOOKS_CURRENT");
    serve
        ->add_flag("--contrib-no-crawl", contrib_flags.no_crawl,
                   "Views never queue crawls (the mirror is filled by webhooks and /load)")
        ->envname("FORGEDB_CONTRIB_NO_CRAWL");
    serve
        ->add_flag("--contrib-read-only-queries", serve_cfg.contrib_read_only_queries,
                   "Refuse the WikiContrib API's PATCH and DELETE of stored queries (403), which "
                   "need no credentials: for public servers")
        ->envname("FORGEDB_CONTRIB_READ_ONLY_QUERIES");
    std::string api_token_file;
    auto* api_token_opt =
        serve
            ->add_option("--api-token", serve_cfg.api_token,
                         "Bearer token the /load endpoints require (none: they refuse all)")
            ->envname("FORGEDB_API_TOKEN");
    serve->add_option("--api-token-file", api_token_file, "File whose first line is the API token")
        ->envname("FORGEDB_API_TOKEN_FILE")
        ->excludes(api_token_opt);

    std::string work_db = "sqlite:forgedb.db";
    int work_workers = 2;
    auto* work = app.add_subcommand("work", "Run job workers only (no HTTP server)");
    add_database(work, work_db);
    add_github(work);
    add_forges(work);
    work->add_option("--workers", work_workers, "Job workers")
        ->envname("FORGEDB_WORKERS")
        ->capture_default_str();

    std::string migrate_db = "sqlite:forgedb.db";
    auto* migrate = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
    add_database(migrate, migrate_db);

    std::string load_db = "sqlite:forgedb.db";
    std::string load_path;
    bool load_children = false;
    bool load_wait = false;
    bool load_refresh = false;
    std::string load_state = "all";
    auto* load = app.add_subcommand(
        "load", "Queue a crawl, as POST /load/PATH does (e.g. repos/OWNER/REPO/pulls)");
    add_database(load, load_db);
    add_github(load);
    add_forges(load);
    load->add_option("path", load_path,
                     "repos/O/R[/pulls[/N[/files]]|/issues[/N]|/labels[/NAME]|/milestones[/N]|"
                     "/hooks[/ID]], user/U[/repos], gerrit/I/changes?q=QUERY, "
                     "gerrit/I/accounts/U, phabricator/I/tasks?author=U|assigned=U|project=P, "
                     "phabricator/I/revisions?author=U, phabricator/I/users/U")
        ->required();
    load->add_flag("--children", load_children, "Also crawl what lies below (as the seed did)");
    load->add_option("--state", load_state, "open, closed or all (pulls, issues, milestones)")
        ->capture_default_str();
    load->add_flag("--refresh", load_refresh,
                   "Pulls or issues: only what changed since the last refresh");
    load->add_flag("--wait", load_wait,
                   "Run workers here until the crawl finishes, with a progress bar");

    std::string jobs_db = "sqlite:forgedb.db";
    std::string jobs_action = "list";
    long long jobs_id = 0;
    auto* jobs = app.add_subcommand("jobs", "Inspect the job queue: list, show ID, retry ID");
    add_database(jobs, jobs_db);
    jobs->add_option("action", jobs_action, "list, show or retry")
        ->check(CLI::IsMember({"list", "show", "retry"}))
        ->capture_default_str();
    jobs->add_option("id", jobs_id, "Job id (show, retry)");

    std::string replay_db = "sqlite:forgedb.db";
    std::string replay_since;
    std::string replay_event;
    auto* replay = app.add_subcommand(
        "replay", "Re-process logged webhook deliveries (for example after a schema change)");
    add_database(replay, replay_db);
    replay->add_option("--since", replay_since,
                       "Only deliveries received at or after this UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    replay->add_option("--event", replay_event, "Only deliveries of this event (e.g. issues)");
    std::string replay_forge;
    bool replay_pending = false;
    replay->add_option("--forge", replay_forge,
                       "Only deliveries from this forge: github, gerrit, phabricator or gitlab");
    replay->add_flag("--pending", replay_pending,
                     "Only deliveries not processed yet (for example after their job died)");

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e);
        ConfigError(e.what());
    }
    SetUpLogging(log_level);

    auto read_github = [&]() {
        for (const auto& f : github_token_files) {
            auto tokens = forgedb::app::ReadTokenFile(f);
            if (!tokens) ConfigError(tokens.error().message);
            github.tokens.insert(github.tokens.end(), tokens->begin(), tokens->end());
        }
        if (auto st = forgedb::app::Validate(github); !st) ConfigError(st.error().message);
    };
    forgedb::app::ForgesConfig forges;
    if (*serve || *work || *load) {
        read_github();
        auto built = forgedb::app::BuildForges(forges_flags);
        if (!built) ConfigError(built.error().message);
        forges = std::move(built).value();
    }

    if (*serve) {
        serve_cfg.github = github;
        serve_cfg.forges = forges;
        auto contrib = forgedb::app::BuildContrib(contrib_flags, forges);
        if (!contrib) ConfigError(contrib.error().message);
        serve_cfg.contrib = std::move(contrib).value();
        if (!api_token_file.empty()) {
            auto s = forgedb::app::ReadSecretFile(api_token_file);
            if (!s) ConfigError(s.error().message);
            serve_cfg.api_token = *s;
        }
        auto addr = forgedb::app::ParseListen(listen);
        if (!addr) ConfigError(addr.error().message);
        serve_cfg.listen = *addr;
        auto http = forgedb::app::BuildHttp(http_flags, *addr);
        if (!http) ConfigError(http.error().message);
        serve_cfg.http = std::move(http).value();
        if (!secret_file.empty()) {
            auto s = forgedb::app::ReadSecretFile(secret_file);
            if (!s) ConfigError(s.error().message);
            serve_cfg.github_webhook_secret = *s;
        }
        if (auto st = forgedb::app::Validate(serve_cfg); !st) ConfigError(st.error().message);
        return forgedb::app::RunServe(serve_cfg);
    }
    if (*work) {
        if (work_workers < 1 || work_workers > 256) ConfigError("--workers must be 1..256");
        return forgedb::app::RunWork(work_db, work_workers, github, forges);
    }
    if (*migrate) return forgedb::app::RunMigrate(migrate_db);
    if (*load) {
        if (load_state != "open" && load_state != "closed" && load_state != "all") {
            ConfigError("--state must be open, closed or all");
        }
        return forgedb::app::RunLoad(load_db, load_path, load_children, load_state, load_refresh,
                                     load_wait, github, forges);
    }
    if (*jobs) {
        if (jobs_action != "list" && jobs_id <= 0)
            ConfigError("jobs " + jobs_action + " needs an ID");
        return forgedb::app::RunJobs(jobs_db, jobs_action, jobs_id);
    }
    if (*replay) {
        std::optional<forgedb::Timestamp> since;
        if (!replay_since.empty()) {
            since = forgedb::ParseTimestamp(replay_since);
            if (!since) ConfigError("--since must be a UTC time like 2026-01-31T00:00:00Z");
        }
        forgedb::app::ReplayOptions options;
        options.since = since;
        if (!replay_event.empty()) options.event = replay_event;
        if (!replay_forge.empty()) {
            if (replay_forge != "github" && replay_forge != "gerrit" &&
                replay_forge != "phabricator" && replay_forge != "gitlab") {
                ConfigError("--forge must be github, gerrit, phabricator or gitlab");
            }
            options.forge = replay_forge;
        }
        options.pending_only = replay_pending;
        return forgedb::app::RunReplay(replay_db, options);
    }
    return 0;
}
