#pragma once
// The replicated GitHub tables, as the store and the process layer see them. The columns are
// documented in docs/schema.md and created by schema/<dialect>/*.sql.

#include "forgedb/model/value.hpp"

namespace forgedb::model::github {

inline const Table kUser{"github_user", {"id"}, "updated_at"};
inline const Table kRepository{"github_repository", {"id"}, "updated_at"};
inline const Table kUserRepositoryAssociation{
    "github_user_repository_association", {"user_id", "repo_id"}, ""};
inline const Table kRepositoryHook{"github_repository_hook", {"id"}, "updated_at"};
inline const Table kMilestone{"github_milestone", {"id"}, "updated_at"};
inline const Table kPullRequest{"github_pull_request", {"id"}, "updated_at"};
inline const Table kPullRequestFile{
    "github_pull_request_file", {"pull_request_id", "filename"}, ""};
inline const Table kIssue{"github_issue", {"id"}, "updated_at"};
inline const Table kIssueLabel{"github_issue_label", {"id"}, ""};
inline const Table kIssueComment{"github_issue_comment", {"id"}, "updated_at"};
inline const Table kPullRequestReview{"github_pull_request_review", {"id"}, ""};
inline const Table kPullRequestReviewComment{
    "github_pull_request_review_comment", {"id"}, "updated_at"};

// Releases: GitHub sends updated_at in some payloads only; the other ordering rules are applied
// by store::github::UpsertRelease (docs/schema.md).
inline const Table kRelease{"github_release", {"id"}, "updated_at"};
// Branches and tags, keyed by name under their repository; ordered by replication time
// (store::github::UpsertRef).
inline const Table kRef{"github_ref", {"repo_id", "ref_type", "name"}, ""};

// Commits never change: no version column. Keyed by SHA.
inline const Table kCommit{"github_commit", {"sha"}, ""};

using model::StampColumn;
using model::Via;

}  // namespace forgedb::model::github
