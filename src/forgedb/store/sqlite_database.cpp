// SQLite implementation of store::Database: one sqlite3 handle per Connection, WAL journal,
// synchronous=NORMAL (a commit survives a process crash), prepared statements cached per handle.

#include <sqlite3.h>

#include <string>
#include <unordered_map>

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

class SqliteConnection final : public Connection {
public:
    explicit SqliteConnection(sqlite3* db) : db_(db) {}
    ~SqliteConnection() override {
        for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
        sqlite3_close_v2(db_);
    }
    SqliteConnection(const SqliteConnection&) = delete;
    SqliteConnection& operator=(const SqliteConnection&) = delete;

    Dialect dialect() const override { return Dialect::kSqlite; }

    Result<QueryResult> Query(std::string_view sql,
                              const std::vector<model::Value>& params) override {
        FORGEDB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, Prepare(sql));
        struct Reset {
            sqlite3_stmt* s;
            ~Reset() {
                sqlite3_reset(s);
                sqlite3_clear_bindings(s);
            }
        } reset{stmt};
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
                rc = sqlite3_bind_text(stmt, idx, s.data(), static_cast<int>(s.size()),
                                       SQLITE_STATIC);
            }
            if (rc != SQLITE_OK) return Unexpected(SqliteError(db_, rc, "bind"));
        }
        QueryResult out;
        int columns = sqlite3_column_count(stmt);
        for (;;) {
            int rc = sqlite3_step(stmt);
            if (rc == SQLITE_DONE) break;
            if (rc != SQLITE_ROW) return Unexpected(SqliteError(db_, rc, "step"));
            auto& row = out.rows.emplace_back();
            row.reserve(columns);
            for (int c = 0; c < columns; ++c) {
                if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
                    row.emplace_back(std::nullopt);
                } else {
                    auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
                    row.emplace_back(std::string(text, sqlite3_column_bytes(stmt, c)));
                }
            }
        }
        out.affected = sqlite3_changes(db_);
        return out;
    }

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

    Status Begin() override { return Simple("BEGIN IMMEDIATE"); }
    Status Commit() override { return Simple("COMMIT"); }
    void Rollback() override {
        if (!sqlite3_get_autocommit(db_)) (void)Simple("ROLLBACK");
    }

private:
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
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

class SqliteDatabase final : public Database {
public:
    explicit SqliteDatabase(std::string path) : path_(std::move(path)) {}
    Dialect dialect() const override { return Dialect::kSqlite; }
    std::string Describe() const override { return "sqlite:" + path_; }

    Result<std::unique_ptr<Connection>> Connect() override {
        sqlite3* db = nullptr;
        int rc = sqlite3_open_v2(path_.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                     SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc != SQLITE_OK) {
            Error e = SqliteError(db, rc, "open " + path_);
            sqlite3_close_v2(db);
            return Unexpected(std::move(e));
        }
        sqlite3_busy_timeout(db, 30000);
        auto conn = std::make_unique<SqliteConnection>(db);
        FORGEDB_TRY(conn->ExecScript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"));
        return std::unique_ptr<Connection>(std::move(conn));
    }

private:
    std::string path_;
};

}  // namespace

std::unique_ptr<Database> OpenSqlite(std::string path) {
    return std::make_unique<SqliteDatabase>(std::move(path));
}

}  // namespace forgedb::store
