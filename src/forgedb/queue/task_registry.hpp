#pragma once
// Maps a job kind to the code that runs it. Built once at start-up, then read-only (thread-safe).

#include <map>
#include <string>

#include "forgedb/queue/worker_pool.hpp"

namespace forgedb::tasks {

class TaskRegistry {
public:
    void Register(std::string kind, queue::TaskRunner runner);
    bool Has(const std::string& kind) const { return runners_.contains(kind); }
    // Dispatches on the job's kind; an unknown kind fails the job without retry.
    Status Run(queue::JobContext& ctx) const;

private:
    std::map<std::string, queue::TaskRunner, std::less<>> runners_;
};

}  // namespace forgedb::tasks
