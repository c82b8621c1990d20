#include "forgedb/forges/github/objects.hpp"

#include <cctype>
#include <span>
#include <string>
#include <vector>

#include "forgedb/forge/fields.hpp"
#include "forgedb/forges/github/store.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::process::github {

using forge::CopyFields;
using forge::Field;
using forge::Kind;
namespace {

namespace gh = model::github;
using model::Merge;
using model::Null;
using model::Row;
using model::Value;

Result<std::int64_t> RequireId(Json obj, std::string_view what, std::string_view key = "id") {
    if (!obj.is_object()) {
        return Unexpected(ErrorCode::kInvalid, std::string(what) + " is not a JSON object");
    }
    auto id = JsonGetInt(obj, key);
    if (!id) {
        auto v = JsonGet(obj, key);
        if (v && v->is_number()) {
            return Unexpected(ErrorCode::kInvalid,
                              std::string(what) + " '" + std::string(key) +
                                  "' is outside the 64-bit integer range: " + JsonText(*v));
        }
        return Unexpected(ErrorCode::kMissingData,
                          std::string(what) + " has no integer '" + std::string(key) + "'");
    }
    return *id;
}

// Adds the replication stamp and the raw JSON. An object without the version column (a webhook's
// short user) does not replace a fuller raw JSON stored earlier.
void Stamp(Json obj, const model::Table& table, const Context& ctx, Row& row) {
    bool full = table.version_column.empty() || row.Has(table.version_column);
    row.Set("raw", JsonText(obj), full ? Merge::kOverwrite : Merge::kFillNull);
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    // The API lists only objects that exist: a full object from it lifts an earlier tombstone
    // (for example one set by a sweep while the object was hidden).
    if (ctx.via == gh::Via::kApi && full) row.Set("deleted_at", Null{});
}

// obj[key] is a user reference: absent -> untouched; null -> prefix_id/prefix_login cleared;
// object -> set and processed as a user.
Status UserRef(Json obj, std::string_view key, std::string_view prefix, Row& row,
               std::vector<Json>& nested_users) {
    auto v = JsonGet(obj, key);
    if (!v) return Ok();
    std::string id_col = std::string(prefix) + "_id";
    std::string login_col = std::string(prefix) + "_login";
    if (v->is_null()) {
        row.Set(id_col, Null{});
        row.Set(login_col, Null{});
        return Ok();
    }
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(*v, key));
    row.Set(id_col, id);
    auto login = JsonGetString(*v, "login");
    row.Set(login_col, login ? Value{*login} : Value{Null{}});
    nested_users.push_back(*v);
    return Ok();
}

// True when this exact nested object was already written in the caller's transaction; records it
// otherwise. The key holds the object's id and its version (updated_at, or its login for the
// short users that have none; labels, which have neither, add their name, colour and description).
bool AlreadyWritten(const Context& ctx, std::string_view kind, Json obj) {
    if (ctx.written == nullptr) return false;
    auto id = JsonGetInt(obj, "id");
    if (!id) return false;
    std::string key(kind);
    key += ':';
    key += std::to_string(*id);
    key += ':';
    key += JsonGetString(obj, "updated_at").value_or("");
    key += ':';
    key += JsonGetString(obj, "login").value_or("");
    key += ':';
    key += JsonGetString(obj, "name").value_or("");
    key += ':';
    key += JsonGetString(obj, "color").value_or("");
    key += ':';
    key += JsonGetString(obj, "description").value_or("");
    return !ctx.written->insert(std::move(key)).second;
}

Status ProcessUsers(const std::vector<Json>& users, const Context& ctx) {
    for (auto u : users) FORGEDB_TRY(ProcessUser(u, ctx));
    return Ok();
}

Result<Processed> Write(const model::Table& table, std::int64_t id, Row& row, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::Upsert(ctx.conn, table, std::move(row)));
    return Processed{id, outcome == store::UpsertOutcome::kStale};
}

// Labels of an issue or pull request: each label upserted, the relation replaced.
Result<std::vector<std::int64_t>> ProcessLabels(Json labels, std::int64_t repo_id,
                                                const Context& ctx) {
    std::vector<std::int64_t> refs;
    simdjson::dom::array arr;
    if (labels.get_array().get(arr)) {
        return Unexpected(ErrorCode::kInvalid, "'labels' is not an array");
    }
    // A delivery's copy of a label may be older than the label's own events; the API's is current.
    const LabelCopy copy =
        ctx.via == gh::Via::kWebhook ? LabelCopy::kIfAbsent : LabelCopy::kCurrent;
    for (Json label : arr) {
        FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessLabel(label, repo_id, ctx, copy));
        refs.push_back(p.id);
    }
    return refs;
}

// The milestone reference of an issue or pull request.
Status MilestoneRef(Json obj, std::optional<std::int64_t> repo_id, Row& row,
                    std::optional<Json>& nested) {
    auto v = JsonGet(obj, "milestone");
    if (!v) return Ok();
    if (v->is_null()) {
        row.Set("milestone_id", Null{});
        row.Set("milestone_number", Null{});
        return Ok();
    }
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(*v, "milestone"));
    row.Set("milestone_id", id);
    auto number = JsonGetInt(*v, "number");
    row.Set("milestone_number", number ? Value{*number} : Value{Null{}});
    if (repo_id) nested = *v;
    return Ok();
}

constexpr Field kUserFields[] = {
    {"id", "id", Kind::kInt},
    {"login", "login", Kind::kText},
    {"type", "type", Kind::kText},
    {"site_admin", "site_admin", Kind::kBool},
    {"name", "name", Kind::kText},
    {"company", "company", Kind::kText},
    {"blog", "blog", Kind::kText},
    {"location", "location", Kind::kText},
    {"email", "email", Kind::kText},
    {"hireable", "hireable", Kind::kBool},
    {"bio", "bio", Kind::kText},
    {"public_repos", "public_repos_count", Kind::kInt},
    {"public_gists", "public_gists_count", Kind::kInt},
    {"followers", "followers_count", Kind::kInt},
    {"following", "following_count", Kind::kInt},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
};

constexpr Field kRepositoryFields[] = {
    {"id", "id", Kind::kInt},
    {"name", "name", Kind::kText},
    {"full_name", "full_name", Kind::kText},
    {"private", "private", Kind::kBool},
    {"fork", "fork", Kind::kBool},
    {"archived", "archived", Kind::kBool},
    {"disabled", "disabled", Kind::kBool},
    {"description", "description", Kind::kText},
    {"homepage", "homepage", Kind::kText},
    {"size", "size", Kind::kInt},
    {"stargazers_count", "stargazers_count", Kind::kInt},
    {"watchers_count", "watchers_count", Kind::kInt},
    {"forks_count", "forks_count", Kind::kInt},
    {"open_issues_count", "open_issues_count", Kind::kInt},
    {"language", "language", Kind::kText},
    {"has_issues", "has_issues", Kind::kBool},
    {"has_downloads", "has_downloads", Kind::kBool},
    {"has_wiki", "has_wiki", Kind::kBool},
    {"has_pages", "has_pages", Kind::kBool},
    {"default_branch", "default_branch", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
    {"pushed_at", "pushed_at", Kind::kTime},
};

constexpr Field kLabelFields[] = {
    {"id", "id", Kind::kInt},
    {"name", "name", Kind::kText},
    {"color", "color", Kind::kText},
    {"description", "description", Kind::kText},
    {"default", "is_default", Kind::kBool},
};

constexpr Field kMilestoneFields[] = {
    {"id", "id", Kind::kInt},
    {"number", "number", Kind::kInt},
    {"state", "state", Kind::kText},
    {"title", "title", Kind::kText},
    {"description", "description", Kind::kText},
    {"open_issues", "open_issues_count", Kind::kInt},
    {"closed_issues", "closed_issues_count", Kind::kInt},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
    {"closed_at", "closed_at", Kind::kTime},
    {"due_on", "due_at", Kind::kTime},
};

constexpr Field kIssueFields[] = {
    {"id", "id", Kind::kInt},
    {"number", "number", Kind::kInt},
    {"state", "state", Kind::kText},
    {"state_reason", "state_reason", Kind::kText},
    {"locked", "locked", Kind::kBool},
    {"title", "title", Kind::kText},
    {"body", "body", Kind::kText},
    {"comments", "comments_count", Kind::kInt},
    {"author_association", "author_association", Kind::kText},
    {"html_url", "html_url", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
    {"closed_at", "closed_at", Kind::kTime},
};

constexpr Field kPullRequestFields[] = {
    {"id", "id", Kind::kInt},
    {"number", "number", Kind::kInt},
    {"state", "state", Kind::kText},
    {"locked", "locked", Kind::kBool},
    {"draft", "draft", Kind::kBool},
    {"title", "title", Kind::kText},
    {"body", "body", Kind::kText},
    {"merged", "merged", Kind::kBool},
    {"mergeable", "mergeable", Kind::kBool},
    {"mergeable_state", "mergeable_state", Kind::kText},
    {"merge_commit_sha", "merge_commit_sha", Kind::kText},
    {"comments", "comments_count", Kind::kInt},
    {"review_comments", "review_comments_count", Kind::kInt},
    {"commits", "commits_count", Kind::kInt},
    {"additions", "additions", Kind::kInt},
    {"deletions", "deletions", Kind::kInt},
    {"changed_files", "changed_files", Kind::kInt},
    {"author_association", "author_association", Kind::kText},
    {"html_url", "html_url", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
    {"closed_at", "closed_at", Kind::kTime},
    {"merged_at", "merged_at", Kind::kTime},
};

constexpr Field kPullRequestFileFields[] = {
    {"filename", "filename", Kind::kText},  {"sha", "sha", Kind::kText},
    {"status", "status", Kind::kText},      {"additions", "additions", Kind::kInt},
    {"deletions", "deletions", Kind::kInt}, {"changes", "changes", Kind::kInt},
    {"patch", "patch", Kind::kText},        {"previous_filename", "previous_filename", Kind::kText},
};

constexpr Field kIssueCommentFields[] = {
    {"id", "id", Kind::kInt},
    {"body", "body", Kind::kText},
    {"author_association", "author_association", Kind::kText},
    {"html_url", "html_url", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
};

constexpr Field kReviewFields[] = {
    {"id", "id", Kind::kInt},
    {"body", "body", Kind::kText},
    {"state", "state", Kind::kText},
    {"commit_id", "commit_id", Kind::kText},
    {"author_association", "author_association", Kind::kText},
    {"html_url", "html_url", Kind::kText},
    {"submitted_at", "submitted_at", Kind::kTime},
};

constexpr Field kReviewCommentFields[] = {
    {"id", "id", Kind::kInt},
    {"pull_request_review_id", "review_id", Kind::kInt},
    {"in_reply_to_id", "in_reply_to_id", Kind::kInt},
    {"path", "path", Kind::kText},
    {"position", "position", Kind::kInt},
    {"original_position", "original_position", Kind::kInt},
    {"line", "line", Kind::kInt},
    {"original_line", "original_line", Kind::kInt},
    {"side", "side", Kind::kText},
    {"commit_id", "commit_id", Kind::kText},
    {"original_commit_id", "original_commit_id", Kind::kText},
    {"diff_hunk", "diff_hunk", Kind::kText},
    {"body", "body", Kind::kText},
    {"author_association", "author_association", Kind::kText},
    {"html_url", "html_url", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
};

constexpr Field kHookFields[] = {
    {"id", "id", Kind::kInt},
    {"name", "name", Kind::kText},
    {"config", "config", Kind::kJson},
    {"events", "events", Kind::kJson},
    {"active", "active", Kind::kBool},
    {"last_response", "last_response", Kind::kJson},
    {"created_at", "created_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
};

void SetOptionalId(Row& row, std::string_view column, std::optional<std::int64_t> id) {
    if (id) row.Set(column, *id);
}

}  // namespace

Result<Processed> ProcessUser(Json user, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(user, "user"));
    if (AlreadyWritten(ctx, "user", user)) return Processed{id, false};
    Row row;
    FORGEDB_TRY(CopyFields(user, kUserFields, row));
    Stamp(user, gh::kUser, ctx, row);
    return Write(gh::kUser, id, row, ctx);
}

Result<Processed> ProcessRepository(Json repo, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(repo, "repository"));
    if (AlreadyWritten(ctx, "repository", repo)) return Processed{id, false};
    Row row;
    FORGEDB_TRY(CopyFields(repo, kRepositoryFields, row));
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(repo, "owner", "owner", row, users));
    FORGEDB_TRY(UserRef(repo, "organization", "organization", row, users));
    Stamp(repo, gh::kRepository, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kRepository, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return p;
}

Result<Processed> ProcessLabel(Json label, std::int64_t repo_id, const Context& ctx,
                               LabelCopy copy) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(label, "label"));
    if (AlreadyWritten(ctx, "label", label)) return Processed{id, false};
    Row row;
    FORGEDB_TRY(CopyFields(label, kLabelFields, row));
    row.Set("repo_id", repo_id);
    Stamp(label, gh::kIssueLabel, ctx, row);
    if (copy == LabelCopy::kIfAbsent) {
        FORGEDB_ASSIGN_OR_RETURN(auto outcome,
                                 store::InsertIfAbsent(ctx.conn, gh::kIssueLabel, std::move(row)));
        return Processed{id, outcome == store::UpsertOutcome::kStale};
    }
    return Write(gh::kIssueLabel, id, row, ctx);
}

Result<Processed> ProcessMilestone(Json milestone, std::int64_t repo_id, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(milestone, "milestone"));
    if (AlreadyWritten(ctx, "milestone", milestone)) return Processed{id, false};
    Row row;
    FORGEDB_TRY(CopyFields(milestone, kMilestoneFields, row));
    row.Set("repo_id", repo_id);
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(milestone, "creator", "creator", row, users));
    Stamp(milestone, gh::kMilestone, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kMilestone, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return p;
}

Result<Processed> ProcessIssue(Json issue, std::optional<std::int64_t> repo_id,
                               const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(issue, "issue"));
    Row row;
    FORGEDB_TRY(CopyFields(issue, kIssueFields, row));
    if (auto repo = JsonGet(issue, "repository"); repo && repo->is_object()) {
        if (auto rid = JsonGetInt(*repo, "id")) repo_id = *rid;
    }
    SetOptionalId(row, "repo_id", repo_id);
    // The issues API lists pull requests too; they carry a "pull_request" member.
    if (JsonGet(issue, "title"))
        row.Set("is_pull_request", JsonGet(issue, "pull_request").has_value());
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(issue, "user", "user", row, users));
    FORGEDB_TRY(UserRef(issue, "assignee", "assignee", row, users));
    FORGEDB_TRY(UserRef(issue, "closed_by", "closed_by", row, users));
    std::optional<Json> milestone;
    FORGEDB_TRY(MilestoneRef(issue, repo_id, row, milestone));
    Stamp(issue, gh::kIssue, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kIssue, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    simdjson::dom::array assignees;
    if (auto v = JsonGet(issue, "assignees"); v && !v->get_array().get(assignees)) {
        for (Json a : assignees) FORGEDB_TRY(ProcessUser(a, ctx));
    }
    if (milestone) FORGEDB_TRY(ProcessMilestone(*milestone, *repo_id, ctx));
    if (auto labels = JsonGet(issue, "labels"); labels && repo_id) {
        FORGEDB_ASSIGN_OR_RETURN(auto refs, ProcessLabels(*labels, *repo_id, ctx));
        FORGEDB_TRY(store::github::ReplaceIssueLabels(ctx.conn, id, refs));
    }
    return p;
}

Result<Processed> ProcessPullRequest(Json pr, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(pr, "pull_request"));
    Row row;
    FORGEDB_TRY(CopyFields(pr, kPullRequestFields, row));
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(pr, "user", "user", row, users));
    FORGEDB_TRY(UserRef(pr, "assignee", "assignee", row, users));
    FORGEDB_TRY(UserRef(pr, "merged_by", "merged_by", row, users));
    std::vector<Json> repos;
    std::optional<std::int64_t> base_repo_id;
    for (std::string_view side : {"base", "head"}) {
        auto end = JsonGet(pr, side);
        if (!end || !end->is_object()) continue;
        std::string prefix(side);
        if (auto ref = JsonGetString(*end, "ref")) row.Set(prefix + "_ref", *ref);
        if (auto sha = JsonGetString(*end, "sha")) row.Set(prefix + "_sha", *sha);
        auto repo = JsonGet(*end, "repo");
        if (!repo) continue;
        if (repo->is_null()) {  // the head fork was deleted
            row.Set(prefix + "_repo_id", Null{});
            continue;
        }
        FORGEDB_ASSIGN_OR_RETURN(auto rid, RequireId(*repo, prefix + ".repo"));
        row.Set(prefix + "_repo_id", rid);
        if (side == "base") base_repo_id = rid;
        repos.push_back(*repo);
    }
    // The milestone and labels of a pull request belong to its base repository.
    std::optional<Json> milestone;
    FORGEDB_TRY(MilestoneRef(pr, base_repo_id, row, milestone));
    Stamp(pr, gh::kPullRequest, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kPullRequest, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    for (auto repo : repos) FORGEDB_TRY(ProcessRepository(repo, ctx));
    if (milestone) FORGEDB_TRY(ProcessMilestone(*milestone, *base_repo_id, ctx));
    if (auto labels = JsonGet(pr, "labels"); labels && base_repo_id) {
        FORGEDB_ASSIGN_OR_RETURN(auto refs, ProcessLabels(*labels, *base_repo_id, ctx));
        FORGEDB_TRY(store::github::ReplacePullRequestLabels(ctx.conn, id, refs));
    }
    return p;
}

Result<Processed> ProcessPullRequestFile(Json file, std::int64_t pull_request_id,
                                         const Context& ctx) {
    if (!JsonGetString(file, "filename")) {
        return Unexpected(ErrorCode::kMissingData, "pull request file has no 'filename'");
    }
    Row row;
    row.Set("pull_request_id", pull_request_id);
    FORGEDB_TRY(CopyFields(file, kPullRequestFileFields, row));
    row.Set("deleted_at", Null{});
    Stamp(file, gh::kPullRequestFile, ctx, row);
    return Write(gh::kPullRequestFile, pull_request_id, row, ctx);
}

Result<Processed> ProcessIssueComment(Json comment, std::int64_t issue_id,
                                      std::optional<std::int64_t> issue_number,
                                      std::optional<std::int64_t> repo_id, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(comment, "comment"));
    Row row;
    FORGEDB_TRY(CopyFields(comment, kIssueCommentFields, row));
    row.Set("issue_id", issue_id);
    SetOptionalId(row, "issue_number", issue_number);
    SetOptionalId(row, "repo_id", repo_id);
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(comment, "user", "user", row, users));
    Stamp(comment, gh::kIssueComment, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kIssueComment, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return p;
}

Result<Processed> ProcessPullRequestReview(Json review, std::int64_t pull_request_id,
                                           std::optional<std::int64_t> repo_id,
                                           const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(review, "review"));
    Row row;
    FORGEDB_TRY(CopyFields(review, kReviewFields, row));
    row.Set("pull_request_id", pull_request_id);
    SetOptionalId(row, "repo_id", repo_id);
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(review, "user", "user", row, users));
    Stamp(review, gh::kPullRequestReview, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::github::UpsertReview(ctx.conn, std::move(row)));
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return Processed{id, outcome == store::UpsertOutcome::kStale};
}

Result<Processed> ProcessPullRequestReviewComment(Json comment, std::int64_t pull_request_id,
                                                  std::optional<std::int64_t> repo_id,
                                                  const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(comment, "review comment"));
    Row row;
    FORGEDB_TRY(CopyFields(comment, kReviewCommentFields, row));
    row.Set("pull_request_id", pull_request_id);
    SetOptionalId(row, "repo_id", repo_id);
    std::vector<Json> users;
    FORGEDB_TRY(UserRef(comment, "user", "user", row, users));
    Stamp(comment, gh::kPullRequestReviewComment, ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto p, Write(gh::kPullRequestReviewComment, id, row, ctx));
    if (p.stale) return p;
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return p;
}

Result<Processed> ProcessRepositoryHook(Json hook, std::int64_t repo_id, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(hook, "hook"));
    Row row;
    FORGEDB_TRY(CopyFields(hook, kHookFields, row));
    row.Set("repo_id", repo_id);
    // The hook's target, as the seed stored it: config.url, not the API url of the hook.
    if (auto url = JsonPath(hook, {"config", "url"})) {
        auto s = JsonString(*url);
        row.Set("url", s ? Value{*s} : Value{Null{}});
    }
    Stamp(hook, gh::kRepositoryHook, ctx, row);
    return Write(gh::kRepositoryHook, id, row, ctx);
}

Result<Processed> ProcessCollaborator(std::int64_t user_id, std::int64_t repo_id,
                                      std::optional<Json> permissions,
                                      std::optional<std::string> permission, const Context& ctx) {
    Row row;
    row.Set("user_id", user_id);
    row.Set("repo_id", repo_id);
    if (permissions && permissions->is_object()) {
        static constexpr Field kPermissionFields[] = {
            {"pull", "can_pull", Kind::kBool},
            {"push", "can_push", Kind::kBool},
            {"admin", "can_admin", Kind::kBool},
        };
        FORGEDB_TRY(CopyFields(*permissions, kPermissionFields, row));
        row.Set("raw", JsonText(*permissions));
    }
    if (permission) {
        row.Set("permission", *permission);
        const std::string& p = *permission;
        bool admin = p == "admin";
        bool push = admin || p == "write" || p == "maintain";
        row.Set("can_admin", admin);
        row.Set("can_push", push);
        row.Set("can_pull", true);
    }
    row.Set("deleted_at", Null{});
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    return Write(gh::kUserRepositoryAssociation, user_id, row, ctx);
}

namespace {

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// A forge time given as text or Unix seconds, in its stored form; nullopt when absent or null,
// kInvalid when it is not a time in years 0001..9999 (`what` names it in the error).
Result<std::optional<std::string>> TimeText(std::optional<Json> v, std::string_view what) {
    if (!v || v->is_null()) return std::optional<std::string>();
    std::optional<Timestamp> t;
    if (auto s = JsonString(*v)) {
        t = ParseTimestamp(*s);
    } else if (auto i = JsonInt(*v)) {
        t = FromUnixSeconds(*i);
    }
    if (!t) {
        return Unexpected(
            ErrorCode::kInvalid,
            "'" + std::string(what) + "' is not a time in years 0001..9999: " + JsonText(*v));
    }
    return std::optional<std::string>(FormatForgeTime(*t));
}

void SetText(Row& row, std::string_view column, std::optional<Json> v,
             Merge merge = Merge::kOverwrite) {
    if (!v) return;
    if (v->is_null()) {
        row.Set(column, Null{}, merge);
        return;
    }
    auto s = JsonString(*v);
    row.Set(column, s ? *s : JsonText(*v), merge);
}

// The columns every commit row gets: key, repository, message and its Change-Id.
Status CommitCommon(Json commit, std::string_view sha_key, std::optional<std::int64_t> repo_id,
                    const std::string& repo_full_name, std::optional<Json> message, Row& row,
                    std::string& sha) {
    if (!commit.is_object()) return Unexpected(ErrorCode::kInvalid, "commit is not an object");
    auto s = JsonGetString(commit, sha_key);
    if (!s || s->empty()) {
        return Unexpected(ErrorCode::kMissingData, "commit has no '" + std::string(sha_key) + "'");
    }
    sha = *s;
    row.Set("sha", sha);
    if (repo_id) row.Set("repo_id", *repo_id);
    if (!repo_full_name.empty()) row.Set("repo_full_name", repo_full_name);
    if (message) {
        auto text = JsonString(*message).value_or("");
        row.Set("message", text);
        auto change_id = ChangeIdOf(text);
        row.Set("change_id", change_id.empty() ? Value{Null{}} : Value{change_id});
    }
    return Ok();
}

}  // namespace

std::string ChangeIdOf(std::string_view message) {
    std::string found;
    size_t pos = 0;
    while (pos <= message.size()) {
        size_t nl = message.find('\n', pos);
        if (nl == std::string_view::npos) nl = message.size();
        std::string_view line = Trim(message.substr(pos, nl - pos));
        constexpr std::string_view kKey = "Change-Id:";
        if (line.substr(0, kKey.size()) == kKey) {
            std::string_view value = Trim(line.substr(kKey.size()));
            bool ok = value.size() > 1 && value.front() == 'I';
            for (size_t i = 1; ok && i < value.size(); ++i) {
                ok = std::isxdigit(static_cast<unsigned char>(value[i])) != 0;
            }
            if (ok) found = std::string(value);
        }
        pos = nl + 1;
    }
    return found;
}

Result<Processed> ProcessApiCommit(Json commit, std::optional<std::int64_t> repo_id,
                                   const std::string& repo_full_name, const Context& ctx) {
    Row row;
    std::string sha;
    FORGEDB_TRY(CommitCommon(commit, "sha", repo_id, repo_full_name,
                             JsonPath(commit, {"commit", "message"}), row, sha));
    if (auto a = JsonPath(commit, {"commit", "author"}); a && a->is_object()) {
        SetText(row, "author_name", JsonGet(*a, "name"));
        SetText(row, "author_email", JsonGet(*a, "email"));
        FORGEDB_ASSIGN_OR_RETURN(auto t, TimeText(JsonGet(*a, "date"), "commit.author.date"));
        if (t) row.Set("author_date", *t);
    }
    if (auto c = JsonPath(commit, {"commit", "committer"}); c && c->is_object()) {
        FORGEDB_ASSIGN_OR_RETURN(auto t, TimeText(JsonGet(*c, "date"), "commit.committer.date"));
        if (t) row.Set("committer_date", *t);
    }
    std::vector<Json> users;
    // A null author or committer is a commit whose e-mail GitHub links to no account: what a
    // push said about the account is kept.
    if (auto u = JsonGet(commit, "author"); u && u->is_object()) {
        FORGEDB_ASSIGN_OR_RETURN(auto id, RequireId(*u, "commit author"));
        row.Set("author_id", id);
        SetText(row, "author_login", JsonGet(*u, "login"));
        users.push_back(*u);
    }
    if (auto u = JsonGet(commit, "committer"); u && u->is_object()) {
        SetText(row, "committer_login", JsonGet(*u, "login"));
        if (JsonGetInt(*u, "id")) users.push_back(*u);
    }
    SetText(row, "html_url", JsonGet(commit, "html_url"));
    Stamp(commit, gh::kCommit, ctx, row);
    FORGEDB_TRY(store::Upsert(ctx.conn, gh::kCommit, std::move(row)));
    FORGEDB_TRY(ProcessUsers(users, ctx));
    return Processed{0, false};
}

Result<Processed> ProcessPushCommit(Json commit, std::optional<std::int64_t> repo_id,
                                    const std::string& repo_full_name, const Context& ctx) {
    Row row;
    std::string sha;
    FORGEDB_TRY(
        CommitCommon(commit, "id", repo_id, repo_full_name, JsonGet(commit, "message"), row, sha));
    if (auto a = JsonGet(commit, "author"); a && a->is_object()) {
        SetText(row, "author_name", JsonGet(*a, "name"));
        SetText(row, "author_email", JsonGet(*a, "email"));
        if (auto u = JsonGet(*a, "username"); u && !u->is_null()) {
            SetText(row, "author_login", u, Merge::kFillNull);
        }
    }
    if (auto c = JsonGet(commit, "committer"); c && c->is_object()) {
        if (auto u = JsonGet(*c, "username"); u && !u->is_null()) {
            SetText(row, "committer_login", u, Merge::kFillNull);
        }
    }
    // A push gives one time per commit (its author time); the API's committer time wins.
    FORGEDB_ASSIGN_OR_RETURN(auto t, TimeText(JsonGet(commit, "timestamp"), "timestamp"));
    if (t) {
        row.Set("author_date", *t, Merge::kFillNull);
        row.Set("committer_date", *t, Merge::kFillNull);
    }
    SetText(row, "html_url", JsonGet(commit, "url"));
    row.Set("raw", JsonText(commit), Merge::kFillNull);
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    FORGEDB_TRY(store::Upsert(ctx.conn, gh::kCommit, std::move(row)));
    return Processed{0, false};
}

Status MarkDeleted(const model::Table& table, std::int64_t id, const Context& ctx) {
    Row key;
    key.Set(table.key.front(), id);
    Row set;
    // A repeated delete (a redelivery, or a late copy) keeps the first deletion time.
    set.Set("deleted_at", FormatLocalTime(ctx.fetched_at), Merge::kFillNull);
    set.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    FORGEDB_TRY(store::Update(ctx.conn, table, key, set));
    return Ok();
}

Result<std::optional<std::int64_t>> ProcessEnvelope(Json payload, const Context& ctx) {
    std::optional<std::int64_t> repo_id;
    if (auto repo = JsonGet(payload, "repository"); repo && repo->is_object()) {
        FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessRepository(*repo, ctx));
        repo_id = p.id;
    }
    if (auto sender = JsonGet(payload, "sender"); sender && sender->is_object()) {
        FORGEDB_TRY(ProcessUser(*sender, ctx));
    }
    return repo_id;
}

}  // namespace forgedb::process::github
