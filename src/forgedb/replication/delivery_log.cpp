#include "forgedb/replication/delivery_log.hpp"

#include <spdlog/spdlog.h>

namespace forgedb::replication {

DeliveryLog::DeliveryLog(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                         int max_batch)
    : db_(db), clock_(clock), notifier_(notifier), max_batch_(max_batch) {}

DeliveryLog::~DeliveryLog() { Stop(); }

Status DeliveryLog::Start() {
    FORGEDB_ASSIGN_OR_RETURN(conn_, db_.Connect());
    thread_ = std::thread([this] { Run(); });
    return Ok();
}

void DeliveryLog::Stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

Result<LogOutcome> DeliveryLog::Log(store::Delivery delivery, std::string job_kind,
                                    std::string job_args) {
    auto p = std::make_unique<Pending>();
    p->delivery = std::move(delivery);
    p->job_kind = std::move(job_kind);
    p->job_args = std::move(job_args);
    auto future = p->done.get_future();
    {
        std::lock_guard lock(mu_);
        if (stopping_) return Unexpected(ErrorCode::kTransient, "shutting down");
        queue_.push_back(std::move(p));
    }
    cv_.notify_one();
    return future.get();
}

void DeliveryLog::Run() {
    for (;;) {
        std::vector<std::unique_ptr<Pending>> batch;
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, and nothing left to write
            while (!queue_.empty() && static_cast<int>(batch.size()) < max_batch_) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        WriteBatch(batch);
    }
}

void DeliveryLog::WriteBatch(std::vector<std::unique_ptr<Pending>>& batch) {
    std::vector<LogOutcome> outcomes;
    auto write = [&]() -> Status {
        outcomes.clear();
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn_));
        queue::JobQueue jobs(*conn_, clock_);
        for (auto& p : batch) {
            FORGEDB_ASSIGN_OR_RETURN(bool inserted, store::InsertDelivery(*conn_, p->delivery));
            if (inserted) {
                FORGEDB_TRY(jobs.Enqueue(store::NewJob{p->job_kind, p->job_args, 5, {}, {}}));
            }
            outcomes.push_back(inserted ? LogOutcome::kLogged : LogOutcome::kDuplicate);
        }
        return tx.Commit();
    };
    Status st = write();
    if (!st) {
        spdlog::error("delivery log: write of {} deliveries failed: {}", batch.size(),
                      st.error().ToString());
        for (auto& p : batch) p->done.set_value(Unexpected(st.error()));
        return;
    }
    notifier_.Notify();
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(outcomes[i]);
}

}  // namespace forgedb::replication
