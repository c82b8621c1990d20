// PostgreSQL implementation of store::Database over libpq: one PGconn per Connection, text
// parameters (the server infers their types), session time zone UTC.

#include <libpq-fe.h>

#include <cstdlib>
#include <string>

#include "forgedb/core/text.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {
namespace {

// Turns '?' placeholders (outside quoted literals) into $1, $2, ...
std::string Renumber(std::string_view sql) {
    std::string out;
    out.reserve(sql.size() + 16);
    int n = 0;
    bool quoted = false;
    for (char c : sql) {
        if (c == '\'') quoted = !quoted;
        if (c == '?' && !quoted) {
            out += '$';
            out += std::to_string(++n);
        } else {
            out += c;
        }
    }
    return out;
}

Error PgError(PGconn* conn, PGresult* res, std::string_view what) {
    ErrorCode code = ErrorCode::kDatabase;
    std::string state;
    if (res != nullptr) {
        const char* s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (s != nullptr) state = s;
    }
    if (state == "40001" || state == "40P01" || state == "55P03" || state.starts_with("08") ||
        PQstatus(conn) != CONNECTION_OK) {
        code = ErrorCode::kTransient;
    }
    if (state == "23505") {
        code = ErrorCode::kConflict;
    } else if (state.starts_with("22") || state.starts_with("23")) {
        // A data exception (a value out of range, a bad encoding) or a broken rule: the value is
        // refused whenever it is offered, so retrying cannot help. The caller decides what it
        // loses (for a delivery: that delivery alone, marked failed).
        code = ErrorCode::kInvalid;
    }
    std::string msg(what);
    msg += ": ";
    msg += res != nullptr ? PQresultErrorMessage(res) : PQerrorMessage(conn);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return MakeError(code, std::move(msg));
}

class PgConnection final : public Connection {
public:
    explicit PgConnection(PGconn* conn) : conn_(conn) {}
    ~PgConnection() override { PQfinish(conn_); }
    PgConnection(const PgConnection&) = delete;
    PgConnection& operator=(const PgConnection&) = delete;

    Dialect dialect() const override { return Dialect::kPostgres; }

    Result<QueryResult> Query(std::string_view sql,
                              const std::vector<model::Value>& params) override {
        FORGEDB_ASSIGN_OR_RETURN(auto res, Exec(sql, params));
        QueryResult out;
        int rows = PQntuples(res.get());
        int cols = PQnfields(res.get());
        out.rows.reserve(rows);
        for (int r = 0; r < rows; ++r) {
            auto& row = out.rows.emplace_back();
            row.reserve(cols);
            for (int c = 0; c < cols; ++c) {
                if (PQgetisnull(res.get(), r, c)) {
                    row.emplace_back(std::nullopt);
                } else {
                    row.emplace_back(
                        std::string(PQgetvalue(res.get(), r, c), PQgetlength(res.get(), r, c)));
                }
            }
        }
        const char* affected = PQcmdTuples(res.get());
        out.affected = (affected != nullptr && *affected) ? std::atoll(affected) : 0;
        return out;
    }

    Status ForEachRow(std::string_view sql, const std::vector<model::Value>& params,
                      const RowVisitor& visit) override {
        FORGEDB_ASSIGN_OR_RETURN(auto res, Exec(sql, params));
        int rows = PQntuples(res.get());
        int cols = PQnfields(res.get());
        std::vector<std::optional<std::string_view>> row(static_cast<size_t>(cols));
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
                row[c] = PQgetisnull(res.get(), r, c)
                             ? std::nullopt
                             : std::optional<std::string_view>(std::string_view(
                                   PQgetvalue(res.get(), r, c), PQgetlength(res.get(), r, c)));
            }
            visit(row);
        }
        return Ok();
    }

    Status ExecScript(std::string_view sql) override {
        std::string text(sql);
        PGresult* res = PQexec(conn_, text.c_str());
        auto status = PQresultStatus(res);
        Status st;
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            st = Unexpected(PgError(conn_, res, "script"));
        }
        PQclear(res);
        return st;
    }

    Status Begin() override { return ExecScript("BEGIN"); }
    Status Commit() override { return ExecScript("COMMIT"); }
    void Rollback() override {
        if (PQtransactionStatus(conn_) != PQTRANS_IDLE) (void)ExecScript("ROLLBACK");
    }

    bool Alive() override {
        if (PQstatus(conn_) != CONNECTION_OK) return false;
        ResultPtr res(PQexec(conn_, "SELECT 1"));
        return PQresultStatus(res.get()) == PGRES_TUPLES_OK;
    }
    bool Reusable() const override {
        return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
    }

private:
    struct ClearResult {
        void operator()(PGresult* r) const { PQclear(r); }
    };
    using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

    Result<ResultPtr> Exec(std::string_view sql, const std::vector<model::Value>& params) {
        std::string text = Renumber(sql);
        std::vector<std::string> storage(params.size());
        std::vector<const char*> values(params.size(), nullptr);
        for (size_t i = 0; i < params.size(); ++i) {
            const auto& v = params[i];
            if (std::holds_alternative<model::Null>(v)) continue;
            if (auto* b = std::get_if<bool>(&v)) {
                storage[i] = *b ? "true" : "false";
            } else if (auto* s = std::get_if<std::string>(&v)) {
                if (s->find('\0') == std::string::npos) {
                    values[i] = s->c_str();
                    continue;
                }
                storage[i] = ReplaceNul(*s);  // libpq would cut the text at the NUL
            } else {
                storage[i] = model::ValueToString(v);
            }
            values[i] = storage[i].c_str();
        }
        ResultPtr res(PQexecParams(conn_, text.c_str(), static_cast<int>(params.size()), nullptr,
                                   values.data(), nullptr, nullptr, 0));
        auto status = PQresultStatus(res.get());
        if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
            return Unexpected(PgError(conn_, res.get(), "query"));
        }
        return res;
    }

    PGconn* conn_;
};

class PgDatabase final : public Database {
public:
    explicit PgDatabase(std::string url) : url_(std::move(url)) {}
    Dialect dialect() const override { return Dialect::kPostgres; }

    std::string Describe() const override {
        // postgresql://user:password@host/db -> postgresql://user@host/db
        std::string out = url_;
        auto scheme = out.find("://");
        auto at = out.find('@');
        if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
            auto colon = out.find(':', scheme + 3);
            if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
        }
        return out;
    }

    Result<std::unique_ptr<Connection>> Connect() override {
        PGconn* conn = PQconnectdb(url_.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            std::string msg = PQerrorMessage(conn);
            while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
            PQfinish(conn);
            return Unexpected(ErrorCode::kTransient, "connect to " + Describe() + ": " + msg);
        }
        auto c = std::make_unique<PgConnection>(conn);
        FORGEDB_TRY(c->ExecScript("SET TimeZone = 'UTC'; SET client_min_messages = warning;"));
        return std::unique_ptr<Connection>(std::move(c));
    }

private:
    std::string url_;
};

}  // namespace

std::unique_ptr<Database> OpenPostgres(std::string url) {
    return std::make_unique<PgDatabase>(std::move(url));
}

}  // namespace forgedb::store
