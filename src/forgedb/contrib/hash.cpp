#include <string>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/contrib/unicode.hpp"
#include "forgedb/core/crypto.hpp"

namespace forgedb::contrib {
namespace {

// Python's re \w and \s for ASCII text (str patterns): letters, digits and '_'; space, \t, \n,
// \v, \f, \r and the separators \x1c..\x1f.
bool IsWord(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool IsSpace(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r') || (c >= '\x1c' && c <= '\x1f');
}

}  // namespace

std::string Slugify(std::string_view text) {
    // NFKD, then drop what is not ASCII.
    std::string ascii;
    for (char32_t cp : unicode::DecodeUtf8(text)) ascii += unicode::AsciiFold(cp);
    // Lower case; drop everything but \w, \s and '-'.
    std::string kept;
    for (char c : ascii) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (IsWord(c) || IsSpace(c) || c == '-') kept += c;
    }
    // Runs of '-' and \s become one '-'.
    std::string dashed;
    for (size_t i = 0; i < kept.size();) {
        if (kept[i] == '-' || IsSpace(kept[i])) {
            while (i < kept.size() && (kept[i] == '-' || IsSpace(kept[i]))) ++i;
            dashed += '-';
        } else {
            dashed += kept[i++];
        }
    }
    // Strip '-' and '_' at both ends.
    size_t b = dashed.find_first_not_of("-_");
    if (b == std::string::npos) return "";
    size_t e = dashed.find_last_not_of("-_");
    return dashed.substr(b, e - b + 1);
}

Filter DefaultFilter(Timestamp now) {
    Filter f;
    f.end = std::chrono::time_point_cast<std::chrono::seconds>(now);
    f.start = f.end - std::chrono::hours(24 * 365);
    f.statuses = {"merged", "open", "resolved", "p-open"};
    return f;
}

std::string QueryHash(const std::vector<QueryUser>& users) {
    std::string all;
    for (const auto& u : users) {
        all += unicode::PyLower(u.fullname) + unicode::PyLower(u.gerrit) +
               unicode::PyLower(u.phabricator) + unicode::PyLower(u.github);
    }
    if (users.size() == 1) {
        return Slugify(unicode::PyLower(users[0].fullname)) + "-" + Sha256Hex(all).substr(0, 9);
    }
    return Sha256Hex(all);
}

const char* PlatformLabel(Platform p) {
    switch (p) {
        case Platform::kGerrit:
            return "Gerrit";
        case Platform::kPhabricator:
            return "Phabricator";
        case Platform::kGithub:
            return "Github";
    }
    return "";
}

}  // namespace forgedb::contrib
