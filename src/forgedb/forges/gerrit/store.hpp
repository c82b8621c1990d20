#pragma once
// Gerrit reads that are not plain row upserts. Thread-compatible: one Connection per thread.

#include <cstdint>
#include <optional>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store::gerrit {

// The versions of a stored change: its `updated_at` and the time of the newest event applied to
// it (`last_event_at`), each when known.
struct ChangeVersions {
    std::optional<Timestamp> updated_at;
    std::optional<Timestamp> last_event_at;
};
Result<ChangeVersions> LoadChangeVersions(Connection& conn, const std::string& instance,
                                          std::int64_t number);

// The stored project of a change; nullopt when the change is not mirrored.
Result<std::optional<std::string>> ChangeProject(Connection& conn, const std::string& instance,
                                                 std::int64_t number);

}  // namespace forgedb::store::gerrit
