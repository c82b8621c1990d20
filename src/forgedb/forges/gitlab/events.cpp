#include "forgedb/forges/gitlab/events.hpp"

#include <nlohmann/json.hpp>

namespace forgedb::gitlab {
namespace {

constexpr const char* kProcessed = "processed";
constexpr const char* kStale = "stale";
constexpr const char* kIgnored = "ignored";

std::string Outcome(Written w) { return w == Written::kStale ? kStale : kProcessed; }

Status Project(const Context& ctx, Json payload) {
    if (auto p = JsonGet(payload, "project"); p && p->is_object()) {
        FORGEDB_TRY(ProcessProject(ctx, *p));
    }
    return Ok();
}

// The user who triggered the hook ({id, name, username, ...}; some hooks omit the id).
Status Actor(const Context& ctx, Json payload) {
    if (auto u = JsonGet(payload, "user"); u && u->is_object() && JsonGet(*u, "id")) {
        FORGEDB_TRY(ProcessUser(ctx, *u));
    }
    return Ok();
}

Status Users(const Context& ctx, Json payload, std::string_view key) {
    if (auto users = JsonGet(payload, key); users && users->is_array()) {
        for (Json u : users->get_array()) {
            // Older GitLab sends webhook assignees without their id: nothing to key them by (the
            // object's assignee_ids names them).
            if (u.is_object() && !JsonGet(u, "id")) continue;
            FORGEDB_TRY(ProcessUser(ctx, u));
        }
    }
    return Ok();
}

Status Labels(const Context& ctx, Json payload) {
    if (auto labels = JsonGet(payload, "labels"); labels && labels->is_array()) {
        for (Json l : labels->get_array()) {
            if (l.is_object()) FORGEDB_TRY(ProcessLabel(ctx, l));
        }
    }
    return Ok();
}

Result<Json> Attributes(Json payload) {
    auto attrs = JsonGet(payload, "object_attributes");
    if (!attrs || !attrs->is_object()) {
        return Unexpected(ErrorCode::kMissingData, "payload has no object_attributes object");
    }
    return *attrs;
}

Result<std::string> MergeRequest(const Context& ctx, Json payload) {
    FORGEDB_ASSIGN_OR_RETURN(Json attrs, Attributes(payload));
    FORGEDB_TRY(Project(ctx, payload));
    FORGEDB_TRY(Actor(ctx, payload));
    FORGEDB_TRY(Users(ctx, payload, "assignees"));
    FORGEDB_TRY(Users(ctx, payload, "reviewers"));
    FORGEDB_TRY(Labels(ctx, payload));
    FORGEDB_ASSIGN_OR_RETURN(auto w, ProcessMergeRequest(ctx, attrs));
    return Outcome(w);
}

Result<std::string> Issue(const Context& ctx, Json payload) {
    FORGEDB_ASSIGN_OR_RETURN(Json attrs, Attributes(payload));
    FORGEDB_TRY(Project(ctx, payload));
    FORGEDB_TRY(Actor(ctx, payload));
    FORGEDB_TRY(Users(ctx, payload, "assignees"));
    FORGEDB_TRY(Labels(ctx, payload));
    FORGEDB_ASSIGN_OR_RETURN(auto w, ProcessIssue(ctx, attrs));
    return Outcome(w);
}

Result<std::string> Note(const Context& ctx, Json payload) {
    FORGEDB_ASSIGN_OR_RETURN(Json attrs, Attributes(payload));
    FORGEDB_TRY(Project(ctx, payload));
    FORGEDB_TRY(Actor(ctx, payload));
    std::optional<std::int64_t> project_id = JsonGetInt(payload, "project_id");
    std::optional<Json> noteable;
    // The object the note is on comes along; it moves its own row forward too.
    if (auto mr = JsonGet(payload, "merge_request"); mr && mr->is_object()) {
        noteable = *mr;
        FORGEDB_TRY(ProcessMergeRequest(ctx, *mr));
    } else if (auto issue = JsonGet(payload, "issue"); issue && issue->is_object()) {
        noteable = *issue;
        FORGEDB_TRY(ProcessIssue(ctx, *issue));
    }
    FORGEDB_ASSIGN_OR_RETURN(auto w, ProcessNote(ctx, attrs, project_id, noteable));
    return Outcome(w);
}

Result<std::string> Push(const Context& ctx, Json payload) {
    auto project_id = JsonGetInt(payload, "project_id");
    if (!project_id) {
        if (auto p = JsonGet(payload, "project"); p && p->is_object()) {
            project_id = JsonGetInt(*p, "id");
        }
    }
    if (!project_id) return Unexpected(ErrorCode::kMissingData, "push has no project_id");
    FORGEDB_TRY(Project(ctx, payload));
    if (auto commits = JsonGet(payload, "commits"); commits && commits->is_array()) {
        for (Json c : commits->get_array()) FORGEDB_TRY(ProcessCommit(ctx, c, *project_id));
    }
    return std::string(kProcessed);
}

// Member and system user events carry the user flat: user_id, user_username, user_name.
Result<std::string> FlatUser(const Context& ctx, Json payload) {
    auto id = JsonGet(payload, "user_id");
    if (!id) return std::string(kIgnored);
    auto n = JsonInt(*id);
    if (!n) return Unexpected(ErrorCode::kInvalid, "bad user_id: " + JsonText(*id));
    std::string text = "{\"id\":" + std::to_string(*n);
    if (auto s = JsonGetString(payload, "user_username")) {
        text += ",\"username\":" + nlohmann::json(*s).dump();
    } else if (auto s2 = JsonGetString(payload, "username")) {
        text += ",\"username\":" + nlohmann::json(*s2).dump();
    }
    if (auto s = JsonGetString(payload, "user_name")) {
        text += ",\"name\":" + nlohmann::json(*s).dump();
    } else if (auto s2 = JsonGetString(payload, "name")) {
        text += ",\"name\":" + nlohmann::json(*s2).dump();
    }
    text += "}";
    // Its own document: the payload stays valid (it lives in this thread's parser).
    FORGEDB_ASSIGN_OR_RETURN(auto doc, JsonDocument::Parse(text));
    FORGEDB_TRY(ProcessUser(ctx, doc.root()));
    return std::string(kProcessed);
}

Result<std::string> System(const Context& ctx, Json payload) {
    std::string name = JsonGetString(payload, "event_name").value_or("");
    if (name == "push" || name == "tag_push") return Push(ctx, payload);
    if (name.starts_with("user_")) return FlatUser(ctx, payload);
    if (name.starts_with("project_") && name != "project_destroy") {
        // {project_id, path_with_namespace, name, project_visibility, ...}
        auto id = JsonGetInt(payload, "project_id");
        if (!id) return Unexpected(ErrorCode::kMissingData, name + " has no project_id");
        std::string text = "{\"id\":" + std::to_string(*id);
        for (std::string_view key : {"path_with_namespace", "name"}) {
            if (auto s = JsonGetString(payload, key)) {
                text += ",\"" + std::string(key) + "\":" + nlohmann::json(*s).dump();
            }
        }
        if (auto v = JsonGetString(payload, "project_visibility")) {
            text += ",\"visibility\":" + nlohmann::json(*v).dump();
        }
        text += "}";
        FORGEDB_ASSIGN_OR_RETURN(auto doc, JsonDocument::Parse(text));
        FORGEDB_TRY(ProcessProject(ctx, doc.root()));
        return std::string(kProcessed);
    }
    if (JsonGetString(payload, "object_kind").value_or("") == "merge_request") {
        return MergeRequest(ctx, payload);
    }
    return std::string(kIgnored);
}

// The updated_at of the hook's main object, when it has a readable one.
std::optional<Timestamp> MainObjectTime(Json payload) {
    auto updated = JsonPath(payload, {"object_attributes", "updated_at"});
    if (!updated) updated = JsonGet(payload, "updated_at");  // member and system events
    if (!updated) return std::nullopt;
    auto text = JsonString(*updated);
    return text ? ParseTimestamp(*text) : std::nullopt;
}

}  // namespace

Result<std::string> ProcessHook(const Context& base, std::string_view event, Json payload) {
    if (!payload.is_object()) return Unexpected(ErrorCode::kInvalid, "payload is not an object");
    Context ctx = base;
    if (auto t = MainObjectTime(payload)) ctx.as_of = *t;
    if (event == "Merge Request Hook") return MergeRequest(ctx, payload);
    if (event == "Issue Hook" || event == "Confidential Issue Hook") return Issue(ctx, payload);
    if (event == "Note Hook" || event == "Confidential Note Hook") return Note(ctx, payload);
    if (event == "Push Hook" || event == "Tag Push Hook") return Push(ctx, payload);
    if (event == "Member Hook") return FlatUser(ctx, payload);
    if (event == "Release Hook") {
        FORGEDB_TRY(Project(ctx, payload));
        return std::string(kProcessed);
    }
    if (event == "System Hook") return System(ctx, payload);
    return std::string(kIgnored);
}

}  // namespace forgedb::gitlab
