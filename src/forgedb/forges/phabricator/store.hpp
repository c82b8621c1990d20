#pragma once
// Phabricator reads that are not plain row upserts: username -> PHID of the mirrored users.
// Thread-compatible: call with a Connection owned by the calling thread.

#include <optional>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store::phabricator {

// The PHID of the live user `username` of `instance`, compared case-insensitively (Phabricator
// usernames are), if mirrored.
Result<std::optional<std::string>> FindUserPhid(Connection& conn, const std::string& instance,
                                                const std::string& username);

}  // namespace forgedb::store::phabricator
