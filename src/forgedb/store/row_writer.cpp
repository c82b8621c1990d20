#include "forgedb/store/row_writer.hpp"

#include <string>

namespace forgedb::store {
namespace {

bool IsKey(const model::Table& table, std::string_view column) {
    for (auto k : table.key) {
        if (k == column) return true;
    }
    return false;
}

}  // namespace

namespace {

enum class OnConflict { kUpdate, kKeep };

Result<UpsertOutcome> Write(Connection& conn, const model::Table& table, model::Row row,
                            OnConflict on_conflict, std::string_view guard) {
    for (auto k : table.key) {
        if (!row.Has(k)) {
            return Unexpected(ErrorCode::kMissingData,
                              std::string(table.name) + " row lacks key column " + std::string(k));
        }
    }
    std::string sql = "INSERT INTO ";
    sql.reserve(64 * (row.cells().size() + 4));
    sql += table.name;
    sql += " (";
    std::string values;
    std::string updates;
    std::vector<model::Value> params;
    params.reserve(row.cells().size());
    bool versioned = false;
    for (auto& cell : row.mutable_cells()) {
        if (!params.empty()) {
            sql += ", ";
            values += ", ";
        }
        sql += cell.column;
        values += '?';
        params.push_back(std::move(cell.value));
        if (IsKey(table, cell.column)) continue;
        if (!table.version_column.empty() && cell.column == table.version_column) versioned = true;
        if (!updates.empty()) updates += ", ";
        updates += cell.column;
        const std::string stored = std::string(table.name) + "." + cell.column;
        const std::string incoming = "excluded." + cell.column;
        if (cell.merge == model::Merge::kFillNull) {
            updates += " = COALESCE(" + stored + ", " + incoming + ")";
        } else if (cell.merge == model::Merge::kMax) {
            updates += " = CASE WHEN " + stored + " IS NULL OR " + incoming + " > " + stored +
                       " THEN " + incoming + " ELSE " + stored + " END";
        } else {
            updates += " = excluded.";
            updates += cell.column;
        }
    }
    sql += ") VALUES (";
    sql += values;
    sql += ") ON CONFLICT (";
    for (size_t i = 0; i < table.key.size(); ++i) {
        if (i) sql += ", ";
        sql += table.key[i];
    }
    sql += ") ";
    if (on_conflict == OnConflict::kKeep) {
        sql += "DO NOTHING";
        FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, params));
        return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
    }
    if (updates.empty()) {
        sql += "DO NOTHING";
        FORGEDB_TRY(conn.Query(sql, params));
        return UpsertOutcome::kApplied;
    }
    sql += "DO UPDATE SET ";
    sql += updates;
    if (versioned) {
        std::string stored = std::string(table.name) + "." + std::string(table.version_column);
        std::string incoming = "excluded." + std::string(table.version_column);
        sql += " WHERE (" + stored + " IS NULL OR " + incoming + " IS NULL OR " + incoming +
               " >= " + stored + ")";
    }
    if (!guard.empty()) {
        sql += versioned ? " AND (" : " WHERE (";
        sql += guard;
        sql += ')';
    }
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, params));
    return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
}

}  // namespace

Result<UpsertOutcome> Upsert(Connection& conn, const model::Table& table, model::Row row) {
    return Write(conn, table, std::move(row), OnConflict::kUpdate, "");
}

Result<UpsertOutcome> InsertIfAbsent(Connection& conn, const model::Table& table, model::Row row) {
    return Write(conn, table, std::move(row), OnConflict::kKeep, "");
}

Result<UpsertOutcome> GuardedUpsert(Connection& conn, const model::Table& table, model::Row row,
                                    std::string_view guard) {
    return Write(conn, table, std::move(row), OnConflict::kUpdate, guard);
}

Result<long long> Update(Connection& conn, const model::Table& table, const model::Row& key,
                         const model::Row& set) {
    std::string sql = "UPDATE ";
    sql += table.name;
    sql += " SET ";
    std::vector<model::Value> params;
    bool first = true;
    for (const auto& cell : set.cells()) {
        if (!first) sql += ", ";
        first = false;
        if (cell.merge == model::Merge::kFillNull) {
            sql += cell.column + " = COALESCE(" + cell.column + ", ?)";
        } else {
            sql += cell.column + " = ?";
        }
        params.push_back(cell.value);
    }
    sql += " WHERE ";
    first = true;
    for (auto k : table.key) {
        const auto* v = key.Find(k);
        if (v == nullptr) {
            return Unexpected(ErrorCode::kMissingData,
                              std::string(table.name) + " key lacks column " + std::string(k));
        }
        if (!first) sql += " AND ";
        first = false;
        sql += std::string(k) + " = ?";
        params.push_back(*v);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, params));
    return res.affected;
}

}  // namespace forgedb::store
