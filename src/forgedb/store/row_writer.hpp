#pragma once
// Generic writes of model::Row values into replicated tables. Thread-compatible: call with a
// Connection owned by the calling thread.

#include "forgedb/core/result.hpp"
#include "forgedb/model/value.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

enum class UpsertOutcome {
    kApplied,  // inserted, or updated
    kStale,    // the stored row has a newer version (table.version_column); nothing changed
};

// Inserts the row or updates the columns it carries. When the table has a version column and the
// row carries it, an existing row with a greater version is left untouched (kStale); an equal or
// newer version applies. Pass the row with std::move to spare copying its values.
// REQUIRES: row carries every key column.
Result<UpsertOutcome> Upsert(Connection& conn, const model::Table& table, model::Row row);

// Sets `set` columns on the row identified by the key columns of `key`. Returns rows changed.
Result<long long> Update(Connection& conn, const model::Table& table, const model::Row& key,
                         const model::Row& set);

}  // namespace forgedb::store
