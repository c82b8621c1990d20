#include "forgedb/app/commands/common.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

#include "forgedb/app/commands/runtime_common.hpp"

namespace forgedb::app::commands {

void ConfigError(const std::string& message) {
    std::fprintf(stderr, "forgedb: %s\n", message.c_str());
    std::exit(kExitConfig);
}

std::optional<int> Parse(CLI::App& app, int argc, char** argv) {
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
    return std::nullopt;
}

void AddLogLevel(CLI::App& app, std::string& level) {
    app.add_option("--log-level", level, "trace, debug, info, warn, error")
        ->envname("FORGEDB_LOG_LEVEL")
        ->capture_default_str();
}

void SetUpLogging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("forgedb");
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%l%$ %v", spdlog::pattern_time_type::utc);
    auto lvl = spdlog::level::from_str(level);
    if (lvl == spdlog::level::off && level != "off") ConfigError("unknown --log-level " + level);
    spdlog::set_level(lvl);
}

void AddDatabase(CLI::App& cmd, std::string& url) {
    cmd.add_option("--database", url, "sqlite:PATH or postgresql://USER@HOST:PORT/DB")
        ->envname("FORGEDB_DATABASE")
        ->capture_default_str();
}

void AddGithub(CLI::App& cmd, GithubFlags& flags) {
    GithubConfig& github = flags.config;
    cmd.add_option("--github-api-url", github.api_url,
                   "GitHub REST API base URL (GitHub Enterprise: https://HOST/api/v3)")
        ->envname("FORGEDB_GITHUB_API_URL")
        ->capture_default_str();
    cmd.add_option("--github-token", github.tokens,
                   "GitHub API token (repeat for several; none: anonymous)")
        ->envname("FORGEDB_GITHUB_TOKEN");
    cmd.add_option("--github-token-file", flags.token_files,
                   "File with GitHub API tokens, one per line (repeatable)")
        ->envname("FORGEDB_GITHUB_TOKEN_FILE");
    cmd.add_option("--github-max-concurrency", github.max_concurrency,
                   "GitHub requests in flight at once")
        ->envname("FORGEDB_GITHUB_MAX_CONCURRENCY")
        ->capture_default_str();
    cmd.add_option("--lease-seconds", github.lease_seconds,
                   "Job lease; a crashed worker's jobs are taken over after it")
        ->envname("FORGEDB_LEASE_SECONDS")
        ->capture_default_str();
}

GithubConfig ResolveGithub(const GithubFlags& flags) {
    GithubConfig github = flags.config;
    for (const auto& file : flags.token_files) {
        auto tokens = OrConfigError(ReadTokenFile(file));
        github.tokens.insert(github.tokens.end(), tokens.begin(), tokens.end());
    }
    if (auto st = Validate(github); !st) ConfigError(st.error().message);
    return github;
}

void AddForges(CLI::App& cmd, ForgesFlags& flags) {
    cmd.add_option("--gerrit", flags.gerrit,
                   "Gerrit instance NAME=URL, e.g. wikimedia=https://gerrit.wikimedia.org/r "
                   "(repeatable)")
        ->envname("FORGEDB_GERRIT");
    cmd.add_option("--gerrit-auth", flags.gerrit_auth,
                   "NAME=USER:PASSWORD-FILE: HTTP credentials of a Gerrit instance "
                   "(default: anonymous)")
        ->envname("FORGEDB_GERRIT_AUTH");
    cmd.add_option("--gerrit-webhook-secret", flags.gerrit_webhook_secret,
                   "NAME=FILE: secret the Gerrit event endpoint requires as ?secret=")
        ->envname("FORGEDB_GERRIT_WEBHOOK_SECRET");
    cmd.add_option("--phabricator", flags.phabricator,
                   "Phabricator instance NAME=URL, e.g. "
                   "wikimedia=https://phabricator.wikimedia.org (repeatable)")
        ->envname("FORGEDB_PHABRICATOR");
    cmd.add_option("--phabricator-token", flags.phabricator_token,
                   "NAME=TOKEN-FILE: Conduit API token of a Phabricator instance")
        ->envname("FORGEDB_PHABRICATOR_TOKEN");
    cmd.add_option("--phabricator-hook-key", flags.phabricator_hook_key,
                   "NAME=KEY-FILE: HMAC key of the instance's Herald webhook")
        ->envname("FORGEDB_PHABRICATOR_HOOK_KEY");
    cmd.add_option("--gitlab", flags.gitlab,
                   "GitLab instance NAME=URL, e.g. wikimedia=https://gitlab.wikimedia.org "
                   "(repeatable)")
        ->envname("FORGEDB_GITLAB");
    cmd.add_option("--gitlab-token", flags.gitlab_token,
                   "NAME=TOKEN-FILE: API token of a GitLab instance (default: anonymous "
                   "reads of public data)")
        ->envname("FORGEDB_GITLAB_TOKEN");
    cmd.add_option("--gitlab-webhook-secret", flags.gitlab_webhook_secret,
                   "NAME=FILE: secret token the GitLab webhook endpoint requires as "
                   "X-Gitlab-Token")
        ->envname("FORGEDB_GITLAB_WEBHOOK_SECRET");
}

ForgesConfig ResolveForges(const ForgesFlags& flags) { return OrConfigError(BuildForges(flags)); }

}  // namespace forgedb::app::commands
