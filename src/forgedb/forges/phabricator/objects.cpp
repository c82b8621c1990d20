#include "forgedb/forges/phabricator/objects.hpp"

#include <span>
#include <string_view>

#include "forgedb/forge/fields.hpp"
#include "forgedb/forges/phabricator/model.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::process::phabricator {
namespace {

using model::Null;
using model::Row;
using model::Value;

using forge::CopyFields;
using forge::Field;
using forge::Kind;

// `v` as an object; an empty list (PHP's encoding of an empty object) counts as no members.
// nullopt for null, an empty list and anything else that is not an object.
Result<std::optional<Json>> AsObject(Json v, std::string_view what) {
    if (v.is_object()) return std::optional<Json>{v};
    if (v.is_null()) return std::optional<Json>{};
    simdjson::dom::array arr;
    if (!v.get_array().get(arr) && arr.size() == 0) return std::optional<Json>{};
    return Unexpected(ErrorCode::kInvalid,
                      std::string(what) + " is not a JSON object: " + JsonText(v).substr(0, 200));
}

// The common head of a *.search item: an object with a string phid, an integer id (optional
// for users, whose key is the PHID) and its `fields` object (maybe empty).
struct Item {
    std::int64_t id = 0;
    bool has_id = false;
    std::string phid;
    std::optional<Json> fields;
};

Result<Item> ReadItem(Json item, std::string_view what, bool id_required) {
    if (!item.is_object()) {
        return Unexpected(ErrorCode::kInvalid, std::string(what) + " is not a JSON object");
    }
    Item out;
    auto phid = JsonGetString(item, "phid");
    if (!phid || phid->empty()) {
        return Unexpected(ErrorCode::kMissingData, std::string(what) + " has no string 'phid'");
    }
    out.phid = std::move(*phid);
    if (auto id_value = JsonGet(item, "id")) {
        FORGEDB_ASSIGN_OR_RETURN(Value v,
                                 forge::Convert(*id_value, Field{"id", "id", Kind::kIntString}));
        if (auto* i = std::get_if<std::int64_t>(&v)) {
            out.id = *i;
            out.has_id = true;
        }
    }
    if (id_required && !out.has_id) {
        return Unexpected(ErrorCode::kMissingData,
                          std::string(what) + " " + out.phid + " has no integer 'id'");
    }
    if (auto f = JsonGet(item, "fields")) {
        FORGEDB_ASSIGN_OR_RETURN(out.fields, AsObject(*f, std::string(what) + " fields"));
    }
    return out;
}

std::optional<Timestamp> Modified(const Item& item) {
    if (!item.fields) return std::nullopt;
    auto v = JsonGet(*item.fields, "dateModified");
    if (!v) return std::nullopt;
    auto i = JsonInt(*v);
    if (!i) return std::nullopt;
    return FromUnixSeconds(*i);
}

// The replication stamp and the raw JSON; a full object from the API lifts a tombstone.
void Stamp(Json obj, const Context& ctx, Row& row) {
    row.Set("raw", JsonText(obj));
    row.Set(model::StampColumn(ctx.via), FormatLocalTime(ctx.fetched_at));
    if (ctx.via == model::Via::kApi) row.Set("deleted_at", Null{});
}

Result<Processed> Write(const model::Table& table, const Item& item, Row& row, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(auto outcome, store::Upsert(ctx.conn, table, std::move(row)));
    return Processed{item.id, item.phid, Modified(item), outcome == store::UpsertOutcome::kStale};
}

constexpr Field kUserFields[] = {
    {"username", "username", Kind::kText},
    {"realName", "real_name", Kind::kText},
    {"roles", "roles", Kind::kJson},
    {"dateCreated", "created_at", Kind::kEpoch},
    {"dateModified", "modified_at", Kind::kEpoch},
};

constexpr Field kTaskFields[] = {
    {"name", "title", Kind::kText},
    {"status", "status", Kind::kText, "value"},
    {"status", "status_name", Kind::kText, "name"},
    {"priority", "priority", Kind::kText, "name"},
    {"priority", "priority_value", Kind::kIntString, "value"},
    {"subtype", "subtype", Kind::kText},
    {"authorPHID", "author_phid", Kind::kText},
    {"ownerPHID", "owner_phid", Kind::kText},
    {"closerPHID", "closer_phid", Kind::kText},
    {"dateCreated", "created_at", Kind::kEpoch},
    {"dateModified", "modified_at", Kind::kEpoch},
    {"dateClosed", "closed_at", Kind::kEpoch},
};

constexpr Field kRevisionFields[] = {
    {"title", "title", Kind::kText},
    {"status", "status", Kind::kText, "value"},
    {"status", "status_name", Kind::kText, "name"},
    {"status", "closed", Kind::kBool, "closed"},
    {"authorPHID", "author_phid", Kind::kText},
    {"repositoryPHID", "repository_phid", Kind::kText},
    {"diffPHID", "diff_phid", Kind::kText},
    {"dateCreated", "created_at", Kind::kEpoch},
    {"dateModified", "modified_at", Kind::kEpoch},
};

}  // namespace

Result<SearchResult> ReadSearchResult(Json envelope) {
    Json result = envelope;
    if (auto r = JsonGet(envelope, "result")) result = *r;
    if (!result.is_object()) {
        return Unexpected(ErrorCode::kInvalid,
                          "search result is not a JSON object: " + JsonText(result).substr(0, 200));
    }
    SearchResult out;
    auto data = JsonGet(result, "data");
    if (!data) return Unexpected(ErrorCode::kMissingData, "search result has no 'data'");
    simdjson::dom::array arr;
    if (data->get_array().get(arr)) {
        return Unexpected(ErrorCode::kInvalid, "search result 'data' is not a list");
    }
    out.data.reserve(arr.size());
    for (Json item : arr) out.data.push_back(item);
    auto cursor_value = JsonGet(result, "cursor");
    std::optional<Json> cursor;
    if (cursor_value) {
        FORGEDB_ASSIGN_OR_RETURN(cursor, AsObject(*cursor_value, "result.cursor"));
    }
    if (cursor) {
        if (auto after = JsonGet(*cursor, "after"); after && !after->is_null()) {
            if (auto s = JsonString(*after)) {
                out.after = std::move(*s);
            } else if (auto i = JsonInt(*after)) {
                out.after = std::to_string(*i);
            } else {
                return Unexpected(ErrorCode::kInvalid,
                                  "result.cursor.after is not a string: " + JsonText(*after));
            }
            if (out.after->empty()) out.after.reset();
        }
    }
    return out;
}

const ObjectType* FindObjectType(std::string_view phid_type) {
    for (const ObjectType* type : kObjectTypes) {
        if (type->phid_type == phid_type) return type;
    }
    return nullptr;
}

std::optional<std::string_view> PhidType(std::string_view phid) {
    constexpr std::string_view kPrefix = "PHID-";
    if (phid.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
    size_t end = phid.find('-', kPrefix.size());
    if (end == std::string_view::npos) return std::nullopt;
    return phid.substr(kPrefix.size(), end - kPrefix.size());
}

Result<Processed> ProcessUser(Json item, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Item head, ReadItem(item, kUserType.noun, /*id_required=*/false));
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("phid", head.phid);
    if (head.has_id) row.Set("id", head.id);
    if (head.fields) FORGEDB_TRY(CopyFields(*head.fields, kUserFields, row));
    Stamp(item, ctx, row);
    return Write(*kUserType.table, head, row, ctx);
}

Result<Processed> ProcessTask(Json item, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Item head, ReadItem(item, kTaskType.noun, /*id_required=*/true));
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("id", head.id);
    row.Set("phid", head.phid);
    if (head.fields) FORGEDB_TRY(CopyFields(*head.fields, kTaskFields, row));
    if (auto a = JsonGet(item, "attachments")) {
        FORGEDB_ASSIGN_OR_RETURN(auto attachments, AsObject(*a, "task attachments"));
        if (attachments) {
            if (auto projects = JsonPath(*attachments, {"projects", "projectPHIDs"})) {
                simdjson::dom::array arr;
                if (projects->get_array().get(arr)) {
                    return Unexpected(ErrorCode::kInvalid,
                                      "task " + head.phid + ": projectPHIDs is not a list");
                }
                row.Set("projects", JsonText(*projects));
            }
        }
    }
    Stamp(item, ctx, row);
    return Write(*kTaskType.table, head, row, ctx);
}

Result<Processed> ProcessRevision(Json item, const Context& ctx) {
    FORGEDB_ASSIGN_OR_RETURN(Item head, ReadItem(item, kRevisionType.noun, /*id_required=*/true));
    Row row;
    row.Set("instance", ctx.instance);
    row.Set("id", head.id);
    row.Set("phid", head.phid);
    if (head.fields) FORGEDB_TRY(CopyFields(*head.fields, kRevisionFields, row));
    Stamp(item, ctx, row);
    return Write(*kRevisionType.table, head, row, ctx);
}

}  // namespace forgedb::process::phabricator
