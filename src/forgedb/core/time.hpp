#pragma once
// UTC timestamps: parsing the forms the forges send and formatting the forms the database stores.
// Thread-safe (pure functions).

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace forgedb {

using Timestamp = std::chrono::sys_time<std::chrono::microseconds>;

// Times forgedb stores lie in years 0001 to 9999 UTC, which both backends accept alike (PostgreSQL
// refuses year 0000, SQLite would store anything): a time outside is refused where it is read.
inline constexpr long long kMinUnixSeconds = -62135596800;  // 0001-01-01T00:00:00Z
inline constexpr long long kMaxUnixSeconds = 253402300799;  // 9999-12-31T23:59:59Z

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM|+HH| UTC)" and the same with a space
// instead of 'T' (PostgreSQL's output, GitLab's webhooks) or without a zone (taken as UTC).
// Gerrit's nanosecond fractions are truncated to microseconds. Returns nullopt for anything else,
// and for a time outside years 0001..9999 UTC.
std::optional<Timestamp> ParseTimestamp(std::string_view text);
// "YYYY-MM-DD" as midnight UTC; nullopt for anything else.
std::optional<Timestamp> ParseDay(std::string_view s);
// A timestamp as ParseTimestamp reads it, or a day as ParseDay does.
std::optional<Timestamp> ParseDayOrTimestamp(std::string_view s);

// Seconds since the Unix epoch (GitHub sends these in push payloads, Gerrit and Phabricator in
// events); nullopt outside [kMinUnixSeconds, kMaxUnixSeconds], so that no value can overflow.
std::optional<Timestamp> FromUnixSeconds(long long seconds);

// "YYYY-MM-DDTHH:MM:SSZ": the stored form of timestamps that come from a forge (second precision).
std::string FormatForgeTime(Timestamp t);

// "YYYY-MM-DDTHH:MM:SS.ffffffZ": the stored form of forgedb's own timestamps (replication stamps,
// job times). Fixed width, so the text sorts in time order.
std::string FormatLocalTime(Timestamp t);

// "YYYY-MM-DD hh:mm:ss.nnnnnnnnn": Gerrit's REST form (UTC, no zone, nanosecond digits).
std::string FormatGerritTime(Timestamp t);

}  // namespace forgedb
