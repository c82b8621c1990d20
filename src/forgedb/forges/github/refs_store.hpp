#pragma once
// Writes of github_release and github_ref, whose ordering is not the plain updated_at check of
// store::Upsert (rules in docs/schema.md), and the sweep of a branches or tags scan.
// Thread-compatible: call with a Connection owned by the calling thread.

#include <cstdint>
#include <string>
#include <string_view>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/model/value.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::store::github {

enum class ReleaseWrite {
    // `created`: the first state of a release. Inserts the row when it is absent and never
    // changes a stored one, which describes the release at creation or later.
    kInsertOnly,
    // Any other state: applied unless the stored row is newer (see UpsertRelease).
    kUpdate,
};

// Writes a github_release row (REQUIRES: it carries `id`). With kUpdate an existing row is
// changed only when all of these hold, else the outcome is kStale and nothing changes:
//   - it has no tombstone, or `may_revive` (API rows) and the tombstone is older than `at`;
//   - its updated_at is not newer than the row's (either NULL: no check);
//   - its published_at is not newer than the row's (either NULL: no check);
//   - its last_replicated_at is not newer than `at`.
Result<UpsertOutcome> UpsertRelease(Connection& conn, model::Row row, ReleaseWrite mode,
                                    bool may_revive, Timestamp at);

// Tombstones release `id` at `at` and sets `stamp_column` to `at` unless it is later already.
// A release that has a tombstone keeps it: returns kStale and changes nothing.
Result<UpsertOutcome> TombstoneRelease(Connection& conn, std::int64_t id,
                                       std::string_view stamp_column, Timestamp at);

// Writes a live github_ref row seen at `at` (REQUIRES: it carries repo_id, ref_type, name and
// deleted_at = NULL). An existing row changes only when its tombstone (if any) is older than
// `at` and its last_replicated_at is not newer than `at`; otherwise kStale.
Result<UpsertOutcome> UpsertRef(Connection& conn, model::Row row, Timestamp at);

// Tombstones the ref at `at` (inserting a tombstoned row when none is stored, so that an older
// create arriving later cannot revive it). A row whose last_replicated_at is newer than `at` is
// left alone (kStale); a repeated delete keeps the first deleted_at and moves the stamp only.
Result<UpsertOutcome> TombstoneRef(Connection& conn, std::int64_t repo_id,
                                   std::string_view ref_type, const std::string& name,
                                   std::string_view stamp_column, Timestamp at);

// The sweep after a full branches or tags scan: tombstones (at `now`) the live refs of
// `ref_type` in the repository that neither the API nor a webhook has written since
// `scan_started`. Returns the number of rows tombstoned.
Result<long long> SweepUnseenRefs(Connection& conn, std::int64_t repo_id, std::string_view ref_type,
                                  Timestamp scan_started, Timestamp now);

}  // namespace forgedb::store::github
