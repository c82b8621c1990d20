#pragma once
// A logged GitLab webhook delivery to rows. Dispatch is on the X-Gitlab-Event header (logged as
// the delivery's event), since payloads do not all carry object_kind:
//   Merge Request Hook            the merge request, its project, author, assignees, reviewers
//                                 and labels
//   Issue Hook, Confidential Issue Hook    the issue, likewise
//   Note Hook, Confidential Note Hook      the note, and the merge request or issue it is on
//   Push Hook, Tag Push Hook      the project and the pushed commits
//   Member Hook                   the user
//   Release Hook                  the project
//   System Hook                   by event_name (push, tag_push, project_*, user_*), else by
//                                 object_kind (merge_request)
// Anything else is "ignored". Returns the outcome: processed, stale (the delivery's main object is
// older than the stored one: nothing of it was written) or ignored; a payload of the wrong shape
// is kInvalid / kMissingData.

#include <string>
#include <string_view>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/forges/gitlab/objects.hpp"

namespace forgedb::gitlab {

Result<std::string> ProcessHook(const Context& ctx, std::string_view event, Json payload);

}  // namespace forgedb::gitlab
