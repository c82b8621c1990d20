#include "forgedb/forge/process_delivery.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/github/events.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/store/delivery_store.hpp"

namespace forgedb::tasks {
namespace {

constexpr const char* kGithub = "github";
constexpr const char* kGerrit = "gerrit";
constexpr const char* kPhabricator = "phabricator";

bool KnownForge(const std::string& forge) {
    return forge == kGithub || forge == kGerrit || forge == kPhabricator;
}

// Turns one GitHub delivery into rows and queues its follow-ups (only those a worker of this
// process can run). Returns the outcome.
Result<std::string> ProcessGithubDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const store::Delivery& d) {
    FORGEDB_ASSIGN_OR_RETURN(Json payload, ParseOnThisThread(d.body));
    std::unordered_set<std::string> written;
    process::github::Context ctx{queue.connection(), model::github::Via::kWebhook, d.received_at,
                                 &written};
    FORGEDB_ASSIGN_OR_RETURN(auto result, process::github::ProcessEvent(d.event, payload, ctx));
    for (const auto& f : result.follow_ups) {
        if (!registry.Has(f.kind)) continue;  // no GitHub access configured: nothing to run it
        store::NewJob job{f.kind, f.args, 5, {}, std::nullopt, std::nullopt};
        if (auto crawl = GithubCrawl::FromArgs(f.args)) job.unique_key = crawl->UniqueKey();
        FORGEDB_TRY(queue.Enqueue(std::move(job)));
    }
    return std::string(process::github::EventOutcomeName(result.outcome));
}

// Processes one pending delivery of any forge and records its outcome.
Result<std::string> ProcessDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                    const store::Delivery& d) {
    FORGEDB_ASSIGN_OR_RETURN(auto status,
                             d.forge == kGithub   ? ProcessGithubDelivery(queue, registry, d)
                             : d.forge == kGerrit ? ProcessGerritDelivery(queue, d)
                                                  : ProcessPhabricatorDelivery(queue, d));
    FORGEDB_TRY(store::SetDeliveryOutcome(queue.connection(), d.forge, d.delivery_id, status, "",
                                          queue.clock().Now()));
    return status;
}
// Deliveries processed per transaction. Small, so that webhook intake, which shares SQLite's single
// write lock, never waits long behind processing.
constexpr size_t kChunk = 4;

// Processes the still-pending deliveries among `ids` in one transaction, each under a savepoint.
// When `finish` is set, the job's completion commits with them.
Status ProcessChunk(queue::JobContext& ctx, const TaskRegistry& registry, const std::string& forge,
                    const std::vector<std::string>& ids, bool finish) {
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    for (const auto& id : ids) {
        FORGEDB_ASSIGN_OR_RETURN(auto d, store::LoadDelivery(conn, forge, id));
        if (d.status != "pending") continue;  // done by an earlier attempt or by a replay
        FORGEDB_TRY(store::Savepoint(conn, "delivery"));
        auto status = ProcessDelivery(ctx.queue, registry, d);
        if (status) {
            FORGEDB_TRY(store::ReleaseSavepoint(conn, "delivery"));
            continue;
        }
        if (!IsPayloadError(status.error())) return Unexpected(status.error());
        FORGEDB_TRY(store::RollbackToSavepoint(conn, "delivery"));
        FORGEDB_TRY(store::ReleaseSavepoint(conn, "delivery"));
        std::string error = status.error().ToString();
        spdlog::warn("delivery {} failed: {}", id, error);
        FORGEDB_TRY(
            store::SetDeliveryOutcome(conn, forge, id, "failed", error, ctx.queue.clock().Now()));
    }
    if (finish) {
        FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
        ctx.completed = true;
    }
    return tx.Commit();
}

}  // namespace

Result<std::string> ProcessLoggedDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const std::string& forge,
                                          const std::string& delivery_id) {
    if (!KnownForge(forge)) return Unexpected(ErrorCode::kInvalid, "unknown forge '" + forge + "'");
    FORGEDB_ASSIGN_OR_RETURN(auto d, store::LoadDelivery(queue.connection(), forge, delivery_id));
    return ProcessDelivery(queue, registry, d);
}

bool IsPayloadError(const Error& e) {
    return e.code == ErrorCode::kInvalid || e.code == ErrorCode::kMissingData;
}

store::NewJob DeliveriesJob(const std::string& forge, const std::vector<std::string>& ids) {
    store::NewJob job;
    job.kind = kDeliveriesJob;
    job.args = nlohmann::json{{"forge", forge}, {"delivery_ids", ids}}.dump();
    return job;
}

void RegisterDeliveryTasks(TaskRegistry& registry) {
    registry.Register(kDeliveriesJob, [&registry](queue::JobContext& ctx) -> Status {
        auto args = nlohmann::json::parse(ctx.job.args, nullptr, false);
        if (args.is_discarded() || !args.contains("delivery_ids") ||
            !args["delivery_ids"].is_array() || !KnownForge(args.value("forge", ""))) {
            return Unexpected(ErrorCode::kInvalid, "bad arguments: " + ctx.job.args);
        }
        std::vector<std::string> ids;
        for (const auto& id : args["delivery_ids"]) {
            if (!id.is_string()) return Unexpected(ErrorCode::kInvalid, "bad delivery id");
            ids.push_back(id.get<std::string>());
        }
        for (size_t i = 0; i < ids.size() || i == 0; i += kChunk) {
            size_t end = std::min(ids.size(), i + kChunk);
            std::vector<std::string> chunk(ids.begin() + static_cast<long>(std::min(i, ids.size())),
                                           ids.begin() + static_cast<long>(end));
            FORGEDB_TRY(ProcessChunk(ctx, registry, args["forge"].get<std::string>(), chunk,
                                     end == ids.size()));
        }
        return Ok();
    });
}

}  // namespace forgedb::tasks
