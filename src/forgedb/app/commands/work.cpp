// `forgedb work`: job workers only (no HTTP server), until SIGINT or SIGTERM.

#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"

namespace forgedb::app {
namespace commands {
namespace {

struct WorkFlags {
    std::string database = "sqlite:forgedb.db";
    int workers = 2;
    GithubFlags github;
    ForgesFlags forges;
};

int Run(const WorkFlags& f) {
    GithubConfig github = ResolveGithub(f.github);
    ForgesConfig forges = ResolveForges(f.forges);
    if (f.workers < 1 || f.workers > 256) ConfigError("--workers must be 1..256");
    return RunWork(f.database, f.workers, github, forges);
}

}  // namespace

Command AddWork(CLI::App& app) {
    auto* cmd = app.add_subcommand("work", "Run job workers only (no HTTP server)");
    auto f = std::make_shared<WorkFlags>();
    AddDatabase(*cmd, f->database);
    AddGithub(*cmd, f->github);
    AddForges(*cmd, f->forges);
    cmd->add_option("--workers", f->workers, "Job workers")
        ->envname("FORGEDB_WORKERS")
        ->capture_default_str();
    return {cmd, [f] { return Run(*f); }};
}

}  // namespace commands

int RunWork(const std::string& database, int workers_count, const GithubConfig& github,
            const ForgesConfig& forges) {
    sigset_t signals = BlockStopSignals();
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    SystemClock clock;
    queue::Notifier notifier;
    forge::Forges all = MakeForges(CrawlSettings(github, forges), *opened->db, clock);
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

}  // namespace forgedb::app
