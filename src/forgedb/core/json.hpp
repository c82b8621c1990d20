#pragma once
// Read helpers over simdjson's DOM, the parser used wherever payloads are large or parsing is hot.
// A JsonDocument owns its parser and its parsed tree; elements borrowed from it live as long as it.

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "forgedb/core/result.hpp"

namespace forgedb {

using Json = simdjson::dom::element;

class JsonDocument {
public:
    // Parses and fully validates `text` (UTF-8 included).
    static Result<JsonDocument> Parse(std::string_view text);
    Json root() const { return root_; }

private:
    std::unique_ptr<simdjson::dom::parser> parser_;
    Json root_;
};

// Parses and validates `text` with a parser owned by the calling thread, so that repeated parses
// reuse its memory. The result is valid until the next call on the same thread.
Result<Json> ParseOnThisThread(std::string_view text);

// Parses a forge's answer as ParseOnThisThread does, but a body that is not valid JSON (cut short
// on the way, or the error page of a proxy) is kTransient, named by `what`, so that the job that
// asked is retried with backoff and ends dead if the fault lasts.
Result<Json> ParseAnswer(std::string_view text, std::string_view what);

// The member `key` of `obj`; nullopt when obj is not an object or has no such member.
std::optional<Json> JsonGet(Json obj, std::string_view key);
// obj[key1][key2]...: nullopt as soon as a step is missing or not an object.
std::optional<Json> JsonPath(Json obj, std::initializer_list<std::string_view> keys);
bool JsonIsNull(Json v);
// Integers, and integral doubles, within int64; nullopt for anything else (2^63 and beyond too).
std::optional<std::int64_t> JsonInt(Json v);
std::optional<std::string> JsonString(Json v);
std::optional<std::string> JsonGetString(Json obj, std::string_view key);
std::optional<std::int64_t> JsonGetInt(Json obj, std::string_view key);
// Compact JSON text of v.
std::string JsonText(Json v);

}  // namespace forgedb
