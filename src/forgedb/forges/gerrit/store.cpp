#include "forgedb/forges/gerrit/store.hpp"

namespace forgedb::store::gerrit {

Result<ChangeVersions> LoadChangeVersions(Connection& conn, const std::string& instance,
                                          std::int64_t number) {
    FORGEDB_ASSIGN_OR_RETURN(auto res, conn.Query("SELECT updated_at, last_event_at FROM "
                                                  "gerrit_change WHERE instance = ? AND number = ?",
                                                  {instance, number}));
    ChangeVersions out;
    if (res.empty()) return out;
    for (auto [column, slot] : {std::pair{0, &out.updated_at}, {1, &out.last_event_at}}) {
        const auto& text = res.At(0, static_cast<size_t>(column));
        if (!text) continue;
        *slot = ParseTimestamp(*text);
        if (!*slot) {
            return Unexpected(ErrorCode::kDatabase, "bad gerrit_change time '" + *text + "'");
        }
    }
    return out;
}

Result<std::optional<std::string>> ChangeProject(Connection& conn, const std::string& instance,
                                                 std::int64_t number) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT project FROM gerrit_change WHERE instance = ? AND number = ?",
                             {instance, number}));
    if (res.empty() || !res.At(0, 0)) return std::optional<std::string>{};
    return std::optional<std::string>{*res.At(0, 0)};
}

}  // namespace forgedb::store::gerrit
