#pragma once
// The commands' run logic: the composition roots, the only place implementations are chosen and
// wired together. Each is defined in its command's file, app/commands/<command>.cpp, next to the
// command line that checks its arguments first.

#include <memory>
#include <optional>
#include <string>

#include "forgedb/app/config.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"

namespace forgedb::app {

// Each returns the process exit code.
int RunServe(const ServeConfig& config);
int RunWork(const std::string& database, int workers, const GithubConfig& github,
            const ForgesConfig& forges);
// `forgedb load PATH`: queues the crawl of a load path ("repos/o/r/pulls",
// "gerrit/wikimedia/changes?q=owner:alice"); with `wait`, runs workers in this process until the
// crawl and its children finish, showing progress.
int RunLoad(const std::string& database, const std::string& path, bool children,
            const std::string& state, bool refresh, bool wait, const GithubConfig& github,
            const ForgesConfig& forges);
// `forgedb jobs list|show ID|retry ID`.
int RunJobs(const std::string& database, const std::string& action, long long id);
int RunMigrate(const std::string& database);
// `forgedb replay`: which logged deliveries to process again.
struct ReplayOptions {
    std::optional<Timestamp> since;
    std::optional<std::string> event;
    std::optional<std::string> forge;  // one of ForgeNames() (app/forges.hpp); nullopt: all
    bool pending_only = false;         // only those still pending (e.g. after a dead job)
};
int RunReplay(const std::string& database, const ReplayOptions& options);

}  // namespace forgedb::app
