#pragma once
// Phabricator process functions: one item of a modern Conduit *.search result in, one row out
// (phabricator_user, phabricator_task, phabricator_revision, keyed by the instance). Epoch-second
// dates become stored forge times; keys absent from the item leave their columns untouched; an
// item whose dateModified is older than the stored row's is refused as stale and changes nothing.
// PHP encodes an empty object as [], so `fields` or `attachments` may arrive as an empty list.
// No HTTP and no clock: the caller passes when the data was fetched. Thread-compatible.
//
// kObjectTypes is the one list of the object types forgedb reads: each PHID type with its Conduit
// method, its table and its process function. The Herald follow-up, the crawls and the process
// functions all take them from there.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forges/phabricator/model.hpp"
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

// A Phabricator object type that forgedb reads: the type a PHID names ("PHID-TASK-..." is a TASK,
// and Herald's object.type says TASK too), the Conduit *.search method that reads objects of it,
// and, for a mirrored type, the table its items go to and the function that writes one.
struct ObjectType {
    std::string_view phid_type;      // "TASK"
    std::string_view noun;           // "task", in messages
    std::string_view search_method;  // "maniphest.search"
    std::string_view attachment;     // asked for as attachments[<name>]=1; "" for none
    const model::Table* table;       // nullptr: not mirrored (only looked up)
    Result<Processed> (*process)(Json item, const Context& ctx);  // nullptr when not mirrored

    bool mirrored() const { return table != nullptr; }
};

inline constexpr ObjectType kUserType{.phid_type = "USER",
                                      .noun = "user",
                                      .search_method = "user.search",
                                      .attachment = "",
                                      .table = &model::phabricator::kUser,
                                      .process = &ProcessUser};
inline constexpr ObjectType kTaskType{.phid_type = "TASK",
                                      .noun = "task",
                                      .search_method = "maniphest.search",
                                      .attachment = "projects",
                                      .table = &model::phabricator::kTask,
                                      .process = &ProcessTask};
inline constexpr ObjectType kRevisionType{.phid_type = "DREV",
                                          .noun = "revision",
                                          .search_method = "differential.revision.search",
                                          .attachment = "",
                                          .table = &model::phabricator::kRevision,
                                          .process = &ProcessRevision};
// Projects are only looked up, by slug (a tasks crawl by project); they are not mirrored.
inline constexpr ObjectType kProjectType{.phid_type = "PROJ",
                                         .noun = "project",
                                         .search_method = "project.search",
                                         .attachment = "",
                                         .table = nullptr,
                                         .process = nullptr};

// Every object type forgedb knows; the Herald follow-up refreshes the mirrored ones and ignores
// the others.
inline constexpr const ObjectType* kObjectTypes[] = {&kUserType, &kTaskType, &kRevisionType,
                                                     &kProjectType};

// The entry of kObjectTypes for a PHID type ("TASK"); nullptr for a type forgedb does not read.
const ObjectType* FindObjectType(std::string_view phid_type);

// The type of a PHID: "TASK" of "PHID-TASK-abc"; nullopt when `phid` is not "PHID-" followed by
// a type and another '-'.
std::optional<std::string_view> PhidType(std::string_view phid);

}  // namespace forgedb::process::phabricator
