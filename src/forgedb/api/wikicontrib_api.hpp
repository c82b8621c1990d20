#pragma once
// The WikiContrib-compatible JSON API over the contributor view, so that WikiContrib's own
// frontend works against forgedb. Routes (declared in one table, wikicontrib_api.cpp):
//   POST   /query/add/user/                 create a query (JSON users, or chunked CSV upload)
//   GET|PATCH|DELETE /query/{hash}/update/user/
//   GET|PATCH        /query/{hash}/update/filter/
//   POST   /query/{hash}/check/
//   POST   /result/match-fullnames/
//   GET    /result/{hash}/                   (?user=<fullname>)
//   GET    /result/{hash}/commits/           (?created=<t1>,<t2>,... or ?day=YYYY-MM-DD)
//   GET    /result/{hash}/users/
//   GET    /result/{hash}/totals/            (forgedb's table view of a multi-user query)
// Errors are {"message": ..., "error": 1} with the original statuses (400, 404). Every answer
// carries Access-Control-Allow-Origin: * (read-only public data), and OPTIONS preflights are
// answered.

#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::api {

// CORS headers added to every answer of this surface.
void AddCorsHeaders(http::Response& res);

class WikiContribApi {
public:
    // REQUIRES: service outlives the surface.
    explicit WikiContribApi(contrib::Service& service);
    std::vector<http::Route> Routes();

private:
    contrib::Service& service_;
};

}  // namespace forgedb::api
