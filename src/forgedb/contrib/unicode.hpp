#pragma once
// The little Unicode the contributor view needs to reproduce the original system's query hash
// (Python's str.lower() and Django's slugify, which keeps the ASCII part of each character's NFKD
// decomposition) and its fuzzy name match. Tables are generated (tools/gen_contrib_unicode.py).
// Thread-safe (pure functions over constant tables).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace forgedb::contrib::unicode {

struct LowerEntry {
    std::uint32_t from;
    std::uint32_t to;
};
struct AsciiEntry {
    std::uint32_t code_point;
    const char* ascii;
};
// Sorted by the first member.
extern const LowerEntry kLower[];
extern const std::size_t kLowerSize;
extern const AsciiEntry kAscii[];
extern const std::size_t kAsciiSize;

// Code points of UTF-8 text; a malformed sequence gives U+FFFD for its first byte.
std::u32string DecodeUtf8(std::string_view text);
// The same; `valid` tells whether every sequence was well-formed.
std::u32string DecodeUtf8(std::string_view text, bool& valid);
bool IsValidUtf8(std::string_view text);
void AppendUtf8(std::string& out, char32_t cp);

// Python's str.lower() of one code point (U+0130 lowers to "i" + U+0307, two code points).
std::u32string LowerCodePoint(char32_t cp);
// Python's str.lower() of UTF-8 text.
std::string PyLower(std::string_view text);
// The ASCII characters NFKD leaves of `cp` ("" for none); ASCII code points are themselves.
std::string_view AsciiFold(char32_t cp);

}  // namespace forgedb::contrib::unicode
