#include "forgedb/queue/task_registry.hpp"

namespace forgedb::tasks {

void TaskRegistry::Register(std::string kind, queue::TaskRunner runner) {
    runners_[std::move(kind)] = std::move(runner);
}

Status TaskRegistry::Run(queue::JobContext& ctx) const {
    auto it = runners_.find(ctx.job.kind);
    if (it == runners_.end()) {
        return Unexpected(ErrorCode::kInvalid, "no task registered for job kind " + ctx.job.kind);
    }
    return it->second(ctx);
}

}  // namespace forgedb::tasks
