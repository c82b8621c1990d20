// `forgedb replay`: processes logged webhook deliveries again (for example after a schema
// change).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/forges.hpp"
#include "forgedb/app/runtime.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/store/delivery_store.hpp"

namespace forgedb::app {
namespace commands {
namespace {

struct ReplayFlags {
    std::string database = "sqlite:forgedb.db";
    std::string since;
    std::string event;
    std::string forge;
    bool pending = false;
};

// "a, b, c or d".
std::string NameList(const std::vector<std::string>& names) {
    std::string list;
    for (size_t i = 0; i < names.size(); ++i) {
        if (i > 0) list += i + 1 == names.size() ? " or " : ", ";
        list += names[i];
    }
    return list;
}

int Run(const ReplayFlags& f) {
    ReplayOptions options;
    if (!f.since.empty()) {
        options.since = ParseTimestamp(f.since);
        if (!options.since) ConfigError("--since must be a UTC time like 2026-01-31T00:00:00Z");
    }
    if (!f.event.empty()) options.event = f.event;
    if (!f.forge.empty()) {
        const std::vector<std::string> names = ForgeNames();
        if (std::find(names.begin(), names.end(), f.forge) == names.end()) {
            ConfigError("--forge must be " + NameList(names));
        }
        options.forge = f.forge;
    }
    options.pending_only = f.pending;
    return RunReplay(f.database, options);
}

}  // namespace

Command AddReplay(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "replay", "Re-process logged webhook deliveries (for example after a schema change)");
    auto f = std::make_shared<ReplayFlags>();
    AddDatabase(*cmd, f->database);
    cmd->add_option("--since", f->since,
                    "Only deliveries received at or after this UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    cmd->add_option("--event", f->event, "Only deliveries of this event (e.g. issues)");
    cmd->add_option("--forge", f->forge,
                    "Only deliveries from this forge: " + NameList(ForgeNames()));
    cmd->add_flag("--pending", f->pending,
                  "Only deliveries not processed yet (for example after their job died)");
    return {cmd, [f] { return Run(*f); }};
}

}  // namespace commands

int RunReplay(const std::string& database, const ReplayOptions& options) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    if (!opened) return code;
    auto& conn = *opened->conn;
    SystemClock clock;
    // Only the deliveries job is registered: GitHub follow-ups are not re-run; a Gerrit or
    // Phabricator delivery queues its refresh job again, for a serve or work process configured
    // for that forge.
    forge::Forges forges = MakeForges({}, *opened->db, clock);
    tasks::TaskRegistry registry;
    tasks::RegisterDeliveryTasks(registry, forges);
    store::DeliveryFilter filter;
    filter.since = options.since;
    filter.event = options.event;
    filter.forge = options.forge;
    filter.pending_only = options.pending_only;
    auto deliveries = store::ListDeliveries(conn, filter);
    if (!deliveries) {
        spdlog::error("{}", deliveries.error().ToString());
        return kExitRuntime;
    }
    queue::JobQueue queue(conn, clock);
    // One delivery per transaction; a payload that cannot be processed is recorded as failed.
    auto replay_one = [&](const store::DeliveryKey& d) -> Result<std::string> {
        Error payload_error;
        {
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
            auto status =
                tasks::ProcessLoggedDelivery(queue, registry, forges, d.forge, d.delivery_id);
            if (status) {
                FORGEDB_TRY(tx.Commit());
                return status;
            }
            if (!tasks::IsPayloadError(status.error())) return Unexpected(status.error());
            payload_error = status.error();
        }  // the partial writes roll back here
        spdlog::warn("{} delivery {}: {}", d.forge, d.delivery_id, payload_error.ToString());
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        FORGEDB_TRY(store::SetDeliveryOutcome(conn, d.forge, d.delivery_id, "failed",
                                              payload_error.ToString(), clock.Now()));
        FORGEDB_TRY(tx.Commit());
        return std::string("failed");
    };
    std::map<std::string, int> counts;
    for (const auto& d : *deliveries) {
        auto status = replay_one(d);
        if (!status) {
            spdlog::error("{} delivery {}: {}; stopping the replay", d.forge, d.delivery_id,
                          status.error().ToString());
            return kExitRuntime;
        }
        ++counts[*status];
    }
    std::string summary;
    for (const auto& [k, v] : counts) summary += " " + k + "=" + std::to_string(v);
    spdlog::info("replayed {} deliveries:{}", deliveries->size(), summary);
    return 0;
}

}  // namespace forgedb::app
