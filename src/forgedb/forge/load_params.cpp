#include "forgedb/forge/load_params.hpp"

namespace forgedb::forge {

Status OnlyKnown(const Query& query, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : query) {
        bool ok = false;
        for (auto name : known) ok = ok || k == name;
        if (!ok) return Unexpected(ErrorCode::kInvalid, "unknown parameter '" + k + "'");
        if (query.count(k) > 1) {
            return Unexpected(ErrorCode::kInvalid, "parameter '" + k + "' is given twice");
        }
    }
    return Ok();
}

std::optional<std::string_view> QueryValue(const Query& query, const std::string& name) {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return std::string_view(it->second);
}

std::string QueryText(const Query& query, const std::string& name) {
    return std::string(QueryValue(query, name).value_or(""));
}

Result<bool> ParseFlag(std::string_view name, std::optional<std::string_view> value,
                       bool fallback) {
    if (!value) return fallback;
    if (*value == "true" || *value == "1") return true;
    if (*value == "false" || *value == "0") return false;
    return Unexpected(
        ErrorCode::kInvalid,
        std::string(name) + " must be true, false, 1 or 0, not '" + std::string(*value) + "'");
}

Result<std::optional<Timestamp>> TimeParam(const Query& query, const std::string& name) {
    auto v = QueryText(query, name);
    if (v.empty()) return std::optional<Timestamp>{};
    auto t = ParseDayOrTimestamp(v);
    if (!t) {
        return Unexpected(ErrorCode::kInvalid,
                          name + " must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not '" + v + "'");
    }
    return std::optional<Timestamp>{*t};
}

}  // namespace forgedb::forge
