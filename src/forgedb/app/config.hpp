#pragma once
// Typed, checked configuration. Every value is validated once at start-up; a bad value stops the
// process with a one-line message (exit code 2).

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/http/server.hpp"

namespace forgedb::app {

struct ListenAddress {
    std::string host;
    int port = 0;
};

// "HOST:PORT" or ":PORT" (127.0.0.1) with PORT in 0..65535 (0: any free port).
Result<ListenAddress> ParseListen(std::string_view text);

// The first line of a secret file, without its line ending. Empty files are an error.
Result<std::string> ReadSecretFile(const std::string& path);

// A duration: digits with an optional unit ms, s, m, h or d (seconds when none), e.g. 500ms,
// 90s, 30m, 6h, 1d. `flag` names the option in the error.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string_view flag);

// The HTTP server's limits as given on the command line (see http::ServerOptions).
struct HttpFlags {
    int io_threads = 2;
    int handler_threads = 16;
    long long max_body_bytes = 25LL * 1024 * 1024;
    long long max_header_bytes = 64 * 1024;
    int max_headers = 100;
    std::string header_timeout = "10s";
    std::string request_timeout = "60s";
    std::string idle_timeout = "30s";
    int max_connections = 2048;
    int max_connections_per_client = 128;
};
// Checks every limit's range; the server options for `listen`.
Result<http::ServerOptions> BuildHttp(const HttpFlags& flags, const ListenAddress& listen);

// Reads tokens, one per line (blank lines and lines starting with '#' are skipped).
Result<std::vector<std::string>> ReadTokenFile(const std::string& path);

// GitHub API access shared by `serve`, `work` and `load`.
struct GithubConfig {
    std::string api_url = "https://api.github.com";
    std::vector<std::string> tokens;  // empty: anonymous
    int max_concurrency = 8;
    // How long a worker's lease on a job lasts without a heartbeat: after a crash, its jobs are
    // taken over this long after the last heartbeat.
    int lease_seconds = 60;
};
Status Validate(const GithubConfig& config);

// A Gerrit instance: --gerrit NAME=URL, --gerrit-auth NAME=USER:PASSWORD-FILE,
// --gerrit-webhook-secret NAME=FILE.
struct GerritInstanceConfig {
    std::string name;
    std::string url;  // without a trailing slash
    std::string username;
    std::string password;        // read from the file; never logged
    std::string webhook_secret;  // ?secret= of the event endpoint; "" = none
};

// A Phabricator instance: --phabricator NAME=URL, --phabricator-token NAME=TOKEN-FILE,
// --phabricator-hook-key NAME=KEY-FILE.
struct PhabricatorInstanceConfig {
    std::string name;
    std::string url;       // without a trailing slash
    std::string token;     // Conduit API token; never logged
    std::string hook_key;  // Herald webhook HMAC key; "" = unsigned calls refused
};

// A GitLab instance: --gitlab NAME=URL, --gitlab-token NAME=FILE, --gitlab-webhook-secret
// NAME=FILE.
struct GitlabInstanceConfig {
    std::string name;
    std::string url;             // without a trailing slash
    std::string token;           // API token; "" = anonymous; never logged
    std::string webhook_secret;  // X-Gitlab-Token of its hooks; "" = none
};

// The forges configured by instance, shared by serve, work and load.
struct ForgesConfig {
    std::vector<GerritInstanceConfig> gerrit;
    std::vector<PhabricatorInstanceConfig> phabricator;
    std::vector<GitlabInstanceConfig> gitlab;
};

// The raw flag values, turned into a checked ForgesConfig by BuildForges (which reads the files).
struct ForgesFlags {
    std::vector<std::string> gerrit;                 // NAME=URL
    std::vector<std::string> gerrit_auth;            // NAME=USER:PASSWORD-FILE
    std::vector<std::string> gerrit_webhook_secret;  // NAME=FILE
    std::vector<std::string> phabricator;            // NAME=URL
    std::vector<std::string> phabricator_token;      // NAME=TOKEN-FILE
    std::vector<std::string> phabricator_hook_key;   // NAME=KEY-FILE
    std::vector<std::string> gitlab;                 // NAME=URL
    std::vector<std::string> gitlab_token;           // NAME=TOKEN-FILE
    std::vector<std::string> gitlab_webhook_secret;  // NAME=FILE
};
// Instance names are 1..64 of [a-z0-9_-] and unique per forge; URLs are http(s); every
// credential names a configured instance.
Result<ForgesConfig> BuildForges(const ForgesFlags& flags);

// The contributor view's flags, turned into a checked contrib::ContribConfig by BuildContrib.
struct ContribFlags {
    std::string gerrit;       // --contrib-gerrit NAME; "" = the first --gerrit
    std::string phabricator;  // --contrib-phabricator NAME; "" = the first --phabricator
    std::vector<std::string> github_orgs;       // --contrib-github-org (repeatable)
    std::string freshness = "1d";               // --contrib-freshness: 90s, 30m, 6h, 1d, 0
    std::vector<std::string> webhooks_current;  // --contrib-webhooks-current gerrit,...
    bool no_crawl = false;                      // --contrib-no-crawl
};
// Checks the names against the configured instances and parses the durations.
Result<contrib::ContribConfig> BuildContrib(const ContribFlags& flags, const ForgesConfig& forges);

struct ServeConfig {
    ListenAddress listen{"127.0.0.1", 8080};
    std::string database = "sqlite:forgedb.db";
    std::string github_webhook_secret;  // empty: unsigned deliveries (only if insecure_unsigned)
    bool insecure_accept_unsigned = false;
    int workers = 2;
    http::ServerOptions http;  // from BuildHttp
    std::string api_token;     // bearer token of the /load endpoints; empty: they answer 401
    GithubConfig github;
    ForgesConfig forges;
    contrib::ContribConfig contrib;
    // The WikiContrib API's PATCH and DELETE of stored queries answer 403.
    bool contrib_read_only_queries = false;
};

// Cross-field checks: a secret or the explicit insecure flag; sane worker and thread counts.
Status Validate(const ServeConfig& config);

}  // namespace forgedb::app
