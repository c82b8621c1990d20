#include "forgedb/app/commands/runtime_common.hpp"

#include <spdlog/spdlog.h>

#include "forgedb/store/migrations.hpp"

namespace forgedb::app {

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

ForgeSettings CrawlSettings(const GithubConfig& github, const ForgesConfig& forges) {
    ForgeSettings s;
    s.github = github;
    s.forges = forges;
    return s;
}

}  // namespace forgedb::app
