#pragma once
// Client of Phabricator's Conduit API (https://secure.phabricator.com/book/phabricator/article/
// conduit/) for one configured instance: POST form-encoded to <base>/api/<method> with
// api.token. Conduit answers HTTP 200 with {"result", "error_code", "error_info"}; an in-band
// error becomes a typed error instead of a crash. Thread-safe (the HttpClient is).
//
// Errors: ERR-INVALID-AUTH, ERR-INVALID-SESSION, ERR-CONDUIT-CALL-AUTH -> kUnauthorized (message
// names the instance, never the token); ERR-RATE-LIMIT and HTTP 429 -> kRateLimited (retry_at
// at least 60 s ahead); other ERR-* codes -> kInvalid with "<method>: <code>: <info>"; 404 ->
// kNotFound; 5xx and transport failures -> kTransient; a body that is not a Conduit envelope ->
// kInvalid. HTTP 401/403 (a proxy in front of Conduit) -> kUnauthorized; other non-2xx statuses
// -> kInvalid.

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources::phabricator {

struct Instance {
    std::string name;      // the configured name, e.g. "wikimedia"
    std::string base_url;  // e.g. "https://phabricator.wikimedia.org", without a trailing slash
    std::string token;     // Conduit API token (never logged); "" = none
};

// Form fields in PHP's nested syntax, e.g. {"constraints[authorPHIDs][0]", "PHID-USER-x"}.
using Params = std::vector<std::pair<std::string, std::string>>;

// The application/x-www-form-urlencoded text of `params`, in order: names and values are
// percent-encoded (RFC 3986 unreserved characters kept, brackets and spaces escaped).
std::string EncodeForm(const Params& params);

// The shortest wait before retrying after a rate limit (Phabricator sends no reset time).
inline constexpr std::chrono::seconds kMinRateLimitWait{60};

// Checks one Conduit answer of `method` from `instance` and maps it to the errors listed above
// (the instance's token is masked in every message); `now` dates retry_at. Success means HTTP
// 2xx and a JSON object whose error_code is null, whatever its `result` (null included).
Status CheckConduitResponse(const Instance& instance, std::string_view method,
                            const HttpResponse& response, Timestamp now);

class ConduitClient {
public:
    // REQUIRES: http and clock outlive the client.
    ConduitClient(HttpClient& http, const Clock& clock, Instance instance);

    const Instance& instance() const { return instance_; }

    // Calls `method` and returns the whole response body once error_code is null.
    Result<std::string> Call(std::string_view method, const Params& params);

private:
    HttpClient& http_;
    const Clock& clock_;
    Instance instance_;
};

}  // namespace forgedb::sources::phabricator
