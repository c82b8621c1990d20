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

#include <string>
#include <string_view>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::ui {

// Text made safe for HTML element content and attribute values.
std::string HtmlEscape(std::string_view text);

class Pages {
public:
    // REQUIRES: service outlives the surface.
    explicit Pages(contrib::Service& service);
    std::vector<http::Route> Routes();

private:
    contrib::Service& service_;
};

}  // namespace forgedb::ui
