#include <chrono>
#include <mutex>
#include <utility>
#include <vector>

#include "forgedb/store/database.hpp"

namespace forgedb::store {
namespace {

// Idle connections, shared by a PooledDatabase and the connections it lent (which may outlive it).
struct Pool {
    struct Idle {
        std::unique_ptr<Connection> conn;
        std::chrono::steady_clock::time_point since;
    };
    std::mutex mu;
    std::vector<Idle> idle;
    size_t max_idle = 0;

    void GiveBack(std::unique_ptr<Connection> conn) {
        std::lock_guard lock(mu);
        if (idle.size() < max_idle) {
            idle.push_back({std::move(conn), std::chrono::steady_clock::now()});
        }
    }
    // The most recently released connection, and how long it has been idle; null when none.
    std::unique_ptr<Connection> Take(std::chrono::steady_clock::duration& idle_for) {
        std::lock_guard lock(mu);
        if (idle.empty()) return nullptr;
        Idle last = std::move(idle.back());
        idle.pop_back();
        idle_for = std::chrono::steady_clock::now() - last.since;
        return std::move(last.conn);
    }
};

// A connection lent by the pool: forwards everything, and goes back to the pool when released
// if it is still fit for use (no open transaction, not broken).
class LentConnection final : public Connection {
public:
    LentConnection(std::unique_ptr<Connection> conn, std::shared_ptr<Pool> pool)
        : conn_(std::move(conn)), pool_(std::move(pool)) {}
    ~LentConnection() override {
        conn_->SetWritePriority(false);
        if (conn_->Reusable()) pool_->GiveBack(std::move(conn_));
    }
    LentConnection(const LentConnection&) = delete;
    LentConnection& operator=(const LentConnection&) = delete;

    Dialect dialect() const override { return conn_->dialect(); }
    Result<QueryResult> Query(std::string_view sql,
                              const std::vector<model::Value>& params) override {
        return conn_->Query(sql, params);
    }
    Status ForEachRow(std::string_view sql, const std::vector<model::Value>& params,
                      const RowVisitor& visit) override {
        return conn_->ForEachRow(sql, params, visit);
    }
    Status ExecScript(std::string_view sql) override { return conn_->ExecScript(sql); }
    Status Begin() override { return conn_->Begin(); }
    Status Commit() override { return conn_->Commit(); }
    void Rollback() override { conn_->Rollback(); }
    void SetWritePriority(bool priority) override { conn_->SetWritePriority(priority); }
    void ReserveWrites(bool reserved) override { conn_->ReserveWrites(reserved); }
    bool Reusable() const override { return conn_->Reusable(); }
    bool Alive() override { return conn_->Alive(); }

private:
    std::unique_ptr<Connection> conn_;
    std::shared_ptr<Pool> pool_;
};

class PooledDatabase final : public Database {
public:
    PooledDatabase(std::unique_ptr<Database> inner, size_t max_idle,
                   std::chrono::steady_clock::duration check_after)
        : inner_(std::move(inner)), pool_(std::make_shared<Pool>()), check_after_(check_after) {
        pool_->max_idle = max_idle;
    }
    ~PooledDatabase() override {
        std::vector<Pool::Idle> idle;
        {
            std::lock_guard lock(pool_->mu);
            idle.swap(pool_->idle);
            pool_->max_idle = 0;  // connections still lent out close when released
        }
    }

    Dialect dialect() const override { return inner_->dialect(); }
    std::string Describe() const override { return inner_->Describe(); }

    Result<std::unique_ptr<Connection>> Connect() override {
        std::unique_ptr<Connection> conn;
        std::chrono::steady_clock::duration idle_for{};
        // A connection idle for a while may have been closed by the server (a restart, an idle
        // timeout): it is checked before it is lent, and dropped if it does not answer.
        while ((conn = pool_->Take(idle_for))) {
            if (idle_for < check_after_ || conn->Alive()) break;
        }
        if (!conn) {
            FORGEDB_ASSIGN_OR_RETURN(conn, inner_->Connect());
        }
        return std::unique_ptr<Connection>(
            std::make_unique<LentConnection>(std::move(conn), pool_));
    }

private:
    std::unique_ptr<Database> inner_;
    std::shared_ptr<Pool> pool_;
    std::chrono::steady_clock::duration check_after_;
};

}  // namespace

std::unique_ptr<Database> WithConnectionPool(std::unique_ptr<Database> inner, size_t max_idle,
                                             std::chrono::steady_clock::duration check_after) {
    return std::make_unique<PooledDatabase>(std::move(inner), max_idle, check_after);
}

}  // namespace forgedb::store
