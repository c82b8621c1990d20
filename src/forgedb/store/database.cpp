#include "forgedb/store/database.hpp"

#include <cstdlib>

namespace forgedb::store {
namespace {

// Idle connections a process keeps for reuse (HTTP threads plus workers stay below this).
constexpr size_t kMaxIdleConnections = 32;

}  // namespace

long long QueryResult::Int(size_t row, size_t column) const {
    const auto& v = At(row, column);
    return v ? std::strtoll(v->c_str(), nullptr, 10) : 0;
}

Result<std::unique_ptr<Database>> Database::Open(std::string_view url) {
    if (url.starts_with("sqlite:")) {
        std::string_view path = url.substr(7);
        if (path.starts_with("//")) path.remove_prefix(2);
        if (path.empty()) {
            return Unexpected(ErrorCode::kInvalid, "sqlite URL needs a file path: sqlite:PATH");
        }
        return WithConnectionPool(OpenSqlite(std::string(path)), kMaxIdleConnections);
    }
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
        return WithConnectionPool(OpenPostgres(std::string(url)), kMaxIdleConnections);
    }
    return Unexpected(ErrorCode::kInvalid,
                      "unsupported database URL '" + std::string(url) +
                          "': use sqlite:PATH or postgresql://USER@HOST:PORT/DB");
}

Status Ping(Database& db) {
    auto conn = db.Connect();
    if (!conn) return conn.error();
    auto read = (*conn)->Query("SELECT COUNT(*) FROM schema_migrations");
    if (!read) return read.error();
    return Ok();
}

Status Savepoint(Connection& conn, std::string_view name) {
    FORGEDB_TRY(conn.Query("SAVEPOINT " + std::string(name)));
    return Ok();
}

Status ReleaseSavepoint(Connection& conn, std::string_view name) {
    FORGEDB_TRY(conn.Query("RELEASE SAVEPOINT " + std::string(name)));
    return Ok();
}

Status RollbackToSavepoint(Connection& conn, std::string_view name) {
    FORGEDB_TRY(conn.Query("ROLLBACK TO SAVEPOINT " + std::string(name)));
    return Ok();
}

Result<Transaction> Transaction::Begin(Connection& conn) {
    FORGEDB_TRY(conn.Begin());
    return Transaction(conn);
}

Status Transaction::Commit() {
    Connection* conn = conn_;
    conn_ = nullptr;
    auto st = conn->Commit();
    if (!st) conn->Rollback();
    return st;
}

}  // namespace forgedb::store
