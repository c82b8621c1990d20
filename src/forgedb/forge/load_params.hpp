#pragma once
// The checks every forge's load routes share: query parameters are checked strictly (an unknown
// one, a repeated one or a bad value is an error naming it), flags and times have one syntax.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forge/forge.hpp"

namespace forgedb::forge {

// Refuses parameters not in `known`, and any given twice (a typo must not silently widen a
// crawl).
Status OnlyKnown(const Query& query, std::initializer_list<std::string_view> known);

// The parameter's value, or nullopt when absent.
std::optional<std::string_view> QueryValue(const Query& query, const std::string& name);
// The parameter's value, or "" when absent.
std::string QueryText(const Query& query, const std::string& name);

// Parses "true", "false", "1", "0"; absent gives `fallback`; anything else is an error naming
// the flag.
Result<bool> ParseFlag(std::string_view name, std::optional<std::string_view> value, bool fallback);

// "YYYY-MM-DD" (midnight UTC) or a full timestamp; absent or empty gives nullopt.
Result<std::optional<Timestamp>> TimeParam(const Query& query, const std::string& name);

}  // namespace forgedb::forge
