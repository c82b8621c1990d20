#pragma once
// Durable intake of webhook deliveries with group commit. Request threads call Log(); one writer
// thread gathers the deliveries waiting at that moment, writes them and one processing job per
// forge in a single transaction, commits, and only then answers each caller. Every delivery
// answered as accepted is on disk; concurrent requests share the cost of one commit. Thread-safe.

#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/delivery_store.hpp"

namespace forgedb::replication {

enum class LogOutcome { kLogged, kDuplicate };

// The delivery id of an event from a forge that sends none (Gerrit, Phabricator): the hex SHA-256
// of the instance name, a newline and the body, so that a repeated event is stored once per
// instance, and the same body sent to two instances is stored for each.
std::string EventDeliveryId(std::string_view instance, std::string_view body);

class DeliveryLog {
public:
    // Builds the job that processes a group of new deliveries of one forge.
    using JobFactory =
        std::function<store::NewJob(const std::string& forge, const std::vector<std::string>& ids)>;

    // `notifier` wakes the workers after each commit.
    DeliveryLog(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                JobFactory job_factory, int max_batch = 256);
    ~DeliveryLog();
    DeliveryLog(const DeliveryLog&) = delete;
    DeliveryLog& operator=(const DeliveryLog&) = delete;

    // Opens the writer's connection and starts its thread.
    Status Start();
    void Stop();

    // Blocks until the delivery is committed (or refused as a duplicate, or the write failed).
    Result<LogOutcome> Log(store::Delivery delivery);

private:
    struct Pending {
        store::Delivery delivery;
        std::promise<Result<LogOutcome>> done;
    };
    void Run();
    void WriteBatch(std::vector<std::unique_ptr<Pending>>& batch);

    store::Database& db_;
    const Clock& clock_;
    queue::Notifier& notifier_;
    JobFactory job_factory_;
    int max_batch_;
    std::unique_ptr<store::Connection> conn_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::unique_ptr<Pending>> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace forgedb::replication
