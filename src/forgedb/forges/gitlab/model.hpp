#pragma once
// The replicated GitLab tables (docs/schema.md, forges/gitlab/schema/<dialect>/0010_gitlab.sql).
// Every row is keyed by the instance name given with --gitlab NAME=URL first. Merge requests,
// issues, notes and milestones carry GitLab's own updated_at, which refuses older copies; users,
// projects and labels, which GitLab sends without one, carry seen_at: the time of the payload
// that carried them (see Context::as_of).

#include "forgedb/model/value.hpp"

namespace forgedb::gitlab {

inline const model::Table kUser{"gitlab_user", {"instance", "id"}, "seen_at"};
inline const model::Table kProject{"gitlab_project", {"instance", "id"}, "seen_at"};
inline const model::Table kMergeRequest{"gitlab_merge_request", {"instance", "id"}, "updated_at"};
inline const model::Table kIssue{"gitlab_issue", {"instance", "id"}, "updated_at"};
inline const model::Table kNote{"gitlab_note", {"instance", "id"}, "updated_at"};
inline const model::Table kCommit{"gitlab_commit", {"instance", "project_id", "sha"}, ""};
inline const model::Table kLabel{"gitlab_label", {"instance", "id"}, "seen_at"};
inline const model::Table kMilestone{"gitlab_milestone", {"instance", "id"}, "updated_at"};

}  // namespace forgedb::gitlab
