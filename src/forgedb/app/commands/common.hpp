#pragma once
// What the commands' command lines share: parsing, the --log-level option and logging, and the
// option groups that several commands take (--database, the GitHub API flags, the forge instance
// flags), with the checks that turn each group into configuration (see app/config.hpp).

#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forgedb/app/config.hpp"
#include "forgedb/core/result.hpp"

namespace forgedb::app::commands {

// Prints "forgedb: MESSAGE" to stderr and ends the process with exit code 2: a bad command line
// or configuration value.
[[noreturn]] void ConfigError(const std::string& message);

// The value of `result`, or ConfigError with its message.
template <typename T>
T OrConfigError(Result<T> result) {
    if (!result) ConfigError(result.error().message);
    return std::move(result).value();
}

// Parses the command line. nullopt: parsed, run the chosen command; a code: help was asked for
// and printed, end the process with that code. A parse error is a ConfigError.
std::optional<int> Parse(CLI::App& app, int argc, char** argv);

// --log-level (FORGEDB_LOG_LEVEL) on the top-level app, into `level`, whose value is the default.
void AddLogLevel(CLI::App& app, std::string& level);
// Logs to stderr, in UTC, from `level` up; an unknown level is a ConfigError.
void SetUpLogging(const std::string& level);

// --database (FORGEDB_DATABASE) into `url`, whose value is the default.
void AddDatabase(CLI::App& cmd, std::string& url);

// The GitHub API flags as given: --github-api-url, --github-token, --github-token-file,
// --github-max-concurrency and --lease-seconds.
struct GithubFlags {
    GithubConfig config;                   // the values given, with GithubConfig's defaults
    std::vector<std::string> token_files;  // --github-token-file
};
void AddGithub(CLI::App& cmd, GithubFlags& flags);
// The configuration with the tokens of the token files added, checked; ConfigError on the first
// unreadable file or bad value.
GithubConfig ResolveGithub(const GithubFlags& flags);

// The forge instance flags: --gerrit*, --phabricator* and --gitlab*.
void AddForges(CLI::App& cmd, ForgesFlags& flags);
// BuildForges (which reads the credential files), or ConfigError.
ForgesConfig ResolveForges(const ForgesFlags& flags);

}  // namespace forgedb::app::commands
