// `forgedb jobs list|show ID|retry ID`: inspects the job queue.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/web/load/load_surface.hpp"

namespace forgedb::app {
namespace commands {
namespace {

struct JobsFlags {
    std::string database = "sqlite:forgedb.db";
    std::string action = "list";
    long long id = 0;
};

int Run(const JobsFlags& f) {
    if (f.action != "list" && f.id <= 0) ConfigError("jobs " + f.action + " needs an ID");
    return RunJobs(f.database, f.action, f.id);
}

}  // namespace

Command AddJobs(CLI::App& app) {
    auto* cmd = app.add_subcommand("jobs", "Inspect the job queue: list, show ID, retry ID");
    auto f = std::make_shared<JobsFlags>();
    AddDatabase(*cmd, f->database);
    cmd->add_option("action", f->action, "list, show or retry")
        ->check(CLI::IsMember({"list", "show", "retry"}))
        ->capture_default_str();
    cmd->add_option("id", f->id, "Job id (show, retry)");
    return {cmd, [f] { return Run(*f); }};
}

}  // namespace commands

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
