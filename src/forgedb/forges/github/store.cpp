#include "forgedb/forges/github/store.hpp"

#include "forgedb/forges/github/model.hpp"

namespace forgedb::store::github {
namespace {

Status ReplaceLabels(Connection& conn, std::string_view table, std::string_view owner_column,
                     std::int64_t owner_id, const std::vector<std::int64_t>& label_ids) {
    std::string del =
        "DELETE FROM " + std::string(table) + " WHERE " + std::string(owner_column) + " = ?";
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

namespace {

Status SetLabel(Connection& conn, std::string_view table, std::string_view owner_column,
                std::int64_t owner_id, std::int64_t label_id, bool on) {
    std::string sql = on ? "INSERT INTO " + std::string(table) + " (" + std::string(owner_column) +
                               ", label_id) VALUES (?, ?) ON CONFLICT DO NOTHING"
                         : "DELETE FROM " + std::string(table) + " WHERE " +
                               std::string(owner_column) + " = ? AND label_id = ?";
    FORGEDB_TRY(conn.Query(sql, {owner_id, label_id}));
    return Ok();
}

}  // namespace

Status SetIssueLabel(Connection& conn, std::int64_t issue_id, std::int64_t label_id, bool on) {
    return SetLabel(conn, "github_issue_label_association", "issue_id", issue_id, label_id, on);
}

Status SetPullRequestLabel(Connection& conn, std::int64_t pull_request_id, std::int64_t label_id,
                           bool on) {
    return SetLabel(conn, "github_pull_request_label_association", "pull_request_id",
                    pull_request_id, label_id, on);
}

Result<UpsertOutcome> UpsertReview(Connection& conn, model::Row row) {
    // Webhooks spell states in lower case, the REST API in upper case.
    static constexpr std::string_view kGuard =
        "NOT (LOWER(COALESCE(github_pull_request_review.state, '')) = 'dismissed' "
        "AND LOWER(COALESCE(excluded.state, '')) <> 'dismissed' "
        "AND (excluded.submitted_at IS NULL OR (github_pull_request_review.submitted_at IS NOT "
        "NULL AND excluded.submitted_at <= github_pull_request_review.submitted_at))) "
        "AND NOT (LOWER(COALESCE(excluded.state, '')) = 'pending' "
        "AND LOWER(COALESCE(github_pull_request_review.state, 'pending')) <> 'pending')";
    return GuardedUpsert(conn, model::github::kPullRequestReview, std::move(row), kGuard);
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

Result<std::optional<std::int64_t>> FindByNumber(Connection& conn, std::string_view table,
                                                 std::string_view repo_column, std::int64_t repo_id,
                                                 std::int64_t number) {
    std::string sql = "SELECT id FROM " + std::string(table) + " WHERE " +
                      std::string(repo_column) +
                      " = ? AND number = ? AND deleted_at IS NULL ORDER BY id DESC LIMIT 1";
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, {repo_id, number}));
    if (res.empty()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{res.Int(0, 0)};
}

Result<std::optional<std::int64_t>> FindUserId(Connection& conn, const std::string& login) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("SELECT id FROM github_user WHERE login = ? ORDER BY id LIMIT 1", {login}));
    if (res.empty()) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>{res.Int(0, 0)};
}

Result<std::optional<PullRequestTimes>> FindPullRequestTimes(Connection& conn,
                                                             std::int64_t base_repo_id,
                                                             std::int64_t number) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT id, updated_at, merged_at FROM github_pull_request WHERE "
                             "base_repo_id = ? AND number = ? AND deleted_at IS NULL "
                             "ORDER BY id DESC LIMIT 1",
                             {base_repo_id, number}));
    if (res.empty()) return std::optional<PullRequestTimes>{};
    PullRequestTimes t;
    t.id = res.Int(0, 0);
    if (res.At(0, 1)) t.updated_at = ParseTimestamp(*res.At(0, 1));
    if (res.At(0, 2)) t.merged_at = ParseTimestamp(*res.At(0, 2));
    return std::optional<PullRequestTimes>{t};
}

Result<long long> SweepUnseen(Connection& conn, std::string_view table,
                              std::string_view parent_column, std::int64_t parent_id,
                              Timestamp scan_started, Timestamp now) {
    std::string started = FormatLocalTime(scan_started);
    std::string sql = "UPDATE " + std::string(table) + " SET deleted_at = ? WHERE " +
                      std::string(parent_column) +
                      " = ? AND deleted_at IS NULL"
                      " AND (last_replicated_via_api_at IS NULL OR last_replicated_via_api_at < ?)"
                      " AND (last_replicated_via_webhook_at IS NULL OR "
                      "last_replicated_via_webhook_at < ?)";
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query(sql, {FormatLocalTime(now), parent_id, started, started}));
    return res.affected;
}

Status SetScannedAt(Connection& conn, std::string_view table, std::string_view column,
                    std::int64_t id, Timestamp at) {
    std::string sql =
        "UPDATE " + std::string(table) + " SET " + std::string(column) + " = ? WHERE id = ?";
    FORGEDB_TRY(conn.Query(sql, {FormatLocalTime(at), id}));
    return Ok();
}

Result<std::optional<Timestamp>> GetScannedAt(Connection& conn, std::string_view table,
                                              std::string_view column, std::int64_t id) {
    std::string sql =
        "SELECT " + std::string(column) + " FROM " + std::string(table) + " WHERE id = ?";
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query(sql, {id}));
    if (res.empty() || !res.At(0, 0)) return std::optional<Timestamp>{};
    return ParseTimestamp(*res.At(0, 0));
}

Status SaveRateLimit(Connection& conn, const std::string& token_id, const std::string& resource,
                     const RateLimitRow& row, Timestamp now) {
    FORGEDB_TRY(conn.Query(
        "INSERT INTO github_rate_limit (token_id, resource, rate_limit, remaining, reset_at, "
        "observed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (token_id, resource) DO UPDATE SET "
        "rate_limit = excluded.rate_limit, remaining = excluded.remaining, "
        "reset_at = excluded.reset_at, observed_at = excluded.observed_at",
        {token_id, resource, static_cast<std::int64_t>(row.limit),
         static_cast<std::int64_t>(row.remaining), FormatLocalTime(row.reset_at),
         FormatLocalTime(now)}));
    return Ok();
}

Result<std::optional<RateLimitRow>> LoadRateLimit(Connection& conn, const std::string& token_id,
                                                  const std::string& resource) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT rate_limit, remaining, reset_at FROM github_rate_limit "
                             "WHERE token_id = ? AND resource = ?",
                             {token_id, resource}));
    if (res.empty()) return std::optional<RateLimitRow>{};
    RateLimitRow row;
    row.limit = static_cast<int>(res.Int(0, 0));
    row.remaining = static_cast<int>(res.Int(0, 1));
    row.reset_at = ParseTimestamp(res.Text(0, 2)).value_or(Timestamp{});
    return std::optional<RateLimitRow>{row};
}

Status SaveEtag(Connection& conn, const std::string& url, const std::string& token_id,
                const EtagRow& row, Timestamp now) {
    FORGEDB_TRY(conn.Query(
        "INSERT INTO github_api_etag (url, token_id, etag, body, link, fetched_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url, token_id) DO UPDATE SET etag = excluded.etag, "
        "body = excluded.body, link = excluded.link, fetched_at = excluded.fetched_at",
        {url, token_id, row.etag, row.body, row.link, FormatLocalTime(now)}));
    return Ok();
}

Result<std::optional<EtagRow>> LoadEtag(Connection& conn, const std::string& url,
                                        const std::string& token_id) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT etag, body, link FROM github_api_etag WHERE url = ? AND "
                             "token_id = ?",
                             {url, token_id}));
    if (res.empty()) return std::optional<EtagRow>{};
    return std::optional<EtagRow>{EtagRow{res.Text(0, 0), res.Text(0, 1), res.Text(0, 2)}};
}

}  // namespace forgedb::store::github
