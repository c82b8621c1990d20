#pragma once
// Worker threads that lease jobs and run them through a TaskRunner. Each thread owns one database
// connection; a heartbeat thread keeps the leases of running jobs alive, so a lease only expires
// when its process is gone. Start() once, Stop() once; Stop() lets running jobs finish.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "forgedb/queue/job_queue.hpp"

namespace forgedb::queue {

// What a job's code sees.
struct JobContext {
    JobQueue& queue;  // on the worker's own connection
    const JobRow& job;
    // Set by a task that marked the job succeeded inside its own final transaction (so its
    // writes and its completion commit together).
    bool completed = false;
};

// Runs one job. Implemented by the tasks layer.
using TaskRunner = std::function<Status(JobContext&)>;

struct WorkerOptions {
    int threads = 2;
    std::chrono::seconds lease{60};
    std::chrono::milliseconds idle_poll{1000};
    RetryPolicy retry;
    std::string name = "worker";  // lease owner prefix
    bool lower_priority = true;   // nice the threads so that webhook intake comes first
};

class WorkerPool {
public:
    WorkerPool(store::Database& db, const Clock& clock, Notifier& notifier, TaskRunner runner,
               WorkerOptions options);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    void Start();
    void Stop();
    // Runs jobs on the calling thread until none is runnable (tests).
    Result<int> Drain();

private:
    void Loop(int index);
    void Heartbeat();
    // Leases and runs one job. Returns false when there was none.
    Result<bool> RunOne(JobQueue& queue, const std::string& owner);

    store::Database& db_;
    const Clock& clock_;
    Notifier& notifier_;
    TaskRunner runner_;
    WorkerOptions options_;
    std::atomic<bool> stopping_{false};
    std::vector<std::thread> threads_;
    std::thread heartbeat_;
    std::mutex running_mu_;
    std::condition_variable heartbeat_cv_;
    std::map<std::int64_t, std::string> running_;  // job id -> lease owner; GUARDED_BY(running_mu_)
};

}  // namespace forgedb::queue
