#pragma once
// forgedb's own request/response types and router. Surfaces (replication, load, api, ui) declare
// their routes as a table of {method, pattern, handler}; only server.cpp sees the HTTP library.
// Patterns are literal segments and {name} placeholders, e.g. "/load/repos/{owner}/{repo}".

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace forgedb::http {

struct CaseInsensitiveLess {
    bool operator()(std::string_view a, std::string_view b) const;
    using is_transparent = void;
};

struct Request {
    std::string method;
    std::string path;
    std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
    std::multimap<std::string, std::string> query;
    std::map<std::string, std::string> params;  // from {name} placeholders
    std::string_view body;                      // valid during the handler call
    std::string remote_addr;

    // The first value of a header, if present.
    std::optional<std::string_view> Header(std::string_view name) const;
    std::optional<std::string_view> Query(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    // For test servers that imitate a broken peer: when set, the server writes these bytes to the
    // connection instead of the answer (they may be empty, or a truncated answer) and closes it.
    std::optional<std::string> raw_then_close;

    // {"message": message} with the given status.
    static Response Message(int status, std::string_view message);
    // {"error": message} with the given status.
    static Response Error(int status, std::string_view message);
    static Response Json(int status, std::string body);
};

using Handler = std::function<Response(const Request&)>;

struct Route {
    std::string method;
    std::string pattern;
    Handler handler;
    // A handler that never blocks (no database, no network, no lock held long) may run on the
    // server's I/O threads; every other one runs on its handler threads.
    bool nonblocking = false;
};

class Router {
public:
    void Add(Route route);
    void AddAll(std::vector<Route> routes);
    // The route of req, with req.params filled; nullptr when none matches, with the answer to
    // give in *refusal: 405 for a path that exists under another method, 404 for an unknown path.
    const Route* Find(Request& req, Response* refusal) const;
    // Finds the handler and runs it (or answers Find's refusal).
    Response Dispatch(Request& req) const;

private:
    std::vector<Route> routes_;
};

// `v` with its %XX escapes decoded, and '+' read as a space when `plus_is_space` (form and query
// components; a URL path keeps '+'); nullopt on a bad escape.
std::optional<std::string> PercentDecode(std::string_view v, bool plus_is_space);

// The value of `name` in an application/x-www-form-urlencoded body, decoded; nullopt if absent
// or badly encoded.
std::optional<std::string> FormValue(std::string_view body, std::string_view name);
// Every pair of an application/x-www-form-urlencoded body (or URL query), decoded; nullopt if
// an escape is bad.
std::optional<std::multimap<std::string, std::string>> ParseForm(std::string_view body);

// JSON string literal of s (quotes included).
std::string JsonQuote(std::string_view s);
// The parameter `name` of a header value such as `form-data; name="x"; filename="y"` or
// `multipart/form-data; boundary=...` (quoted values may hold ';' and backslash escapes).
std::optional<std::string> HeaderParam(std::string_view value, std::string_view name);

// One part of a multipart/form-data body.
struct MultipartPart {
    std::string name;                     // Content-Disposition name
    std::optional<std::string> filename;  // Content-Disposition filename, for file fields
    std::string content_type;             // "" when the part has none
    std::string data;
};
// The parts of a multipart/form-data body, given the request's Content-Type header (which
// names the boundary); nullopt when the type is not multipart/form-data, has no boundary, or the
// body is malformed.
std::optional<std::vector<MultipartPart>> ParseMultipart(std::string_view content_type,
                                                         std::string_view body);

}  // namespace forgedb::http
