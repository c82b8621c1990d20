#pragma once
// Text helpers: ASCII case handling, for protocol tokens, header names, usernames and other
// identifiers (not for Unicode text: bytes outside A-Z are left as they are), and UTF-8
// validity. Thread-safe.

#include <string>
#include <string_view>

namespace forgedb {

std::string AsciiLower(std::string_view s);

inline constexpr std::string_view kUtf8Replacement = "\xEF\xBF\xBD";  // U+FFFD
// The length of the valid UTF-8 sequence starting at s[i] (a byte >= 0x80), or 0 if it is not
// one (stray continuation byte, overlong form, surrogate, above U+10FFFF, cut short).
size_t Utf8SequenceLength(std::string_view s, size_t i);
// `s` with every byte that starts no valid sequence replaced by U+FFFD: for text cut from other
// systems' answers before it is stored (PostgreSQL refuses invalid UTF-8) or shown.
std::string ValidUtf8(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

// `s` with every NUL character replaced by U+FFFD. Text columns never hold NUL: PostgreSQL cuts a
// text parameter at it and SQLite's text functions stop at it, so the stores write every text
// value through this (the raw JSON keeps the exact text, as the escape \u0000).
std::string ReplaceNul(std::string_view s);

}  // namespace forgedb
