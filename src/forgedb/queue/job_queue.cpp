#include "forgedb/queue/job_queue.hpp"

#include <algorithm>
#include <cmath>

namespace forgedb::queue {

void Notifier::Notify() {
    {
        std::lock_guard lock(mu_);
        ++generation_;
    }
    cv_.notify_all();
}

void Notifier::Wait(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    auto seen = generation_;
    cv_.wait_for(lock, timeout, [&] { return generation_ != seen; });
}

std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int attempt, double random01) {
    double exp = std::pow(2.0, std::max(0, attempt - 1));
    double delay = std::min<double>(policy.base.count() * exp, policy.cap.count());
    return std::chrono::milliseconds(static_cast<long long>(delay / 2 + delay / 2 * random01));
}

bool IsRetryable(const Error& error) {
    switch (error.code) {
        case ErrorCode::kTransient:
        case ErrorCode::kRateLimited:
        case ErrorCode::kDatabase:
            return true;
        default:
            return false;
    }
}

Result<store::Inserted> JobQueue::Enqueue(NewJob job) {
    auto now = clock_.Now();
    if (job.run_after == Timestamp{}) job.run_after = now;
    return store::InsertJob(conn_, job, now);
}

Result<std::optional<JobRow>> JobQueue::Lease(const std::string& owner,
                                              std::chrono::seconds lease) {
    auto now = clock_.Now();
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn_));
    FORGEDB_ASSIGN_OR_RETURN(auto job, store::LeaseJob(conn_, owner, now, now + lease));
    FORGEDB_TRY(tx.Commit());
    return job;
}

Status JobQueue::Succeed(std::int64_t id) {
    return store::FinishJob(conn_, id, "succeeded", "", clock_.Now());
}

Status JobQueue::Fail(const JobRow& job, const Error& error, const RetryPolicy& policy,
                      double random01) {
    auto now = clock_.Now();
    std::string text = error.ToString();
    if (!IsRetryable(error)) return store::FinishJob(conn_, job.id, "failed", text, now);
    // An exhausted rate limit is a wait, not a failure: run again at the reset time.
    if (error.code == ErrorCode::kRateLimited && error.retry_at) {
        auto at = std::chrono::time_point_cast<std::chrono::microseconds>(*error.retry_at);
        return store::RescheduleJob(conn_, job.id, text, Timestamp{at.time_since_epoch()}, now,
                                    /*refund_attempt=*/true);
    }
    if (job.attempts >= job.max_attempts) return store::FinishJob(conn_, job.id, "dead", text, now);
    Timestamp when = now + BackoffDelay(policy, job.attempts, random01);
    if (error.retry_at) {
        auto at = std::chrono::time_point_cast<std::chrono::microseconds>(*error.retry_at);
        when = std::max(when, Timestamp{at.time_since_epoch()});
    }
    return store::RescheduleJob(conn_, job.id, text, when, now);
}

}  // namespace forgedb::queue
