#pragma once
// GithubClient: GET requests to GitHub's REST API (github.com, GitHub Enterprise Server or a fake
// server) over an HttpClient. It chooses a token by the remaining budget in a RateLimitBook, feeds
// the book from every response, makes conditional requests through an EtagCache, maps statuses to
// ErrorCodes (with retry_at for rate limits) and caps the requests in flight. Redirects (301, 302,
// 307, 308) are followed up to 5 times; the token is only ever sent to the base URL's origin.
// Tokens never appear in messages or logs: tokens are named by TokenId().
// Thread-safe: Get may be called from several threads at once.

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/forges/github/etag_cache.hpp"
#include "forgedb/forges/github/rate_limit_book.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources::github {

// A stable, non-reversible name for a token ("t:" and 12 hex digits of a keyed SHA-256), the same
// in every process; "anonymous" for the empty token.
std::string TokenId(std::string_view token);

// The rate-limit headers of one response; known is false when GitHub sent none (rate limits are
// off by default on GitHub Enterprise Server).
struct RateLimitSnapshot {
    bool known = false;
    int limit = 0;
    int remaining = 0;
    Timestamp reset_at;
    std::string resource;  // x-ratelimit-resource, e.g. "core", "search"
};

struct GithubPage {
    int status = 0;             // 200, 201 or 304 (after redirects)
    bool not_modified = false;  // 304: body is the cached body of the EtagCache
    std::string body;
    std::map<std::string, std::string> links;  // Link header: rel → absolute URL
    std::optional<int> last_page;              // `page` of the rel="last" link
    RateLimitSnapshot rate;
    std::string etag;
    std::string url;       // the absolute URL requested (the EtagCache key)
    std::string token_id;  // the token used
};

struct GithubClientOptions {
    std::string base_url = "https://api.github.com";  // e.g. https://ghe.example.com/api/v3
    std::vector<std::string> tokens;                  // empty: anonymous (60 requests/hour)
    int max_concurrency = 8;                          // requests in flight at once, 1..1024
    std::string user_agent = "forgedb";
};

struct GetOptions {
    // Added to (or replacing, by name) the default headers, e.g. another Accept media type.
    std::vector<std::pair<std::string, std::string>> headers;
    bool conditional = true;  // use the EtagCache (If-None-Match, store on 200)
};

class GithubClient {
public:
    // Throws std::invalid_argument for a base URL that is not http(s) or a token with control
    // characters or spaces. The references must outlive the client.
    GithubClient(HttpClient& http, const Clock& clock, RateLimitBook& book, EtagCache& etags,
                 GithubClientOptions options = {});
    GithubClient(const GithubClient&) = delete;
    GithubClient& operator=(const GithubClient&) = delete;

    // url_or_path: an absolute http(s) URL (a Link target) used verbatim, or a path joined to the
    // base URL ("/repos/o/r/issues?per_page=100"). Errors: kRateLimited (retry_at set; also
    // returned without a request while every token is exhausted or backing off), kNotFound (404,
    // 410), kUnauthorized (401; that token is not used again), kTransient (transport, 5xx),
    // kInvalid (other statuses, with GitHub's message).
    Result<GithubPage> Get(std::string url_or_path);
    Result<GithubPage> Get(std::string url_or_path, const GetOptions& options);

    const std::string& base_url() const { return base_url_; }
    // TokenId of each configured token, in order (one "anonymous" entry without tokens).
    std::vector<std::string> token_ids() const;

private:
    struct Token {
        std::string secret;  // empty: anonymous
        std::string id;
        std::atomic<int> in_flight{0};
        // Guarded by mu_.
        int secondary_hits = 0;
        std::optional<Timestamp> blocked_until;  // after a secondary limit or Retry-After
        bool rejected = false;                   // 401
    };
    struct Choice {
        Token* token = nullptr;
        Error error;
    };

    std::string AbsoluteUrl(const std::string& url_or_path) const;
    std::string ResourceOf(const std::string& url) const;
    Choice ChooseToken(const std::string& resource);
    RateLimitSnapshot ReadRate(const HttpResponse& response, const std::string& resource,
                               const Token& token);
    Error RateLimitError(const HttpResponse& response, const RateLimitSnapshot& rate, Token& token,
                         const std::string& url);

    HttpClient& http_;
    const Clock& clock_;
    RateLimitBook& book_;
    EtagCache& etags_;
    std::string base_url_;  // without trailing '/'
    std::string base_origin_;
    std::string base_path_;
    std::string user_agent_;
    std::vector<std::unique_ptr<Token>> tokens_;
    std::vector<std::string> secrets_;  // every configured token, masked in every message
    std::atomic<unsigned> round_robin_{0};
    std::mutex mu_;
    std::counting_semaphore<1024> slots_;
};

}  // namespace forgedb::sources::github
