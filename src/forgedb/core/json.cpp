#include "forgedb/core/json.hpp"

namespace forgedb {

Result<JsonDocument> JsonDocument::Parse(std::string_view text) {
    JsonDocument doc;
    doc.parser_ = std::make_unique<simdjson::dom::parser>();
    auto err = doc.parser_->parse(text.data(), text.size()).get(doc.root_);
    if (err) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string("body is not valid JSON: ") + simdjson::error_message(err));
    }
    return doc;
}

Result<Json> ParseOnThisThread(std::string_view text) {
    thread_local simdjson::dom::parser parser;
    Json root;
    auto err = parser.parse(text.data(), text.size()).get(root);
    if (err) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string("body is not valid JSON: ") + simdjson::error_message(err));
    }
    return root;
}

Result<Json> ParseAnswer(std::string_view text, std::string_view what) {
    auto root = ParseOnThisThread(text);
    if (!root) {
        return Unexpected(
            ErrorCode::kTransient,
            std::string(what) + ": the answer is not complete JSON (" + root.error().message + ")");
    }
    return root;
}

std::optional<Json> JsonGet(Json obj, std::string_view key) {
    if (!obj.is_object()) return std::nullopt;
    Json v;
    if (obj.get_object().value_unsafe().at_key(key).get(v)) return std::nullopt;
    return v;
}

std::optional<Json> JsonPath(Json obj, std::initializer_list<std::string_view> keys) {
    std::optional<Json> cur = obj;
    for (auto k : keys) {
        cur = JsonGet(*cur, k);
        if (!cur) return std::nullopt;
    }
    return cur;
}

bool JsonIsNull(Json v) { return v.is_null(); }

std::optional<std::int64_t> JsonInt(Json v) {
    std::int64_t i;
    if (!v.get_int64().get(i)) return i;
    // Beyond int64 (a uint64 such as 2^63, or a double outside the range) there is no int64 to
    // give: wrapping would store another object's id.
    double d;
    if (!v.get_double().get(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
        d == static_cast<double>(static_cast<std::int64_t>(d))) {
        return static_cast<std::int64_t>(d);
    }
    return std::nullopt;
}

std::optional<std::string> JsonString(Json v) {
    std::string_view s;
    if (v.get_string().get(s)) return std::nullopt;
    return std::string(s);
}

std::optional<std::string> JsonGetString(Json obj, std::string_view key) {
    auto v = JsonGet(obj, key);
    if (!v) return std::nullopt;
    return JsonString(*v);
}

std::optional<std::int64_t> JsonGetInt(Json obj, std::string_view key) {
    auto v = JsonGet(obj, key);
    if (!v) return std::nullopt;
    return JsonInt(*v);
}

std::string JsonText(Json v) { return simdjson::minify(v); }

}  // namespace forgedb
