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
//   GET    /query/{hash}/csv/                the users of a query as CSV (the "uri" of a CSV query)
// Errors are {"message": ..., "error": 1} with the original statuses (400, 404). Every answer
// carries Access-Control-Allow-Origin: * (read-only public data), and OPTIONS preflights are
// answered.
//
// As in the original, changing or deleting a stored query (PATCH .../update/user/,
// PATCH .../update/filter/, DELETE .../update/user/) needs no credentials: anyone who knows a
// permalink's hash can change what it shows, or delete it. A public deployment can turn these
// three off (ApiOptions::query_changes = false, --contrib-read-only-queries): they then answer
// 403 and queries are only ever created.

#include <optional>
#include <string>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::api {

// CORS headers added to every answer of this surface.
void AddCorsHeaders(http::Response& res);

struct ApiOptions {
    bool query_changes = true;  // false: PATCH and DELETE of a stored query answer 403
};

class WikiContribApi {
public:
    // REQUIRES: service outlives the surface.
    explicit WikiContribApi(contrib::Service& service, ApiOptions options = {});
    std::vector<http::Route> Routes();

private:
    http::Response CreateQuery(const http::Request& req);
    // One chunk of a CSV upload (multipart/form-data); `replace`: the query whose users it
    // replaces (PATCH).
    http::Response CsvChunk(const http::Request& req, std::optional<std::string> replace);
    http::Response GetUsers(const http::Request& req);
    http::Response ReplaceUsers(const http::Request& req);
    http::Response DeleteQuery(const http::Request& req);
    http::Response Csv(const http::Request& req);
    http::Response GetFilter(const http::Request& req);
    http::Response UpdateFilter(const http::Request& req);
    http::Response Check(const http::Request& req);
    http::Response MatchFullnames(const http::Request& req);
    http::Response ShowResult(const http::Request& req);
    http::Response Commits(const http::Request& req);
    http::Response Users(const http::Request& req);
    http::Response Totals(const http::Request& req);
    // The result of `hash` (first user or `user`) with `status`; a 3xx also gets a Location.
    http::Response ResultAnswer(int status, const std::string& hash,
                                std::optional<std::string> user);

    contrib::Service& service_;
    ApiOptions options_;
};

}  // namespace forgedb::api
