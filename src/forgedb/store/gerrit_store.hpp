#pragma once
// Gerrit reads that are not plain row upserts. Thread-compatible: one Connection per thread.

#include <cstdint>
#include <optional>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store::gerrit {

// The stored `updated_at` of a change, if the change is mirrored and has one.
Result<std::optional<Timestamp>> ChangeUpdatedAt(Connection& conn, const std::string& instance,
                                                 std::int64_t number);

}  // namespace forgedb::store::gerrit
