// SQLite implementation of store::Database: one sqlite3 handle per Connection, WAL journal,
// synchronous=NORMAL (a commit survives a process crash), prepared statements cached per handle.
//
// SQLite has one writer at a time. Within a process, writers queue on a WriteGate instead of
// sleeping in SQLite's busy handler, and a connection marked as priority (webhook intake) goes
// first. Checkpoints run on a background thread instead of inside whichever commit crosses the
// automatic threshold: the bulk of the WAL is copied without holding the gate, then the short
// tail under it so that the WAL restarts from its beginning and stays bounded.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "forgedb/core/text.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {
namespace {

Error SqliteError(sqlite3* db, int rc, std::string_view what) {
    ErrorCode code = ErrorCode::kDatabase;
    int primary = rc & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) code = ErrorCode::kTransient;
    if (primary == SQLITE_CONSTRAINT) code = ErrorCode::kConflict;
    std::string msg(what);
    msg += ": ";
    msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    return MakeError(code, std::move(msg));
}

// Orders the writers of one database file within this process. Thread-safe.
class WriteGate {
public:
    void Acquire(bool priority) {
        std::unique_lock lock(mu_);
        if (priority) ++priority_waiting_;
        cv_.wait(lock,
                 [&] { return !held_ && (priority || (priority_waiting_ == 0 && !reserved_)); });
        if (priority) --priority_waiting_;
        held_ = true;
    }
    void Release() {
        {
            std::lock_guard lock(mu_);
            held_ = false;
        }
        cv_.notify_all();
    }
    void Reserve(bool reserved) {
        {
            std::lock_guard lock(mu_);
            reserved_ = reserved;
        }
        cv_.notify_all();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool held_ = false;
    bool reserved_ = false;
    int priority_waiting_ = 0;
};

// Pages in the WAL after which the background checkpointer copies it back (64 MB of 4 KB pages).
constexpr int kCheckpointPages = 16384;
// Frames the checkpointer leaves for its pass under the write gate.
constexpr int kTailFrames = 512;

// Shared by a SqliteDatabase and its connections (which may briefly outlive it).
struct SharedState {
    WriteGate gate;
    std::mutex mu;
    std::condition_variable cv;
    int wal_pages = 0;
    bool stopping = false;
};

int OnWalCommit(void* arg, sqlite3*, const char*, int pages) {
    auto* state = static_cast<SharedState*>(arg);
    bool wake = false;
    {
        std::lock_guard lock(state->mu);
        state->wal_pages = pages;
        wake = pages >= kCheckpointPages;
    }
    if (wake) state->cv.notify_one();
    return SQLITE_OK;
}

class SqliteConnection final : public Connection {
public:
    SqliteConnection(sqlite3* db, std::shared_ptr<SharedState> state)
        : db_(db), state_(std::move(state)) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);  // rolls back an open transaction
        // Dropped inside Begin() (e.g. not given back to the pool): other writers must not wait.
        ReleaseGate();
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Dialect dialect() const override { return Dialect::kSqlite; }

    Result<QueryResult> Query(std::string_view sql,
                              const std::vector<model::Value>& params) override {
        FORGEDB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, PrepareAndBind(sql, params));
        StatementReset reset{stmt};
        QueryResult out;
        int columns = sqlite3_column_count(stmt);
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return Unexpected(SqliteError(db_, rc, "step"));
            auto& row = out.rows.emplace_back();
            row.reserve(columns);
            for (int c = 0; c < columns; ++c) {
                auto text = Column(stmt, c);
                row.emplace_back(text ? std::optional<std::string>(*text) : std::nullopt);
            }
        }
        out.affected = sqlite3_stmt_readonly(stmt) ? 0 : sqlite3_changes(db_);
        return out;
    }

    Status ForEachRow(std::string_view sql, const std::vector<model::Value>& params,
                      const RowVisitor& visit) override {
        FORGEDB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, PrepareAndBind(sql, params));
        StatementReset reset{stmt};
        std::vector<std::optional<std::string_view>> row(
            static_cast<size_t>(sqlite3_column_count(stmt)));
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return Unexpected(SqliteError(db_, rc, "step"));
            for (size_t c = 0; c < row.size(); ++c) row[c] = Column(stmt, static_cast<int>(c));
            visit(row);
        }
        return Ok();
    }

    bool Reusable() const override { return !holding_gate_ && sqlite3_get_autocommit(db_); }

    Status ExecScript(std::string_view sql) override {
        char* err = nullptr;
        std::string text(sql);
        int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            return Unexpected(ErrorCode::kDatabase, "script: " + msg);
        }
        return Ok();
    }

    Status Begin() override {
        state_->gate.Acquire(priority_);
        auto st = Simple("BEGIN IMMEDIATE");
        if (st) {
            holding_gate_ = true;
        } else {
            state_->gate.Release();
        }
        return st;
    }
    Status Commit() override {
        FORGEDB_TRY(Simple("COMMIT"));
        ReleaseGate();
        return Ok();
    }
    void Rollback() override {
        if (!sqlite3_get_autocommit(db_)) (void)Simple("ROLLBACK");
        ReleaseGate();
    }
    void SetWritePriority(bool priority) override { priority_ = priority; }
    void ReserveWrites(bool reserved) override { state_->gate.Reserve(reserved); }

private:
    struct StatementReset {
        sqlite3_stmt* s;
        ~StatementReset() {
            sqlite3_reset(s);
            sqlite3_clear_bindings(s);
        }
    };

    // Column c of the current row as text; nullopt for NULL.
    static std::optional<std::string_view> Column(sqlite3_stmt* stmt, int c) {
        if (sqlite3_column_type(stmt, c) == SQLITE_NULL) return std::nullopt;
        auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        return std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c)));
    }

    Result<sqlite3_stmt*> PrepareAndBind(std::string_view sql,
                                         const std::vector<model::Value>& params) {
        FORGEDB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
        for (size_t i = 0; i < params.size(); ++i) {
            int idx = static_cast<int>(i + 1);
            const auto& v = params[i];
            int rc = SQLITE_OK;
            if (std::holds_alternative<model::Null>(v)) {
                rc = sqlite3_bind_null(stmt, idx);
            } else if (auto* n = std::get_if<std::int64_t>(&v)) {
                rc = sqlite3_bind_int64(stmt, idx, *n);
            } else if (auto* d = std::get_if<double>(&v)) {
                rc = sqlite3_bind_double(stmt, idx, *d);
            } else if (auto* b = std::get_if<bool>(&v)) {
                rc = sqlite3_bind_int(stmt, idx, *b ? 1 : 0);
            } else {
                const auto& s = std::get<std::string>(v);
                if (s.find('\0') == std::string::npos) {
                    rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()),
                                           SQLITE_STATIC);
                } else {  // the same text as PostgreSQL stores (see ReplaceNul)
                    std::string clean = ReplaceNul(s);
                    rc = sqlite3_bind_text(stmt, idx, clean.data(), static_cast<int>(clean.size()),
                                           SQLITE_TRANSIENT);
                }
            }
            if (rc != SQLITE_OK) {
                sqlite3_clear_bindings(stmt);
                return Unexpected(SqliteError(db_, rc, "bind"));
            }
        }
        return stmt;
    }

    void ReleaseGate() {
        if (holding_gate_) {
            holding_gate_ = false;
            state_->gate.Release();
        }
    }

    Status Simple(const char* sql) {
        auto r = Query(sql, {});
        if (!r) return Unexpected(r.error());
        return Ok();
    }

    Result<sqlite3_stmt*> Prepare(std::string_view sql) {
        std::string key(sql);
        auto it = cache_.find(key);
        if (it != cache_.end()) return it->second;
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v3(db_, key.data(), static_cast<int>(key.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
        if (rc != SQLITE_OK) return Unexpected(SqliteError(db_, rc, "prepare '" + key + "'"));
        if (cache_.size() > 512) {
            for (auto& [s, st] : cache_) sqlite3_finalize(st);
            cache_.clear();
        }
        cache_.emplace(std::move(key), stmt);
        return stmt;
    }

    sqlite3* db_;
    std::shared_ptr<SharedState> state_;
    bool priority_ = false;
    bool holding_gate_ = false;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteDatabase final : public Database {
public:
    explicit SqliteDatabase(std::string path)
        : path_(std::move(path)), state_(std::make_shared<SharedState>()) {}
    ~SqliteDatabase() override {
        {
            std::lock_guard lock(state_->mu);
            state_->stopping = true;
        }
        state_->cv.notify_all();
        if (checkpointer_.joinable()) checkpointer_.join();
    }
    Dialect dialect() const override { return Dialect::kSqlite; }
    std::string Describe() const override { return "sqlite:" + path_; }

    Result<std::unique_ptr<Connection>> Connect() override {
        FORGEDB_ASSIGN_OR_RETURN(auto conn, Open());
        std::call_once(checkpointer_started_,
                       [this] { checkpointer_ = std::thread([this] { CheckpointLoop(); }); });
        return conn;
    }

private:
    Result<std::unique_ptr<Connection>> Open() {
        sqlite3* db = nullptr;
        int rc = sqlite3_open_v2(path_.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc != SQLITE_OK) {
            Error e = SqliteError(db, rc, "open " + path_);
            sqlite3_close_v2(db);
            return Unexpected(std::move(e));
        }
        sqlite3_busy_timeout(db, 30000);
        auto conn = std::make_unique<SqliteConnection>(db, state_);
        FORGEDB_TRY(conn->ExecScript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"));
        // Replaces the automatic checkpoint: commits only report the WAL size.
        sqlite3_wal_hook(db, &OnWalCommit, state_.get());
        return std::unique_ptr<Connection>(std::move(conn));
    }

    void CheckpointLoop() {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                            nullptr) != SQLITE_OK) {
            sqlite3_close_v2(db);
            return;
        }
        sqlite3_busy_timeout(db, 1000);
        sqlite3_wal_hook(db, nullptr, nullptr);
        // A checkpoint is a no-op on a connection that has not yet read the database in WAL mode.
        sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        for (;;) {
            {
                std::unique_lock lock(state_->mu);
                state_->cv.wait_for(lock, std::chrono::seconds(1), [&] {
                    return state_->stopping || state_->wal_pages >= kCheckpointPages;
                });
                if (state_->stopping) break;
                if (state_->wal_pages == 0) continue;
            }
            // The bulk, while writers go on; then the tail with writers held back, so that the
            // checkpoint is complete and the next writer starts the WAL over.
            // Copy (and sync) in passes until only a short tail is left, without holding writers.
            for (int pass = 0; pass < 8; ++pass) {
                int log = 0, done = 0;
                int rc =
                    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
                if (rc != SQLITE_OK || log - done <= kTailFrames) break;
            }
            // The tail is short, and it must not wait behind a burst of intake: priority.
            state_->gate.Acquire(/*priority=*/true);
            int log = 0, done = 0;
            int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
            state_->gate.Release();
            if (rc == SQLITE_OK && log == done) {
                std::lock_guard lock(state_->mu);
                state_->wal_pages = 0;
            } else {
                // A reader still needs old pages; try again shortly instead of spinning.
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        }
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
        sqlite3_close_v2(db);
    }

    std::string path_;
    std::shared_ptr<SharedState> state_;  // shared with every connection opened here
    std::once_flag checkpointer_started_;
    std::thread checkpointer_;
};

}  // namespace

std::unique_ptr<Database> OpenSqlite(std::string path) {
    // Memory statistics take a global mutex on every allocation; forgedb does not read them.
    // (Only possible before SQLite initialises; a no-op afterwards.)
    static std::once_flag configured;
    std::call_once(configured, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
    return std::make_unique<SqliteDatabase>(std::move(path));
}

}  // namespace forgedb::store
