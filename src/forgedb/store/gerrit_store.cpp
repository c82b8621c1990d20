#include "forgedb/store/gerrit_store.hpp"

namespace forgedb::store::gerrit {

Result<std::optional<Timestamp>> ChangeUpdatedAt(Connection& conn, const std::string& instance,
                                                 std::int64_t number) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res,
        conn.Query("SELECT updated_at FROM gerrit_change WHERE instance = ? AND number = ?",
                   {instance, number}));
    if (res.empty() || !res.At(0, 0)) return std::optional<Timestamp>{};
    auto t = ParseTimestamp(*res.At(0, 0));
    if (!t) {
        return Unexpected(ErrorCode::kDatabase,
                          "bad gerrit_change.updated_at '" + *res.At(0, 0) + "'");
    }
    return std::optional<Timestamp>{*t};
}

}  // namespace forgedb::store::gerrit
