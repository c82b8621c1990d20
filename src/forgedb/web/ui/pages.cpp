#include "forgedb/web/ui/pages.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <map>
#include <set>
#include <variant>

#include "forgedb/core/text.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/http/error_status.hpp"
#include "forgedb/web/ui/render.hpp"

namespace forgedb::ui {
namespace {

// The forge's name as the pages spell it.
const char* PlatformName(contrib::Platform platform) {
    switch (platform) {
        case contrib::Platform::kGerrit:
            return "Gerrit";
        case contrib::Platform::kPhabricator:
            return "Phabricator";
        case contrib::Platform::kGithub:
            return "GitHub";
    }
    return "";
}

using std::chrono::year_month;

constexpr int kMaxFormRows = 50;
constexpr const char* kHtml = "text/html; charset=utf-8";

const SystemClock& DefaultClock() {
    static const SystemClock clock;
    return clock;
}

http::Response Html(int status, std::string body) {
    http::Response res;
    res.status = status;
    res.content_type = kHtml;
    res.body = std::move(body);
    res.headers.emplace_back("Cache-Control", "no-store");
    return res;
}

http::Response ErrorPage(int status, std::string_view title, std::string_view message) {
    std::string body = "<section class=\"card error-page\"><h1>";
    body += HtmlEscape(title);
    body += "</h1><p class=\"error\" role=\"alert\">";
    body += HtmlEscape(message);
    body += "</p><p><a href=\"/\">Start a new query</a></p></section>";
    return Html(status, PageHtml(title, body));
}

// http::StatusFor's status, narrowed to what a page answers: 400, 404, and 500 for every failure
// on forgedb's side (a person reads the page; no client retries it on a 503).
int PageStatus(const Error& e) {
    const int status = http::StatusFor(e);
    return status >= 500 ? 500 : status;
}

http::Response ServiceErrorPage(const Error& e) {
    switch (PageStatus(e)) {
        case 404:
            return ErrorPage(404, "Not found",
                             "There is no such query or person here. Queries are made on the "
                             "front page.");
        case 400:
            return ErrorPage(400, "Bad request", e.message);
        default:
            return ErrorPage(500, "The mirror could not be read", e.message);
    }
}

http::Response Redirect(std::string location) {
    http::Response res;
    res.status = 303;
    res.content_type = "text/plain; charset=utf-8";
    res.body = "See " + location;
    res.headers.emplace_back("Location", std::move(location));
    return res;
}

http::Response Asset(std::string_view body, const char* type) {
    http::Response res;
    res.content_type = type;
    res.body = std::string(body);
    res.headers.emplace_back("Cache-Control", "public, max-age=300");
    return res;
}

// Hashes are slugs with a hex suffix, 64 hex digits, or 64 random letters and digits.
bool ValidHash(std::string_view hash) {
    if (hash.empty() || hash.size() > 128) return false;
    return std::all_of(hash.begin(), hash.end(),
                       [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '_'; });
}

std::string Trimmed(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

bool Blank(const contrib::QueryUser& u) {
    return u.fullname.empty() && u.gerrit.empty() && u.phabricator.empty() && u.github.empty();
}

std::string WindowText(const contrib::Filter& f) {
    if (f.end <= f.start) return "";
    return FormatLongDay(UtcDay(f.start)) + " – " +
           FormatLongDay(UtcDay(f.end - std::chrono::microseconds{1})) + " (UTC)";
}

// ---- the query form ----

std::string FormHtml(const std::vector<contrib::QueryUser>& rows, std::string_view error) {
    std::string b;
    b.reserve(4096 + rows.size() * 600);
    b += "<section class=\"card query\"><h1>Contributor activity</h1>";
    b += "<p class=\"lead\">See a person&#39;s contributions to Gerrit, Phabricator and GitHub, "
         "read from forgedb&#39;s mirror of the forges.</p>";
    if (!error.empty()) {
        b += "<p class=\"error\" role=\"alert\">" + HtmlEscape(error) + "</p>";
    }
    b += "<p class=\"error\" id=\"form-error\" role=\"alert\" hidden></p>";
    // Filled by the script when the platforms' real names do not match a row's full name.
    b += "<div class=\"warning\" id=\"name-warning\" role=\"alertdialog\" "
         "aria-labelledby=\"name-warning-text\" hidden><p id=\"name-warning-text\"></p>"
         "<button type=\"button\" class=\"primary\" id=\"name-warning-go\">Search anyway</button> "
         "<button type=\"button\" class=\"secondary\" id=\"name-warning-back\">Edit the "
         "names</button></div>";
    b += "<form method=\"post\" action=\"/\" id=\"query-form\">";
    // The first submit button is the one Enter presses: Search.
    b +=
        "<button type=\"submit\" name=\"action\" value=\"search\" class=\"primary hidden-default\" "
        "tabindex=\"-1\" aria-hidden=\"true\">Search</button>";
    b += "<table class=\"rows\"><thead><tr><th>Full name</th><th>Gerrit username</th>"
         "<th>Phabricator username</th><th>GitHub username</th></tr></thead><tbody id=\"rows\">";
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        std::string n = std::to_string(i + 1);
        auto input = [&](const char* name, const char* label, const std::string& value) {
            b += "<td><input type=\"text\" name=\"";
            b += name;
            b += "\" value=\"" + HtmlEscape(value) + "\" aria-label=\"";
            b += label;
            b += ", row " + n + "\" autocomplete=\"off\" spellcheck=\"false\"></td>";
        };
        b += "<tr class=\"row\">";
        input("fullname", "Full name", r.fullname);
        input("gerrit", "Gerrit username", r.gerrit);
        input("phabricator", "Phabricator username", r.phabricator);
        input("github", "GitHub username", r.github);
        b += "</tr>";
    }
    b += "</tbody></table><div class=\"actions\">";
    b += "<button type=\"submit\" name=\"action\" value=\"add-row\" class=\"secondary\" "
         "id=\"add-row\">Add row</button>";
    b += "<button type=\"submit\" name=\"action\" value=\"remove-row\" class=\"secondary\" "
         "id=\"remove-row\"";
    if (rows.size() <= 1) b += " disabled";
    b += ">Remove row</button>";
    b += "<button type=\"button\" class=\"secondary\" id=\"clear-draft\">Clear</button>";
    b += "<span class=\"spacer\"></span>";
    b += "<button type=\"submit\" name=\"action\" value=\"search\" class=\"primary\" "
         "id=\"search\">Search</button></div></form></section>";
    b += "<section class=\"card csv\"><h2>Many people: upload a CSV file</h2>"
         "<p>One person per line under the header <code>fullname,Gerrit,Phabricator,Github</code>; "
         "a line needs a full name and at least one username.</p>"
         "<form method=\"post\" action=\"/\" enctype=\"multipart/form-data\" id=\"csv-form\">"
         "<input type=\"file\" name=\"csv\" accept=\".csv,text/csv\" required> "
         "<button type=\"submit\" class=\"primary\">Upload</button></form></section>";
    return b;
}

http::Response FormResponse(int status, const std::vector<contrib::QueryUser>& rows,
                            std::string_view error) {
    return Html(status, PageHtml("Contributor activity", FormHtml(rows, error)));
}

// The rows of a submitted form, in order (a field missing from a row reads as "").
std::vector<contrib::QueryUser> FormRows(const std::multimap<std::string, std::string>& form) {
    auto column = [&](const char* name) {
        std::vector<std::string> out;
        auto [b, e] = form.equal_range(name);
        for (auto it = b; it != e; ++it) out.push_back(Trimmed(it->second));
        return out;
    };
    auto fullname = column("fullname"), gerrit = column("gerrit"),
         phabricator = column("phabricator"), github = column("github");
    size_t n = std::max({fullname.size(), gerrit.size(), phabricator.size(), github.size()});
    n = std::min<size_t>(n, kMaxFormRows);
    std::vector<contrib::QueryUser> rows(n);
    for (size_t i = 0; i < n; ++i) {
        if (i < fullname.size()) rows[i].fullname = fullname[i];
        if (i < gerrit.size()) rows[i].gerrit = gerrit[i];
        if (i < phabricator.size()) rows[i].phabricator = phabricator[i];
        if (i < github.size()) rows[i].github = github[i];
    }
    if (rows.empty()) rows.resize(1);
    return rows;
}

// The first problem of the rows, in the original form's words, or "".
std::string ValidateRows(const std::vector<contrib::QueryUser>& rows) {
    std::set<std::string> names;
    bool any = false;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& r = rows[i];
        if (Blank(r)) continue;
        any = true;
        std::string n = std::to_string(i + 1);
        if (r.fullname.empty())
            return "Full name cannot be left blank; it is missing in row " + n + ".";
        if (r.gerrit.empty() && r.phabricator.empty() && r.github.empty()) {
            return "Usernames are missing in row " + n +
                   ": give at least one of Gerrit, Phabricator or GitHub.";
        }
        if (!names.insert(AsciiLower(r.fullname)).second) {
            return "Full names have to be unique; \"" + r.fullname + "\" is given twice.";
        }
    }
    if (!any) return "To visualize contributions, please provide user(s) information above.";
    return "";
}

// ---- the result page ----

struct ViewParams {
    std::optional<std::string> user;
    std::optional<int> months;
    std::optional<year_month> end;
    std::optional<std::chrono::sys_days> day;
    bool table = false;
    bool reset = false;
};

// Reads and checks the query string; an error text on a bad value.
std::variant<ViewParams, std::string> ReadParams(const http::Request& req, year_month current) {
    ViewParams p;
    if (auto v = req.Query("user")) p.user = std::string(*v);
    if (auto v = req.Query("months")) {
        int m = 0;
        bool digits =
            !v->empty() && v->size() <= 2 &&
            std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; });
        if (digits) m = std::stoi(std::string(*v));
        if (!IsRangeMonths(m)) return std::string("months must be 1, 2, 3, 6 or 12.");
        p.months = m;
    }
    if (auto v = req.Query("end")) {
        auto ym = ParseMonth(*v);
        if (!ym)
            return "end must be a month written YYYY-MM, e.g. 2021-03 (got \"" + std::string(*v) +
                   "\").";
        if (*ym > current) return "end cannot be later than the current month.";
        p.end = *ym;
    }
    if (auto v = req.Query("day")) {
        auto d = ParseDay(*v);
        if (!d) return "day must be a date written YYYY-MM-DD (got \"" + std::string(*v) + "\").";
        p.day = *d;
    }
    if (auto v = req.Query("view")) {
        if (*v != "table" && *v != "calendar") return std::string("view must be table.");
        p.table = *v == "table";
    }
    if (auto v = req.Query("reset")) {
        if (*v != "1") return std::string("reset must be 1.");
        p.reset = true;
    }
    return p;
}

// "?user=<name>&" or "?" : the start of a link that keeps the person in view.
std::string UserPrefix(const std::optional<std::string>& user) {
    return user ? "?user=" + PercentEncode(*user) + "&" : "?";
}

std::string FilterForm(const std::string& hash, const contrib::Filter& f, year_month current,
                       const std::optional<std::string>& user, bool table) {
    int months = RangeMonthsOf(f.start, f.end);
    year_month end = EndMonthOf(f.end);
    std::string b = "<form class=\"filter\" method=\"get\" action=\"/" + hash + "/\">";
    if (user) b += "<input type=\"hidden\" name=\"user\" value=\"" + HtmlEscape(*user) + "\">";
    if (table) b += "<input type=\"hidden\" name=\"view\" value=\"table\">";
    b += "<label>Range <select name=\"months\">";
    const std::pair<int, const char*> ranges[] = {{1, "Last 30 days"},
                                                  {2, "Last 60 days"},
                                                  {3, "Last 90 days"},
                                                  {6, "Last 6 months"},
                                                  {12, "Last 1 year"}};
    for (auto [m, label] : ranges) {
        b += "<option value=\"" + std::to_string(m) + "\"";
        if (m == months) b += " selected";
        b += ">";
        b += label;
        b += "</option>";
    }
    b += "</select></label> <label>ending <select name=\"end\">";
    year_month oldest = std::chrono::year{2013} / std::chrono::January;
    if (end < oldest) oldest = end;
    for (year_month ym = current; ym >= oldest; ym -= std::chrono::months{1}) {
        std::string v = FormatMonth(ym);
        b += "<option value=\"" + v + "\"";
        if (ym == end) b += " selected";
        b += ">" + MonthName(ym) + "</option>";
    }
    b += "</select></label> <button type=\"submit\" class=\"primary\">Apply</button> ";
    b += "<a class=\"reset\" href=\"/" + hash + "/" + HtmlEscape(UserPrefix(user)) + "reset=1";
    if (table) b += "&amp;view=table";
    b += "\">Reset</a></form>";
    return b;
}

std::string AccountHtml(const char* label, const contrib::Account& a) {
    std::string b = "<span class=\"account\">";
    b += label;
    b += ": ";
    if (a.username.empty()) {
        b += "None";
    } else if (!SafeLink(a.url).empty()) {
        b += "<a href=\"" + HtmlEscape(a.url) + "\">" + HtmlEscape(a.username) + "</a>";
    } else {
        b += HtmlEscape(a.username);
    }
    if (a.real_name && !a.real_name->empty() && *a.real_name != a.username) {
        b += " <span class=\"real-name\">(" + HtmlEscape(*a.real_name) + ")</span>";
    }
    b += "</span>";
    return b;
}

std::string ChartCard(const contrib::UserResult& r, contrib::Platform platform,
                      const contrib::Account& account, const std::vector<year_month>& months) {
    const char* label = PlatformName(platform);
    std::string b = "<div class=\"card chart-card\" data-platform=\"";
    b += contrib::PlatformLabel(platform);
    b += "\"><h2>";
    b += label;
    b += "</h2>";
    bool has_items = std::any_of(r.items.begin(), r.items.end(),
                                 [&](const contrib::Item& i) { return i.platform == platform; });
    if (account.username.empty()) {
        b += "<p class=\"note\">No ";
        b += label;
        b += " username was given.</p></div>";
        return b;
    }
    if (!account.real_name && !has_items) {
        b += "<p class=\"note\">";
        if (r.coverage.complete) {
            b += "The mirror has no ";
            b += label;
            b += " user &quot;" + HtmlEscape(account.username) + "&quot;.";
        } else {
            b += "Loading&hellip;";
        }
        b += "</p></div>";
        return b;
    }
    auto series = PlatformSeries(r.items, platform, months);
    b += "<ul class=\"legend\">";
    for (const auto& s : series) {
        long long sum = 0;
        for (long long v : s.values) sum += v;
        b += "<li><span class=\"swatch\" style=\"background:" + s.colour + "\"></span>" + s.name +
             " <span class=\"sum\">" + std::to_string(sum) + "</span></li>";
    }
    b += "</ul>";
    b += LineChartSvg(months, series);
    b += "</div>";
    return b;
}

}  // namespace

Pages::Pages(contrib::Service& service) : Pages(service, DefaultClock()) {}

Pages::Pages(contrib::Service& service, const Clock& clock) : service_(service), clock_(clock) {}

std::vector<http::Route> Pages::Routes() {
    return {
        {"GET", "/static/forgedb.css",
         [](const http::Request&) { return Asset(kStylesheet, "text/css; charset=utf-8"); }},
        {"GET", "/static/forgedb.js",
         [](const http::Request&) { return Asset(kScript, "text/javascript; charset=utf-8"); }},
        {"GET", "/", [this](const http::Request& req) { return FormPage(req); }},
        {"POST", "/", [this](const http::Request& req) { return Submit(req); }},
        {"GET", "/{hash}", [this](const http::Request& req) { return ResultPage(req); }},
    };
}

http::Response Pages::FormPage(const http::Request& req) {
    int rows = 1;
    if (auto v = req.Query("rows")) {
        bool digits =
            !v->empty() && v->size() <= 3 &&
            std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; });
        rows = digits ? std::stoi(std::string(*v)) : 0;
        if (rows < 1 || rows > kMaxFormRows) {
            return ErrorPage(
                400, "Bad request",
                "rows must be a number from 1 to " + std::to_string(kMaxFormRows) + ".");
        }
    }
    return FormResponse(200, std::vector<contrib::QueryUser>(static_cast<size_t>(rows)), "");
}

http::Response Pages::Submit(const http::Request& req) {
    std::string_view content_type = req.Header("Content-Type").value_or("");
    if (auto parts = http::ParseMultipart(content_type, req.body)) {
        const std::string* csv = nullptr;
        for (const auto& part : *parts) {
            if (part.name == "csv") csv = &part.data;
        }
        if (!csv || csv->empty()) {
            return FormResponse(400, {contrib::QueryUser{}}, "Choose a CSV file to upload.");
        }
        auto hash = service_.CreateQueryFromCsv(*csv);
        if (!hash) {
            return FormResponse(PageStatus(hash.error()), {contrib::QueryUser{}},
                                "The CSV file was not accepted: " + hash.error().message);
        }
        return Redirect("/" + *hash + "/");
    }
    if (content_type.find("multipart/") != std::string_view::npos) {
        return FormResponse(400, {contrib::QueryUser{}}, "The upload could not be read.");
    }
    auto form = http::ParseForm(req.body);
    if (!form) return FormResponse(400, {contrib::QueryUser{}}, "The form could not be read.");
    auto rows = FormRows(*form);
    std::string action = "search";
    if (auto it = form->find("action"); it != form->end()) action = it->second;
    if (action == "add-row") {
        if (rows.size() < kMaxFormRows) rows.emplace_back();
        return FormResponse(200, rows, "");
    }
    if (action == "remove-row") {
        if (rows.size() > 1) rows.pop_back();
        return FormResponse(200, rows, "");
    }
    if (action != "search") return FormResponse(400, rows, "Unknown action.");
    if (std::string problem = ValidateRows(rows); !problem.empty()) {
        return FormResponse(400, rows, problem);
    }
    std::vector<contrib::QueryUser> users;
    for (const auto& r : rows) {
        if (!Blank(r)) users.push_back(r);
    }
    auto hash = service_.CreateQuery(users);
    if (!hash) {
        return FormResponse(PageStatus(hash.error()), rows, hash.error().message);
    }
    return Redirect("/" + *hash + "/");
}

http::Response Pages::ResultPage(const http::Request& req) {
    const std::string& hash = req.params.at("hash");
    if (!ValidHash(hash)) {
        return ErrorPage(404, "Not found", "There is no page at this address.");
    }
    Timestamp now = clock_.Now();
    year_month current = EndMonthOf(now + std::chrono::microseconds{1});
    auto parsed = ReadParams(req, current);
    if (auto* error = std::get_if<std::string>(&parsed)) {
        return ErrorPage(400, "Bad request", *error);
    }
    ViewParams p = std::get<ViewParams>(std::move(parsed));
    std::string self = "/" + hash + "/";

    if (p.reset) {
        contrib::Filter d = contrib::DefaultFilter(now);
        auto updated = service_.UpdateFilter(hash, d.start, d.end, std::nullopt);
        if (!updated) return ServiceErrorPage(updated.error());
        std::string location = self;
        if (p.user) location += "?user=" + PercentEncode(*p.user);
        if (p.table) location += p.user ? "&view=table" : "?view=table";
        return Redirect(location);
    }
    if (p.months || p.end) {
        auto query = service_.GetQuery(hash);
        if (!query) return ServiceErrorPage(query.error());
        const contrib::Filter& f = query->filter;
        int months = p.months.value_or(RangeMonthsOf(f.start, f.end));
        year_month end = p.end.value_or(EndMonthOf(f.end));
        auto [start_ts, end_ts] = RangeWindow(end, months, now);
        if (start_ts != f.start || end_ts != f.end) {
            auto updated = service_.UpdateFilter(hash, start_ts, end_ts, std::nullopt);
            if (!updated) return ServiceErrorPage(updated.error());
        }
    }

    if (p.table) {
        auto query = service_.GetQuery(hash);
        if (!query) return ServiceErrorPage(query.error());
        auto totals = service_.GetTotals(hash);
        if (!totals) return ServiceErrorPage(totals.error());
        std::string b = "<section class=\"card head\"><h1>" + std::to_string(totals->size()) +
                        (totals->size() == 1 ? " person" : " people") + "</h1><p class=\"range\">" +
                        WindowText(query->filter) + "</p>";
        b += FilterForm(hash, query->filter, current, std::nullopt, true);
        b += "</section><section class=\"card\"><table class=\"totals\"><thead><tr>"
             "<th>Full name</th><th>Gerrit</th><th>Phabricator</th><th>GitHub</th>"
             "<th>Total</th></tr></thead><tbody>";
        contrib::UserTotals sum;
        for (const auto& t : *totals) {
            b += "<tr><td><a href=\"" + self +
                 "?user=" + HtmlEscape(PercentEncode(t.user.fullname)) + "\">" +
                 HtmlEscape(t.user.fullname) + "</a></td><td class=\"num\">" +
                 std::to_string(t.gerrit) + "</td><td class=\"num\">" +
                 std::to_string(t.phabricator) + "</td><td class=\"num\">" +
                 std::to_string(t.github) + "</td><td class=\"num\">" + std::to_string(t.total) +
                 "</td></tr>";
            sum.gerrit += t.gerrit;
            sum.phabricator += t.phabricator;
            sum.github += t.github;
            sum.total += t.total;
        }
        b += "</tbody><tfoot><tr><th>All</th><td class=\"num\">" + std::to_string(sum.gerrit) +
             "</td><td class=\"num\">" + std::to_string(sum.phabricator) +
             "</td><td class=\"num\">" + std::to_string(sum.github) + "</td><td class=\"num\">" +
             std::to_string(sum.total) + "</td></tr></tfoot></table>";
        b += "<p><a href=\"" + self + "\">Back to the calendar</a></p></section>";
        return Html(200, PageHtml("All people of the query", b));
    }

    auto result = service_.GetResult(hash, p.user);
    if (!result) return ServiceErrorPage(result.error());
    const contrib::UserResult& r = *result;
    const std::string& name = r.user.fullname;
    // Links on this page keep the person in view when one was named.
    std::optional<std::string> user = p.user;

    std::string b;
    b.reserve(64 * 1024);
    std::string head_extra;
    if (!r.coverage.complete) {
        head_extra = "<meta http-equiv=\"refresh\" content=\"3\">";
        b += "<p class=\"progress\" role=\"status\">Loading contributions from the forges: ";
        for (size_t i = 0; i < r.coverage.platforms.size(); ++i) {
            const auto& p = r.coverage.platforms[i];
            b += i ? "; " : "";
            b += "<span data-platform=\"";
            b += contrib::PlatformLabel(p.platform);
            b += "\">";
            b += PlatformName(p.platform);
            if (p.complete) {
                b += " done";
            } else if (p.pages_done == 0) {
                b += " waiting";
            } else {
                b += " " + std::to_string(p.pages_done) +
                     (p.pages_done == 1 ? " page, " : " pages, ") + std::to_string(p.items) +
                     " items so far";
            }
            b += "</span>";
        }
        b += ". This page refreshes every 3 seconds.</p>";
    }
    for (const auto& e : r.coverage.errors) {
        b += "<p class=\"error\" role=\"alert\">" + HtmlEscape(e) + "</p>";
    }
    b += "<section class=\"card head\">";
    if (r.previous || r.next) {
        b += "<nav class=\"pager\">";
        if (r.previous) {
            b += "<a class=\"prev\" rel=\"prev\" href=\"" + self +
                 "?user=" + HtmlEscape(PercentEncode(*r.previous)) + "\">&larr; " +
                 HtmlEscape(*r.previous) + "</a>";
        }
        b += "<a class=\"all\" href=\"" + self + "?view=table\">Everyone</a>";
        if (r.next) {
            b += "<a class=\"next\" rel=\"next\" href=\"" + self +
                 "?user=" + HtmlEscape(PercentEncode(*r.next)) + "\">" + HtmlEscape(*r.next) +
                 " &rarr;</a>";
        }
        b += "</nav>";
    }
    b += "<h1>" + HtmlEscape(name) + "&#39;s activity</h1><p class=\"accounts\">";
    b += AccountHtml("Gerrit", r.gerrit) + AccountHtml("Phabricator", r.phabricator) +
         AccountHtml("GitHub", r.github);
    b += " <a class=\"edit\" href=\"/\">New query</a></p>";
    if (r.coverage.complete && r.match_percent <= 60) {
        std::vector<std::string> names;
        for (const auto* a : {&r.gerrit, &r.phabricator, &r.github}) {
            if (!a->username.empty() && a->real_name && !a->real_name->empty()) {
                names.push_back(*a->real_name);
            }
        }
        b += "<p class=\"warning\" role=\"note\">These accounts do not seem to belong to one "
             "person: their names";
        if (!names.empty()) {
            b += " (";
            for (size_t i = 0; i < names.size(); ++i) {
                if (i) b += ", ";
                b += "&quot;" + HtmlEscape(names[i]) + "&quot;";
            }
            b += ")";
        }
        char pct[16];
        std::snprintf(pct, sizeof pct, "%.0f", r.match_percent);
        b += " match &quot;" + HtmlEscape(name) + "&quot; by " + std::string(pct) + "%.</p>";
    }
    b += "<p class=\"range\">" + WindowText(r.filter) + "</p>";
    b += FilterForm(hash, r.filter, current, user, false);
    b += "</section>";

    HeatmapOptions hopts;
    hopts.day_href_prefix = UserPrefix(user) + "day=";
    hopts.selected = p.day;
    b += "<section class=\"card calendar\" id=\"calendar\" data-hash=\"" + HtmlEscape(hash) +
         "\" data-user=\"" + HtmlEscape(name) + "\"><h2>Total contributions</h2>";
    b += "<p class=\"total\" id=\"total\">" + std::to_string(r.items.size()) + "</p>";
    b += "<div class=\"heatmap-scroll\">";
    b += HeatmapSvg(r.items, r.filter.start, r.filter.end, hopts);
    b += "</div><p class=\"hint\">Select a day to list its contributions.</p></section>";

    b += "<div id=\"day-slot\" aria-live=\"polite\">";
    if (p.day) {
        auto items = service_.GetDay(hash, p.user, FormatDay(*p.day));
        if (!items) return ServiceErrorPage(items.error());
        b += DayListHtml(name, *p.day, *items);
    }
    b += "</div>";

    auto months = CalendarMonths(r.filter.start, r.filter.end);
    b += "<section class=\"charts\">";
    b += ChartCard(r, contrib::Platform::kPhabricator, r.phabricator, months);
    b += ChartCard(r, contrib::Platform::kGerrit, r.gerrit, months);
    b += ChartCard(r, contrib::Platform::kGithub, r.github, months);
    b += "</section>";
    return Html(200, PageHtml(name + "'s activity", b, head_extra));
}

}  // namespace forgedb::ui
