#pragma once
// One process function per GitHub resource: a JSON object in, rows out. Keys absent from a partial
// object leave their columns untouched; a key present with null clears its column. An object
// whose updated_at is older than the stored row's is refused as stale and changes nothing; nested
// objects (a pull request's user, head and base repositories, ...) are handed to their own
// process function.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "forgedb/core/json.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/forges/github/context.hpp"

namespace forgedb::process::github {

Result<Processed> ProcessUser(Json user, const Context& ctx);
Result<Processed> ProcessRepository(Json repo, const Context& ctx);
// The repository and sender every repository event carries, stored before the event's object
// so that later rows can refer to them (a stale copy is harmless); the repository's id, if any.
Result<std::optional<std::int64_t>> ProcessEnvelope(Json payload, const Context& ctx);

// Labels carry no version. How a copy of a label is written:
enum class LabelCopy {
    kCurrent,   // the label as it is now (the API, an `edited` label event): overwrites
    kIfAbsent,  // a copy that may be older than what is stored (a `created` event, the labels
                // embedded in an issue or pull request delivery): inserted only if absent
};
Result<Processed> ProcessLabel(Json label, std::int64_t repo_id, const Context& ctx,
                               LabelCopy copy = LabelCopy::kCurrent);
Result<Processed> ProcessMilestone(Json milestone, std::int64_t repo_id, const Context& ctx);
// repo_id: the issue's repository when the caller knows it (webhooks, repository crawls).
Result<Processed> ProcessIssue(Json issue, std::optional<std::int64_t> repo_id, const Context& ctx);
Result<Processed> ProcessPullRequest(Json pull_request, const Context& ctx);
Result<Processed> ProcessPullRequestFile(Json file, std::int64_t pull_request_id,
                                         const Context& ctx);
Result<Processed> ProcessIssueComment(Json comment, std::int64_t issue_id,
                                      std::optional<std::int64_t> issue_number,
                                      std::optional<std::int64_t> repo_id, const Context& ctx);
Result<Processed> ProcessPullRequestReview(Json review, std::int64_t pull_request_id,
                                           std::optional<std::int64_t> repo_id, const Context& ctx);
Result<Processed> ProcessPullRequestReviewComment(Json comment, std::int64_t pull_request_id,
                                                  std::optional<std::int64_t> repo_id,
                                                  const Context& ctx);
Result<Processed> ProcessRepositoryHook(Json hook, std::int64_t repo_id, const Context& ctx);
// A membership of `user` in `repo`: permissions from a `permissions` object and/or a named
// permission ("admin", "write", ...).
Result<Processed> ProcessCollaborator(std::int64_t user_id, std::int64_t repo_id,
                                      std::optional<Json> permissions,
                                      std::optional<std::string> permission, const Context& ctx);

// Commits (github_commit, keyed by SHA; the Processed id is 0). The Change-Id is the value of the
// message's last "Change-Id: I..." trailer line.
//   ProcessApiCommit: an item of GET /repos/{o}/{r}/commits (sha, commit{message, author,
//     committer}, author{login, id}, committer{login}, html_url) of the repository named.
//   ProcessPushCommit: an entry of a push event's `commits` (id, message, timestamp, url,
//     author{name, email, username}, committer{...}). Its timestamp is also taken as the commit
//     time, unless the row already has one from the API.
Result<Processed> ProcessApiCommit(Json commit, std::optional<std::int64_t> repo_id,
                                   const std::string& repo_full_name, const Context& ctx);
Result<Processed> ProcessPushCommit(Json commit, std::optional<std::int64_t> repo_id,
                                    const std::string& repo_full_name, const Context& ctx);
// The value of the last "Change-Id: I<hex>" line of a commit message; "" when there is none.
std::string ChangeIdOf(std::string_view message);

// Sets the tombstone of the row whose primary key is `id` in `table` (single-column keys).
Status MarkDeleted(const model::Table& table, std::int64_t id, const Context& ctx);

}  // namespace forgedb::process::github
