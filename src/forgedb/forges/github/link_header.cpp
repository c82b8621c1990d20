#include "forgedb/forges/github/link_header.hpp"

#include <cctype>
#include <charconv>

#include "forgedb/core/text.hpp"

namespace forgedb::sources::github {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

void SkipSpace(std::string_view s, size_t& i) {
    while (i < s.size() && IsSpace(s[i])) ++i;
}

// Reads a parameter value at s[i]: a quoted string (with backslash escapes) or a token that ends
// at ';' or ','.
std::string ReadValue(std::string_view s, size_t& i) {
    std::string value;
    if (i < s.size() && s[i] == '"') {
        ++i;
        while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < s.size()) ++i;
            value += s[i++];
        }
        if (i < s.size()) ++i;  // closing quote
        return value;
    }
    while (i < s.size() && s[i] != ';' && s[i] != ',') value += s[i++];
    while (!value.empty() && IsSpace(value.back())) value.pop_back();
    return value;
}

}  // namespace

std::map<std::string, std::string> ParseLinkHeader(std::string_view header) {
    std::map<std::string, std::string> links;
    size_t i = 0;
    while (i < header.size()) {
        SkipSpace(header, i);
        if (i < header.size() && header[i] == ',') {
            ++i;
            continue;
        }
        if (i >= header.size()) break;
        if (header[i] != '<') {  // malformed: skip to the next link
            size_t comma = header.find(',', i);
            if (comma == std::string_view::npos) break;
            i = comma + 1;
            continue;
        }
        size_t close = header.find('>', i);
        if (close == std::string_view::npos) break;
        std::string url(header.substr(i + 1, close - i - 1));
        i = close + 1;
        // Parameters: ; name=value ; name="value" ...
        for (;;) {
            SkipSpace(header, i);
            if (i >= header.size() || header[i] != ';') break;
            ++i;
            SkipSpace(header, i);
            size_t name_start = i;
            while (i < header.size() && header[i] != '=' && header[i] != ';' && header[i] != ',' &&
                   !IsSpace(header[i])) {
                ++i;
            }
            std::string name = AsciiLower(header.substr(name_start, i - name_start));
            SkipSpace(header, i);
            if (i >= header.size() || header[i] != '=') continue;  // parameter without value
            ++i;
            SkipSpace(header, i);
            std::string value = ReadValue(header, i);
            if (name != "rel") continue;
            size_t p = 0;
            while (p < value.size()) {
                while (p < value.size() && IsSpace(value[p])) ++p;
                size_t start = p;
                while (p < value.size() && !IsSpace(value[p])) ++p;
                if (p > start) links.emplace(AsciiLower(value.substr(start, p - start)), url);
            }
        }
        // Anything else up to the next link is ignored.
        while (i < header.size() && header[i] != ',') {
            if (header[i] == '<') break;
            ++i;
        }
    }
    return links;
}

std::optional<int> PageParameter(std::string_view url) {
    size_t q = url.find('?');
    if (q == std::string_view::npos) return std::nullopt;
    std::string_view query = url.substr(q + 1);
    query = query.substr(0, query.find('#'));
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.substr(0, 5) != "page=") continue;
        std::string_view text = pair.substr(5);
        int page = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), page);
        if (ec != std::errc() || end != text.data() + text.size() || page <= 0) {
            return std::nullopt;
        }
        return page;
    }
    return std::nullopt;
}

}  // namespace forgedb::sources::github
