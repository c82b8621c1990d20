#pragma once
// GitLab objects to rows. Each function takes one object as GitLab sends it, in a webhook
// (object_attributes, with ids for its people) or in a REST answer (with nested people), writes
// its row and the rows of the people and project it carries, and returns whether the row was
// written or refused as stale (an older updated_at than the stored one). A value of the wrong type
// is kInvalid naming its key; a missing id is kMissingData. Runs in the caller's transaction; no
// HTTP, no clock.

#include <cstdint>
#include <string>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/model/value.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::gitlab {

struct Context {
    store::Connection& conn;
    std::string instance;
    model::Via via;
    Timestamp fetched_at;  // when the delivery was received or the answer fetched
    // The time the payload describes its users, projects and labels as: the updated_at of a
    // hook's main object (ProcessHook sets it), else the receive or fetch time. Stored as their
    // seen_at, it orders copies that carry no version of their own.
    Timestamp as_of;
};

enum class Written { kApplied, kStale };

// A user as GitLab nests it ({id, username, name, state, avatar_url, web_url}).
Result<Written> ProcessUser(const Context& ctx, Json user);
// A project ({id, path_with_namespace, ...}; webhooks also send visibility_level as a number).
Result<Written> ProcessProject(const Context& ctx, Json project);
// A merge request. `project_id` is used when the object has no target_project_id / project_id.
Result<Written> ProcessMergeRequest(const Context& ctx, Json mr);
Result<Written> ProcessIssue(const Context& ctx, Json issue);
// A note; `project_id` names its project (webhook notes carry it beside the note), and
// `noteable` is the merge request or issue the note is on, when the payload carries it (its iid).
Result<Written> ProcessNote(const Context& ctx, Json note, std::optional<std::int64_t> project_id,
                            std::optional<Json> noteable);
// A commit of a push event ({id, message, title, timestamp, url, author{name,email}}) or of the
// REST commits list ({id, title, message, author_name, authored_date, committed_date, web_url}).
Result<Written> ProcessCommit(const Context& ctx, Json commit, std::int64_t project_id);
Result<Written> ProcessLabel(const Context& ctx, Json label);
Result<Written> ProcessMilestone(const Context& ctx, Json milestone);

}  // namespace forgedb::gitlab
