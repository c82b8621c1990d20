#include "forgedb/forge/fields.hpp"

#include <charconv>
#include <string>

#include "forgedb/core/time.hpp"

namespace forgedb::forge {

using model::Null;
using model::Row;
using model::Value;

Result<Value> Convert(Json v, const Field& f) {
    if (v.is_null()) return Value{Null{}};
    switch (f.kind) {
        case Kind::kInt: {
            auto i = JsonInt(v);
            if (!i) break;
            return Value{*i};
        }
        case Kind::kIntString: {
            if (auto i = JsonInt(v)) return Value{*i};
            auto s = JsonString(v);
            if (!s || s->empty()) break;
            std::int64_t out = 0;
            auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), out);
            if (ec != std::errc() || end != s->data() + s->size()) break;
            return Value{out};
        }
        case Kind::kBool: {
            bool b;
            if (v.get_bool().get(b)) break;
            return Value{b};
        }
        case Kind::kText: {
            auto s = JsonString(v);
            return Value{s ? *s : JsonText(v)};
        }
        case Kind::kTime: {
            if (auto s = JsonString(v)) {
                auto t = ParseTimestamp(*s);
                if (!t) break;
                return Value{FormatForgeTime(*t)};
            }
            if (auto i = JsonInt(v)) {
                if (auto t = FromUnixSeconds(*i)) return Value{FormatForgeTime(*t)};
            }
            break;  // out of range (years 0001..9999): the error below names the field
        }
        case Kind::kEpoch: {
            std::optional<std::int64_t> seconds = JsonInt(v);
            if (auto s = JsonString(v); !seconds && s && !s->empty()) {
                std::int64_t i = 0;
                auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), i);
                if (ec == std::errc() && end == s->data() + s->size()) seconds = i;
            }
            if (seconds) {
                if (auto t = FromUnixSeconds(*seconds)) return Value{FormatForgeTime(*t)};
            }
            break;  // out of range: the error below names the field
        }
        case Kind::kJson:
            return Value{JsonText(v)};
    }
    std::string path(f.json);
    if (!f.subkey.empty()) path += "." + std::string(f.subkey);
    return Unexpected(ErrorCode::kInvalid,
                      "unexpected value for '" + path + "': " + JsonText(v).substr(0, 200));
}

Status CopyFields(Json obj, std::span<const Field> fields, Row& row, Absent absent) {
    for (const auto& f : fields) {
        auto v = JsonGet(obj, f.json);
        if (v && !f.subkey.empty()) v = JsonGet(*v, f.subkey);
        if (!v) {
            if (absent == Absent::kNull) row.Set(f.column, Null{});
            continue;
        }
        FORGEDB_ASSIGN_OR_RETURN(Value value, Convert(*v, f));
        row.Set(f.column, std::move(value));
    }
    return Ok();
}

}  // namespace forgedb::forge
