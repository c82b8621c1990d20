#pragma once
// The builders behind forgedb's pages: pure functions from the contributor view's values to HTML
// and SVG text (no I/O, thread-safe). Every user-supplied or forge-supplied string is escaped
// here. Days are UTC days: an item belongs to the UTC calendar day of its time, whatever the
// reader's time zone.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/time.hpp"

namespace forgedb::ui {

// ---- text ----

// `url` when it is an absolute http(s) URL, else "" (forge data never becomes a javascript: link).
std::string_view SafeLink(std::string_view url);

// ---- dates (UTC) ----

std::chrono::sys_days UtcDay(Timestamp t);
// "YYYY-MM-DD"
std::string FormatDay(std::chrono::sys_days day);
// "Mon D, YYYY", e.g. "Jan 5, 2021"
std::string FormatLongDay(std::chrono::sys_days day);
// "YYYY-MM"
std::string FormatMonth(std::chrono::year_month month);
// "January 2021"
std::string MonthName(std::chrono::year_month month);
// "YYYY-MM-DD" with a real date, else nullopt.
std::optional<std::chrono::sys_days> ParseDay(std::string_view text);
// "YYYY-MM" with a month in 1..12 and a year in 1970..9999, else nullopt.
std::optional<std::chrono::year_month> ParseMonth(std::string_view text);

// ---- the range filter ----

// Range lengths offered, in months: 1, 2, 3, 6, 12 (Last 30, 60, 90 days, 6 months, 1 year).
bool IsRangeMonths(int months);
// The window of `months` (see IsRangeMonths) ending with `end_month`: [end - length, end) where
// end is the first instant of the following month, or `now` when that is earlier (the current
// month), and length is 30, 60 or 90 days, 182 days or 365 days.
std::pair<Timestamp, Timestamp> RangeWindow(std::chrono::year_month end_month, int months,
                                            Timestamp now);
// The range length (1, 2, 3, 6 or 12) closest to a window, and its end month (the month of its
// last instant).
int RangeMonthsOf(Timestamp start, Timestamp end);
std::chrono::year_month EndMonthOf(Timestamp end);

// ---- calendar heatmap ----

// The heatmap's colour for a day's count: 0 #efeded, 1-2 #b1d7ce, 3-4 #00af89, 5-6 #14866d,
// 7 or more #0a3d32.
const char* HeatColour(long long count);
// The months drawn for a window [start, end): from the month of start to the month of end's
// last instant, without a leading month none of whose days is in the window.
std::vector<std::chrono::year_month> CalendarMonths(Timestamp start, Timestamp end);
// Items per UTC day, counted in [first, last] (both inclusive); index 0 is `first`.
std::vector<long long> CountPerDay(const std::vector<contrib::Item>& items,
                                   std::chrono::sys_days first, std::chrono::sys_days last);

struct HeatmapOptions {
    // Prefix of a day's link; the day ("YYYY-MM-DD") is appended, e.g. "?user=Jane&day=".
    std::string day_href_prefix = "?day=";
    std::optional<std::chrono::sys_days> selected;  // outlined cell
};
// Inline SVG: one block per month of CalendarMonths (4 columns of 8 days: 1-8, 9-16, 17-24,
// 25-31) under the month's label, then a Less-More legend. Each day of a month is a <rect> with
// data-day; days in the window also carry data-count, a colour and a <title> "N contributions
// on Mon D, YYYY", inside a link to the day; days outside the window are drawn faded.
std::string HeatmapSvg(const std::vector<contrib::Item>& items, Timestamp start, Timestamp end,
                       const HeatmapOptions& options = {});

// ---- monthly charts ----

struct ChartSeries {
    std::string name;
    std::string colour;
    std::vector<long long> values;  // one per month
};
// Inline SVG line chart: months on the x axis, one polyline with points per series, a legend.
std::string LineChartSvg(const std::vector<std::chrono::year_month>& months,
                         const std::vector<ChartSeries>& series);
// The series of one platform for the months: Phabricator gives Authored, Assigned and All (an
// item that is both, or neither, counts in all three); Gerrit and GitHub give Contributions.
std::vector<ChartSeries> PlatformSeries(const std::vector<contrib::Item>& items,
                                        contrib::Platform platform,
                                        const std::vector<std::chrono::year_month>& months);

// ---- fragments ----

// The day list: a heading "<name>'s activity on YYYY-MM-DD" and one entry per item (platform,
// title linked to the forge, status), or "<name> has no activity on this day."
std::string DayListHtml(std::string_view name, std::chrono::sys_days day,
                        const std::vector<contrib::Item>& items);

// A whole page: doctype, head with title and the stylesheet, the site header, `body`, footer,
// and the script. `head_extra` goes into <head> as is (e.g. a meta refresh).
std::string PageHtml(std::string_view title, std::string_view body,
                     std::string_view head_extra = {});

// ---- static assets, compiled in ----

extern const std::string_view kStylesheet;  // /static/forgedb.css
extern const std::string_view kScript;      // /static/forgedb.js

}  // namespace forgedb::ui
