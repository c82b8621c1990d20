#pragma once
// The one interface over SQLite and PostgreSQL. A Database opens Connections; a Connection is used
// by one thread at a time (not thread-safe) and is the only place SQL text is executed.
// SQL is written once with '?' placeholders; the PostgreSQL connection renumbers them.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/model/value.hpp"

namespace forgedb::store {

enum class Dialect { kSqlite, kPostgres };

// Rows of text values (NULL = nullopt), in the order of the SELECT list.
struct QueryResult {
    std::vector<std::vector<std::optional<std::string>>> rows;
    long long affected = 0;  // rows written by INSERT/UPDATE/DELETE

    bool empty() const { return rows.empty(); }
    const std::optional<std::string>& At(size_t row, size_t column) const {
        return rows.at(row).at(column);
    }
    // The value as text, or "" for NULL.
    std::string Text(size_t row, size_t column) const { return At(row, column).value_or(""); }
    long long Int(size_t row, size_t column) const;
};

class Connection {
public:
    virtual ~Connection() = default;
    virtual Dialect dialect() const = 0;
    // Runs one statement with bound parameters.
    virtual Result<QueryResult> Query(std::string_view sql,
                                      const std::vector<model::Value>& params = {}) = 0;
    // Runs one statement and hands each row to `visit` as it is read, without keeping the rows:
    // for large reads. The views are valid during the call only; NULL is nullopt.
    using RowVisitor = std::function<void(const std::vector<std::optional<std::string_view>>&)>;
    virtual Status ForEachRow(std::string_view sql, const std::vector<model::Value>& params,
                              const RowVisitor& visit) = 0;
    // Runs several ';'-separated statements without parameters (migrations).
    virtual Status ExecScript(std::string_view sql) = 0;
    // Starts a transaction that will write (SQLite takes the write lock at once).
    virtual Status Begin() = 0;
    virtual Status Commit() = 0;
    virtual void Rollback() = 0;
    // Lets this connection's write transactions go ahead of other waiting writers of the same
    // process (SQLite has one writer; webhook intake uses this). No effect on PostgreSQL.
    virtual void SetWritePriority(bool /*priority*/) {}
    // While reserved, other writers of this process that lack priority wait (SQLite only); used
    // by webhook intake during bursts so that processing never delays an answer to the forge.
    virtual void ReserveWrites(bool /*reserved*/) {}
    // Whether the connection can be handed to another user as it is: no open transaction, not
    // broken. A pool keeps only such connections.
    virtual bool Reusable() const { return false; }
    // Asks the server whether the connection still works (one round trip on PostgreSQL; always
    // true on SQLite, whose "server" is the file).
    virtual bool Alive() { return true; }
};

class Database {
public:
    virtual ~Database() = default;
    // "sqlite:PATH" or "postgresql://..." / "postgres://...". Checks the URL, not the server.
    static Result<std::unique_ptr<Database>> Open(std::string_view url);

    virtual Dialect dialect() const = 0;
    virtual Result<std::unique_ptr<Connection>> Connect() = 0;
    // A description for logs, without credentials.
    virtual std::string Describe() const = 0;
};

// Rolls back unless Commit() was called. REQUIRES: conn outlives the Transaction.
class Transaction {
public:
    static Result<Transaction> Begin(Connection& conn);
    Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction() {
        if (conn_ != nullptr) conn_->Rollback();
    }
    Status Commit();

private:
    explicit Transaction(Connection& conn) : conn_(&conn) {}
    Connection* conn_;
};

// Whether the database answers: a connection is opened (or lent) and reads a small table, which
// on SQLite also reads the file. Ok, or the error met.
Status Ping(Database& db);

// Savepoints inside an open transaction (same SQL on both backends).
Status Savepoint(Connection& conn, std::string_view name);
Status ReleaseSavepoint(Connection& conn, std::string_view name);
Status RollbackToSavepoint(Connection& conn, std::string_view name);

// Wraps `inner` so that released connections are kept (up to max_idle) and lent again: a SQLite
// connection keeps its page cache and prepared statements, a PostgreSQL one saves a connect.
// A connection idle for `check_after` or longer is asked whether it is alive (Alive()) before it
// is lent again, and dropped if not.
std::unique_ptr<Database> WithConnectionPool(
    std::unique_ptr<Database> inner, size_t max_idle,
    std::chrono::steady_clock::duration check_after = std::chrono::seconds(5));

std::unique_ptr<Database> OpenSqlite(std::string path);
std::unique_ptr<Database> OpenPostgres(std::string url);

}  // namespace forgedb::store
