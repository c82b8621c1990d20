#include "forgedb/forge/process_delivery.hpp"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "forgedb/store/delivery_store.hpp"

namespace forgedb::tasks {
namespace {

// Processes one pending delivery of any forge and records its outcome.
Result<std::string> ProcessDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                    const forge::Forge& forge, const store::Delivery& d) {
    FORGEDB_ASSIGN_OR_RETURN(auto status, forge.ProcessDelivery(queue, registry, d));
    FORGEDB_TRY(store::SetDeliveryOutcome(queue.connection(), d.forge, d.delivery_id, status, "",
                                          queue.clock().Now()));
    return status;
}

Result<const forge::Forge*> FindForge(const forge::Forges& forges, const std::string& name) {
    const forge::Forge* f = forges.Find(name);
    if (f == nullptr) return Unexpected(ErrorCode::kInvalid, "unknown forge '" + name + "'");
    return f;
}

// Deliveries processed per transaction. Small, so that webhook intake, which shares SQLite's single
// write lock, never waits long behind processing.
constexpr size_t kChunk = 4;

// Processes the still-pending deliveries among `ids` in one transaction, each under a savepoint.
// When `finish` is set, the job's completion commits with them.
Status ProcessChunk(queue::JobContext& ctx, const TaskRegistry& registry, const forge::Forge& forge,
                    const std::vector<std::string>& ids, bool finish) {
    const std::string name(forge.name());
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    for (const auto& id : ids) {
        FORGEDB_ASSIGN_OR_RETURN(auto d, store::LoadDelivery(conn, name, id));
        if (d.status != "pending") continue;  // done by an earlier attempt or by a replay
        FORGEDB_TRY(store::Savepoint(conn, "delivery"));
        auto status = ProcessDelivery(ctx.queue, registry, forge, d);
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
            store::SetDeliveryOutcome(conn, name, id, "failed", error, ctx.queue.clock().Now()));
    }
    if (finish) {
        FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
        ctx.completed = true;
    }
    return tx.Commit();
}

}  // namespace

Result<std::string> ProcessLoggedDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const forge::Forges& forges, const std::string& forge,
                                          const std::string& delivery_id) {
    FORGEDB_ASSIGN_OR_RETURN(const forge::Forge* f, FindForge(forges, forge));
    FORGEDB_ASSIGN_OR_RETURN(auto d, store::LoadDelivery(queue.connection(), forge, delivery_id));
    return ProcessDelivery(queue, registry, *f, d);
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

void RegisterDeliveryTasks(TaskRegistry& registry, const forge::Forges& forges) {
    registry.Register(kDeliveriesJob, [&registry, &forges](queue::JobContext& ctx) -> Status {
        auto args = nlohmann::json::parse(ctx.job.args, nullptr, false);
        if (args.is_discarded() || !args.contains("delivery_ids") ||
            !args["delivery_ids"].is_array() || !args.contains("forge") ||
            !args["forge"].is_string() ||
            forges.Find(args["forge"].get<std::string>()) == nullptr) {
            return Unexpected(ErrorCode::kInvalid, "bad arguments: " + ctx.job.args);
        }
        const forge::Forge& forge = *forges.Find(args["forge"].get<std::string>());
        std::vector<std::string> ids;
        for (const auto& id : args["delivery_ids"]) {
            if (!id.is_string()) return Unexpected(ErrorCode::kInvalid, "bad delivery id");
            ids.push_back(id.get<std::string>());
        }
        for (size_t i = 0; i < ids.size() || i == 0; i += kChunk) {
            size_t end = std::min(ids.size(), i + kChunk);
            std::vector<std::string> chunk(ids.begin() + static_cast<long>(std::min(i, ids.size())),
                                           ids.begin() + static_cast<long>(end));
            FORGEDB_TRY(ProcessChunk(ctx, registry, forge, chunk, end == ids.size()));
        }
        return Ok();
    });
}

}  // namespace forgedb::tasks
