#include "forgedb/tasks/process_delivery.hpp"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "forgedb/core/json.hpp"
#include "forgedb/process/github/events.hpp"
#include "forgedb/store/delivery_store.hpp"

namespace forgedb::tasks {
namespace {

constexpr const char* kForge = "github";

bool IsPayloadError(const Error& e) {
    return e.code == ErrorCode::kInvalid || e.code == ErrorCode::kMissingData;
}

}  // namespace

std::string DeliveryJobArgs(const std::string& delivery_id) {
    return nlohmann::json{{"delivery_id", delivery_id}}.dump();
}

Result<std::string> ProcessGithubDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const std::string& delivery_id) {
    auto& conn = queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto d, store::LoadDelivery(conn, kForge, delivery_id));
    FORGEDB_ASSIGN_OR_RETURN(auto doc, JsonDocument::Parse(d.body));
    process::github::Context ctx{conn, model::github::Via::kWebhook, d.received_at};
    FORGEDB_ASSIGN_OR_RETURN(auto result, process::github::ProcessEvent(d.event, doc.root(), ctx));
    for (const auto& f : result.follow_ups) {
        if (!registry.Has(f.kind)) continue;  // that crawl is not part of this build
        FORGEDB_TRY(queue.Enqueue(store::NewJob{f.kind, f.args, 5, {}, std::nullopt}));
    }
    std::string status = process::github::EventOutcomeName(result.outcome);
    FORGEDB_TRY(store::SetDeliveryOutcome(conn, kForge, delivery_id, status, "",
                                          queue.clock().Now()));
    return status;
}

void RegisterDeliveryTasks(TaskRegistry& registry) {
    registry.Register(kGithubDeliveryJob, [&registry](queue::JobContext& ctx) -> Status {
        auto args = nlohmann::json::parse(ctx.job.args, nullptr, false);
        if (args.is_discarded() || !args.contains("delivery_id") ||
            !args["delivery_id"].is_string()) {
            return Unexpected(ErrorCode::kInvalid, "bad arguments: " + ctx.job.args);
        }
        std::string id = args["delivery_id"];
        auto& conn = ctx.queue.connection();
        {
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
            auto status = ProcessGithubDelivery(ctx.queue, registry, id);
            if (status) {
                FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
                FORGEDB_TRY(tx.Commit());
                ctx.completed = true;
                return Ok();
            }
            if (!IsPayloadError(status.error())) return Unexpected(status.error());
            // The payload cannot be processed: keep the delivery, record why, do not retry.
            conn.Rollback();
            std::string error = status.error().ToString();
            spdlog::warn("delivery {} failed: {}", id, error);
            FORGEDB_ASSIGN_OR_RETURN(auto tx2, store::Transaction::Begin(conn));
            FORGEDB_TRY(store::SetDeliveryOutcome(conn, kForge, id, "failed", error,
                                                  ctx.queue.clock().Now()));
            FORGEDB_TRY(store::FinishJob(conn, ctx.job.id, "failed", error,
                                         ctx.queue.clock().Now()));
            FORGEDB_TRY(tx2.Commit());
            ctx.completed = true;
            return Ok();
        }
    });
}

}  // namespace forgedb::tasks
