#pragma once
// Base64 (RFC 4648, standard alphabet, '=' padding). Thread-safe.

#include <string>
#include <string_view>

namespace forgedb {

// E.g. Base64Encode("user:secret") == "dXNlcjpzZWNyZXQ=" (HTTP basic auth).
std::string Base64Encode(std::string_view in);

}  // namespace forgedb
