#pragma once
// The job that turns a logged webhook delivery into rows: kind "github.delivery", args
// {"delivery_id": "..."}. The rows, the delivery's outcome, any follow-up jobs and the job's own
// completion commit in one transaction, so a delivery takes effect exactly once.

#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/tasks/task_registry.hpp"

namespace forgedb::tasks {

inline constexpr const char* kGithubDeliveryJob = "github.delivery";

std::string DeliveryJobArgs(const std::string& delivery_id);

// Processes one logged GitHub delivery in the caller's open transaction and records its outcome
// on the log row (processed, stale, ignored). Errors in the payload are returned as kInvalid /
// kMissingData; the caller records them.
Result<std::string> ProcessGithubDelivery(queue::JobQueue& queue, const TaskRegistry& registry,
                                          const std::string& delivery_id);

// Registers kGithubDeliveryJob. REQUIRES: `registry` outlives every worker using it.
void RegisterDeliveryTasks(TaskRegistry& registry);

}  // namespace forgedb::tasks
