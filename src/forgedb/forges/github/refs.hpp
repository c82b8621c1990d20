#pragma once
// Releases, branches and tags: the `release`, `create` and `delete` events and the items of the
// releases, tags and branches lists. Their ordering rules (docs/schema.md) differ from the
// updated_at check of the other objects: GitHub sends no updated_at with most releases and no
// time at all with refs, so the receive or fetch time of the Context orders them.

#include <cstdint>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/forges/github/context.hpp"
#include "forgedb/forges/github/events.hpp"

namespace forgedb::process::github {

// What a release write claims about the release.
enum class ReleaseAction {
    kCreated,  // webhook `created`: the release's first state; never overwrites a stored row
    kChanged,  // published, edited, prereleased, released, unpublished, or an API item
    kDeleted,  // webhook `deleted`: the row is written (unless stale) and tombstoned
};

// A release object (webhook `release`, or an item of GET /repos/{o}/{r}/releases) of the
// repository `repo_id`. Its author is stored in github_user when the release applies.
Result<Processed> ProcessRelease(Json release, std::int64_t repo_id, ReleaseAction action,
                                 const Context& ctx);

// An item of GET /repos/{o}/{r}/branches ({name, commit{sha}, protected}) or
// GET /repos/{o}/{r}/tags ({name, commit{sha}, ...}). Processed::id is 0: refs have no id.
Result<Processed> ProcessBranch(Json branch, std::int64_t repo_id, const Context& ctx);
Result<Processed> ProcessTag(Json tag, std::int64_t repo_id, const Context& ctx);

// The event handlers (routed by events.cpp). `create` and `delete` replicate ref_type "branch"
// and "tag" and ignore others (the old "repository"); a `ref` or `ref_type` that is missing or
// not a string fails the delivery with kMissingData.
Result<EventResult> ReleaseEvent(Json payload, const Context& ctx);
Result<EventResult> CreateRefEvent(Json payload, const Context& ctx);
Result<EventResult> DeleteRefEvent(Json payload, const Context& ctx);

}  // namespace forgedb::process::github
