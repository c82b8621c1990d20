#include "forgedb/store/migrations.hpp"

#include "forgedb/core/clock.hpp"

namespace forgedb::store {

Result<std::vector<std::string>> Migrate(Connection& conn) {
    const auto& all =
        conn.dialect() == Dialect::kSqlite ? SqliteMigrations() : PostgresMigrations();
    // Concurrent starters are serialized: SQLite by its write lock, PostgreSQL by an advisory
    // lock held until each transaction ends.
    auto lock = [&conn]() -> Status {
        if (conn.dialect() == Dialect::kPostgres) {
            FORGEDB_TRY(conn.Query("SELECT pg_advisory_xact_lock(7411)"));
        }
        return Ok();
    };
    {
        FORGEDB_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(conn));
        FORGEDB_TRY(lock());
        FORGEDB_TRY(
            conn.ExecScript("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, "
                            "applied_at TEXT)"));
        FORGEDB_TRY(tx.Commit());
    }
    std::vector<std::string> applied;
    for (const auto& m : all) {
        FORGEDB_ASSIGN_OR_RETURN(auto tx, Transaction::Begin(conn));
        FORGEDB_TRY(lock());
        FORGEDB_ASSIGN_OR_RETURN(
            auto seen,
            conn.Query("SELECT 1 FROM schema_migrations WHERE name = ?", {std::string(m.name)}));
        if (!seen.empty()) continue;
        auto st = conn.ExecScript(m.sql);
        if (!st) {
            return Unexpected(ErrorCode::kDatabase,
                              "migration " + std::string(m.name) + ": " + st.error().message);
        }
        FORGEDB_TRY(conn.Query("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)",
                               {std::string(m.name), FormatLocalTime(SystemClock().Now())}));
        FORGEDB_TRY(tx.Commit());
        applied.emplace_back(m.name);
    }
    return applied;
}

}  // namespace forgedb::store
