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

// Inserts the row unless one with its key exists; an existing row is left as it is (kStale). For
// objects without a version, whose "created" may arrive after a later edit.
Result<UpsertOutcome> InsertIfAbsent(Connection& conn, const model::Table& table, model::Row row);

// Upsert whose update applies only where `guard` holds: an SQL condition over the stored row
// (`<table>.<column>`) and the incoming one (`excluded.<column>`). For the store's own rules
// (e.g. review states that only move forward); kStale when the guard refused the update.
Result<UpsertOutcome> GuardedUpsert(Connection& conn, const model::Table& table, model::Row row,
                                    std::string_view guard);

// Sets `set` columns on the row identified by the key columns of `key`; a cell with
// Merge::kFillNull is set only where the stored value is NULL (a tombstone's deleted_at keeps the
// first deletion). Returns rows changed.
Result<long long> Update(Connection& conn, const model::Table& table, const model::Row& key,
                         const model::Row& set);

}  // namespace forgedb::store
