#include "forgedb/forges/github/refs_store.hpp"

#include <span>
#include <vector>

namespace forgedb::store::github {
namespace {

bool IsStampColumn(std::string_view column) {
    return column == "last_replicated_via_webhook_at" || column == "last_replicated_via_api_at";
}

// The INSERT ... ON CONFLICT (key) part of an upsert of `row` into `table`, and the SET list
// (empty when the row carries key columns only). Values go to `params` in column order.
struct UpsertSql {
    std::string insert;
    std::string updates;
};

UpsertSql BuildUpsert(std::string_view table, std::span<const std::string_view> key,
                      model::Row& row, std::vector<model::Value>& params) {
    UpsertSql out;
    std::string columns;
    std::string values;
    for (auto& cell : row.mutable_cells()) {
        if (!columns.empty()) {
            columns += ", ";
            values += ", ";
        }
        columns += cell.column;
        values += '?';
        params.push_back(std::move(cell.value));
        bool is_key = false;
        for (auto k : key) is_key = is_key || k == cell.column;
        if (is_key) continue;
        if (!out.updates.empty()) out.updates += ", ";
        out.updates += cell.column;
        if (cell.merge == model::Merge::kFillNull) {
            out.updates += " = COALESCE(" + std::string(table) + "." + cell.column + ", excluded." +
                           cell.column + ")";
        } else {
            out.updates += " = excluded." + cell.column;
        }
    }
    out.insert = "INSERT INTO " + std::string(table) + " (" + columns + ") VALUES (" + values +
                 ") ON CONFLICT (";
    for (size_t i = 0; i < key.size(); ++i) {
        if (i) out.insert += ", ";
        out.insert += key[i];
    }
    out.insert += ") ";
    return out;
}

Status RequireColumns(const model::Row& row, std::span<const std::string_view> columns,
                      std::string_view table) {
    for (auto c : columns) {
        if (!row.Has(c)) {
            return Unexpected(ErrorCode::kMissingData,
                              std::string(table) + " row lacks key column " + std::string(c));
        }
    }
    return Ok();
}

constexpr std::string_view kReleaseKey[] = {"id"};
constexpr std::string_view kRefKey[] = {"repo_id", "ref_type", "name"};

}  // namespace

Result<UpsertOutcome> UpsertRelease(Connection& conn, model::Row row, ReleaseWrite mode,
                                    bool may_revive, Timestamp at) {
    FORGEDB_TRY(RequireColumns(row, kReleaseKey, "github_release"));
    std::vector<model::Value> params;
    UpsertSql sql = BuildUpsert("github_release", kReleaseKey, row, params);
    std::string text = std::move(sql.insert);
    if (mode == ReleaseWrite::kInsertOnly || sql.updates.empty()) {
        text += "DO NOTHING";
    } else {
        const std::string stamp = FormatLocalTime(at);
        text += "DO UPDATE SET " + sql.updates + " WHERE (github_release.deleted_at IS NULL";
        if (may_revive) {
            text += " OR github_release.deleted_at < ?";
            params.emplace_back(stamp);
        }
        text +=
            ") AND (github_release.updated_at IS NULL OR excluded.updated_at IS NULL OR "
            "excluded.updated_at >= github_release.updated_at)"
            " AND (github_release.published_at IS NULL OR excluded.published_at IS NULL OR "
            "excluded.published_at >= github_release.published_at)"
            " AND (github_release.last_replicated_at IS NULL OR "
            "github_release.last_replicated_at <= ?)";
        params.emplace_back(stamp);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(text, params));
    return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
}

Result<UpsertOutcome> TombstoneRelease(Connection& conn, std::int64_t id,
                                       std::string_view stamp_column, Timestamp at) {
    if (!IsStampColumn(stamp_column)) {
        return Unexpected(ErrorCode::kInternal, "not a stamp column: " + std::string(stamp_column));
    }
    const std::string col(stamp_column);
    const std::string stamp = FormatLocalTime(at);
    // The stamp never moves back: ordering compares against it.
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("UPDATE github_release SET deleted_at = ?, " + col + " = CASE WHEN " +
                                 col + " IS NULL OR " + col + " < ? THEN ? ELSE " + col +
                                 " END WHERE id = ? AND deleted_at IS NULL",
                             {stamp, stamp, stamp, id}));
    return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
}

Result<UpsertOutcome> UpsertRef(Connection& conn, model::Row row, Timestamp at) {
    FORGEDB_TRY(RequireColumns(row, kRefKey, "github_ref"));
    std::vector<model::Value> params;
    UpsertSql sql = BuildUpsert("github_ref", kRefKey, row, params);
    std::string text = std::move(sql.insert);
    if (sql.updates.empty()) {
        text += "DO NOTHING";
    } else {
        const std::string stamp = FormatLocalTime(at);
        text +=
            "DO UPDATE SET " + sql.updates +
            " WHERE (github_ref.deleted_at IS NULL OR github_ref.deleted_at < ?)"
            " AND (github_ref.last_replicated_at IS NULL OR github_ref.last_replicated_at <= ?)";
        params.emplace_back(stamp);
        params.emplace_back(stamp);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(text, params));
    return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
}

Result<UpsertOutcome> TombstoneRef(Connection& conn, std::int64_t repo_id,
                                   std::string_view ref_type, const std::string& name,
                                   std::string_view stamp_column, Timestamp at) {
    if (!IsStampColumn(stamp_column)) {
        return Unexpected(ErrorCode::kInternal, "not a stamp column: " + std::string(stamp_column));
    }
    const std::string col(stamp_column);
    const std::string stamp = FormatLocalTime(at);
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("INSERT INTO github_ref (repo_id, ref_type, name, deleted_at, " + col +
                       ") VALUES (?, ?, ?, ?, ?) ON CONFLICT (repo_id, ref_type, name) DO UPDATE "
                       "SET deleted_at = COALESCE(github_ref.deleted_at, excluded.deleted_at), " +
                       col + " = excluded." + col +
                       " WHERE github_ref.last_replicated_at IS NULL OR "
                       "github_ref.last_replicated_at <= excluded." +
                       col,
                   {repo_id, std::string(ref_type), name, stamp, stamp}));
    return res.affected > 0 ? UpsertOutcome::kApplied : UpsertOutcome::kStale;
}

Result<long long> SweepUnseenRefs(Connection& conn, std::int64_t repo_id, std::string_view ref_type,
                                  Timestamp scan_started, Timestamp now) {
    const std::string started = FormatLocalTime(scan_started);
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("UPDATE github_ref SET deleted_at = ? WHERE repo_id = ? AND ref_type = ? "
                   "AND deleted_at IS NULL"
                   " AND (last_replicated_via_api_at IS NULL OR last_replicated_via_api_at < ?)"
                   " AND (last_replicated_via_webhook_at IS NULL OR "
                   "last_replicated_via_webhook_at < ?)",
                   {FormatLocalTime(now), repo_id, std::string(ref_type), started, started}));
    return res.affected;
}

}  // namespace forgedb::store::github
