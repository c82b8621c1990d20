#pragma once
// Gerrit process functions: a JSON object in, rows of gerrit_change, gerrit_revision and
// gerrit_account out, for one configured instance. Two shapes come in:
//   * REST ChangeInfo (GET /changes/): complete for the fields it always carries, so an absent
//     optional field (topic, submitted, work_in_progress) clears or resets its column; fields
//     that depend on query options (revisions, account details) are written only when present.
//     `updated` is the version: an older ChangeInfo than the stored one is stale and writes
//     nothing.
//   * the `change` (and `patchSet`) objects of stream events and webhooks: partial, absent keys
//     leave their columns untouched. Events carry no change `updated`; an event older than the
//     stored `updated_at` (by lastUpdated when present, else eventCreatedOn) is stale.
// Gerrit times ("YYYY-MM-DD hh:mm:ss.nnnnnnnnn" UTC in REST, epoch seconds in events) are stored
// at second precision. Process functions never do HTTP and never read a clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forges/gerrit/model.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::process::gerrit {

struct Context {
    store::Connection& conn;
    std::string instance;  // the configured instance name: first key column of every table
    model::Via via;
    Timestamp fetched_at;
    // Optional: accounts already written in this transaction (a page of changes by one owner
    // writes the owner once). The caller owns it; may be null.
    std::unordered_set<std::string>* written = nullptr;
};

struct Processed {
    std::int64_t number = 0;
    bool stale = false;  // the stored row was newer; nothing was written
};

// A REST ChangeInfo, with its owner and the revisions it lists (and their uploaders).
Result<Processed> ProcessChange(Json change, const Context& ctx);

// A REST AccountInfo (any detail level); returns its _account_id. Only the fields present are
// written, so a bare {"_account_id": N} keeps a name stored earlier.
Result<std::int64_t> ProcessAccount(Json account, const Context& ctx);

// An event that names a change (patchset-created, change-merged, comment-added, ...): its
// `change` object and, when present, its `patchSet`. `type` is the event's "type".
// "patchset-created" also moves the change's current revision; "change-deleted" tombstones the
// change; "wip-state-changed" without "wip" means the change left work in progress.
Result<Processed> ProcessChangeEvent(std::string_view type, Json event, const Context& ctx);

// The change number of an event's `change` object: "number" as an integer or a numeric string.
std::optional<std::int64_t> EventChangeNumber(Json event);

// The change named by a patch-set or NoteDb ref: "refs/changes/34/1234/5" or
// "refs/changes/34/1234/meta" -> 1234; nullopt for any other ref.
std::optional<std::int64_t> ChangeNumberOfRef(std::string_view ref);

}  // namespace forgedb::process::gerrit
