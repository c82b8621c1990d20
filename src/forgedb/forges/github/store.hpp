#pragma once
// GitHub-specific writes and reads that are not plain row upserts: label relations and lookups.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::store::github {

// Makes the labels of an issue (or a pull request) exactly `labels`.
Status ReplaceIssueLabels(Connection& conn, std::int64_t issue_id,
                          const std::vector<std::int64_t>& label_ids);
Status ReplacePullRequestLabels(Connection& conn, std::int64_t pull_request_id,
                                const std::vector<std::int64_t>& label_ids);
// Removes a deleted label from every issue and pull request.
Status RemoveLabelEverywhere(Connection& conn, std::int64_t label_id);
// Adds one label to (or removes it from) an issue or pull request: `labeled` and `unlabeled`
// deliveries, applied whatever the staleness of the issue copy they carry.
Status SetIssueLabel(Connection& conn, std::int64_t issue_id, std::int64_t label_id, bool on);
Status SetPullRequestLabel(Connection& conn, std::int64_t pull_request_id, std::int64_t label_id,
                           bool on);

// Writes a review (a row of github_pull_request_review) so that its state only moves forward:
// a submitted state never goes back to pending, and a dismissed review stays dismissed unless
// the incoming copy was submitted later than the stored one (a newer submission). kStale when
// the stored row was kept.
Result<UpsertOutcome> UpsertReview(Connection& conn, model::Row row);

// The id of a live repository by owner login and name, if stored.
Result<std::optional<std::int64_t>> FindRepositoryId(Connection& conn, const std::string& owner,
                                                     const std::string& name);

// The id of a live row of `table` (github_issue or github_pull_request) by repository and number.
Result<std::optional<std::int64_t>> FindByNumber(Connection& conn, std::string_view table,
                                                 std::string_view repo_column, std::int64_t repo_id,
                                                 std::int64_t number);
Result<std::optional<std::int64_t>> FindUserId(Connection& conn, const std::string& login);

// When the live pull request `number` of the base repository `base_repo_id` was last updated and
// merged, as stored (nullopt: no such row; a field is nullopt when NULL).
struct PullRequestTimes {
    std::int64_t id = 0;
    std::optional<Timestamp> updated_at;
    std::optional<Timestamp> merged_at;
};
Result<std::optional<PullRequestTimes>> FindPullRequestTimes(Connection& conn,
                                                             std::int64_t base_repo_id,
                                                             std::int64_t number);

// Tombstones the live rows of `table` whose `parent_column` is `parent_id` and that neither the
// API nor a webhook has replicated since `scan_started` (the sweep after a full scan). Returns the
// number of rows tombstoned.
Result<long long> SweepUnseen(Connection& conn, std::string_view table,
                              std::string_view parent_column, std::int64_t parent_id,
                              Timestamp scan_started, Timestamp now);

// Sets a *_last_scanned_at column of the row with primary key `id`.
Status SetScannedAt(Connection& conn, std::string_view table, std::string_view column,
                    std::int64_t id, Timestamp at);
Result<std::optional<Timestamp>> GetScannedAt(Connection& conn, std::string_view table,
                                              std::string_view column, std::int64_t id);

struct RateLimitRow {
    int limit = 0;
    int remaining = 0;
    Timestamp reset_at;
};
Status SaveRateLimit(Connection& conn, const std::string& token_id, const std::string& resource,
                     const RateLimitRow& row, Timestamp now);
Result<std::optional<RateLimitRow>> LoadRateLimit(Connection& conn, const std::string& token_id,
                                                  const std::string& resource);

struct EtagRow {
    std::string etag;
    std::string body;
    std::string link;
};
Status SaveEtag(Connection& conn, const std::string& url, const std::string& token_id,
                const EtagRow& row, Timestamp now);
Result<std::optional<EtagRow>> LoadEtag(Connection& conn, const std::string& url,
                                        const std::string& token_id);

}  // namespace forgedb::store::github
