#pragma once
// forgedb's own web pages over the contributor view, rendered on the server (HTML and SVG made
// here; no third-party CDN; usable without JavaScript except the day drill-down and the form
// draft). Routes (declared in one table, pages.cpp):
//   GET  /                 the query form (several rows, CSV upload, draft kept in the browser,
//                          a warning when the real names do not match the full name)
//   POST /                 the form's submission: saves the query, redirects to /{hash}/
//   GET  /{hash}/          the permalink page: header with account links, total, calendar
//                          heatmap, per-platform monthly charts, range/end-month filter with Apply
//                          and Reset, day drill-down, prev/next between users, ?view=table
//   GET  /static/forgedb.js, /static/forgedb.css
// GET /{hash}/ matches every one-segment path, so a router must hold these routes after every
// other surface's (the first matching route answers).

#include <string>
#include <string_view>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::ui {

// Text made safe for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

class Pages {
public:
    // REQUIRES: service (and clock) outlive the surface. The clock says which month is the
    // current one (the range filter's latest end) and when a Reset ends; default: system clock.
    explicit Pages(contrib::Service& service);
    Pages(contrib::Service& service, const Clock& clock);
    std::vector<http::Route> Routes();

private:
    http::Response FormPage(const http::Request& req);
    http::Response Submit(const http::Request& req);
    http::Response ResultPage(const http::Request& req);

    contrib::Service& service_;
    const Clock& clock_;
};

}  // namespace forgedb::ui
