#include "forgedb/contrib/unicode.hpp"

#include <algorithm>

namespace forgedb::contrib::unicode {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// The single-character strings of ASCII, for AsciiFold of ASCII input.
struct AsciiStrings {
    char text[128][2];
    constexpr AsciiStrings() : text() {
        for (int i = 0; i < 128; ++i) {
            text[i][0] = static_cast<char>(i);
            text[i][1] = '\0';
        }
    }
};
constexpr AsciiStrings kAsciiStrings;

}  // namespace

std::u32string DecodeUtf8(std::string_view text) {
    bool valid = true;
    return DecodeUtf8(text, valid);
}

bool IsValidUtf8(std::string_view text) {
    bool valid = true;
    (void)DecodeUtf8(text, valid);
    return valid;
}

std::u32string DecodeUtf8(std::string_view text, bool& valid) {
    valid = true;
    std::u32string out;
    out.reserve(text.size());
    size_t i = 0;
    while (i < text.size()) {
        auto b = static_cast<unsigned char>(text[i]);
        int len = 0;
        char32_t cp = 0;
        if (b < 0x80) {
            len = 1;
            cp = b;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2;
            cp = b & 0x1F;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3;
            cp = b & 0x0F;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4;
            cp = b & 0x07;
        }
        bool ok = len > 0 && i + len <= text.size();
        for (int k = 1; ok && k < len; ++k) {
            auto c = static_cast<unsigned char>(text[i + k]);
            if ((c & 0xC0) != 0x80) {
                ok = false;
            } else {
                cp = (cp << 6) | (c & 0x3F);
            }
        }
        if (ok) {
            static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp < 0xE000);
        }
        if (!ok) {
            valid = false;
            out.push_back(kReplacement);
            i += 1;
        } else {
            out.push_back(cp);
            i += len;
        }
    }
    return out;
}

void AppendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::u32string LowerCodePoint(char32_t cp) {
    if (cp < 0x80) {
        if (cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
        return std::u32string(1, cp);
    }
    if (cp == 0x130) return U"i\u0307";
    const LowerEntry* end = kLower + kLowerSize;
    const LowerEntry* it = std::lower_bound(
        kLower, end, cp, [](const LowerEntry& e, char32_t c) { return e.from < c; });
    if (it != end && it->from == cp) return std::u32string(1, it->to);
    return std::u32string(1, cp);
}

std::string PyLower(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char32_t cp : DecodeUtf8(text)) {
        for (char32_t l : LowerCodePoint(cp)) AppendUtf8(out, l);
    }
    return out;
}

std::string_view AsciiFold(char32_t cp) {
    if (cp < 0x80) return std::string_view(kAsciiStrings.text[cp], 1);
    const AsciiEntry* end = kAscii + kAsciiSize;
    const AsciiEntry* it = std::lower_bound(
        kAscii, end, cp, [](const AsciiEntry& e, char32_t c) { return e.code_point < c; });
    if (it != end && it->code_point == cp) return it->ascii;
    return {};
}

}  // namespace forgedb::contrib::unicode
