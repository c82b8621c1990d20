#pragma once
// One process function per GitHub resource: a JSON object in, rows out. Keys absent from a partial
// object leave their columns untouched; a key present with null clears its column. An object
// whose updated_at is older than the stored row's is refused as stale and changes nothing; nested
// objects (a pull request's user, head and base repositories, ...) are handed to their own
// process function.

#include <cstdint>
#include <optional>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/process/github/context.hpp"

namespace forgedb::process::github {

Result<Processed> ProcessUser(Json user, const Context& ctx);
Result<Processed> ProcessRepository(Json repo, const Context& ctx);
Result<Processed> ProcessLabel(Json label, std::int64_t repo_id, const Context& ctx);
Result<Processed> ProcessMilestone(Json milestone, std::int64_t repo_id, const Context& ctx);
// repo_id: the issue's repository when the caller knows it (webhooks, repository crawls).
Result<Processed> ProcessIssue(Json issue, std::optional<std::int64_t> repo_id,
                               const Context& ctx);
Result<Processed> ProcessPullRequest(Json pull_request, const Context& ctx);
Result<Processed> ProcessPullRequestFile(Json file, std::int64_t pull_request_id,
                                         const Context& ctx);
Result<Processed> ProcessIssueComment(Json comment, std::int64_t issue_id,
                                      std::optional<std::int64_t> issue_number,
                                      std::optional<std::int64_t> repo_id, const Context& ctx);
Result<Processed> ProcessPullRequestReview(Json review, std::int64_t pull_request_id,
                                           std::optional<std::int64_t> repo_id,
                                           const Context& ctx);
Result<Processed> ProcessPullRequestReviewComment(Json comment, std::int64_t pull_request_id,
                                                  std::optional<std::int64_t> repo_id,
                                                  const Context& ctx);
Result<Processed> ProcessRepositoryHook(Json hook, std::int64_t repo_id, const Context& ctx);
// A membership of `user` in `repo`: permissions from a `permissions` object and/or a named
// permission ("admin", "write", ...).
Result<Processed> ProcessCollaborator(std::int64_t user_id, std::int64_t repo_id,
                                      std::optional<Json> permissions,
                                      std::optional<std::string> permission, const Context& ctx);

// Sets the tombstone of the row whose primary key is `id` in `table` (single-column keys).
Status MarkDeleted(const model::Table& table, std::int64_t id, const Context& ctx);

}  // namespace forgedb::process::github
