#include "forgedb/store/github_store.hpp"

namespace forgedb::store::github {
namespace {

Status ReplaceLabels(Connection& conn, std::string_view table, std::string_view owner_column,
                     std::int64_t owner_id, const std::vector<std::int64_t>& label_ids) {
    std::string del = "DELETE FROM " + std::string(table) + " WHERE " + std::string(owner_column) +
                      " = ?";
    FORGEDB_TRY(conn.Query(del, {owner_id}));
    std::string ins = "INSERT INTO " + std::string(table) + " (" + std::string(owner_column) +
                      ", label_id) VALUES (?, ?) ON CONFLICT DO NOTHING";
    for (auto label_id : label_ids) {
        FORGEDB_TRY(conn.Query(ins, {owner_id, label_id}));
    }
    return Ok();
}

}  // namespace

Status ReplaceIssueLabels(Connection& conn, std::int64_t issue_id,
                          const std::vector<std::int64_t>& label_ids) {
    return ReplaceLabels(conn, "github_issue_label_association", "issue_id", issue_id, label_ids);
}

Status ReplacePullRequestLabels(Connection& conn, std::int64_t pull_request_id,
                                const std::vector<std::int64_t>& label_ids) {
    return ReplaceLabels(conn, "github_pull_request_label_association", "pull_request_id",
                         pull_request_id, label_ids);
}

Status RemoveLabelEverywhere(Connection& conn, std::int64_t label_id) {
    FORGEDB_TRY(
        conn.Query("DELETE FROM github_issue_label_association WHERE label_id = ?", {label_id}));
    FORGEDB_TRY(conn.Query("DELETE FROM github_pull_request_label_association WHERE label_id = ?",
                           {label_id}));
    return Ok();
}

Result<std::optional<std::int64_t>> FindRepositoryId(Connection& conn, const std::string& owner,
                                                     const std::string& name) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT id FROM github_repository WHERE owner_login = ? AND name = ? "
                             "AND deleted_at IS NULL ORDER BY id DESC LIMIT 1",
                             {owner, name}));
    if (res.empty()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{res.Int(0, 0)};
}

}  // namespace forgedb::store::github
