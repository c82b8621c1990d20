// CSV of a query's people: the original system's upload format (header fullname, Gerrit,
// Phabricator, Github).

#include <array>
#include <set>
#include <string>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/contrib/unicode.hpp"
#include "forgedb/core/text.hpp"

namespace forgedb::contrib {
namespace {

constexpr char kBadFormat[] =
    "CSV file uploaded is not in the supported format. Click on \xE2\x93\x98 (Information icon) "
    "to check the format.";
constexpr char kNoUsableRow[] =
    "OOPS! We couldn't find the full name or one of the Wikimedia account usernames for some "
    "user(s) in the CSV file.";
constexpr size_t kMaxRows = 5000;

std::string Latin1ToUtf8(std::string_view text) {
    std::string out;
    out.reserve(text.size() * 2);
    for (unsigned char c : text) unicode::AppendUtf8(out, c);
    return out;
}

std::string Trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

// RFC 4180 records: ',' separates fields, '"' quotes them ("" is a quote), CRLF or LF ends a
// record. Blank lines are skipped.
Result<std::vector<std::vector<std::string>>> Records(std::string_view text) {
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false;
    bool was_quoted = false;
    auto end_record = [&] {
        record.push_back(std::move(field));
        field.clear();
        bool blank = record.size() == 1 && Trim(record[0]).empty() && !was_quoted;
        if (!blank) out.push_back(std::move(record));
        record.clear();
        was_quoted = false;
    };
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field += '"';
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
            was_quoted = true;
        } else if (c == ',') {
            record.push_back(std::move(field));
            field.clear();
        } else if (c == '\n') {
            end_record();
        } else if (c == '\r') {
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
            end_record();
        } else {
            field += c;
        }
    }
    if (quoted) return Unexpected(ErrorCode::kInvalid, kBadFormat);
    if (!field.empty() || !record.empty()) end_record();
    return out;
}

}  // namespace

Result<std::vector<QueryUser>> ParseUsersCsv(std::string_view csv) {
    std::string text = unicode::IsValidUtf8(csv) ? std::string(csv) : Latin1ToUtf8(csv);
    if (text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    FORGEDB_ASSIGN_OR_RETURN(auto records, Records(text));
    if (records.empty()) return Unexpected(ErrorCode::kInvalid, kBadFormat);
    static const std::array<std::string, 4> kColumns = {"fullname", "gerrit", "phabricator",
                                                        "github"};
    std::array<int, 4> index = {-1, -1, -1, -1};
    const auto& header = records[0];
    for (size_t c = 0; c < header.size(); ++c) {
        std::string name = AsciiLower(Trim(header[c]));
        for (size_t k = 0; k < kColumns.size(); ++k) {
            if (name == kColumns[k] && index[k] < 0) index[k] = static_cast<int>(c);
        }
    }
    for (int i : index) {
        if (i < 0) return Unexpected(ErrorCode::kInvalid, kBadFormat);
    }
    if (records.size() - 1 > kMaxRows) {
        return Unexpected(ErrorCode::kInvalid,
                          "A CSV file can hold at most " + std::to_string(kMaxRows) + " users");
    }
    std::vector<QueryUser> users;
    std::set<std::string> seen;
    for (size_t r = 1; r < records.size(); ++r) {
        const auto& rec = records[r];
        auto get = [&](int k) {
            size_t c = static_cast<size_t>(index[k]);
            return c < rec.size() ? Trim(rec[c]) : std::string();
        };
        QueryUser u{get(0), get(1), get(2), get(3)};
        if (u.fullname.empty() || (u.gerrit.empty() && u.phabricator.empty() && u.github.empty())) {
            continue;
        }
        // The first row of a name wins, as the original's lookup by name found it first.
        if (!seen.insert(u.fullname).second) continue;
        users.push_back(std::move(u));
    }
    if (users.empty()) return Unexpected(ErrorCode::kInvalid, kNoUsableRow);
    return users;
}

}  // namespace forgedb::contrib
