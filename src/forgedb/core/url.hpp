#pragma once
// Percent-encoding of URL components (RFC 3986). Thread-safe.

#include <string>
#include <string_view>

namespace forgedb {

// Percent-encodes `s` with upper-case hex: RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~)
// and the characters of `keep` stay as they are, every other byte becomes %XX. With the default
// `keep` the result is safe as a path segment, a query value or a form component.
std::string PercentEncode(std::string_view s, std::string_view keep = "");

}  // namespace forgedb
