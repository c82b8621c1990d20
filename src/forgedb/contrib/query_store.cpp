#include "forgedb/contrib/query_store.hpp"

#include "forgedb/core/crypto.hpp"

namespace forgedb::store {
namespace {

bool ParseBool(const std::string& text) { return text == "1" || text == "t" || text == "true"; }

Result<Timestamp> ParseStored(const std::string& text, const char* what) {
    auto t = ParseTimestamp(text);
    if (!t) return Unexpected(ErrorCode::kDatabase, std::string("bad ") + what + " '" + text + "'");
    return *t;
}

// Chunk bytes travel as hex text (HexEncode), so that any encoding (and a UTF-8 sequence cut
// between two chunks) is stored as it came.
Result<std::string> FromHex(std::string_view hex) {
    auto digit = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    if (hex.size() % 2 != 0) return Unexpected(ErrorCode::kDatabase, "bad upload chunk");
    std::string out;
    out.reserve(hex.size() / 2);
    for (size_t i = 0; i < hex.size(); i += 2) {
        int hi = digit(hex[i]);
        int lo = digit(hex[i + 1]);
        if (hi < 0 || lo < 0) return Unexpected(ErrorCode::kDatabase, "bad upload chunk");
        out += static_cast<char>(hi * 16 + lo);
    }
    return out;
}

}  // namespace

Result<std::optional<ContribQueryRow>> LoadContribQuery(Connection& conn, const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("SELECT hash, from_csv, created_at FROM contrib_query WHERE hash = ?", {hash}));
    if (res.empty()) return std::optional<ContribQueryRow>{};
    ContribQueryRow row;
    row.hash = res.Text(0, 0);
    row.from_csv = ParseBool(res.Text(0, 1));
    FORGEDB_ASSIGN_OR_RETURN(row.created_at, ParseStored(res.Text(0, 2), "created_at"));
    return std::optional<ContribQueryRow>{std::move(row)};
}

Result<std::vector<ContribQueryUserRow>> LoadContribQueryUsers(Connection& conn,
                                                               const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT fullname, gerrit_username, phabricator_username, "
                             "github_username FROM contrib_query_user WHERE query_hash = ? "
                             "ORDER BY position",
                             {hash}));
    std::vector<ContribQueryUserRow> out;
    out.reserve(res.rows.size());
    for (size_t i = 0; i < res.rows.size(); ++i) {
        out.push_back({res.Text(i, 0), res.Text(i, 1), res.Text(i, 2), res.Text(i, 3)});
    }
    return out;
}

Result<std::optional<ContribQueryFilterRow>> LoadContribQueryFilter(Connection& conn,
                                                                    const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT start_time, end_time, statuses FROM contrib_query_filter "
                             "WHERE hash = ?",
                             {hash}));
    if (res.empty()) return std::optional<ContribQueryFilterRow>{};
    ContribQueryFilterRow row;
    FORGEDB_ASSIGN_OR_RETURN(row.start_time, ParseStored(res.Text(0, 0), "start_time"));
    FORGEDB_ASSIGN_OR_RETURN(row.end_time, ParseStored(res.Text(0, 1), "end_time"));
    row.statuses = res.Text(0, 2);
    return std::optional<ContribQueryFilterRow>{std::move(row)};
}

Status InsertContribQuery(Connection& conn, const ContribQueryRow& row) {
    FORGEDB_TRY(
        conn.Query("INSERT INTO contrib_query (hash, from_csv, created_at) VALUES (?, ?, ?)",
                   {row.hash, row.from_csv, FormatLocalTime(row.created_at)}));
    return Ok();
}

Status SetContribQueryFromCsv(Connection& conn, const std::string& hash, bool from_csv) {
    FORGEDB_TRY(
        conn.Query("UPDATE contrib_query SET from_csv = ? WHERE hash = ?", {from_csv, hash}));
    return Ok();
}

Status ReplaceContribQueryUsers(Connection& conn, const std::string& hash,
                                const std::vector<ContribQueryUserRow>& users) {
    FORGEDB_TRY(conn.Query("DELETE FROM contrib_query_user WHERE query_hash = ?", {hash}));
    std::int64_t position = 0;
    for (const auto& u : users) {
        FORGEDB_TRY(conn.Query(
            "INSERT INTO contrib_query_user (query_hash, position, fullname, gerrit_username, "
            "phabricator_username, github_username) VALUES (?, ?, ?, ?, ?, ?)",
            {hash, position++, u.fullname, u.gerrit_username, u.phabricator_username,
             u.github_username}));
    }
    return Ok();
}

Status SaveContribQueryFilter(Connection& conn, const std::string& hash,
                              const ContribQueryFilterRow& filter) {
    FORGEDB_TRY(conn.Query(
        "INSERT INTO contrib_query_filter (hash, start_time, end_time, statuses) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO UPDATE SET start_time = excluded.start_time, "
        "end_time = excluded.end_time, statuses = excluded.statuses",
        {hash, FormatForgeTime(filter.start_time), FormatForgeTime(filter.end_time),
         filter.statuses}));
    return Ok();
}

Result<bool> DeleteContribQuery(Connection& conn, const std::string& hash) {
    FORGEDB_TRY(conn.Query("DELETE FROM contrib_query_user WHERE query_hash = ?", {hash}));
    FORGEDB_TRY(conn.Query("DELETE FROM contrib_query_filter WHERE hash = ?", {hash}));
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query("DELETE FROM contrib_query WHERE hash = ?", {hash}));
    return res.affected > 0;
}

Status RenameContribQuery(Connection& conn, const std::string& from, const std::string& to) {
    FORGEDB_TRY(conn.Query("UPDATE contrib_query SET hash = ? WHERE hash = ?", {to, from}));
    FORGEDB_TRY(conn.Query("UPDATE contrib_query_user SET query_hash = ? WHERE query_hash = ?",
                           {to, from}));
    FORGEDB_TRY(conn.Query("UPDATE contrib_query_filter SET hash = ? WHERE hash = ?", {to, from}));
    return Ok();
}

Result<std::vector<CoverageRow>> CoverageFrom(Connection& conn, const std::string& platform,
                                              const std::string& instance,
                                              const std::string& account, const std::string& part,
                                              Timestamp start, int limit) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("SELECT id, window_start, window_end, job_id, requested_at FROM "
                   "contrib_coverage WHERE platform = ? AND instance = ? AND account = ? AND "
                   "part = ? AND window_start <= ? ORDER BY requested_at DESC, id DESC LIMIT ?",
                   {platform, instance, account, part, FormatForgeTime(start),
                    static_cast<std::int64_t>(limit)}));
    std::vector<CoverageRow> out;
    out.reserve(res.rows.size());
    for (size_t i = 0; i < res.rows.size(); ++i) {
        CoverageRow row;
        row.id = res.Int(i, 0);
        row.platform = platform;
        row.instance = instance;
        row.account = account;
        row.part = part;
        FORGEDB_ASSIGN_OR_RETURN(row.window_start, ParseStored(res.Text(i, 1), "window_start"));
        FORGEDB_ASSIGN_OR_RETURN(row.window_end, ParseStored(res.Text(i, 2), "window_end"));
        row.job_id = res.Int(i, 3);
        FORGEDB_ASSIGN_OR_RETURN(row.requested_at, ParseStored(res.Text(i, 4), "requested_at"));
        out.push_back(std::move(row));
    }
    return out;
}

Status InsertCoverage(Connection& conn, const CoverageRow& row) {
    FORGEDB_TRY(conn.Query(
        "INSERT INTO contrib_coverage (platform, instance, account, part, window_start, "
        "window_end, job_id, requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        {row.platform, row.instance, row.account, row.part, FormatForgeTime(row.window_start),
         FormatForgeTime(row.window_end), row.job_id, FormatLocalTime(row.requested_at)}));
    return Ok();
}

Status InsertUploadChunk(Connection& conn, const std::string& upload_hash,
                         const UploadChunkRow& row) {
    model::Value replace = model::Null{};
    if (row.replace_hash) replace = *row.replace_hash;
    FORGEDB_TRY(conn.Query(
        "INSERT INTO contrib_upload_chunk (upload_hash, chunk, replace_hash, data, received_at) "
        "VALUES (?, ?, ?, ?, ?)",
        {upload_hash, static_cast<std::int64_t>(row.chunk), replace, HexEncode(row.data),
         FormatLocalTime(row.received_at)}));
    return Ok();
}

Result<std::vector<UploadChunkRow>> LoadUploadChunks(Connection& conn,
                                                     const std::string& upload_hash) {
    FORGEDB_ASSIGN_OR_RETURN(auto res,
                             conn.Query("SELECT chunk, replace_hash, data, received_at FROM "
                                        "contrib_upload_chunk WHERE upload_hash = ? ORDER BY chunk",
                                        {upload_hash}));
    std::vector<UploadChunkRow> out;
    out.reserve(res.rows.size());
    for (size_t i = 0; i < res.rows.size(); ++i) {
        UploadChunkRow row;
        row.chunk = static_cast<int>(res.Int(i, 0));
        row.replace_hash = res.At(i, 1);
        FORGEDB_ASSIGN_OR_RETURN(row.data, FromHex(res.Text(i, 2)));
        FORGEDB_ASSIGN_OR_RETURN(row.received_at, ParseStored(res.Text(i, 3), "received_at"));
        out.push_back(std::move(row));
    }
    return out;
}

Status DeleteUpload(Connection& conn, const std::string& upload_hash) {
    FORGEDB_TRY(
        conn.Query("DELETE FROM contrib_upload_chunk WHERE upload_hash = ?", {upload_hash}));
    return Ok();
}

Status DeleteUploadsBefore(Connection& conn, Timestamp cutoff) {
    FORGEDB_TRY(conn.Query("DELETE FROM contrib_upload_chunk WHERE received_at < ?",
                           {FormatLocalTime(cutoff)}));
    return Ok();
}

}  // namespace forgedb::store
