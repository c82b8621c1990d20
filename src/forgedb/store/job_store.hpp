#pragma once
// Rows of the job table. The queue layer (queue/job_queue.hpp) gives them their meaning.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

struct JobRow {
    std::int64_t id = 0;
    std::string kind;
    std::string args;  // JSON
    std::string state;  // queued, running, succeeded, failed, dead
    int attempts = 0;
    int max_attempts = 0;
    std::string last_error;
    std::optional<std::int64_t> parent_id;
    long long progress_done = 0;
    std::optional<long long> progress_total;
    long long items = 0;
};

struct NewJob {
    std::string kind;
    std::string args = "{}";
    int max_attempts = 5;
    Timestamp run_after{};
    std::optional<std::int64_t> parent_id;
};

Result<std::int64_t> InsertJob(Connection& conn, const NewJob& job, Timestamp now);

// Takes the oldest runnable job (queued and due, or running with an expired lease) and leases it
// to `owner` until `lease_until`, counting an attempt. nullopt when there is none.
Result<std::optional<JobRow>> LeaseJob(Connection& conn, const std::string& owner, Timestamp now,
                                       Timestamp lease_until);

Status FinishJob(Connection& conn, std::int64_t id, const std::string& state,
                 const std::string& error, Timestamp now);
Status RescheduleJob(Connection& conn, std::int64_t id, const std::string& error,
                     Timestamp run_after, Timestamp now);
Result<std::optional<JobRow>> LoadJob(Connection& conn, std::int64_t id);
Result<long long> CountJobs(Connection& conn, const std::string& state);

}  // namespace forgedb::store
