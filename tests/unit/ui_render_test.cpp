// The builders of forgedb's pages: the calendar heatmap's layout (one block of 4 columns x 8 days
// per month), its colour steps and UTC day buckets, the monthly chart series, the range filter's
// windows, date parsing, and escaping of everything that comes from users or forges.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "forgedb/core/time.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "forgedb/web/ui/render.hpp"

namespace forgedb::ui {
namespace {

using std::chrono::sys_days;
using namespace std::chrono_literals;

Timestamp T(const char* text) {
    auto t = ParseTimestamp(text);
    EXPECT_TRUE(t) << text;
    return t.value_or(Timestamp{});
}

sys_days D(const char* text) {
    auto d = ParseDay(text);
    EXPECT_TRUE(d) << text;
    return d.value_or(sys_days{});
}

contrib::Item MakeItem(const char* time, contrib::Platform platform = contrib::Platform::kGerrit,
                       bool authored = true, bool assigned = false) {
    contrib::Item item;
    item.platform = platform;
    item.kind = "change";
    item.time = T(time);
    item.status = "MERGED";
    item.title = "Change";
    item.authored = authored;
    item.assigned = assigned;
    return item;
}

size_t CountOf(std::string_view text, std::string_view needle) {
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string_view::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

// The text of one month block of a heatmap.
std::string Block(const std::string& svg, const std::string& month) {
    size_t b = svg.find("data-month=\"" + month + "\"");
    if (b == std::string::npos) return "";
    size_t e = svg.find("</g>", b);
    return svg.substr(b, e - b);
}

// The attributes of the cell of `day` (the <rect ...> text).
std::string Cell(const std::string& svg, const std::string& day) {
    size_t b = svg.rfind("<rect", svg.find("data-day=\"" + day + "\""));
    size_t e = svg.find('>', b);
    return svg.substr(b, e - b + 1);
}

TEST(UiRenderTest, HeatColourSteps) {
    EXPECT_STREQ(HeatColour(0), "#efeded");
    EXPECT_STREQ(HeatColour(1), "#b1d7ce");
    EXPECT_STREQ(HeatColour(2), "#b1d7ce");
    EXPECT_STREQ(HeatColour(3), "#00af89");
    EXPECT_STREQ(HeatColour(4), "#00af89");
    EXPECT_STREQ(HeatColour(5), "#14866d");
    EXPECT_STREQ(HeatColour(6), "#14866d");
    EXPECT_STREQ(HeatColour(7), "#0a3d32");
    EXPECT_STREQ(HeatColour(10000), "#0a3d32");
}

TEST(UiRenderTest, CalendarMonthsEndAtTheEndMonth) {
    // Last 30 days ending with February 2021: Jan 30 .. Feb 28, two blocks (N + 1).
    auto [start, end] = RangeWindow(std::chrono::year{2021} / 2, 1, T("2030-01-01T00:00:00Z"));
    EXPECT_EQ(start, T("2021-01-30T00:00:00Z"));
    EXPECT_EQ(end, T("2021-03-01T00:00:00Z"));
    auto months = CalendarMonths(start, end);
    ASSERT_EQ(months.size(), 2u);
    EXPECT_EQ(FormatMonth(months[0]), "2021-01");
    EXPECT_EQ(FormatMonth(months[1]), "2021-02");

    // A year ending with January 2022 starts on Feb 1, 2021: the empty January is not drawn.
    auto [ys, ye] = RangeWindow(std::chrono::year{2022} / 1, 12, T("2030-01-01T00:00:00Z"));
    auto year = CalendarMonths(ys, ye);
    ASSERT_EQ(year.size(), 12u);
    EXPECT_EQ(FormatMonth(year.front()), "2021-02");
    EXPECT_EQ(FormatMonth(year.back()), "2022-01");

    // The default year (now - 365 days .. now) in mid-month gives 13 blocks.
    auto def = CalendarMonths(T("2024-03-15T10:00:00Z"), T("2025-03-15T10:00:00Z"));
    EXPECT_EQ(def.size(), 13u);

    // The current month ends now.
    auto [cs, ce] = RangeWindow(std::chrono::year{2025} / 3, 3, T("2025-03-15T10:00:00.5Z"));
    EXPECT_EQ(ce, T("2025-03-15T10:00:00Z"));
    EXPECT_EQ(ce - cs, std::chrono::days{90});
    EXPECT_EQ(RangeMonthsOf(cs, ce), 3);
    EXPECT_EQ(FormatMonth(EndMonthOf(ce)), "2025-03");
    EXPECT_EQ(FormatMonth(EndMonthOf(end)), "2021-02");  // end is exclusive
    for (int m : {1, 2, 3, 6, 12}) {
        auto [s, e] = RangeWindow(std::chrono::year{2020} / 5, m, T("2030-01-01T00:00:00Z"));
        EXPECT_EQ(RangeMonthsOf(s, e), m);
        EXPECT_TRUE(IsRangeMonths(m));
    }
    EXPECT_FALSE(IsRangeMonths(4));
    EXPECT_FALSE(IsRangeMonths(0));
}

TEST(UiRenderTest, HeatmapHasOneBlockOfFourColumnsPerMonth) {
    std::vector<contrib::Item> items = {MakeItem("2021-02-03T10:00:00Z")};
    std::string svg = HeatmapSvg(items, T("2021-01-30T00:00:00Z"), T("2021-03-01T00:00:00Z"));
    std::string jan = Block(svg, "2021-01");
    std::string feb = Block(svg, "2021-02");
    ASSERT_FALSE(jan.empty());
    ASSERT_FALSE(feb.empty());
    EXPECT_TRUE(Block(svg, "2020-12").empty());
    EXPECT_TRUE(Block(svg, "2021-03").empty());
    EXPECT_NE(jan.find(">Jan 2021</text>"), std::string::npos);
    // Every day of the month is drawn; only days in the window carry a count and a link.
    EXPECT_EQ(CountOf(jan, "data-day="), 31u);
    EXPECT_EQ(CountOf(jan, "data-count="), 2u);  // Jan 30 and 31
    EXPECT_EQ(CountOf(feb, "data-day="), 28u);
    EXPECT_EQ(CountOf(feb, "data-count="), 28u);
    EXPECT_EQ(CountOf(feb, "<a href=\"?day=2021-02-"), 28u);
    EXPECT_EQ(CountOf(Block(HeatmapSvg({}, T("2020-02-01T00:00:00Z"), T("2020-03-01T00:00:00Z")),
                            "2020-02"),
                      "data-count="),
              29u);  // a leap February

    // Days 1-8 in the first column, 9-16 in the second, 17-24, 25-31; 14 px apart; the second
    // block starts 70 px to the right of the first.
    EXPECT_NE(Cell(svg, "2021-02-01").find("x=\"70\" y=\"18\""), std::string::npos)
        << Cell(svg, "2021-02-01");
    EXPECT_NE(Cell(svg, "2021-02-08").find("x=\"70\" y=\"116\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-09").find("x=\"84\" y=\"18\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-17").find("x=\"98\" y=\"18\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-25").find("x=\"112\" y=\"18\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-01-31").find("x=\"42\" y=\"102\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-01-01").find("class=\"out\""), std::string::npos);

    // The legend: Less, the five colours, More.
    EXPECT_NE(svg.find(">Less</text>"), std::string::npos);
    EXPECT_NE(svg.find(">More</text>"), std::string::npos);
}

TEST(UiRenderTest, HeatmapBucketsByUtcDay) {
    std::vector<contrib::Item> items = {
        MakeItem("2021-02-03T00:00:00Z"),      MakeItem("2021-02-03T23:59:59Z"),
        MakeItem("2021-02-04T00:30:00+01:00"),  // 23:30 UTC on the 3rd
        MakeItem("2021-02-03T20:00:00-05:00"),  // 01:00 UTC on the 4th
        MakeItem("2021-02-10T12:00:00Z"),
    };
    for (int i = 0; i < 7; ++i) items.push_back(MakeItem("2021-02-20T12:00:00Z"));
    items.push_back(MakeItem("2021-05-01T00:00:00Z"));  // outside the window: not counted
    std::string svg = HeatmapSvg(items, T("2021-01-30T00:00:00Z"), T("2021-03-01T00:00:00Z"));
    EXPECT_NE(Cell(svg, "2021-02-03").find("data-count=\"3\" fill=\"#00af89\""), std::string::npos)
        << Cell(svg, "2021-02-03");
    EXPECT_NE(Cell(svg, "2021-02-04").find("data-count=\"1\" fill=\"#b1d7ce\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-05").find("data-count=\"0\" fill=\"#efeded\""), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-20").find("data-count=\"7\" fill=\"#0a3d32\""), std::string::npos);
    EXPECT_NE(svg.find("<title>3 contributions on Feb 3, 2021</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>1 contribution on Feb 10, 2021</title>"), std::string::npos);
    EXPECT_NE(svg.find("<title>0 contributions on Feb 11, 2021</title>"), std::string::npos);

    // The sum of the cells' counts is the number of items in the window.
    long long sum = 0;
    for (size_t pos = svg.find("data-count=\""); pos != std::string::npos;
         pos = svg.find("data-count=\"", pos + 1)) {
        sum += std::stoll(svg.substr(pos + 12));
    }
    EXPECT_EQ(sum, 12);

    auto counts = CountPerDay(items, D("2021-02-03"), D("2021-02-04"));
    ASSERT_EQ(counts.size(), 2u);
    EXPECT_EQ(counts[0], 3);
    EXPECT_EQ(counts[1], 1);
}

TEST(UiRenderTest, HeatmapLinksKeepThePersonAndMarkTheSelectedDay) {
    HeatmapOptions opts;
    opts.day_href_prefix = "?user=A%20%22B%22&day=";
    opts.selected = D("2021-02-02");
    std::string svg = HeatmapSvg({}, T("2021-02-01T00:00:00Z"), T("2021-03-01T00:00:00Z"), opts);
    EXPECT_NE(svg.find("<a href=\"?user=A%20%22B%22&amp;day=2021-02-02\">"), std::string::npos);
    EXPECT_NE(Cell(svg, "2021-02-02").find("class=\"selected\""), std::string::npos);
    EXPECT_EQ(Cell(svg, "2021-02-03").find("selected"), std::string::npos);
}

TEST(UiRenderTest, PhabricatorSeriesCountBothAndNeitherInAllThree) {
    using contrib::Platform;
    std::vector<contrib::Item> items = {
        MakeItem("2021-01-05T00:00:00Z", Platform::kPhabricator, true, false),
        MakeItem("2021-01-06T00:00:00Z", Platform::kPhabricator, false, true),
        MakeItem("2021-01-07T00:00:00Z", Platform::kPhabricator, true, true),
        MakeItem("2021-02-07T00:00:00Z", Platform::kPhabricator, false, false),
        MakeItem("2021-02-08T00:00:00Z", Platform::kGerrit),
        MakeItem("2021-02-28T23:59:59Z", Platform::kGithub),
        MakeItem("2021-03-01T00:00:00Z", Platform::kGithub),  // not one of the months
    };
    std::vector<std::chrono::year_month> months = {std::chrono::year{2021} / 1,
                                                   std::chrono::year{2021} / 2};
    auto phab = PlatformSeries(items, Platform::kPhabricator, months);
    ASSERT_EQ(phab.size(), 3u);
    EXPECT_EQ(phab[0].name, "Authored");
    EXPECT_EQ(phab[0].values, (std::vector<long long>{2, 1}));
    EXPECT_EQ(phab[1].name, "Assigned");
    EXPECT_EQ(phab[1].values, (std::vector<long long>{2, 1}));
    EXPECT_EQ(phab[2].name, "All");
    EXPECT_EQ(phab[2].values, (std::vector<long long>{3, 1}));
    auto gerrit = PlatformSeries(items, Platform::kGerrit, months);
    ASSERT_EQ(gerrit.size(), 1u);
    EXPECT_EQ(gerrit[0].values, (std::vector<long long>{0, 1}));
    auto github = PlatformSeries(items, Platform::kGithub, months);
    EXPECT_EQ(github[0].values, (std::vector<long long>{0, 1}));

    std::string svg = LineChartSvg(months, phab);
    EXPECT_EQ(CountOf(svg, "<circle"), 6u);
    EXPECT_EQ(CountOf(svg, "<polyline"), 3u);
    EXPECT_NE(svg.find("<title>All: 3 in January 2021</title>"), std::string::npos);
    EXPECT_NE(svg.find(">Feb</text>"), std::string::npos);
}

TEST(UiRenderTest, DatesAreParsedStrictly) {
    EXPECT_EQ(FormatDay(D("2024-02-29")), "2024-02-29");
    EXPECT_FALSE(ParseDay("2023-02-29"));
    EXPECT_FALSE(ParseDay("2021-2-03"));
    EXPECT_FALSE(ParseDay("2021-02-03x"));
    EXPECT_FALSE(ParseDay("2021-02-00"));
    EXPECT_FALSE(ParseDay(""));
    EXPECT_TRUE(ParseMonth("2021-12"));
    EXPECT_FALSE(ParseMonth("2021-13"));
    EXPECT_FALSE(ParseMonth("2021-00"));
    EXPECT_FALSE(ParseMonth("21-01"));
    EXPECT_FALSE(ParseMonth("2021-1a"));
    EXPECT_FALSE(ParseMonth("1969-12"));
    EXPECT_EQ(FormatLongDay(D("2021-01-05")), "Jan 5, 2021");
    EXPECT_EQ(MonthName(std::chrono::year{2021} / 9), "September 2021");
    EXPECT_EQ(FormatDay(UtcDay(T("2021-02-04T00:30:00+01:00"))), "2021-02-03");
}

TEST(UiRenderTest, EverythingFromUsersAndForgesIsEscaped) {
    EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
              "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    contrib::Item evil = MakeItem("2021-02-03T10:00:00Z");
    evil.title = "<script>alert(1)</script>";
    evil.url = "javascript:alert(1)";
    evil.status = "<b>";
    contrib::Item good = MakeItem("2021-02-03T11:00:00Z", contrib::Platform::kGithub);
    good.title = "Fix \"quotes\" & <tags>";
    good.url = "https://github.com/o/r/pull/1?a=1&b=2";
    std::string html = DayListHtml("Ann <O'Neil>", D("2021-02-03"), {evil, good});
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find("javascript:"), std::string::npos);
    EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
    EXPECT_NE(html.find("Ann &lt;O&#39;Neil&gt;&#39;s activity on 2021-02-03"), std::string::npos);
    EXPECT_NE(html.find("<a class=\"title\" href=\"https://github.com/o/r/pull/1?a=1&amp;b=2\">"
                        "Fix &quot;quotes&quot; &amp; &lt;tags&gt;</a>"),
              std::string::npos);
    EXPECT_NE(html.find("<span class=\"status\">&lt;b&gt;</span>"), std::string::npos);
    EXPECT_EQ(CountOf(html, "<li>"), 2u);

    std::string none = DayListHtml("<i>", D("2021-02-03"), {});
    EXPECT_NE(none.find("&lt;i&gt; has no activity on this day."), std::string::npos);

    std::string page = PageHtml("<title>", "<p>body</p>");
    EXPECT_NE(page.find("<title>&lt;title&gt; · forgedb</title>"), std::string::npos);
    EXPECT_NE(page.find("<p>body</p>"), std::string::npos);
    EXPECT_EQ(page.find("http://"), std::string::npos);  // no third-party assets
    EXPECT_EQ(page.find("https://"), std::string::npos);

    EXPECT_EQ(SafeLink("HTTPS://x.org/"), "HTTPS://x.org/");
    EXPECT_EQ(SafeLink("data:text/html,x"), "");
    EXPECT_EQ(SafeLink(" javascript:x"), "");
}

TEST(UiRenderTest, AssetsAreSelfContained) {
    EXPECT_EQ(std::string(kStylesheet).find("@import"), std::string::npos);
    EXPECT_EQ(std::string(kStylesheet).find("url("), std::string::npos);
    EXPECT_NE(std::string(kScript).find("/commits/?day="), std::string::npos);
    EXPECT_NE(std::string(kScript).find("localStorage"), std::string::npos);
}

TEST(UiRenderTest, LargeHistoriesRenderQuickly) {
    std::vector<contrib::Item> items;
    Timestamp start = T("2021-01-01T00:00:00Z");
    for (int i = 0; i < 10000; ++i) {
        contrib::Item item = MakeItem("2021-01-01T00:00:00Z");
        item.time = start + std::chrono::minutes(i * 52);
        items.push_back(std::move(item));
    }
    std::string svg = HeatmapSvg(items, start, start + std::chrono::days{365});
    auto months = CalendarMonths(start, start + std::chrono::days{365});
    std::string chart =
        LineChartSvg(months, PlatformSeries(items, contrib::Platform::kGerrit, months));
    EXPECT_EQ(CountOf(svg, "data-count="), 365u);
    EXPECT_NE(chart.find("<svg"), std::string::npos);
}

}  // namespace
}  // namespace forgedb::ui
