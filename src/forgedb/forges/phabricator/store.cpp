#include "forgedb/forges/phabricator/store.hpp"

namespace forgedb::store::phabricator {

Result<std::optional<std::string>> FindUserPhid(Connection& conn, const std::string& instance,
                                                const std::string& username) {
    FORGEDB_ASSIGN_OR_RETURN(
        auto res, conn.Query("SELECT phid FROM phabricator_user WHERE instance = ? AND "
                             "LOWER(username) = LOWER(?) AND deleted_at IS NULL ORDER BY phid",
                             {instance, username}));
    if (res.empty()) return std::optional<std::string>{};
    return std::optional<std::string>{res.Text(0, 0)};
}

}  // namespace forgedb::store::phabricator
