#include "forgedb/forge/delivery_log.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "forgedb/core/crypto.hpp"

namespace forgedb::replication {

std::string EventDeliveryId(std::string_view instance, std::string_view body) {
    std::string text(instance);
    text += '\n';
    text += body;
    return Sha256Hex(text);
}

DeliveryLog::DeliveryLog(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                         JobFactory job_factory, int max_batch)
    : db_(db),
      clock_(clock),
      notifier_(notifier),
      job_factory_(std::move(job_factory)),
      max_batch_(max_batch) {}

DeliveryLog::~DeliveryLog() { Stop(); }

Status DeliveryLog::Start() {
    FORGEDB_ASSIGN_OR_RETURN(conn_, db_.Connect());
    conn_->SetWritePriority(true);
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

Result<LogOutcome> DeliveryLog::Log(store::Delivery delivery) {
    auto p = std::make_unique<Pending>();
    p->delivery = std::move(delivery);
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
    // During a burst the writer keeps SQLite's write turn reserved, so background processing
    // waits until deliveries have stopped arriving for a moment (kBurstGap).
    constexpr auto kBurstGap = std::chrono::milliseconds(5);
    bool reserved = false;
    for (;;) {
        std::vector<std::unique_ptr<Pending>> batch;
        {
            std::unique_lock lock(mu_);
            if (reserved &&
                !cv_.wait_for(lock, kBurstGap, [&] { return stopping_ || !queue_.empty(); })) {
                reserved = false;
                if (conn_) conn_->ReserveWrites(false);
            }
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {  // stopping, and nothing left to write
                if (reserved && conn_) conn_->ReserveWrites(false);
                return;
            }
            if (!reserved && conn_) {
                conn_->ReserveWrites(true);
                reserved = true;
            }
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
        if (!conn_) {
            FORGEDB_ASSIGN_OR_RETURN(conn_, db_.Connect());
        }
        conn_->SetWritePriority(true);
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn_));
        std::map<std::string, std::vector<std::string>> logged;  // forge -> new delivery ids
        for (auto& p : batch) {
            FORGEDB_ASSIGN_OR_RETURN(bool inserted, store::InsertDelivery(*conn_, p->delivery));
            if (inserted) logged[p->delivery.forge].push_back(p->delivery.delivery_id);
            outcomes.push_back(inserted ? LogOutcome::kLogged : LogOutcome::kDuplicate);
        }
        queue::JobQueue jobs(*conn_, clock_);
        for (const auto& [forge, ids] : logged) FORGEDB_TRY(jobs.Enqueue(job_factory_(forge, ids)));
        return tx.Commit();
    };
    Status st = write();
    if (!st) {
        // A lost PostgreSQL connection is reopened for the next batch.
        if (st.error().code == ErrorCode::kTransient) conn_.reset();
        spdlog::error("delivery log: write of {} deliveries failed: {}", batch.size(),
                      st.error().ToString());
        for (auto& p : batch) p->done.set_value(Unexpected(st.error()));
        return;
    }
    notifier_.Notify();
    for (size_t i = 0; i < batch.size(); ++i) batch[i]->done.set_value(outcomes[i]);
}

}  // namespace forgedb::replication
