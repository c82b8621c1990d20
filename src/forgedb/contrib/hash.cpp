#include <cctype>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/crypto.hpp"

namespace forgedb::contrib {
namespace {

std::string Lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// Django's slugify for the ASCII case: lower case, characters other than letters, digits,
// '_', '-' and spaces dropped, runs of spaces and '-' turned into one '-', ends trimmed.
// (Non-ASCII letters are dropped, as Django does after its NFKD/ASCII step for most scripts.)
std::string Slugify(std::string_view text) {
    std::string kept;
    for (unsigned char c : Lower(text)) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == ' ') kept += static_cast<char>(c);
    }
    std::string out;
    bool dash = false;
    for (char c : kept) {
        if (c == ' ' || c == '-') {
            dash = true;
            continue;
        }
        if (dash && !out.empty()) out += '-';
        dash = false;
        out += c;
    }
    return out;
}

std::string Concatenation(const QueryUser& u) {
    return Lower(u.fullname + u.gerrit + u.phabricator + u.github);
}

}  // namespace

Filter DefaultFilter(Timestamp now) {
    Filter f;
    f.end = std::chrono::time_point_cast<std::chrono::seconds>(now);
    f.start = f.end - std::chrono::hours(24 * 365);
    f.statuses = {"merged", "open", "resolved", "p-open"};
    return f;
}

std::string QueryHash(const std::vector<QueryUser>& users) {
    if (users.size() == 1) {
        return Slugify(users[0].fullname) + "-" + Sha256Hex(Concatenation(users[0])).substr(0, 9);
    }
    std::string all;
    for (const auto& u : users) all += Concatenation(u);
    return Sha256Hex(all);
}

const char* PlatformLabel(Platform p) {
    switch (p) {
        case Platform::kGerrit: return "Gerrit";
        case Platform::kPhabricator: return "Phabricator";
        case Platform::kGithub: return "Github";
    }
    return "";
}

}  // namespace forgedb::contrib
