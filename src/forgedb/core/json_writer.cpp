#include "forgedb/core/json_writer.hpp"

#include <charconv>
#include <cstdint>
#include <cstring>

#include "forgedb/core/text.hpp"

namespace forgedb {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Whether any of the 8 bytes of `w` needs a closer look: below 0x20, '"', '\\' or 0x80 and up.
bool NeedsLook(std::uint64_t w) {
    constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
    constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
    auto has_zero = [](std::uint64_t v) { return (v - kOnes) & ~v & kHigh; };
    std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
    return ((w & kHigh) | below_space | has_zero(w ^ (kOnes * '"')) |
            has_zero(w ^ (kOnes * '\\'))) != 0;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
    out.push_back('"');
    size_t run = 0;  // start of the pending run of bytes that need no escaping
    size_t i = 0;
    auto flush = [&] { out.append(s.data() + run, i - run); };
    while (i < s.size()) {
        // Plain ASCII goes eight bytes at a time.
        while (i + 8 <= s.size()) {
            std::uint64_t w;
            std::memcpy(&w, s.data() + i, 8);
            if (NeedsLook(w)) break;
            i += 8;
        }
        if (i >= s.size()) break;
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
            ++i;
            continue;
        }
        if (c >= 0x80) {
            size_t n = Utf8SequenceLength(s, i);
            if (n > 0) {
                i += n;
                continue;
            }
            flush();
            out.append(kUtf8Replacement);
            run = ++i;
            continue;
        }
        flush();
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            default:
                out.append("\\u00");
                out.push_back(kHex[c >> 4]);
                out.push_back(kHex[c & 0xF]);
        }
        run = ++i;
    }
    flush();
    out.push_back('"');
}

void JsonWriter::BeforeValue() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_.push_back(',');
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::BeginObject() {
    BeforeValue();
    out_.push_back('{');
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::EndObject() {
    out_.push_back('}');
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::BeginArray() {
    BeforeValue();
    out_.push_back('[');
    first_.push_back(true);
    return *this;
}

JsonWriter& JsonWriter::EndArray() {
    out_.push_back(']');
    first_.pop_back();
    return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
    BeforeValue();
    AppendJsonString(out_, key);
    out_.push_back(':');
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
    BeforeValue();
    AppendJsonString(out_, s);
    return *this;
}

JsonWriter& JsonWriter::Int(std::int64_t v) {
    BeforeValue();
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out_.append(buf, end);
    return *this;
}

JsonWriter& JsonWriter::Bool(bool v) {
    BeforeValue();
    out_.append(v ? "true" : "false");
    return *this;
}

JsonWriter& JsonWriter::Null() {
    BeforeValue();
    out_.append("null");
    return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
    BeforeValue();
    out_.append(json);
    return *this;
}

}  // namespace forgedb
