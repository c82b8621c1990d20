// MatchPercent: a WRatio-like similarity (the weighted mix of plain, partial and token ratios the
// original system took from a fuzzy-matching library), on code points, after the library's default
// preprocessing (lower case, characters other than letters and digits become spaces, trimmed).

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/contrib/unicode.hpp"

namespace forgedb::contrib {
namespace {

using Text = std::u32string;

constexpr double kCutoff = 60;

bool IsAlnum(char32_t c) {
    if (c < 0x80) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
    // Outside ASCII: letters of any script count; punctuation and spaces of Latin-1 do not.
    return !(c <= 0xBF || c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x206F) || c == 0x3000);
}

Text Preprocess(std::string_view utf8) {
    Text out;
    for (char32_t cp : unicode::DecodeUtf8(utf8)) {
        for (char32_t l : unicode::LowerCodePoint(cp)) out.push_back(IsAlnum(l) ? l : U' ');
    }
    size_t b = out.find_first_not_of(U' ');
    if (b == Text::npos) return {};
    size_t e = out.find_last_not_of(U' ');
    return out.substr(b, e - b + 1);
}

size_t Lcs(const Text& a, const Text& b) {
    std::vector<size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
    for (size_t i = 1; i <= a.size(); ++i) {
        for (size_t j = 1; j <= b.size(); ++j) {
            cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
        }
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

// 100 * (1 - InDel distance / (len a + len b)).
double Ratio(const Text& a, const Text& b) {
    if (a.empty() && b.empty()) return 100;
    return 200.0 * static_cast<double>(Lcs(a, b)) / static_cast<double>(a.size() + b.size());
}

// The best Ratio of the shorter text against every window of the longer one of its length (and
// the shorter prefixes and suffixes at the ends).
double PartialRatio(const Text& a, const Text& b) {
    const Text& s = a.size() <= b.size() ? a : b;
    const Text& l = a.size() <= b.size() ? b : a;
    if (s.empty()) return 0;
    double best = 0;
    for (size_t k = 1; k < s.size(); ++k) {
        best = std::max(best, Ratio(s, l.substr(0, k)));
        best = std::max(best, Ratio(s, l.substr(l.size() - k)));
    }
    for (size_t i = 0; i + s.size() <= l.size(); ++i) {
        best = std::max(best, Ratio(s, l.substr(i, s.size())));
        if (best == 100) break;
    }
    return best;
}

std::vector<Text> Tokens(const Text& t) {
    std::vector<Text> out;
    Text cur;
    for (char32_t c : t) {
        if (c == U' ') {
            if (!cur.empty()) out.push_back(std::move(cur));
            cur.clear();
        } else {
            cur.push_back(c);
        }
    }
    if (!cur.empty()) out.push_back(std::move(cur));
    return out;
}

Text Join(const std::vector<Text>& tokens) {
    Text out;
    for (const auto& t : tokens) {
        if (!out.empty()) out.push_back(U' ');
        out += t;
    }
    return out;
}

Text SortedTokens(const Text& t) {
    auto tokens = Tokens(t);
    std::sort(tokens.begin(), tokens.end());
    return Join(tokens);
}

struct TokenSets {
    Text sect, diff_ab, diff_ba;
};

TokenSets Sets(const Text& a, const Text& b) {
    auto ta = Tokens(a);
    auto tb = Tokens(b);
    std::set<Text> sa(ta.begin(), ta.end()), sb(tb.begin(), tb.end());
    std::vector<Text> sect, ab, ba;
    std::set_intersection(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(sect));
    std::set_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::back_inserter(ab));
    std::set_difference(sb.begin(), sb.end(), sa.begin(), sa.end(), std::back_inserter(ba));
    return {Join(sect), Join(ab), Join(ba)};
}

double TokenSetRatio(const Text& a, const Text& b) {
    auto s = Sets(a, b);
    if (!s.sect.empty() && (s.diff_ab.empty() || s.diff_ba.empty())) return 100;
    Text ab = s.sect.empty() ? s.diff_ab : s.sect + U" " + s.diff_ab;
    Text ba = s.sect.empty() ? s.diff_ba : s.sect + U" " + s.diff_ba;
    double best = Ratio(ab, ba);
    if (!s.sect.empty()) best = std::max({best, Ratio(s.sect, ab), Ratio(s.sect, ba)});
    return best;
}

double TokenRatio(const Text& a, const Text& b) {
    return std::max(Ratio(SortedTokens(a), SortedTokens(b)), TokenSetRatio(a, b));
}

double PartialTokenRatio(const Text& a, const Text& b) {
    auto s = Sets(a, b);
    if (!s.sect.empty()) return 100;
    return std::max(PartialRatio(SortedTokens(a), SortedTokens(b)),
                    PartialRatio(s.diff_ab, s.diff_ba));
}

}  // namespace

// The weighted ratio: plain ratio, token ratios scaled by 0.95 when the lengths are close, and
// partial ratios scaled by 0.9 (0.6 when one text is 8 times longer) otherwise.
double WRatio(std::string_view x, std::string_view y) {
    Text a = Preprocess(x);
    Text b = Preprocess(y);
    if (a.empty() || b.empty()) return 0;
    constexpr double kUnbase = 0.95;
    double len_ratio = static_cast<double>(std::max(a.size(), b.size())) /
                       static_cast<double>(std::min(a.size(), b.size()));
    double score = Ratio(a, b);
    if (len_ratio < 1.5) {
        score = std::max(score, TokenRatio(a, b) * kUnbase);
    } else {
        double partial_scale = len_ratio < 8 ? 0.9 : 0.6;
        score = std::max(score, PartialRatio(a, b) * partial_scale);
        score = std::max(score, PartialTokenRatio(a, b) * kUnbase * partial_scale);
    }
    return score >= kCutoff ? score : 0;
}

double MatchPercent(std::string_view fullname,
                    const std::vector<std::optional<std::string>>& real_names) {
    double sum = 0;
    int n = 0;
    for (const auto& name : real_names) {
        if (!name) return 0;
        if (name->empty()) continue;
        sum += WRatio(fullname, *name);
        ++n;
    }
    return n == 0 ? 0 : sum / n;
}

}  // namespace forgedb::contrib
