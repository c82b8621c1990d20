#include "forgedb/forges/phabricator/objects.hpp"

#include <charconv>
#include <span>
#include <string_view>

#include "forgedb/forges/phabricator/model.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::process::phabricator {
namespace {

using model::Null;
using model::Row;
using model::Value;

enum class Kind { kInt, kBool, kText, kEpoch, kJson };

// The value fields[key] or fields[key][subkey]. Keys are never split on dots: Phabricator has
// keys such as "color.ansi".
struct Field {
    std::string_view key;
    std::string_view subkey;  // "" = none
    std::string_view column;
    Kind kind;
};

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

// obj[key] or obj[key][subkey]; nullopt when a step is missing or not an object (an empty PHP
// list stands for an empty object).
std::optional<Json> Lookup(Json obj, std::string_view key, std::string_view subkey = "") {
    auto v = JsonGet(obj, key);
    if (!v || subkey.empty()) return v;
    return JsonGet(*v, subkey);
}

Result<Value> Convert(Json v, const Field& f) {
    if (v.is_null()) return Value{Null{}};
    switch (f.kind) {
        case Kind::kInt: {
            if (auto i = JsonInt(v)) return Value{*i};
            // Legacy methods send numbers as strings of digits.
            if (auto s = JsonString(v)) {
                std::int64_t i = 0;
                auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), i);
                if (ec == std::errc() && end == s->data() + s->size() && !s->empty()) {
                    return Value{i};
                }
            }
            break;
        }
        case Kind::kBool: {
            bool b = false;
            if (!v.get_bool().get(b)) return Value{b};
            break;
        }
        case Kind::kText: {
            auto s = JsonString(v);
            return Value{s ? *s : JsonText(v)};
        }
        case Kind::kEpoch: {
            std::optional<std::int64_t> seconds = JsonInt(v);
            if (!seconds) {
                if (auto s = JsonString(v)) {
                    std::int64_t i = 0;
                    auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), i);
                    if (ec == std::errc() && end == s->data() + s->size() && !s->empty()) {
                        seconds = i;
                    }
                }
            }
            if (seconds) {
                if (auto t = FromUnixSeconds(*seconds)) return Value{FormatForgeTime(*t)};
            }
            break;  // out of range: the error below names the field
        }
        case Kind::kJson:
            return Value{JsonText(v)};
    }
    std::string path(f.key);
    if (!f.subkey.empty()) path += "." + std::string(f.subkey);
    return Unexpected(ErrorCode::kInvalid,
                      "unexpected value for '" + path + "': " + JsonText(v).substr(0, 200));
}

Status CopyFields(Json obj, std::span<const Field> fields, Row& row) {
    for (const auto& f : fields) {
        auto v = Lookup(obj, f.key, f.subkey);
        if (!v) continue;
        FORGEDB_ASSIGN_OR_RETURN(Value value, Convert(*v, f));
        row.Set(f.column, std::move(value));
    }
    return Ok();
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
        FORGEDB_ASSIGN_OR_RETURN(Value v, Convert(*id_value, Field{"id", "", "id", Kind::kInt}));
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
    {"username", "", "username", Kind::kText},
    {"realName", "", "real_name", Kind::kText},
    {"roles", "", "roles", Kind::kJson},
    {"dateCreated", "", "created_at", Kind::kEpoch},
    {"dateModified", "", "modified_at", Kind::kEpoch},
};

constexpr Field kTaskFields[] = {
    {"name", "", "title", Kind::kText},
    {"status", "value", "status", Kind::kText},
    {"status", "name", "status_name", Kind::kText},
    {"priority", "name", "priority", Kind::kText},
    {"priority", "value", "priority_value", Kind::kInt},
    {"subtype", "", "subtype", Kind::kText},
    {"authorPHID", "", "author_phid", Kind::kText},
    {"ownerPHID", "", "owner_phid", Kind::kText},
    {"closerPHID", "", "closer_phid", Kind::kText},
    {"dateCreated", "", "created_at", Kind::kEpoch},
    {"dateModified", "", "modified_at", Kind::kEpoch},
    {"dateClosed", "", "closed_at", Kind::kEpoch},
};

constexpr Field kRevisionFields[] = {
    {"title", "", "title", Kind::kText},
    {"status", "value", "status", Kind::kText},
    {"status", "name", "status_name", Kind::kText},
    {"status", "closed", "closed", Kind::kBool},
    {"authorPHID", "", "author_phid", Kind::kText},
    {"repositoryPHID", "", "repository_phid", Kind::kText},
    {"diffPHID", "", "diff_phid", Kind::kText},
    {"dateCreated", "", "created_at", Kind::kEpoch},
    {"dateModified", "", "modified_at", Kind::kEpoch},
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
            if (auto projects = Lookup(*attachments, "projects", "projectPHIDs")) {
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
