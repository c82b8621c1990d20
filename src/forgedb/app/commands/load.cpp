// `forgedb load PATH`: queues the crawl of a load path, as POST /load/PATH does; with --wait,
// runs workers here until it finishes.

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/load_router.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::app {
namespace commands {
namespace {

struct LoadFlags {
    std::string database = "sqlite:forgedb.db";
    std::string path;
    bool children = false;
    bool wait = false;
    bool refresh = false;
    std::string state = "all";
    GithubFlags github;
    ForgesFlags forges;
};

int Run(const LoadFlags& f) {
    GithubConfig github = ResolveGithub(f.github);
    ForgesConfig forges = ResolveForges(f.forges);
    if (f.state != "open" && f.state != "closed" && f.state != "all") {
        ConfigError("--state must be open, closed or all");
    }
    return RunLoad(f.database, f.path, f.children, f.state, f.refresh, f.wait, github, forges);
}

}  // namespace

Command AddLoad(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "load", "Queue a crawl, as POST /load/PATH does (e.g. repos/OWNER/REPO/pulls)");
    auto f = std::make_shared<LoadFlags>();
    AddDatabase(*cmd, f->database);
    AddGithub(*cmd, f->github);
    AddForges(*cmd, f->forges);
    cmd->add_option("path", f->path,
                    "repos/O/R[/pulls[/N[/files]]|/issues[/N]|/labels[/NAME]|/milestones[/N]|"
                    "/hooks[/ID]], user/U[/repos], gerrit/I/changes?q=QUERY, "
                    "gerrit/I/accounts/U, phabricator/I/tasks?author=U|assigned=U|project=P, "
                    "phabricator/I/revisions?author=U, phabricator/I/users/U")
        ->required();
    cmd->add_flag("--children", f->children, "Also crawl what lies below (as the seed did)");
    cmd->add_option("--state", f->state, "open, closed or all (pulls, issues, milestones)")
        ->capture_default_str();
    cmd->add_flag("--refresh", f->refresh,
                  "Pulls or issues: only what changed since the last refresh");
    cmd->add_flag("--wait", f->wait,
                  "Run workers here until the crawl finishes, with a progress bar");
    return {cmd, [f] { return Run(*f); }};
}

}  // namespace commands

int RunLoad(const std::string& database, const std::string& path, bool children,
            const std::string& state, bool refresh, bool wait, const GithubConfig& github,
            const ForgesConfig& forges) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto split = forge::SplitLoadPath(path);
    if (!split) {
        std::fprintf(stderr, "forgedb: %s\n", split.error().message.c_str());
        return kExitConfig;
    }
    auto& [load_path, query] = *split;
    // The CLI's flags become the route's query parameters (GitHub routes only take them).
    if (!load_path.starts_with("/load/gerrit/") && !load_path.starts_with("/load/phabricator/")) {
        query.emplace("children", children ? "true" : "false");
        query.emplace("state", state);
        query.emplace("refresh", refresh ? "true" : "false");
    }
    SystemClock clock;
    forge::Forges all = MakeForges(CrawlSettings(github, forges), *opened->db, clock);
    forge::LoadRouter router(all);
    query.erase("inline");
    auto match = router.Plan(load_path, query);
    if (!match) {
        std::fprintf(stderr, "forgedb: %s\n", match.error().message.c_str());
        return kExitConfig;
    }
    const forge::LoadPlan* plan = &match->plan;
    queue::JobQueue queue(*opened->conn, clock);
    auto inserted = queue.Enqueue(plan->job);
    if (!inserted) {
        spdlog::error("{}", inserted.error().ToString());
        return kExitRuntime;
    }
    std::printf("%s job %lld: %s\n", inserted->created ? "queued" : "already queued",
                static_cast<long long>(inserted->id), plan->job.unique_key.value_or("").c_str());
    if (!wait) return 0;
    sigset_t signals = BlockStopSignals();
    (void)signals;
    queue::Notifier notifier;
    tasks::TaskRegistry registry;
    all.RegisterTasks(registry);
    queue::WorkerOptions wopts;
    wopts.threads = 2;
    wopts.lower_priority = false;
    queue::WorkerPool workers(
        *opened->db, clock, notifier, [&registry](queue::JobContext& c) { return registry.Run(c); },
        wopts);
    workers.Start();
    bool tty = isatty(fileno(stderr));
    std::string last_line;
    for (;;) {
        auto tree = store::LoadJobTree(*opened->conn, inserted->id);
        if (!tree || !*tree) {
            spdlog::error("cannot read job {}", inserted->id);
            return kExitRuntime;
        }
        const auto& t = **tree;
        long long total = t.progress_total.value_or(0);
        std::string bar;
        if (total > 0) {
            int filled = static_cast<int>(30.0 * std::min(t.progress_done, total) / total);
            bar = "[" + std::string(filled, '#') + std::string(30 - filled, '.') + "] ";
        }
        std::string line = bar + t.state + " pages " + std::to_string(t.progress_done) + "/" +
                           (total > 0 ? std::to_string(total) : "?") + ", " +
                           std::to_string(t.items) + " items";
        if (line != last_line) {  // a terminal gets a bar redrawn in place, a log one line each
            std::fprintf(stderr, tty ? "\r%s" : "%s\n", line.c_str());
            last_line = line;
        }
        if (t.state == "succeeded" || t.state == "failed" || t.state == "dead") {
            if (tty) std::fprintf(stderr, "\n");
            workers.Stop();
            if (t.state != "succeeded") {
                std::fprintf(stderr, "forgedb: job %lld %s: %s\n",
                             static_cast<long long>(inserted->id), t.state.c_str(),
                             t.error.c_str());
                return kExitRuntime;
            }
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace forgedb::app
