#include "forgedb/forges/gitlab/objects.hpp"

#include <array>
#include <nlohmann/json.hpp>

#include "forgedb/forge/fields.hpp"
#include "forgedb/forges/gitlab/model.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::gitlab {
namespace {

using forge::CopyFields;
using forge::Field;
using forge::Kind;
using model::Row;

constexpr std::array kUserFields = {
    Field{"username", "username", Kind::kText}, Field{"name", "name", Kind::kText},
    Field{"state", "state", Kind::kText},       Field{"avatar_url", "avatar_url", Kind::kText},
    Field{"web_url", "web_url", Kind::kText},
};

constexpr std::array kProjectFields = {
    Field{"path_with_namespace", "path_with_namespace", Kind::kText},
    Field{"name", "name", Kind::kText},
    Field{"default_branch", "default_branch", Kind::kText},
    Field{"web_url", "web_url", Kind::kText},
    Field{"created_at", "created_at", Kind::kTime},
    Field{"last_activity_at", "last_activity_at", Kind::kTime},
};

// Merge requests as REST answers and webhooks' object_attributes both name them.
constexpr std::array kMergeRequestFields = {
    Field{"iid", "iid", Kind::kInt},
    Field{"title", "title", Kind::kText},
    Field{"state", "state", Kind::kText},
    Field{"author_id", "author_id", Kind::kInt},
    Field{"milestone_id", "milestone_id", Kind::kInt},
    Field{"source_branch", "source_branch", Kind::kText},
    Field{"target_branch", "target_branch", Kind::kText},
    Field{"source_project_id", "source_project_id", Kind::kInt},
    Field{"target_project_id", "target_project_id", Kind::kInt},
    Field{"sha", "sha", Kind::kText},
    Field{"merge_commit_sha", "merge_commit_sha", Kind::kText},
    Field{"created_at", "created_at", Kind::kTime},
    Field{"updated_at", "updated_at", Kind::kTime},
    Field{"merged_at", "merged_at", Kind::kTime},
    Field{"closed_at", "closed_at", Kind::kTime},
    Field{"web_url", "web_url", Kind::kText},
    Field{"url", "web_url", Kind::kText},  // webhooks name it url
};

constexpr std::array kIssueFields = {
    Field{"iid", "iid", Kind::kInt},
    Field{"project_id", "project_id", Kind::kInt},
    Field{"title", "title", Kind::kText},
    Field{"state", "state", Kind::kText},
    Field{"confidential", "confidential", Kind::kBool},
    Field{"author_id", "author_id", Kind::kInt},
    Field{"milestone_id", "milestone_id", Kind::kInt},
    Field{"created_at", "created_at", Kind::kTime},
    Field{"updated_at", "updated_at", Kind::kTime},
    Field{"closed_at", "closed_at", Kind::kTime},
    Field{"web_url", "web_url", Kind::kText},
    Field{"url", "web_url", Kind::kText},
};

constexpr std::array kNoteFields = {
    Field{"noteable_type", "noteable_type", Kind::kText},
    Field{"noteable_id", "noteable_id", Kind::kInt},
    Field{"noteable_iid", "noteable_iid", Kind::kInt},
    Field{"commit_id", "commit_sha", Kind::kText},
    Field{"author_id", "author_id", Kind::kInt},
    Field{"note", "body", Kind::kText},  // webhooks
    Field{"body", "body", Kind::kText},  // REST
    Field{"system", "system", Kind::kBool},
    Field{"created_at", "created_at", Kind::kTime},
    Field{"updated_at", "updated_at", Kind::kTime},
    Field{"project_id", "project_id", Kind::kInt},
};

constexpr std::array kLabelFields = {
    Field{"project_id", "project_id", Kind::kInt},
    Field{"group_id", "group_id", Kind::kInt},
    Field{"name", "name", Kind::kText},
    Field{"title", "name", Kind::kText},
    Field{"color", "color", Kind::kText},
    Field{"description", "description", Kind::kText},
};

constexpr std::array kMilestoneFields = {
    Field{"iid", "iid", Kind::kInt},
    Field{"project_id", "project_id", Kind::kInt},
    Field{"group_id", "group_id", Kind::kInt},
    Field{"title", "title", Kind::kText},
    Field{"state", "state", Kind::kText},
    Field{"due_date", "due_date", Kind::kText},
    Field{"created_at", "created_at", Kind::kTime},
    Field{"updated_at", "updated_at", Kind::kTime},
};

// A row keyed by instance and the object's own "id" (kMissingData without one).
Result<Row> KeyedRow(const Context& ctx, Json obj, std::string_view what) {
    if (!obj.is_object()) {
        return Unexpected(ErrorCode::kInvalid, std::string(what) + " is not a JSON object");
    }
    auto id = JsonGet(obj, "id");
    if (!id || JsonIsNull(*id)) {
        return Unexpected(ErrorCode::kMissingData, std::string(what) + " has no id");
    }
    auto n = JsonInt(*id);
    if (!n) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string(what) + " has a bad id: " + JsonText(*id));
    }
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("id", *n);
    return row;
}

void Stamp(const Context& ctx, Row& row, Json raw) {
    row.Set("raw", JsonText(raw));
    row.Set(model::StampColumn(ctx.via), FormatForgeTime(ctx.fetched_at));
}

Result<Written> Write(const Context& ctx, const model::Table& table, Row row) {
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::Upsert(ctx.conn, table, std::move(row)));
    return outcome == store::UpsertOutcome::kStale ? Written::kStale : Written::kApplied;
}

// The ids of an array of user objects (REST's assignees) or of plain ids (webhooks'
// assignee_ids), as a JSON array text; nullopt when the key is absent.
Result<std::optional<std::string>> IdArray(Json obj, std::string_view ids_key,
                                           std::string_view users_key) {
    nlohmann::json out = nlohmann::json::array();
    if (auto ids = JsonGet(obj, ids_key); ids && ids->is_array()) {
        for (Json v : ids->get_array()) {
            auto n = JsonInt(v);
            if (!n)
                return Unexpected(ErrorCode::kInvalid, "bad id in '" + std::string(ids_key) + "'");
            out.push_back(*n);
        }
        return std::optional<std::string>(out.dump());
    }
    if (auto users = JsonGet(obj, users_key); users && users->is_array()) {
        for (Json u : users->get_array()) {
            auto n = u.is_object() ? JsonGetInt(u, "id") : std::nullopt;
            if (!n)
                return Unexpected(ErrorCode::kInvalid,
                                  "bad user in '" + std::string(users_key) + "'");
            out.push_back(*n);
        }
        return std::optional<std::string>(out.dump());
    }
    return std::optional<std::string>{};
}

// Label names, from strings (REST lists) or label objects (webhooks: title; detailed REST: name).
Result<std::optional<std::string>> LabelNames(Json obj) {
    auto labels = JsonGet(obj, "labels");
    if (!labels || !labels->is_array()) return std::optional<std::string>{};
    nlohmann::json out = nlohmann::json::array();
    for (Json l : labels->get_array()) {
        if (auto s = JsonString(l)) {
            out.push_back(*s);
        } else if (l.is_object()) {
            auto name = JsonGetString(l, "title");
            if (!name) name = JsonGetString(l, "name");
            if (!name) return Unexpected(ErrorCode::kInvalid, "a label has no title or name");
            out.push_back(*name);
        } else {
            return Unexpected(ErrorCode::kInvalid, "bad label: " + JsonText(l));
        }
    }
    return std::optional<std::string>(out.dump());
}

// Writes a nested user (author, assignee, ...) when the object names one.
Status NestedUser(const Context& ctx, Json obj, std::string_view key) {
    auto user = JsonGet(obj, key);
    if (!user || JsonIsNull(*user)) return Ok();
    FORGEDB_TRY(ProcessUser(ctx, *user));
    return Ok();
}

Status NestedUsers(const Context& ctx, Json obj, std::string_view key) {
    auto users = JsonGet(obj, key);
    if (!users || !users->is_array()) return Ok();
    for (Json u : users->get_array()) FORGEDB_TRY(ProcessUser(ctx, u));
    return Ok();
}

}  // namespace

Result<Written> ProcessUser(const Context& ctx, Json user) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, user, "user"));
    FORGEDB_TRY(CopyFields(user, kUserFields, row));
    row.Set("seen_at", FormatForgeTime(ctx.as_of));
    // Nested users are short ({id, username, name, avatar_url}); only a full one (with its
    // state) replaces the stored raw object.
    if (JsonGet(user, "state")) row.Set("raw", JsonText(user));
    row.Set(model::StampColumn(ctx.via), FormatForgeTime(ctx.fetched_at));
    return Write(ctx, kUser, std::move(row));
}

Result<Written> ProcessProject(const Context& ctx, Json project) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, project, "project"));
    FORGEDB_TRY(CopyFields(project, kProjectFields, row));
    row.Set("seen_at", FormatForgeTime(ctx.as_of));
    if (auto v = JsonGetString(project, "visibility")) {
        row.Set("visibility", *v);
    } else if (auto level = JsonGetInt(project, "visibility_level")) {
        // Webhooks send GitLab's numeric levels.
        row.Set("visibility", *level >= 20 ? "public" : *level >= 10 ? "internal" : "private");
    }
    if (auto ns = JsonPath(project, {"namespace", "full_path"})) {
        if (auto s = JsonString(*ns)) row.Set("namespace_path", *s);
    } else if (auto path = JsonGetString(project, "path_with_namespace")) {
        auto slash = path->rfind('/');
        if (slash != std::string::npos) row.Set("namespace_path", path->substr(0, slash));
    }
    Stamp(ctx, row, project);
    return Write(ctx, kProject, std::move(row));
}

Result<Written> ProcessMergeRequest(const Context& ctx, Json mr) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, mr, "merge request"));
    FORGEDB_TRY(CopyFields(mr, kMergeRequestFields, row));
    // The project: REST's project_id, else the target project of a webhook.
    if (auto p = JsonGet(mr, "project_id"); p && !JsonIsNull(*p)) {
        FORGEDB_ASSIGN_OR_RETURN(auto v,
                                 forge::Convert(*p, {"project_id", "project_id", Kind::kInt}));
        row.Set("project_id", std::move(v));
    } else if (const auto* target = row.Find("target_project_id")) {
        row.Set("project_id", *target);
    }
    // Draft: "draft" in current GitLab, "work_in_progress" before.
    for (std::string_view key : {"work_in_progress", "draft"}) {
        if (auto v = JsonGet(mr, key); v && !JsonIsNull(*v)) {
            FORGEDB_ASSIGN_OR_RETURN(auto b, forge::Convert(*v, {key, "draft", Kind::kBool}));
            row.Set("draft", std::move(b));
        }
    }
    if (auto author = JsonGet(mr, "author"); author && author->is_object()) {
        if (auto id = JsonGetInt(*author, "id")) row.Set("author_id", *id);
        if (auto name = JsonGetString(*author, "username")) row.Set("author_username", *name);
        FORGEDB_TRY(NestedUser(ctx, mr, "author"));
    }
    if (auto by = JsonGet(mr, "merged_by"); by && by->is_object()) {
        if (auto id = JsonGetInt(*by, "id")) row.Set("merged_by_id", *id);
        FORGEDB_TRY(NestedUser(ctx, mr, "merged_by"));
    }
    if (auto m = JsonGet(mr, "milestone"); m && m->is_object()) {
        if (auto id = JsonGetInt(*m, "id")) row.Set("milestone_id", *id);
    }
    if (auto sha = JsonPath(mr, {"last_commit", "id"})) {
        if (auto s = JsonString(*sha)) row.Set("sha", *s);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto assignees, IdArray(mr, "assignee_ids", "assignees"));
    if (assignees) row.Set("assignee_ids", *assignees);
    FORGEDB_ASSIGN_OR_RETURN(auto reviewers, IdArray(mr, "reviewer_ids", "reviewers"));
    if (reviewers) row.Set("reviewer_ids", *reviewers);
    FORGEDB_ASSIGN_OR_RETURN(auto labels, LabelNames(mr));
    if (labels) row.Set("labels", *labels);
    FORGEDB_TRY(NestedUsers(ctx, mr, "assignees"));
    FORGEDB_TRY(NestedUsers(ctx, mr, "reviewers"));
    Stamp(ctx, row, mr);
    return Write(ctx, kMergeRequest, std::move(row));
}

Result<Written> ProcessIssue(const Context& ctx, Json issue) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, issue, "issue"));
    FORGEDB_TRY(CopyFields(issue, kIssueFields, row));
    if (auto author = JsonGet(issue, "author"); author && author->is_object()) {
        if (auto id = JsonGetInt(*author, "id")) row.Set("author_id", *id);
        if (auto name = JsonGetString(*author, "username")) row.Set("author_username", *name);
        FORGEDB_TRY(NestedUser(ctx, issue, "author"));
    }
    if (auto m = JsonGet(issue, "milestone"); m && m->is_object()) {
        if (auto id = JsonGetInt(*m, "id")) row.Set("milestone_id", *id);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto assignees, IdArray(issue, "assignee_ids", "assignees"));
    if (assignees) row.Set("assignee_ids", *assignees);
    FORGEDB_ASSIGN_OR_RETURN(auto labels, LabelNames(issue));
    if (labels) row.Set("labels", *labels);
    FORGEDB_TRY(NestedUsers(ctx, issue, "assignees"));
    Stamp(ctx, row, issue);
    return Write(ctx, kIssue, std::move(row));
}

Result<Written> ProcessNote(const Context& ctx, Json note, std::optional<std::int64_t> project_id,
                            std::optional<Json> noteable) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, note, "note"));
    FORGEDB_TRY(CopyFields(note, kNoteFields, row));
    if (project_id && !row.Has("project_id")) row.Set("project_id", *project_id);
    if (auto author = JsonGet(note, "author"); author && author->is_object()) {
        if (auto id = JsonGetInt(*author, "id")) row.Set("author_id", *id);
        FORGEDB_TRY(NestedUser(ctx, note, "author"));
    }
    if (noteable && noteable->is_object()) {
        if (auto iid = JsonGetInt(*noteable, "iid")) row.Set("noteable_iid", *iid);
    }
    Stamp(ctx, row, note);
    return Write(ctx, kNote, std::move(row));
}

Result<Written> ProcessCommit(const Context& ctx, Json commit, std::int64_t project_id) {
    if (!commit.is_object()) return Unexpected(ErrorCode::kInvalid, "commit is not an object");
    auto sha = JsonGetString(commit, "id");
    if (!sha || sha->empty()) return Unexpected(ErrorCode::kMissingData, "commit has no id");
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("project_id", project_id);
    row.Set("sha", *sha);
    constexpr std::array kCommitFields = {
        Field{"title", "title", Kind::kText},
        Field{"message", "message", Kind::kText},
        Field{"author_name", "author_name", Kind::kText},
        Field{"author_email", "author_email", Kind::kText},
        Field{"authored_date", "authored_at", Kind::kTime},
        Field{"timestamp", "authored_at", Kind::kTime},  // push events
        Field{"committed_date", "committed_at", Kind::kTime},
        Field{"web_url", "web_url", Kind::kText},
        Field{"url", "web_url", Kind::kText},  // push events
    };
    FORGEDB_TRY(CopyFields(commit, kCommitFields, row));
    if (auto author = JsonGet(commit, "author"); author && author->is_object()) {
        if (auto name = JsonGetString(*author, "name")) row.Set("author_name", *name);
        if (auto email = JsonGetString(*author, "email")) row.Set("author_email", *email);
    }
    if (!row.Has("title")) {  // push events carry the message; its first line is the title
        if (const auto* m = row.Find("message"); m && std::holds_alternative<std::string>(*m)) {
            const auto& text = std::get<std::string>(*m);
            row.Set("title", text.substr(0, text.find('\n')));
        }
    }
    Stamp(ctx, row, commit);
    return Write(ctx, kCommit, std::move(row));
}

Result<Written> ProcessLabel(const Context& ctx, Json label) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, label, "label"));
    FORGEDB_TRY(CopyFields(label, kLabelFields, row));
    row.Set("seen_at", FormatForgeTime(ctx.as_of));
    Stamp(ctx, row, label);
    return Write(ctx, kLabel, std::move(row));
}

Result<Written> ProcessMilestone(const Context& ctx, Json milestone) {
    FORGEDB_ASSIGN_OR_RETURN(Row row, KeyedRow(ctx, milestone, "milestone"));
    FORGEDB_TRY(CopyFields(milestone, kMilestoneFields, row));
    Stamp(ctx, row, milestone);
    return Write(ctx, kMilestone, std::move(row));
}

}  // namespace forgedb::gitlab
