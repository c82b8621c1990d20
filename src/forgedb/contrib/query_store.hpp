#pragma once
// The contributor view's own tables (schema 0004): saved queries with their people and filter,
// the crawls views queued per account and window (coverage), and chunks of CSV uploads in
// progress. Every function joins the caller's transaction when one is open.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

struct ContribQueryRow {
    std::string hash;
    bool from_csv = false;
    Timestamp created_at{};
};

struct ContribQueryUserRow {
    std::string fullname;
    std::string gerrit_username;
    std::string phabricator_username;
    std::string github_username;
};

struct ContribQueryFilterRow {
    Timestamp start_time{};
    Timestamp end_time{};
    std::string statuses;  // comma-separated tokens
};

Result<std::optional<ContribQueryRow>> LoadContribQuery(Connection& conn, const std::string& hash);
// In their order (position).
Result<std::vector<ContribQueryUserRow>> LoadContribQueryUsers(Connection& conn,
                                                               const std::string& hash);
Result<std::optional<ContribQueryFilterRow>> LoadContribQueryFilter(Connection& conn,
                                                                    const std::string& hash);
Status InsertContribQuery(Connection& conn, const ContribQueryRow& row);
Status SetContribQueryFromCsv(Connection& conn, const std::string& hash, bool from_csv);
// Deletes the query's users and inserts these at positions 0, 1, ...
Status ReplaceContribQueryUsers(Connection& conn, const std::string& hash,
                                const std::vector<ContribQueryUserRow>& users);
// Inserts or replaces the query's filter.
Status SaveContribQueryFilter(Connection& conn, const std::string& hash,
                              const ContribQueryFilterRow& filter);
// Deletes the query, its users and its filter; false when there was no such query.
Result<bool> DeleteContribQuery(Connection& conn, const std::string& hash);
// Moves the query, its users and its filter to hash `to` (which must be free).
Status RenameContribQuery(Connection& conn, const std::string& from, const std::string& to);

// One crawl a view queued: `part` names which crawl of the platform (gerrit "owner", phabricator
// "authored" / "assigned", github "contributor").
struct CoverageRow {
    std::int64_t id = 0;
    std::string platform;
    std::string instance;
    std::string account;
    std::string part;
    Timestamp window_start{};
    Timestamp window_end{};
    std::int64_t job_id = 0;
    Timestamp requested_at{};
};

// Rows of this account and part whose window starts at or before `start`, newest request first,
// at most `limit`.
Result<std::vector<CoverageRow>> CoverageFrom(Connection& conn, const std::string& platform,
                                              const std::string& instance,
                                              const std::string& account, const std::string& part,
                                              Timestamp start, int limit);
Status InsertCoverage(Connection& conn, const CoverageRow& row);

struct UploadChunkRow {
    int chunk = 0;
    std::optional<std::string> replace_hash;
    std::string data;  // the bytes as received
    Timestamp received_at{};
};
Status InsertUploadChunk(Connection& conn, const std::string& upload_hash,
                         const UploadChunkRow& row);
// The chunks of an upload in order (empty when there is none).
Result<std::vector<UploadChunkRow>> LoadUploadChunks(Connection& conn,
                                                     const std::string& upload_hash);
Status DeleteUpload(Connection& conn, const std::string& upload_hash);
// Drops the chunks of uploads received before `cutoff` (abandoned uploads).
Status DeleteUploadsBefore(Connection& conn, Timestamp cutoff);

}  // namespace forgedb::store
