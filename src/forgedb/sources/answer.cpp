#include "forgedb/sources/answer.hpp"

#include <algorithm>
#include <charconv>

#include "forgedb/core/text.hpp"

namespace forgedb::sources {
namespace {

std::string_view TrimBlanks(std::string_view t) {
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!t.empty() && blank(t.front())) t.remove_prefix(1);
    while (!t.empty() && blank(t.back())) t.remove_suffix(1);
    return t;
}

}  // namespace

std::string Excerpt(std::string_view text, size_t max_bytes) {
    std::string out;
    out.reserve(std::min(text.size(), max_bytes));
    for (size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        const size_t n = c < 0x80 ? 1 : Utf8SequenceLength(text, i);
        const size_t width = n == 0 ? kUtf8Replacement.size() : n;
        if (out.size() + width > max_bytes) break;
        if (n == 0) {
            out += kUtf8Replacement;
            ++i;
            continue;
        }
        if (n == 1 && (c < 0x20 || c == 0x7F)) {
            out += ' ';
        } else {
            out.append(text.substr(i, n));
        }
        i += n;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string BodyExcerpt(std::string_view body, const std::vector<std::string>& secrets) {
    std::string out = secrets.empty() ? Excerpt(body, kExcerptBytes)
                                      : Excerpt(MaskSecrets(body, secrets), kExcerptBytes);
    return out.empty() ? "(empty body)" : out;
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value) {
    std::string_view t = TrimBlanks(value);
    if (t.empty()) return std::nullopt;
    for (char c : t) {
        if (c < '0' || c > '9') return std::nullopt;  // delay-seconds is 1*DIGIT: no sign
    }
    long long seconds = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), seconds);
    (void)end;  // all digits: either all read, or out of range
    if (ec != std::errc() || seconds > kMaxRetryAfter.count()) return kMaxRetryAfter;
    return std::chrono::seconds(seconds);
}

std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response) {
    auto value = response.Header("retry-after");
    if (!value) return std::nullopt;
    return ParseRetryAfter(*value);
}

std::optional<long long> IntegerHeader(const HttpResponse& response, std::string_view name) {
    auto value = response.Header(name);
    if (!value) return std::nullopt;
    std::string_view t = TrimBlanks(*value);
    long long v = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
    return v;
}

std::string MaskSecrets(std::string_view text, const std::vector<std::string>& secrets) {
    std::vector<bool> hidden;
    for (const std::string& secret : secrets) {
        if (secret.empty()) continue;
        for (size_t p = text.find(secret); p != std::string_view::npos;
             p = text.find(secret, p + 1)) {
            if (hidden.empty()) hidden.assign(text.size(), false);
            std::fill(hidden.begin() + p, hidden.begin() + p + secret.size(), true);
        }
    }
    if (hidden.empty()) return std::string(text);
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (!hidden[i]) {
            out += text[i];
        } else if (i == 0 || !hidden[i - 1]) {
            out += kMasked;
        }
    }
    return out;
}

}  // namespace forgedb::sources
