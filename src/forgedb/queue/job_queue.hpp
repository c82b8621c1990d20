#pragma once
// The durable job queue: jobs are rows of the `job` table in the mirror's own database, so a job
// can be enqueued in the same transaction as the data that asks for it. Workers lease jobs; a
// lease that expires (crashed worker) is taken over. Failed attempts are retried with exponential
// backoff and jitter; after the last attempt the job is dead and keeps its error.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::queue {

using store::JobRow;
using store::NewJob;

// Wakes idle workers of this process when a job is enqueued. Thread-safe.
class Notifier {
public:
    void Notify();
    // Waits until notified or `timeout` elapses.
    void Wait(std::chrono::milliseconds timeout);

private:
    std::mutex mu_;
    std::condition_variable cv_;
    std::uint64_t generation_ = 0;
};

struct RetryPolicy {
    std::chrono::milliseconds base{2000};
    std::chrono::milliseconds cap{std::chrono::minutes(30)};
};

// The delay before attempt `attempt + 1` after `attempt` failed: base * 2^(attempt-1), capped,
// with full jitter in [delay/2, delay]. `random01` is a number in [0, 1).
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double random01);

// Operations on jobs through one connection. Not thread-safe; one per thread.
class JobQueue {
public:
    JobQueue(store::Connection& conn, const Clock& clock) : conn_(conn), clock_(clock) {}

    // Inserts a job; joins the caller's transaction if one is open. With a unique key that a
    // live job already holds, nothing is inserted and that job's id is returned.
    Result<store::Inserted> Enqueue(NewJob job);
    // Leases the next runnable job for `lease`, in its own transaction.
    Result<std::optional<JobRow>> Lease(const std::string& owner, std::chrono::seconds lease);
    Status Succeed(std::int64_t id);
    // Records a failed attempt: retried later when attempts remain and the error is retryable,
    // otherwise "failed" (not retryable) or "dead" (attempts used up).
    Status Fail(const JobRow& job, const Error& error, const RetryPolicy& policy, double random01);

    store::Connection& connection() { return conn_; }
    const Clock& clock() const { return clock_; }

private:
    store::Connection& conn_;
    const Clock& clock_;
};

// True when retrying may succeed (network, rate limit, busy database).
bool IsRetryable(const Error& error);

}  // namespace forgedb::queue
