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
    std::string args;   // JSON
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
    // At most one queued or running job holds a given key (for example one crawl of a
    // repository's pull requests at a time).
    std::optional<std::string> unique_key;
};

struct Inserted {
    std::int64_t id = 0;
    bool created = true;  // false: a live job with the same unique key already existed (its id)
};

Result<Inserted> InsertJob(Connection& conn, const NewJob& job, Timestamp now);

// Moves the lease of the given running jobs of `owner` to `until` (heartbeat).
Status ExtendLeases(Connection& conn, const std::string& owner,
                    const std::vector<std::int64_t>& ids, Timestamp until, Timestamp now);

// Adds to a job's progress counters; `total`, when given, replaces progress_total.
Status AddProgress(Connection& conn, std::int64_t id, long long done, long long items,
                   std::optional<long long> total, Timestamp now);

// A job with its descendants folded in: the state is "succeeded" only when the job and every
// descendant succeeded; "dead"/"failed" when any of them is; otherwise "running" when any runs,
// else "queued". Progress and items are sums; attempts and error are the job's own (or the first
// failing descendant's error).
struct JobTree {
    JobRow job;
    std::string state;
    long long progress_done = 0;
    std::optional<long long> progress_total;
    long long items = 0;
    std::string error;
};
Result<std::optional<JobTree>> LoadJobTree(Connection& conn, std::int64_t id);

// Holds the job's row until the transaction ends (PostgreSQL; SQLite has one writer anyway), so
// that children finishing at once see each other's state.
Status LockJob(Connection& conn, std::int64_t id);
// Children of `parent` of the given kind that have not succeeded.
Result<long long> CountUnfinishedChildren(Connection& conn, std::int64_t parent,
                                          const std::string& kind);
Result<std::string> JobState(Connection& conn, std::int64_t id);

// The most recent jobs, newest first.
Result<std::vector<JobRow>> ListJobs(Connection& conn, int limit);
// Puts a failed or dead job back in the queue with a fresh attempt budget.
Result<bool> RetryJob(Connection& conn, std::int64_t id, Timestamp now);

// Takes the oldest runnable job (queued and due, or running with an expired lease) and leases it
// to `owner` until `lease_until`, counting an attempt. nullopt when there is none.
Result<std::optional<JobRow>> LeaseJob(Connection& conn, const std::string& owner, Timestamp now,
                                       Timestamp lease_until);

Status FinishJob(Connection& conn, std::int64_t id, const std::string& state,
                 const std::string& error, Timestamp now);
// Queues the job again for `run_after`. With `refund_attempt` the attempt does not count (the job
// waited for a rate limit; it did not fail).
Status RescheduleJob(Connection& conn, std::int64_t id, const std::string& error,
                     Timestamp run_after, Timestamp now, bool refund_attempt = false);
Result<std::optional<JobRow>> LoadJob(Connection& conn, std::int64_t id);
Result<long long> CountJobs(Connection& conn, const std::string& state);

}  // namespace forgedb::store
