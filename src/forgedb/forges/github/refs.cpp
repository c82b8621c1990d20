#include "forgedb/forges/github/refs.hpp"

#include <span>
#include <string>

#include "forgedb/forge/fields.hpp"
#include "forgedb/forges/github/model.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/forges/github/refs_store.hpp"

namespace forgedb::process::github {

using forge::Convert;
using forge::CopyFields;
using forge::Field;
using forge::Kind;
namespace {

namespace gh = model::github;
using model::Null;
using model::Row;
using model::Value;

constexpr Field kReleaseFields[] = {
    {"tag_name", "tag_name", Kind::kText},
    {"target_commitish", "target_commitish", Kind::kText},
    {"name", "name", Kind::kText},
    {"body", "body", Kind::kText},
    {"draft", "draft", Kind::kBool},
    {"prerelease", "prerelease", Kind::kBool},
    {"html_url", "html_url", Kind::kText},
    {"created_at", "created_at", Kind::kTime},
    {"published_at", "published_at", Kind::kTime},
    {"updated_at", "updated_at", Kind::kTime},
};

// The replication stamp and, from the API, the lifted tombstone: the store applies both only
// when the ordering rules let the write through.
void Stamp(const Context& ctx, Row& row) {
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    if (ctx.via == gh::Via::kApi) row.Set("deleted_at", Null{});
}

Result<std::int64_t> Envelope(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, ProcessEnvelope(payload, ctx));
    if (!repo_id) return Unexpected(ErrorCode::kMissingData, "payload has no 'repository' object");
    return *repo_id;
}

EventResult Outcome(bool stale) {
    return EventResult{stale ? EventOutcome::kStale : EventOutcome::kProcessed, {}};
}

// A branch or tag list item: {name, commit{sha}} (+ protected for branches).
Result<Processed> ProcessRefItem(Json item, std::int64_t repo_id, std::string_view ref_type,
                                 const Context& ctx) {
    if (!item.is_object()) {
        return Unexpected(ErrorCode::kInvalid, std::string(ref_type) + " is not a JSON object");
    }
    auto name = JsonGetString(item, "name");
    if (!name || name->empty()) {
        return Unexpected(ErrorCode::kMissingData, std::string(ref_type) + " has no 'name'");
    }
    Row row;
    row.Set("repo_id", repo_id).Set("ref_type", std::string(ref_type)).Set("name", *name);
    auto sha = JsonPath(item, {"commit", "sha"});
    row.Set("sha", sha && JsonString(*sha) ? Value{*JsonString(*sha)} : Value{Null{}});
    if (ref_type == "branch") {
        if (auto v = JsonGet(item, "protected")) {
            FORGEDB_ASSIGN_OR_RETURN(Value p, Convert(*v, {"protected", "protected", Kind::kBool}));
            row.Set("protected", std::move(p));
        }
    }
    row.Set("raw", JsonText(item));
    // A listed ref exists: the store lifts a tombstone older than this write.
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    row.Set("deleted_at", Null{});
    FORGEDB_ASSIGN_OR_RETURN(auto outcome,
                             store::github::UpsertRef(ctx.conn, std::move(row), ctx.fetched_at));
    return Processed{0, outcome == store::UpsertOutcome::kStale};
}

struct RefEvent {
    std::string ref;
    std::string ref_type;
};

// The `ref` and `ref_type` of a create or delete event, checked before anything is written.
Result<RefEvent> ReadRefEvent(Json payload, std::string_view event) {
    RefEvent e;
    auto ref = JsonGetString(payload, "ref");
    if (!ref || ref->empty()) {
        return Unexpected(ErrorCode::kMissingData,
                          std::string(event) + " payload has no 'ref' string");
    }
    auto type = JsonGetString(payload, "ref_type");
    if (!type) {
        return Unexpected(ErrorCode::kMissingData,
                          std::string(event) + " payload has no 'ref_type' string");
    }
    e.ref = *ref;
    e.ref_type = *type;
    return e;
}

bool IsReplicatedRefType(std::string_view type) { return type == "branch" || type == "tag"; }

}  // namespace

Result<Processed> ProcessRelease(Json release, std::int64_t repo_id, ReleaseAction action,
                                 const Context& ctx) {
    if (!release.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "release is not a JSON object");
    }
    auto id = JsonGetInt(release, "id");
    if (!id) return Unexpected(ErrorCode::kMissingData, "release has no integer 'id'");
    Row row;
    row.Set("id", *id);
    row.Set("repo_id", repo_id);
    FORGEDB_TRY(CopyFields(release, kReleaseFields, row));
    std::optional<Json> author;
    if (auto a = JsonGet(release, "author")) {
        if (a->is_null()) {
            row.Set("author_id", Null{}).Set("author_login", Null{});
        } else {
            auto aid = JsonGetInt(*a, "id");
            if (!aid) return Unexpected(ErrorCode::kMissingData, "release author has no 'id'");
            auto login = JsonGetString(*a, "login");
            row.Set("author_id", *aid);
            row.Set("author_login", login ? Value{*login} : Value{Null{}});
            author = *a;
        }
    }
    row.Set("raw", JsonText(release));
    Stamp(ctx, row);
    auto mode = action == ReleaseAction::kCreated ? store::github::ReleaseWrite::kInsertOnly
                                                  : store::github::ReleaseWrite::kUpdate;
    FORGEDB_ASSIGN_OR_RETURN(
        auto outcome, store::github::UpsertRelease(ctx.conn, std::move(row), mode,
                                                   ctx.via == gh::Via::kApi, ctx.fetched_at));
    bool applied = outcome == store::UpsertOutcome::kApplied;
    if (applied && author) FORGEDB_TRY(ProcessUser(*author, ctx));
    if (action == ReleaseAction::kDeleted) {
        // Release ids are never reused: a deletion is final whatever order it arrives in.
        FORGEDB_ASSIGN_OR_RETURN(
            auto tomb, store::github::TombstoneRelease(ctx.conn, *id, gh::StampColumn(ctx.via),
                                                       ctx.fetched_at));
        return Processed{*id, tomb == store::UpsertOutcome::kStale};
    }
    return Processed{*id, !applied};
}

Result<Processed> ProcessBranch(Json branch, std::int64_t repo_id, const Context& ctx) {
    return ProcessRefItem(branch, repo_id, "branch", ctx);
}

Result<Processed> ProcessTag(Json tag, std::int64_t repo_id, const Context& ctx) {
    return ProcessRefItem(tag, repo_id, "tag", ctx);
}

Result<EventResult> ReleaseEvent(Json payload, const Context& ctx) {
    auto release = JsonGet(payload, "release");
    if (!release || !release->is_object()) {
        return Unexpected(ErrorCode::kMissingData, "payload has no 'release' object");
    }
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, Envelope(payload, ctx));
    std::string action = JsonGetString(payload, "action").value_or("");
    ReleaseAction what = action == "created"   ? ReleaseAction::kCreated
                         : action == "deleted" ? ReleaseAction::kDeleted
                                               : ReleaseAction::kChanged;
    FORGEDB_ASSIGN_OR_RETURN(auto p, ProcessRelease(*release, repo_id, what, ctx));
    return Outcome(p.stale);
}

Result<EventResult> CreateRefEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto e, ReadRefEvent(payload, "create"));
    if (!IsReplicatedRefType(e.ref_type)) return EventResult{EventOutcome::kIgnored, {}};
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, Envelope(payload, ctx));
    // The event names the ref only: what a list said about an earlier ref of that name (its
    // commit, protection, JSON) no longer holds, so the columns are cleared until a crawl.
    Row row;
    row.Set("repo_id", repo_id).Set("ref_type", e.ref_type).Set("name", e.ref);
    row.Set("sha", Null{}).Set("protected", Null{}).Set("raw", Null{});
    row.Set(gh::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    row.Set("deleted_at", Null{});
    FORGEDB_ASSIGN_OR_RETURN(auto outcome,
                             store::github::UpsertRef(ctx.conn, std::move(row), ctx.fetched_at));
    return Outcome(outcome == store::UpsertOutcome::kStale);
}

Result<EventResult> DeleteRefEvent(Json payload, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto e, ReadRefEvent(payload, "delete"));
    if (!IsReplicatedRefType(e.ref_type)) return EventResult{EventOutcome::kIgnored, {}};
    FORGEDB_ASSIGN_OR_RETURN(auto repo_id, Envelope(payload, ctx));
    FORGEDB_ASSIGN_OR_RETURN(auto outcome,
                             store::github::TombstoneRef(ctx.conn, repo_id, e.ref_type, e.ref,
                                                         gh::StampColumn(ctx.via), ctx.fetched_at));
    return Outcome(outcome == store::UpsertOutcome::kStale);
}

}  // namespace forgedb::process::github
