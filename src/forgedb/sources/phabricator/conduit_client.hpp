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
// kInvalid.

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
