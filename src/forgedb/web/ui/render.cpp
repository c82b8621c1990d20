#include "forgedb/web/ui/render.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "forgedb/core/text.hpp"
#include "forgedb/web/ui/pages.hpp"

namespace forgedb::ui {
namespace {

using std::chrono::day;
using std::chrono::days;
using std::chrono::month;
using std::chrono::sys_days;
using std::chrono::year;
using std::chrono::year_month;
using std::chrono::year_month_day;

constexpr const char* kMonthAbbr[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kMonthFull[] = {"January",   "February", "March",    "April",
                                      "May",       "June",     "July",     "August",
                                      "September", "October",  "November", "December"};

int MonthIndex(year_month ym) {  // 0..11
    return static_cast<int>(static_cast<unsigned>(ym.month())) - 1;
}

int MonthNumber(year_month ym) {  // a running month count, for differences
    return static_cast<int>(ym.year()) * 12 + MonthIndex(ym);
}

sys_days FirstDay(year_month ym) { return sys_days{ym / day{1}}; }
sys_days LastDay(year_month ym) { return sys_days{ym / std::chrono::last}; }

year_month MonthOf(sys_days d) {
    year_month_day ymd{d};
    return ymd.year() / ymd.month();
}

std::string Num(long long v) { return std::to_string(v); }

// Fixed-point text of a coordinate with one decimal, without a trailing ".0".
std::string Coord(double v) {
    char buf[32];
    long long tenths = static_cast<long long>(v * 10 + (v < 0 ? -0.5 : 0.5));
    if (tenths % 10 == 0) {
        std::snprintf(buf, sizeof buf, "%lld", tenths / 10);
    } else {
        std::snprintf(buf, sizeof buf, "%s%lld.%lld", tenths < 0 ? "-" : "",
                      std::llabs(tenths) / 10, std::llabs(tenths) % 10);
    }
    return buf;
}

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
    return text.size() >= prefix.size() && EqualsIgnoreCase(text.substr(0, prefix.size()), prefix);
}

}  // namespace

// ---- text ----

std::string_view SafeLink(std::string_view url) {
    if (StartsWithNoCase(url, "https://") || StartsWithNoCase(url, "http://")) return url;
    return {};
}

// ---- dates ----

sys_days UtcDay(Timestamp t) { return std::chrono::floor<days>(t); }

std::string FormatDay(sys_days d) {
    year_month_day ymd{d};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

std::string FormatLongDay(sys_days d) {
    year_month_day ymd{d};
    char buf[32];
    std::snprintf(buf, sizeof buf, "%s %u, %d", kMonthAbbr[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<unsigned>(ymd.day()), static_cast<int>(ymd.year()));
    return buf;
}

std::string FormatMonth(year_month ym) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u", static_cast<int>(ym.year()),
                  static_cast<unsigned>(ym.month()));
    return buf;
}

std::string MonthName(year_month ym) {
    return std::string(kMonthFull[MonthIndex(ym)]) + " " + Num(static_cast<int>(ym.year()));
}

namespace {

std::optional<int> Digits(std::string_view s) {
    if (s.empty()) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

std::optional<sys_days> ParseDay(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    auto ym = ParseMonth(text.substr(0, 7));
    auto d = Digits(text.substr(8, 2));
    if (!ym || !d) return std::nullopt;
    year_month_day ymd = *ym / day{static_cast<unsigned>(*d)};
    if (!ymd.ok()) return std::nullopt;
    return sys_days{ymd};
}

std::optional<year_month> ParseMonth(std::string_view text) {
    if (text.size() != 7 || text[4] != '-') return std::nullopt;
    auto y = Digits(text.substr(0, 4));
    auto m = Digits(text.substr(5, 2));
    if (!y || !m || *y < 1970 || *m < 1 || *m > 12) return std::nullopt;
    return year{*y} / month{static_cast<unsigned>(*m)};
}

// ---- range ----

bool IsRangeMonths(int months) {
    return months == 1 || months == 2 || months == 3 || months == 6 || months == 12;
}

namespace {

days RangeLength(int months) {
    switch (months) {
        case 1:
            return days{30};
        case 2:
            return days{60};
        case 3:
            return days{90};
        case 6:
            return days{182};
        default:
            return days{365};
    }
}

}  // namespace

std::pair<Timestamp, Timestamp> RangeWindow(year_month end_month, int months, Timestamp now) {
    Timestamp end = FirstDay(end_month + std::chrono::months{1});
    Timestamp now_s = std::chrono::floor<std::chrono::seconds>(now);
    if (now_s < end) end = now_s;
    return {end - RangeLength(months), end};
}

int RangeMonthsOf(Timestamp start, Timestamp end) {
    auto length = std::chrono::duration_cast<std::chrono::hours>(end - start).count() / 24.0;
    for (int m : {1, 2, 3, 6}) {
        if (length <= RangeLength(m).count() + 1) return m;
    }
    return 12;
}

year_month EndMonthOf(Timestamp end) { return MonthOf(UtcDay(end - std::chrono::microseconds{1})); }

// ---- heatmap ----

const char* HeatColour(long long count) {
    if (count <= 0) return "#efeded";
    if (count <= 2) return "#b1d7ce";
    if (count <= 4) return "#00af89";
    if (count <= 6) return "#14866d";
    return "#0a3d32";
}

std::vector<year_month> CalendarMonths(Timestamp start, Timestamp end) {
    std::vector<year_month> out;
    if (end <= start) return out;
    sys_days first = UtcDay(start);
    sys_days last = UtcDay(end - std::chrono::microseconds{1});
    year_month from = MonthOf(first);
    year_month to = MonthOf(last);
    for (year_month ym = from; MonthNumber(ym) <= MonthNumber(to); ym += std::chrono::months{1}) {
        out.push_back(ym);
    }
    return out;
}

std::vector<long long> CountPerDay(const std::vector<contrib::Item>& items, sys_days first,
                                   sys_days last) {
    std::vector<long long> counts;
    if (last < first) return counts;
    counts.assign(static_cast<size_t>((last - first).count() + 1), 0);
    for (const auto& item : items) {
        sys_days d = UtcDay(item.time);
        if (d < first || d > last) continue;
        ++counts[static_cast<size_t>((d - first).count())];
    }
    return counts;
}

namespace {

constexpr int kCell = 12;
constexpr int kStep = 14;  // cell + gap
constexpr int kBlockWidth = 4 * kStep - 2;
constexpr int kBlockGap = 16;
constexpr int kLabelHeight = 18;
constexpr int kBlockHeight = 8 * kStep - 2;

}  // namespace

std::string HeatmapSvg(const std::vector<contrib::Item>& items, Timestamp start, Timestamp end,
                       const HeatmapOptions& options) {
    auto months = CalendarMonths(start, end);
    std::string out;
    if (months.empty()) return out;
    sys_days window_first = UtcDay(start);
    sys_days window_last = UtcDay(end - std::chrono::microseconds{1});
    sys_days first = FirstDay(months.front());
    sys_days last = LastDay(months.back());
    auto counts = CountPerDay(items, first, last);

    int width = static_cast<int>(months.size()) * (kBlockWidth + kBlockGap) - kBlockGap;
    int legend_y = kLabelHeight + kBlockHeight + 12;
    int height = legend_y + kCell + 4;
    out.reserve(months.size() * 31 * 260 + 1024);
    out += "<svg class=\"heatmap\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ";
    out += Num(std::max(width, 200));
    out += ' ';
    out += Num(height);
    // Drawn up to one and a half times its natural size, never wider than the page.
    out += "\" style=\"width:100%;max-width:";
    out += Num(std::max(width, 200) * 3 / 2);
    out += "px\" role=\"img\" aria-label=\"Contributions per day\">";
    for (size_t b = 0; b < months.size(); ++b) {
        year_month ym = months[b];
        int bx = static_cast<int>(b) * (kBlockWidth + kBlockGap);
        out += "<g class=\"month\" data-month=\"";
        out += FormatMonth(ym);
        out += "\"><text x=\"";
        out += Num(bx);
        out += "\" y=\"12\">";
        out += kMonthAbbr[MonthIndex(ym)];
        out += ' ';
        out += Num(static_cast<int>(ym.year()));
        out += "</text>";
        unsigned days_in_month = static_cast<unsigned>(year_month_day{LastDay(ym)}.day());
        sys_days month_first = FirstDay(ym);
        for (unsigned d = 1; d <= days_in_month; ++d) {
            sys_days date = month_first + days{d - 1};
            int x = bx + static_cast<int>((d - 1) / 8) * kStep;
            int y = kLabelHeight + static_cast<int>((d - 1) % 8) * kStep;
            std::string day_text = FormatDay(date);
            bool in_window = date >= window_first && date <= window_last;
            std::string rect = "<rect x=\"" + Num(x) + "\" y=\"" + Num(y) + "\" width=\"" +
                               Num(kCell) + "\" height=\"" + Num(kCell) +
                               "\" rx=\"2\" data-day=\"" + day_text + "\"";
            if (!in_window) {
                out += rect;
                out += " class=\"out\" fill=\"#f7f6f6\"/>";
                continue;
            }
            long long n = counts[static_cast<size_t>((date - first).count())];
            out += "<a href=\"";
            out += HtmlEscape(options.day_href_prefix);
            out += day_text;
            out += "\">";
            out += rect;
            out += " data-count=\"";
            out += Num(n);
            out += "\" fill=\"";
            out += HeatColour(n);
            out += '"';
            if (options.selected && *options.selected == date) out += " class=\"selected\"";
            out += "><title>";
            out += Num(n);
            out += n == 1 ? " contribution on " : " contributions on ";
            out += FormatLongDay(date);
            out += "</title></rect></a>";
        }
        out += "</g>";
    }
    // Legend: Less, the five colours, More.
    int lx = std::max(width, 200) - (5 * kStep + 70);
    out += "<g class=\"legend\"><text x=\"";
    out += Num(lx);
    out += "\" y=\"";
    out += Num(legend_y + 10);
    out += "\">Less</text>";
    const long long steps[] = {0, 1, 3, 5, 7};
    for (int i = 0; i < 5; ++i) {
        out += "<rect x=\"";
        out += Num(lx + 30 + i * kStep);
        out += "\" y=\"";
        out += Num(legend_y);
        out += "\" width=\"12\" height=\"12\" rx=\"2\" fill=\"";
        out += HeatColour(steps[i]);
        out += "\"/>";
    }
    out += "<text x=\"";
    out += Num(lx + 30 + 5 * kStep + 4);
    out += "\" y=\"";
    out += Num(legend_y + 10);
    out += "\">More</text></g></svg>";
    return out;
}

// ---- charts ----

std::vector<ChartSeries> PlatformSeries(const std::vector<contrib::Item>& items,
                                        contrib::Platform platform,
                                        const std::vector<year_month>& months) {
    size_t n = months.size();
    std::vector<long long> all(n, 0), authored(n, 0), assigned(n, 0);
    if (n > 0) {
        int base = MonthNumber(months.front());
        for (const auto& item : items) {
            if (item.platform != platform) continue;
            int i = MonthNumber(MonthOf(UtcDay(item.time))) - base;
            if (i < 0 || static_cast<size_t>(i) >= n) continue;
            ++all[i];
            bool neither = !item.authored && !item.assigned;
            if (item.authored || neither) ++authored[i];
            if (item.assigned || neither) ++assigned[i];
        }
    }
    if (platform == contrib::Platform::kPhabricator) {
        return {{"Authored", "#3366cc", std::move(authored)},
                {"Assigned", "#d73333", std::move(assigned)},
                {"All", "#14866d", std::move(all)}};
    }
    return {{"Contributions", "#00af89", std::move(all)}};
}

std::string LineChartSvg(const std::vector<year_month>& months,
                         const std::vector<ChartSeries>& series) {
    constexpr int kWidth = 420, kHeight = 200;
    constexpr int kLeft = 34, kRight = 12, kTop = 10, kBottom = 38;
    constexpr int kPlotW = kWidth - kLeft - kRight, kPlotH = kHeight - kTop - kBottom;
    long long max = 0;
    for (const auto& s : series) {
        for (long long v : s.values) max = std::max(max, v);
    }
    long long tick = std::max<long long>(1, (max + 3) / 4);
    long long top = tick * 4;
    size_t n = months.size();
    auto x_of = [&](size_t i) {
        return n <= 1 ? kLeft + kPlotW / 2.0
                      : kLeft + static_cast<double>(i) * kPlotW / static_cast<double>(n - 1);
    };
    auto y_of = [&](long long v) {
        return kTop + kPlotH - static_cast<double>(v) * kPlotH / static_cast<double>(top);
    };
    std::string out;
    out.reserve(2048 + n * series.size() * 120);
    out += "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ";
    out += Num(kWidth) + " " + Num(kHeight) + "\" role=\"img\">";
    for (int t = 0; t <= 4; ++t) {
        std::string y = Coord(y_of(tick * t));
        out += "<line class=\"grid\" x1=\"" + Num(kLeft) + "\" x2=\"" + Num(kWidth - kRight) +
               "\" y1=\"" + y + "\" y2=\"" + y + "\"/>";
        out += "<text class=\"ytick\" x=\"" + Num(kLeft - 6) + "\" y=\"" +
               Coord(y_of(tick * t) + 4) + "\" text-anchor=\"end\">" + Num(tick * t) + "</text>";
    }
    for (size_t i = 0; i < n; ++i) {
        std::string x = Coord(x_of(i));
        out += "<text class=\"xtick\" x=\"" + x + "\" y=\"" + Num(kHeight - kBottom + 16) +
               "\" text-anchor=\"middle\">" + kMonthAbbr[MonthIndex(months[i])] + "</text>";
        if (i == 0 || months[i].month() == std::chrono::January) {
            out += "<text class=\"xtick\" x=\"" + x + "\" y=\"" + Num(kHeight - kBottom + 30) +
                   "\" text-anchor=\"middle\">" + Num(static_cast<int>(months[i].year())) +
                   "</text>";
        }
    }
    for (const auto& s : series) {
        std::string colour = HtmlEscape(s.colour);
        out += "<g class=\"series\" data-series=\"" + HtmlEscape(s.name) + "\">";
        if (n > 1) {
            out += "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" + colour + "\" points=\"";
            for (size_t i = 0; i < n && i < s.values.size(); ++i) {
                if (i) out += ' ';
                out += Coord(x_of(i)) + "," + Coord(y_of(s.values[i]));
            }
            out += "\"/>";
        }
        for (size_t i = 0; i < n && i < s.values.size(); ++i) {
            out += "<circle r=\"3\" cx=\"" + Coord(x_of(i)) + "\" cy=\"" +
                   Coord(y_of(s.values[i])) + "\" fill=\"" + colour + "\" data-value=\"" +
                   Num(s.values[i]) + "\"><title>" + HtmlEscape(s.name) + ": " + Num(s.values[i]) +
                   " in " + MonthName(months[i]) + "</title></circle>";
        }
        out += "</g>";
    }
    out += "</svg>";
    return out;
}

// ---- fragments ----

std::string DayListHtml(std::string_view name, sys_days d,
                        const std::vector<contrib::Item>& items) {
    std::string out = "<section id=\"day\" class=\"card day\" data-day=\"" + FormatDay(d) + "\">";
    if (items.empty()) {
        out += "<p class=\"empty\">" + HtmlEscape(name) + " has no activity on this day.</p>";
        out += "</section>";
        return out;
    }
    out += "<h2>" + HtmlEscape(name) + "&#39;s activity on " + FormatDay(d) + "</h2>";
    out += "<ul class=\"items\">";
    for (const auto& item : items) {
        const char* label = contrib::PlatformLabel(item.platform);
        out += "<li><span class=\"platform\">";
        out += label;
        out += "</span> ";
        std::string title = item.title.empty() ? "(untitled " + item.kind + ")" : item.title;
        std::string_view link = SafeLink(item.url);
        if (!link.empty()) {
            out += "<a class=\"title\" href=\"" + HtmlEscape(link) + "\">" + HtmlEscape(title) +
                   "</a>";
        } else {
            out += "<span class=\"title\">" + HtmlEscape(title) + "</span>";
        }
        if (!item.status.empty()) {
            out += " <span class=\"status\">" + HtmlEscape(item.status) + "</span>";
        }
        out += "</li>";
    }
    out += "</ul></section>";
    return out;
}

std::string PageHtml(std::string_view title, std::string_view body, std::string_view head_extra) {
    std::string out;
    out.reserve(body.size() + 1024);
    out +=
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>";
    out += HtmlEscape(title);
    out +=
        " · forgedb</title><link rel=\"stylesheet\" href=\"/static/forgedb.css\">"
        "<link rel=\"icon\" href=\"data:,\">";
    out += head_extra;
    out +=
        "</head><body><header class=\"site\"><a class=\"brand\" href=\"/\">forgedb</a>"
        "<span class=\"tagline\">Contributions to Gerrit, Phabricator and GitHub, from the "
        "mirror</span></header><main>";
    out += body;
    out +=
        "</main><footer class=\"site\">Served by forgedb from its mirror of the forges. Days are "
        "UTC days.</footer><script src=\"/static/forgedb.js\" defer></script></body></html>";
    return out;
}

}  // namespace forgedb::ui
