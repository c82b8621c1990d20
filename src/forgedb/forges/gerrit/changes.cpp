#include "forgedb/forges/gerrit/changes.hpp"

#include <charconv>
#include <cstdlib>
#include <limits>
#include <span>
#include <vector>

#include "forgedb/forge/fields.hpp"
#include "forgedb/forges/gerrit/store.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::process::gerrit {
namespace {

namespace gm = model::gerrit;
using model::Merge;
using model::Null;
using model::Row;
using model::Value;

using forge::Absent;
using forge::Convert;
using forge::CopyFields;
using forge::Field;
using forge::Kind;

// Integers, and integers written as JSON strings (old stream events send "654").
std::optional<std::int64_t> IntOf(Json v) {
    auto value = Convert(v, {"", "", Kind::kIntString});
    if (!value || !std::holds_alternative<std::int64_t>(*value)) return std::nullopt;
    return std::get<std::int64_t>(*value);
}

// REST times are "YYYY-MM-DD hh:mm:ss.nnnnnnnnn" (UTC, no zone); event times epoch seconds.
std::optional<Timestamp> TimeOf(Json v) {
    if (auto s = JsonString(v)) return ParseTimestamp(*s);
    if (auto i = JsonInt(v)) return FromUnixSeconds(*i);  // nullopt out of range
    return std::nullopt;
}

void SetStamp(const Context& ctx, Row& row) {
    row.Set(model::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
}

Status RequireObject(Json obj, std::string_view what) {
    if (!obj.is_object()) {
        return Unexpected(ErrorCode::kInvalid, std::string(what) + " is not a JSON object");
    }
    return Ok();
}

std::optional<bool> BoolOf(Json v) {
    bool b = false;
    if (v.get_bool().get(b)) return std::nullopt;
    return b;
}

// ChangeInfo fields that REST always sends, or omits only when they are empty or false.
constexpr Field kRestChangeFields[] = {
    {"change_id", "change_id", Kind::kText},
    {"id", "triplet_id", Kind::kText},
    {"project", "project", Kind::kText},
    {"branch", "branch", Kind::kText},
    {"topic", "topic", Kind::kText},
    {"subject", "subject", Kind::kText},
    {"status", "status", Kind::kText},
    {"created", "created_at", Kind::kTime},
    {"updated", "updated_at", Kind::kTime},
    {"submitted", "submitted_at", Kind::kTime},
    {"insertions", "insertions", Kind::kIntString},
    {"deletions", "deletions", Kind::kIntString},
};

// The change attribute of stream events and webhooks.
constexpr Field kEventChangeFields[] = {
    {"id", "change_id", Kind::kText},
    {"branch", "branch", Kind::kText},
    {"topic", "topic", Kind::kText},
    {"subject", "subject", Kind::kText},
    {"status", "status", Kind::kText},
    {"createdOn", "created_at", Kind::kTime},
    {"lastUpdated", "updated_at", Kind::kTime},
};

constexpr Field kAccountFields[] = {
    {"username", "username", Kind::kText},
    {"name", "name", Kind::kText},
    {"display_name", "display_name", Kind::kText},
    {"email", "email", Kind::kText},
};

constexpr Field kRestRevisionFields[] = {
    {"_number", "patch_set", Kind::kIntString},
    {"ref", "ref", Kind::kText},
    {"kind", "kind", Kind::kText},
    {"created", "created_at", Kind::kTime},
};

constexpr Field kEventPatchSetFields[] = {
    {"number", "patch_set", Kind::kIntString},
    {"ref", "ref", Kind::kText},
    {"kind", "kind", Kind::kText},
    {"createdOn", "created_at", Kind::kTime},
};

// Old servers (2.x) give a revision's ref only inside its fetch map.
std::optional<std::string> FetchRef(Json revision) {
    auto fetch = JsonGet(revision, "fetch");
    simdjson::dom::object schemes;
    if (!fetch || fetch->get_object().get(schemes)) return std::nullopt;
    for (auto [scheme, info] : schemes) {
        (void)scheme;
        if (auto ref = JsonGetString(info, "ref")) return ref;
    }
    return std::nullopt;
}

Result<std::int64_t> AccountId(Json account, std::string_view what) {
    FORGEDB_TRY(RequireObject(account, what));
    auto v = JsonGet(account, "_account_id");
    std::optional<std::int64_t> id;
    if (v) id = IntOf(*v);
    if (!id) {
        return Unexpected(ErrorCode::kMissingData, std::string(what) + " has no '_account_id'");
    }
    return *id;
}

Status ProcessRestRevision(std::string_view sha, Json revision, std::int64_t number,
                           const Context& ctx) {
    FORGEDB_TRY(RequireObject(revision, "revision " + std::string(sha)));
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("change_number", number);
    row.Set("revision", std::string(sha));
    FORGEDB_TRY(CopyFields(revision, kRestRevisionFields, row, Absent::kUntouched));
    if (!row.Has("ref")) {
        if (auto ref = FetchRef(revision)) row.Set("ref", *ref);
    }
    std::optional<Json> uploader;
    if (auto u = JsonGet(revision, "uploader"); u && u->is_object()) {
        FORGEDB_ASSIGN_OR_RETURN(auto id, AccountId(*u, "revision uploader"));
        row.Set("uploader_account_id", id);
        uploader = *u;
    }
    if (auto subject = JsonPath(revision, {"commit", "subject"})) {
        if (auto s = JsonString(*subject)) row.Set("commit_subject", *s);
    }
    row.Set("raw", JsonText(revision));
    SetStamp(ctx, row);
    row.Set("deleted_at", Null{});
    FORGEDB_TRY(store::Upsert(ctx.conn, gm::kRevision, std::move(row)));
    if (uploader) FORGEDB_TRY(ProcessAccount(*uploader, ctx));
    return Ok();
}

Status ProcessEventPatchSet(Json patch_set, std::int64_t number, const Context& ctx) {
    FORGEDB_TRY(RequireObject(patch_set, "patchSet"));
    auto sha = JsonGetString(patch_set, "revision");
    if (!sha || sha->empty()) {
        return Unexpected(ErrorCode::kMissingData, "patchSet has no 'revision'");
    }
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("change_number", number);
    row.Set("revision", *sha);
    FORGEDB_TRY(CopyFields(patch_set, kEventPatchSetFields, row, Absent::kUntouched));
    // An event's patch set is not the REST RevisionInfo: it never replaces one stored earlier.
    row.Set("raw", JsonText(patch_set), Merge::kFillNull);
    SetStamp(ctx, row);
    FORGEDB_TRY(store::Upsert(ctx.conn, gm::kRevision, std::move(row)));
    return Ok();
}

}  // namespace

std::optional<std::int64_t> EventChangeNumber(Json event) {
    auto number = JsonPath(event, {"change", "number"});
    if (!number) return std::nullopt;
    return IntOf(*number);
}

std::optional<std::int64_t> ChangeNumberOfRef(std::string_view ref) {
    constexpr std::string_view kPrefix = "refs/changes/";
    if (!ref.starts_with(kPrefix)) return std::nullopt;
    ref.remove_prefix(kPrefix.size());
    size_t slash = ref.find('/');  // after the shard "NN"
    if (slash == std::string_view::npos || slash == 0) return std::nullopt;
    ref.remove_prefix(slash + 1);
    size_t end = ref.find('/');
    if (end == std::string_view::npos || end == 0 || end + 1 == ref.size()) return std::nullopt;
    std::int64_t number = 0;
    auto [p, ec] = std::from_chars(ref.data(), ref.data() + end, number);
    if (ec != std::errc() || p != ref.data() + end || number <= 0) return std::nullopt;
    return number;
}

Result<std::int64_t> ProcessAccount(Json account, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto id, AccountId(account, "account"));
    if (ctx.written != nullptr &&
        !ctx.written->insert(ctx.instance + "\n" + JsonText(account)).second) {
        return id;
    }
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("account_id", id);
    FORGEDB_TRY(CopyFields(account, kAccountFields, row, Absent::kUntouched));
    // A bare {"_account_id": N} (no account options) does not replace a fuller raw JSON.
    bool detailed = row.cells().size() > 2;
    row.Set("raw", JsonText(account), detailed ? Merge::kOverwrite : Merge::kFillNull);
    SetStamp(ctx, row);
    FORGEDB_TRY(store::Upsert(ctx.conn, gm::kAccount, std::move(row)));
    return id;
}

Result<Processed> ProcessChange(Json change, const Context& ctx) {
    FORGEDB_TRY(RequireObject(change, "change"));
    auto number = JsonGetInt(change, "_number");
    if (!number) return Unexpected(ErrorCode::kMissingData, "change has no integer '_number'");
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("number", *number);
    FORGEDB_TRY(CopyFields(change, kRestChangeFields, row, Absent::kNull));
    // REST omits false booleans.
    bool wip = false;
    if (auto v = JsonGet(change, "work_in_progress")) wip = BoolOf(*v).value_or(false);
    row.Set("work_in_progress", wip);
    std::optional<Json> owner;
    if (auto o = JsonGet(change, "owner"); o && o->is_object()) {
        FORGEDB_ASSIGN_OR_RETURN(auto owner_id, AccountId(*o, "change owner"));
        row.Set("owner_account_id", owner_id);
        auto username = JsonGetString(*o, "username");
        auto name = JsonGetString(*o, "name");
        row.Set("owner_username", username ? Value{*username} : Value{Null{}});
        row.Set("owner_name", name ? Value{*name} : Value{Null{}});
        owner = *o;
    }
    simdjson::dom::object revisions;
    bool has_revisions = false;
    if (auto r = JsonGet(change, "revisions")) has_revisions = !r->get_object().get(revisions);
    if (auto current = JsonGetString(change, "current_revision")) {
        row.Set("current_revision", *current);
        std::optional<std::int64_t> patch_set;
        if (has_revisions) {
            if (auto rev = JsonGet(change, "revisions")) {
                if (auto n = JsonPath(*rev, {*current, "_number"})) patch_set = IntOf(*n);
            }
        }
        row.Set("current_patch_set", patch_set ? Value{*patch_set} : Value{Null{}});
    }
    row.Set("raw", JsonText(change));
    SetStamp(ctx, row);
    // The API lists only changes that exist and that the reader sees: a full object lifts an
    // earlier tombstone and an earlier mark of unreadable.
    if (ctx.via == model::Via::kApi) row.Set("deleted_at", Null{}).Set("unreadable_at", Null{});
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::Upsert(ctx.conn, gm::kChange, std::move(row)));
    if (outcome == store::UpsertOutcome::kStale) return Processed{*number, true};
    if (owner) FORGEDB_TRY(ProcessAccount(*owner, ctx));
    if (has_revisions) {
        for (auto [sha, revision] : revisions) {
            FORGEDB_TRY(ProcessRestRevision(sha, revision, *number, ctx));
        }
    }
    return Processed{*number, false};
}

Result<Processed> ProcessChangeEvent(std::string_view type, Json event, const Context& ctx) {
    FORGEDB_TRY(RequireObject(event, "event"));
    auto change = JsonGet(event, "change");
    if (!change) return Unexpected(ErrorCode::kMissingData, "event has no 'change'");
    FORGEDB_TRY(RequireObject(*change, "event change"));
    auto number_value = JsonGet(*change, "number");
    if (!number_value) return Unexpected(ErrorCode::kMissingData, "event change has no 'number'");
    auto number = IntOf(*number_value);
    if (!number) {
        return Unexpected(ErrorCode::kInvalid, "event change 'number' is not a 64-bit integer: " +
                                                   JsonText(*number_value));
    }

    auto patch_set = JsonGet(event, "patchSet");
    if (patch_set && patch_set->is_null()) patch_set.reset();
    if (patch_set && !patch_set->is_object()) {
        return Unexpected(ErrorCode::kInvalid,
                          "unexpected value for 'patchSet': " + JsonText(*patch_set));
    }
    // A stale event changes nothing of its change; the patch set it names exists all the same
    // (patch sets never change), so it is stored whatever the order.
    auto stale = [&]() -> Result<Processed> {
        if (patch_set) FORGEDB_TRY(ProcessEventPatchSet(*patch_set, *number, ctx));
        return Processed{*number, true};
    };

    // Stale when the stored change was updated, or met a newer event, after this event happened.
    std::optional<Timestamp> happened;
    if (auto v = JsonGet(*change, "lastUpdated")) happened = TimeOf(*v);
    if (auto v = JsonGet(event, "eventCreatedOn"); v && !v->is_null()) {
        // A time out of range is refused, not taken for an absent one.
        auto created = TimeOf(*v);
        if (!created) {
            return Unexpected(ErrorCode::kInvalid,
                              "unexpected value for 'eventCreatedOn': " + JsonText(*v));
        }
        if (!happened) happened = created;
    }
    if (happened) {
        FORGEDB_ASSIGN_OR_RETURN(
            auto stored, store::gerrit::LoadChangeVersions(ctx.conn, ctx.instance, *number));
        // Gerrit's times have second precision.
        auto event_second = std::chrono::floor<std::chrono::seconds>(*happened);
        if (stored.updated_at && *stored.updated_at > event_second) return stale();
        if (stored.last_event_at && *stored.last_event_at > event_second) return stale();
    }

    Row row;
    row.Set("instance", ctx.instance);
    row.Set("number", *number);
    FORGEDB_TRY(CopyFields(*change, kEventChangeFields, row, Absent::kUntouched));
    if (auto project = JsonGet(*change, "project")) {
        // A string in stream events, {"name": ...} in some webhook bodies.
        if (auto s = JsonString(*project)) {
            row.Set("project", *s);
        } else if (auto name = JsonGetString(*project, "name")) {
            row.Set("project", *name);
        } else if (!project->is_null()) {
            return Unexpected(ErrorCode::kInvalid,
                              "unexpected value for 'project': " + JsonText(*project));
        }
    }
    if (auto owner = JsonGet(*change, "owner"); owner && !owner->is_null()) {
        if (!owner->is_object()) {
            return Unexpected(ErrorCode::kInvalid,
                              "unexpected value for 'owner': " + JsonText(*owner));
        }
        for (auto [key, column] :
             {std::pair{"username", "owner_username"}, {"name", "owner_name"}}) {
            auto v = JsonGet(*owner, key);
            if (!v || v->is_null()) continue;
            auto s = JsonString(*v);
            if (!s) {
                return Unexpected(ErrorCode::kInvalid, std::string("unexpected value for 'owner.") +
                                                           key + "': " + JsonText(*v));
            }
            row.Set(column, *s);
        }
    }
    if (auto wip = JsonGet(*change, "wip")) {
        if (auto b = BoolOf(*wip)) {
            row.Set("work_in_progress", *b);
        } else if (!wip->is_null()) {
            return Unexpected(ErrorCode::kInvalid, "unexpected value for 'wip': " + JsonText(*wip));
        }
    } else if (type == "wip-state-changed") {
        row.Set("work_in_progress", false);  // "wip" is sent only while it is true
    }
    // Events move the change forward (a stale one was refused above): the highest patch set any
    // event names, the submission of a merge, and its raw copy. Not updated_at: an event's time
    // can be a second later than the `updated` of the REST answer that the event's refresh
    // brings, which would then be refused as stale.
    if (patch_set) {
        if (auto n = JsonGet(*patch_set, "number")) {
            if (auto ps = IntOf(*n)) row.Set("current_patch_set", *ps, Merge::kMax);
        }
    }
    if (happened) row.Set("last_event_at", FormatForgeTime(*happened), Merge::kMax);
    if (type == "change-merged" && happened) {
        row.Set("submitted_at", FormatForgeTime(*happened), Merge::kFillNull);
    }
    if (patch_set && type == "patchset-created") {
        if (auto sha = JsonGetString(*patch_set, "revision")) row.Set("current_revision", *sha);
        // Sizes of the new current patch set; SSH output counts deletions negatively.
        for (const char* key : {"sizeInsertions", "sizeDeletions"}) {
            auto v = JsonGet(*patch_set, key);
            if (!v || v->is_null()) continue;
            auto size = JsonInt(*v);
            if (!size || *size == std::numeric_limits<std::int64_t>::min()) {
                return Unexpected(ErrorCode::kInvalid, std::string("unexpected value for '") + key +
                                                           "': " + JsonText(*v));
            }
            const bool deletions = std::string_view(key) == "sizeDeletions";
            row.Set(deletions ? "deletions" : "insertions",
                    deletions ? static_cast<std::int64_t>(std::llabs(*size)) : *size);
        }
    }
    if (type == "change-deleted") {
        row.Set("deleted_at", FormatLocalTime(ctx.fetched_at), Merge::kFillNull);
    }
    // The newest event's change (the older ones were refused as stale above).
    row.Set("raw", JsonText(*change));
    SetStamp(ctx, row);
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::Upsert(ctx.conn, gm::kChange, std::move(row)));
    if (outcome == store::UpsertOutcome::kStale) return stale();
    if (patch_set) FORGEDB_TRY(ProcessEventPatchSet(*patch_set, *number, ctx));
    return Processed{*number, false};
}

}  // namespace forgedb::process::gerrit
