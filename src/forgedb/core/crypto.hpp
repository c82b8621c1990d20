#pragma once
// HMAC signatures as the forges send them, and plain digests. Thread-safe.

#include <string>
#include <string_view>

namespace forgedb {

// Lower-case hex of HMAC-SHA256(key, data).
// Lower-case hex of `bytes`.
std::string HexEncode(std::string_view bytes);
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Lower-case hex of SHA-256(data).
std::string Sha256Hex(std::string_view data);

// Compares a received "<hex>" signature to the expected one in constant time (for equal lengths).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace forgedb
