#pragma once
// UTC timestamps: parsing the forms the forges send and formatting the forms the database stores.
// Thread-safe (pure functions).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace forgedb {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HH)" and the same with a space instead of
// 'T' (PostgreSQL's output) or without a zone (taken as UTC). Gerrit's nanosecond fractions are
// truncated to microseconds. Returns nullopt for anything else.
std::optional<Timestamp> ParseTimestamp(std::string_view text);
// "YYYY-MM-DD" as midnight UTC; nullopt for anything else.
std::optional<Timestamp> ParseDay(std::string_view s);
// A timestamp as ParseTimestamp reads it, or a day as ParseDay does.
std::optional<Timestamp> ParseDayOrTimestamp(std::string_view s);

// Seconds since the Unix epoch (GitHub sends these in push payloads).
Timestamp FromUnixSeconds(long long seconds);

// "YYYY-MM-DDTHH:MM:SSZ": the stored form of timestamps that come from a forge (second precision).
std::string FormatForgeTime(Timestamp t);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ": the stored form of forgedb's own timestamps (replication stamps,
// job times). Fixed width, so the text sorts in time order.
std::string FormatLocalTime(Timestamp t);

// "YYYY-MM-DD hh:mm:ss.nnnnnnnnn": Gerrit's REST form (UTC, no zone, nanosecond digits).
std::string FormatGerritTime(Timestamp t);

}  // namespace forgedb
