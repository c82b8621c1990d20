#include "forgedb/queue/worker_pool.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <random>

namespace forgedb::queue {
namespace {

double Random01() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::string HostName() {
    char buf[256] = {0};
    if (gethostname(buf, sizeof buf - 1) != 0) return "host";
    return buf;
}

}  // namespace

WorkerPool::WorkerPool(store::Database& db, const Clock& clock, Notifier& notifier,
                       TaskRunner runner, WorkerOptions options)
    : db_(db),
      clock_(clock),
      notifier_(notifier),
      runner_(std::move(runner)),
      options_(std::move(options)) {}

WorkerPool::~WorkerPool() { Stop(); }

void WorkerPool::Start() {
    for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
    if (options_.threads > 0) heartbeat_ = std::thread([this] { Heartbeat(); });
}

void WorkerPool::Stop() {
    stopping_ = true;
    notifier_.Notify();
    for (auto& t : threads_) {
        if (t.joinable()) t.join();
    }
    threads_.clear();
    heartbeat_cv_.notify_all();
    if (heartbeat_.joinable()) heartbeat_.join();
}

void WorkerPool::Heartbeat() {
    std::unique_ptr<store::Connection> conn;
    std::unique_lock lock(running_mu_);
    while (!stopping_) {
        heartbeat_cv_.wait_for(lock, options_.lease / 3);
        if (stopping_ || running_.empty()) continue;
        std::map<std::string, std::vector<std::int64_t>> by_owner;
        for (const auto& [id, owner] : running_) by_owner[owner].push_back(id);
        lock.unlock();
        if (!conn) {
            auto c = db_.Connect();
            if (c) conn = std::move(c).value();
        }
        if (conn) {
            auto now = clock_.Now();
            for (const auto& [owner, ids] : by_owner) {
                auto st = store::ExtendLeases(*conn, owner, ids, now + options_.lease, now);
                if (!st) {
                    spdlog::warn("heartbeat: {}", st.error().ToString());
                    conn.reset();
                    break;
                }
            }
        }
        lock.lock();
    }
}

Result<int> WorkerPool::Drain() {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    JobQueue queue(*conn, clock_);
    std::string owner =
        options_.name + "@" + HostName() + ":" + std::to_string(getpid()) + "/drain";
    int ran = 0;
    for (;;) {
        FORGEDB_ASSIGN_OR_RETURN(bool did, RunOne(queue, owner));
        if (!did) return ran;
        ++ran;
    }
}

void WorkerPool::Loop(int index) {
    if (options_.lower_priority) {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
    }
    std::string owner = options_.name + "@" + HostName() + ":" + std::to_string(getpid()) + "/" +
                        std::to_string(index);
    std::unique_ptr<store::Connection> conn;
    while (!stopping_) {
        if (!conn) {
            auto c = db_.Connect();
            if (!c) {
                spdlog::error("{}: {}", owner, c.error().ToString());
                notifier_.Wait(options_.idle_poll);
                continue;
            }
            conn = std::move(c).value();
        }
        JobQueue queue(*conn, clock_);
        auto did = RunOne(queue, owner);
        if (!did) {
            spdlog::warn("{}: {}", owner, did.error().ToString());
            if (did.error().code == ErrorCode::kTransient) conn.reset();  // reconnect
            notifier_.Wait(options_.idle_poll);
        } else if (!*did) {
            notifier_.Wait(options_.idle_poll);
        }
    }
}

Result<bool> WorkerPool::RunOne(JobQueue& queue, const std::string& owner) {
    FORGEDB_ASSIGN_OR_RETURN(auto leased, queue.Lease(owner, options_.lease));
    if (!leased) return false;
    const JobRow& job = *leased;
    {
        std::lock_guard lock(running_mu_);
        running_[job.id] = owner;
    }
    struct Unregister {
        WorkerPool* pool;
        std::int64_t id;
        ~Unregister() {
            std::lock_guard lock(pool->running_mu_);
            pool->running_.erase(id);
        }
    } unregister{this, job.id};
    JobContext ctx{queue, job, false};
    Status st;
    try {
        st = runner_(ctx);
    } catch (const std::exception& e) {
        queue.connection().Rollback();
        st = Unexpected(ErrorCode::kInternal, std::string("exception: ") + e.what());
    }
    if (st) {
        if (!ctx.completed) FORGEDB_TRY(queue.Succeed(job.id));
        return true;
    }
    queue.connection().Rollback();
    spdlog::warn("job {} ({}) attempt {}/{} failed: {}", job.id, job.kind, job.attempts,
                 job.max_attempts, st.error().ToString());
    FORGEDB_TRY(queue.Fail(job, st.error(), options_.retry, Random01()));
    return true;
}

}  // namespace forgedb::queue
