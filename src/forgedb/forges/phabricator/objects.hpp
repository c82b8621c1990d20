#pragma once
// Phabricator process functions: one item of a modern Conduit *.search result in, one row out
// (phabricator_user, phabricator_task, phabricator_revision, keyed by the instance). Epoch-second
// dates become stored forge times; keys absent from the item leave their columns untouched; an
// item whose dateModified is older than the stored row's is refused as stale and changes nothing.
// PHP encodes an empty object as [], so `fields` or `attachments` may arrive as an empty list.
// No HTTP and no clock: the caller passes when the data was fetched. Thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/model/value.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::process::phabricator {

struct Context {
    store::Connection& conn;
    std::string instance;  // the configured instance name
    model::Via via = model::Via::kApi;
    Timestamp fetched_at;
};

// The result of processing one item.
struct Processed {
    std::int64_t id = 0;
    std::string phid;
    std::optional<Timestamp> modified;  // fields.dateModified, when present
    bool stale = false;                 // the stored row was newer; nothing was written
};

// The parts of a *.search `result` that paging needs: the items and the cursor.
struct SearchResult {
    std::vector<Json> data;
    std::optional<std::string> after;  // result.cursor.after, verbatim; nullopt when null
};

// Reads result.data[] and result.cursor.after of a Conduit envelope (or of its `result`).
// kInvalid when data is not a list or `after` is neither a string, an integer nor null.
Result<SearchResult> ReadSearchResult(Json envelope);

// user.search item: phid, id, username, realName, roles, dateCreated, dateModified.
Result<Processed> ProcessUser(Json item, const Context& ctx);
// maniphest.search item: id, phid, name, status, priority, subtype, author/owner/closer PHIDs,
// dates, and the project PHIDs of attachments.projects (when attached).
Result<Processed> ProcessTask(Json item, const Context& ctx);
// differential.revision.search item: id, phid, title, status, author, repository, diff, dates.
Result<Processed> ProcessRevision(Json item, const Context& ctx);

}  // namespace forgedb::process::phabricator
