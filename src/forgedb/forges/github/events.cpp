#include "forgedb/forges/github/events.hpp"

#include <nlohmann/json.hpp>

#include "forgedb/forges/github/model.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/forges/github/refs.hpp"
#include "forgedb/forges/github/store.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::process::github {
namespace {

namespace gh = model::github;

Result<Json> Require(Json payload, std::string_view key) {
    auto v = JsonGet(payload, key);
    if (!v || !v->is_object()) {
        return Unexpected(ErrorCode::kMissingData,
                          "payload has no '" + std::string(key) + "' object");
    }
    return *v;
}

std::string Action(Json payload) { return JsonGetString(payload, "action").value_or(""); }

EventOutcome OutcomeOf(const Processed& p) {
    return p.stale ? EventOutcome::kStale : EventOutcome::kProcessed;
}

Result<std::int64_t> RequireRepo(std::optional<std::int64_t> repo_id) {
    if (!repo_id) return Unexpected(ErrorCode::kMissingData, "payload has no 'repository' object");
    return *repo_id;
}

// `labeled` / `unlabeled`: the top-level label is stored (if absent) and the association changed,
// whatever the staleness of the issue or pull request copy in the same delivery.
Status ApplyLabelAction(Json payload, std::optional<std::int64_t> repo_id, std::int64_t owner_id,
                        bool pull_request, const Context& ctx) {
    const std::string action = Action(payload);
    if (action != "labeled" && action != "unlabeled") return Ok();
    auto label = JsonGet(payload, "label");
    if (!label || !label->is_object() || !repo_id) return Ok();
    FORGEDB_ASSIGN_OR_RETURN(auto lp, ProcessLabel(*label, *repo_id, ctx, LabelCopy::kIfAbsent));
    const bool on = action == "labeled";
    return pull_request ? store::github::SetPullRequestLabel(ctx.conn, owner_id, lp.id, on)
                        : store::github::SetIssueLabel(ctx.conn, owner_id, lp.id, on);
}

Result<EventResult> PullRequestEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json pr, Require(payload, "pull_request"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessPullRequest(pr, ctx));
    FORGEDB_TRY(ApplyLabelAction(payload, repo_id, p.id, /*pull_request=*/true, ctx));
    EventResult r{OutcomeOf(p), {}};
    std::string action = Action(payload);
    if (!p.stale && (action == "opened" || action == "synchronize" || action == "reopened")) {
        auto owner = JsonPath(payload, {"repository", "owner", "login"});
        auto name = JsonGetString(JsonGet(payload, "repository").value_or(payload), "name");
        auto number = JsonGetInt(pr, "number");
        if (owner && name && number && repo_id) {
            // A crawl of the pull request's files (the list job of the tasks layer).
            nlohmann::json args = {{"kind", "github.list"},
                                   {"resource", "pull_files"},
                                   {"owner", JsonString(*owner).value_or("")},
                                   {"repo", *name},
                                   {"number", *number},
                                   {"state", "all"},
                                   {"children", false}};
            r.follow_ups.push_back({"github.list", args.dump()});
        }
    }
    return r;
}

Result<EventResult> IssuesEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json issue, Require(payload, "issue"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessIssue(issue, repo_id, ctx));
    FORGEDB_TRY(ApplyLabelAction(payload, repo_id, p.id, /*pull_request=*/false, ctx));
    std::string action = Action(payload);
    if (action == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kIssue, p.id, ctx));
        return EventResult{EventOutcome::kProcessed, {}};
    }
    if (action == "transferred") {
        // The issue now lives in another repository under a new id: the old row gets its
        // tombstone and the new one is stored.
        FORGEDB_TRY(MarkDeleted(gh::kIssue, p.id, ctx));
        std::optional<std::int64_t> new_repo_id;
        if (auto repo = JsonPath(payload, {"changes", "new_repository"});
            repo && repo->is_object()) {
            FORGEDB_ASSIGN_OR_RETURN(auto rp, ProcessRepository(*repo, ctx));
            new_repo_id = rp.id;
        }
        if (auto moved = JsonPath(payload, {"changes", "new_issue"}); moved && moved->is_object()) {
            FORGEDB_TRY(ProcessIssue(*moved, new_repo_id, ctx));
        }
        return EventResult{EventOutcome::kProcessed, {}};
    }
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> IssueCommentEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json comment, Require(payload, "comment"));
    FORGEDB_ASSIGN_OR_RETURN(Json issue, Require(payload, "issue"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto ip, ProcessIssue(issue, repo_id, ctx));
    FORGEDB_ASSIGN_OR_RETURN(
        auto p, ProcessIssueComment(comment, ip.id, JsonGetInt(issue, "number"), repo_id, ctx));
    if (Action(payload) == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kIssueComment, p.id, ctx));
        return EventResult{EventOutcome::kProcessed, {}};
    }
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> LabelEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json label, Require(payload, "label"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, RequireRepo(repo));
    // A `created` may arrive after a later `edited`: it never overwrites a stored label.
    const LabelCopy copy =
        Action(payload) == "created" ? LabelCopy::kIfAbsent : LabelCopy::kCurrent;
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessLabel(label, repo_id, ctx, copy));
    if (Action(payload) == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kIssueLabel, p.id, ctx));
        FORGEDB_TRY(store::github::RemoveLabelEverywhere(ctx.conn, p.id));
    }
    return EventResult{EventOutcome::kProcessed, {}};
}

Result<EventResult> MilestoneEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json milestone, Require(payload, "milestone"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, RequireRepo(repo));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessMilestone(milestone, repo_id, ctx));
    if (Action(payload) == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kMilestone, p.id, ctx));
        return EventResult{EventOutcome::kProcessed, {}};
    }
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> RepositoryEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json repo, Require(payload, "repository"));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessRepository(repo, ctx));
    if (auto sender = JsonGet(payload, "sender"); sender && sender->is_object()) {
        FORGEDB_TRY(ProcessUser(*sender, ctx));
    }
    if (Action(payload) == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kRepository, p.id, ctx));
        return EventResult{EventOutcome::kProcessed, {}};
    }
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> MemberEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json member, Require(payload, "member"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, RequireRepo(repo));
    FORGEDB_ASSIGN_OR_RETURN(auto user, ProcessUser(member, ctx));
    std::optional<std::string> permission;
    if (auto to = JsonPath(payload, {"changes", "permission", "to"})) permission = JsonString(*to);
    FORGEDB_TRY(ProcessCollaborator(user.id, repo_id, std::nullopt, permission, ctx));
    if (Action(payload) == "removed") {
        model::Row key;
        key.Set("user_id", user.id).Set("repo_id", repo_id);
        model::Row set;
        set.Set("deleted_at", FormatLocalTime(ctx.fetched_at), model::Merge::kFillNull);
        FORGEDB_TRY(store::Update(ctx.conn, gh::kUserRepositoryAssociation, key, set));
    }
    return EventResult{EventOutcome::kProcessed, {}};
}

Result<EventResult> ReviewEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json review, Require(payload, "review"));
    FORGEDB_ASSIGN_OR_RETURN(Json pr, Require(payload, "pull_request"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto pp, ProcessPullRequest(pr, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessPullRequestReview(review, pp.id, repo_id, ctx));
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> ReviewCommentEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Json comment, Require(payload, "comment"));
    FORGEDB_ASSIGN_OR_RETURN(Json pr, Require(payload, "pull_request"));
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto pp, ProcessPullRequest(pr, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessPullRequestReviewComment(comment, pp.id, repo_id, ctx));
    if (Action(payload) == "deleted") {
        FORGEDB_TRY(MarkDeleted(gh::kPullRequestReviewComment, p.id, ctx));
        return EventResult{EventOutcome::kProcessed, {}};
    }
    return EventResult{OutcomeOf(p), {}};
}

Result<EventResult> PushEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    std::string full_name;
    if (auto repo = JsonGet(payload, "repository"); repo && repo->is_object()) {
        full_name = JsonGetString(*repo, "full_name").value_or("");
    }
    if (auto commits = JsonGet(payload, "commits"); commits && !commits->is_null()) {
        simdjson::dom::array arr;
        if (commits->get_array().get(arr)) {
            return Unexpected(ErrorCode::kInvalid, "'commits' is not an array");
        }
        for (Json commit : arr) FORGEDB_TRY(ProcessPushCommit(commit, repo_id, full_name, ctx));
    }
    return EventResult{EventOutcome::kProcessed, {}};
}

using Handler = Result<EventResult> (*)(Json, const Context&);

struct EventRoute {
    std::string_view event;
    Handler handler;
};

constexpr EventRoute kEvents[] = {
    {"pull_request", &PullRequestEvent},
    {"issues", &IssuesEvent},
    {"issue_comment", &IssueCommentEvent},
    {"label", &LabelEvent},
    {"milestone", &MilestoneEvent},
    {"repository", &RepositoryEvent},
    {"member", &MemberEvent},
    {"pull_request_review", &ReviewEvent},
    {"pull_request_review_comment", &ReviewCommentEvent},
    {"push", &PushEvent},
    // Releases, branches and tags (refs.cpp).
    {"release", &ReleaseEvent},
    {"create", &CreateRefEvent},
    {"delete", &DeleteRefEvent},
};

}  // namespace

const char* EventOutcomeName(EventOutcome o) {
    switch (o) {
        case EventOutcome::kProcessed:
            return "processed";
        case EventOutcome::kStale:
            return "stale";
        case EventOutcome::kIgnored:
            return "ignored";
    }
    return "unknown";
}

bool IsReplicatedEvent(std::string_view event) {
    for (const auto& e : kEvents) {
        if (e.event == event) return true;
    }
    return false;
}

Result<EventResult> ProcessEvent(std::string_view event, Json payload, const Context& ctx) {
    if (!payload.is_object()) return Unexpected(ErrorCode::kInvalid, "payload is not an object");
    for (const auto& e : kEvents) {
        if (e.event == event) return e.handler(payload, ctx);
    }
    return EventResult{EventOutcome::kIgnored, {}};
}

}  // namespace forgedb::process::github
