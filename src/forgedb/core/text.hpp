#pragma once
// ASCII case handling, for protocol tokens, header names, usernames and other identifiers (not
// for Unicode text: bytes outside A-Z are left as they are). Thread-safe.

#include <string>
#include <string_view>

namespace forgedb {

std::string AsciiLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace forgedb
