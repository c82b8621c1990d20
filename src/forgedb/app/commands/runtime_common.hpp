#pragma once
// What the commands' run functions share: exit codes, the stop signals, and opening the
// database at the current schema.

#include <signal.h>

#include <memory>
#include <optional>
#include <string>

#include "forgedb/app/config.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::app {

// Process exit codes: 0 success, 1 a failure at run time, 2 a bad command line, configuration
// or database URL.
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitConfig = 2;

// Blocks SIGINT and SIGTERM in the calling thread and in every thread it starts afterwards, so
// that WaitForStop can take them synchronously. Call before starting threads.
sigset_t BlockStopSignals();
// Waits for one of the signals of `set` (from BlockStopSignals) and logs it.
void WaitForStop(const sigset_t& set);

// A database at the current schema, with one connection for the command's own use.
struct Opened {
    std::unique_ptr<store::Database> db;
    std::unique_ptr<store::Connection> conn;
};
// Opens the database of `url` and applies pending migrations. On failure, logs the error, sets
// `exit_code` (kExitConfig for a bad URL, else kExitRuntime) and returns nullopt.
std::optional<Opened> OpenAndMigrate(const std::string& url, int& exit_code);

// The settings of forges built for crawling (work, load): no webhook secrets, no contributor
// view.
ForgeSettings CrawlSettings(const GithubConfig& github, const ForgesConfig& forges);

}  // namespace forgedb::app
