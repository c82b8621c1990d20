#pragma once
// Client of Gerrit's REST API (https://gerrit-review.googlesource.com/Documentation/rest-api.html)
// for one configured instance. Bodies start with the XSSI guard ")]}'" which is stripped.
// Anonymous by default; with a username and HTTP password, requests go to the authenticated
// "/a/" endpoints with basic auth. Thread-safe (the HttpClient is).
//
// Errors: 404 -> kNotFound; 401/403 -> kUnauthorized (a configuration problem, with a message
// that names the instance but never the password); 429 -> kRateLimited (retry_at from
// Retry-After, at least 60 s when absent); 5xx and transport failures -> kTransient; a body that
// is not the expected JSON -> kInvalid. Retrying (with backoff) is the job queue's business.

#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources::gerrit {

struct Instance {
    std::string name;      // the configured name, e.g. "wikimedia"
    std::string base_url;  // e.g. "https://gerrit.wikimedia.org/r", without a trailing slash
    std::string username;  // "" = anonymous
    std::string password;  // HTTP password (never logged)
};

// One page of GET /changes/: the JSON array text (XSSI prefix removed), how many changes it
// holds, and whether the last one carried "_more_changes": true.
struct ChangesPage {
    std::string json;
    int count = 0;
    bool more = false;
};

struct GerritClientOptions {
    int page_size = 100;  // n=
    // o= options of change queries: owner details and the current revision (patch set).
    std::vector<std::string> change_options{"DETAILED_ACCOUNTS", "CURRENT_REVISION"};
};

// Removes a leading ")]}'" line if present (some recorded bodies have it stripped already).
std::string_view StripXssiPrefix(std::string_view body);

// RFC 3986 percent-encoding of a query value: unreserved characters and ':' are kept, a space
// becomes %20 (Gerrit reads '+' as a space too, but %20 is unambiguous).
std::string EncodeQueryValue(std::string_view value);

// Reads a /changes/ answer (XSSI prefix optional): a JSON array of ChangeInfo objects.
// kInvalid when it is not one.
Result<ChangesPage> ParseChangesPage(std::string_view body);

class GerritClient {
public:
    // REQUIRES: http and clock outlive the client.
    GerritClient(HttpClient& http, const Clock& clock, Instance instance,
                 GerritClientOptions options = {});

    const Instance& instance() const { return instance_; }

    // GET /changes/?q=<query>&n=<page_size>&S=<start>&o=... (query URL-encoded).
    Result<ChangesPage> QueryChanges(std::string_view query, int start);
    // GET /changes/?q=change:<number>&o=... : the ChangeInfo JSON object text; kNotFound if the
    // list is empty.
    Result<std::string> GetChange(long long number);
    // GET /accounts/?q=username:<username>&o=DETAILS : the first AccountInfo JSON object text;
    // kNotFound if none.
    Result<std::string> FindAccount(std::string_view username);
    // GET /projects/<name> (the name percent-encoded, '/' as %2F): true when the reader sees
    // the project, false on 404 (missing, or hidden from the reader).
    Result<bool> ProjectVisible(std::string_view project);
    // Whether requests carry credentials (the "/a/" endpoints).
    bool authenticated() const { return !instance_.username.empty(); }

    // The URL that QueryChanges requests (with "/a" after the base URL when authenticated).
    std::string ChangesUrl(std::string_view query, int start) const;

private:
    // base_url, then "/a" when authenticated, then `path`.
    std::string ApiUrl(const std::string& path) const;
    Result<std::string> Get(const std::string& path_and_query);

    HttpClient& http_;
    const Clock& clock_;
    Instance instance_;
    GerritClientOptions options_;
    // The forms in which the password travels (as is, and in the basic auth header), masked in
    // every message; empty for an anonymous client.
    std::vector<std::string> secrets_;
};

}  // namespace forgedb::sources::gerrit
