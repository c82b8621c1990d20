#pragma once
// The job that turns logged webhook deliveries into rows: kind "webhook.deliveries", args
// {"forge": "github", "delivery_ids": [...]}, one job per group commit of the delivery log. The
// rows, each delivery's outcome, any follow-up jobs and the job's own completion commit together,
// so a delivery takes effect exactly once; a payload that cannot be processed is marked failed
// (with its error) without holding back the others.

#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::tasks {

inline constexpr const char* kDeliveriesJob = "webhook.deliveries";

store::NewJob DeliveriesJob(const std::string& forge, const std::vector<std::string>& ids);

// Processes one logged delivery of any forge in the caller's open transaction and records its
// outcome, as the job does. Payload errors come back as kInvalid / kMissingData (nothing written).
// The forge is found in `forges` by name (kInvalid for one this process does not know).
Result<std::string> ProcessLoggedDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const forge::Forges& forges, const std::string& forge,
                                          const std::string& delivery_id);

// True for errors that no retry can fix (the payload is wrong).
bool IsPayloadError(const Error& e);

// Registers kDeliveriesJob, which hands each delivery to its forge in `forges`. REQUIRES:
// `registry` and `forges` outlive every worker using it.
void RegisterDeliveryTasks(TaskRegistry& registry, const forge::Forges& forges);

}  // namespace forgedb::tasks
