#include "forgedb/store/crawl_store.hpp"

namespace forgedb::store {

Result<std::optional<Timestamp>> GetWatermark(Connection& conn, const std::string& source,
                                              const std::string& scope) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT watermark FROM crawl_watermark WHERE source = ? AND scope = ?",
                             {source, scope}));
    if (res.empty()) return std::optional<Timestamp>{};
    auto t = ParseTimestamp(res.Text(0, 0));
    if (!t) return Unexpected(ErrorCode::kDatabase, "bad watermark '" + res.Text(0, 0) + "'");
    return std::optional<Timestamp>{*t};
}

Status RaiseWatermark(Connection& conn, const std::string& source, const std::string& scope,
                      Timestamp watermark, Timestamp now) {
    FORGEDB_ASSIGN_OR_RETURN(auto current, GetWatermark(conn, source, scope));
    if (current && *current >= watermark) return Ok();
    FORGEDB_TRY(conn.Query(
        "INSERT INTO crawl_watermark (source, scope, watermark, updated_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (source, scope) DO UPDATE SET watermark = excluded.watermark, "
        "updated_at = excluded.updated_at",
        {source, scope, FormatForgeTime(watermark), FormatLocalTime(now)}));
    return Ok();
}

}  // namespace forgedb::store
