#include "forgedb/forges/github/rest_client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <stdexcept>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/forges/github/link_header.hpp"
#include "forgedb/sources/answer.hpp"

namespace forgedb::sources::github {
namespace {

using std::chrono::seconds;

constexpr int kMaxRedirects = 5;
constexpr seconds kSecondaryBackoffMin{60};
constexpr seconds kSecondaryBackoffMax{3600};
constexpr int kUnknownBudget = INT_MAX / 2;  // a token never seen counts as full

bool IsAbsolute(std::string_view url) {
    std::string head = AsciiLower(url.substr(0, 8));
    return head.rfind("http://", 0) == 0 || head.rfind("https://", 0) == 0;
}

// "https://Host:port" (scheme and host lower-cased) and the rest ("/path?query").
std::pair<std::string, std::string> SplitUrl(std::string_view url) {
    size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return {"", std::string(url)};
    size_t path_start = url.find_first_of("/?#", scheme_end + 3);
    if (path_start == std::string_view::npos) return {AsciiLower(url), "/"};
    std::string rest(url.substr(path_start));
    if (rest[0] != '/') rest = "/" + rest;
    return {AsciiLower(url.substr(0, path_start)), rest};
}

// Location header target, resolved against the URL that answered with it.
std::string ResolveLocation(const std::string& current, std::string_view location) {
    if (IsAbsolute(location)) return std::string(location);
    auto [origin, rest] = SplitUrl(current);
    if (location.rfind("//", 0) == 0) {  // scheme-relative
        return origin.substr(0, origin.find("://") + 1) + std::string(location);
    }
    if (!location.empty() && location[0] == '/') return origin + std::string(location);
    std::string dir = rest.substr(0, rest.find_first_of("?#"));
    dir = dir.substr(0, dir.rfind('/') + 1);
    return origin + dir + std::string(location);
}

// GitHub's {"message": ...} of an error body (at most kMessageBytes of it), or the start of a body
// that is not such JSON; `secrets` masked in either.
constexpr size_t kMessageBytes = 500;
std::string GithubMessage(const HttpResponse& response,
                          const std::vector<std::string>& secrets = {}) {
    auto doc = JsonDocument::Parse(response.body);
    if (doc) {
        if (auto message = JsonGetString(doc->root(), "message")) {
            return Excerpt(MaskSecrets(*message, secrets), kMessageBytes);
        }
    }
    return BodyExcerpt(response.body, secrets);
}

bool LooksLikeRateLimit(const HttpResponse& response) {
    if (response.status == 429) return true;
    if (IntegerHeader(response, "x-ratelimit-remaining") == 0LL) return true;
    if (response.Header("retry-after")) return true;
    std::string message = AsciiLower(GithubMessage(response));
    return message.find("rate limit") != std::string::npos ||
           message.find("abuse") != std::string::npos;
}

bool IsRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

void SetHeader(std::vector<std::pair<std::string, std::string>>& headers, const std::string& name,
               const std::string& value) {
    std::string lname = AsciiLower(name);
    for (auto& [k, v] : headers) {
        if (AsciiLower(k) == lname) {
            v = value;
            return;
        }
    }
    headers.emplace_back(name, value);
}

}  // namespace

std::string TokenId(std::string_view token) {
    if (token.empty()) return "anonymous";
    return "t:" + HmacSha256Hex("forgedb github token id", token).substr(0, 12);
}

GithubClient::GithubClient(HttpClient& http, const Clock& clock, RateLimitBook& book,
                           EtagCache& etags, GithubClientOptions options)
    : http_(http),
      clock_(clock),
      book_(book),
      etags_(etags),
      user_agent_(std::move(options.user_agent)),
      slots_(std::clamp(options.max_concurrency, 1, 1024)) {
    base_url_ = options.base_url;
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
    if (!IsAbsolute(base_url_)) {
        throw std::invalid_argument("the GitHub base URL must start with http:// or https://: " +
                                    base_url_);
    }
    auto [origin, path] = SplitUrl(base_url_);
    base_origin_ = origin;
    base_path_ = path == "/" ? "" : path;
    for (size_t i = 0; i < options.tokens.size(); ++i) {
        std::string secret = options.tokens[i];
        auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
        while (!secret.empty() && space(secret.back())) secret.pop_back();
        secret.erase(0, std::find_if_not(secret.begin(), secret.end(), space) - secret.begin());
        if (secret.empty()) continue;
        for (char c : secret) {
            if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
                throw std::invalid_argument("GitHub token #" + std::to_string(i + 1) +
                                            " contains spaces or control characters");
            }
        }
        std::string id = TokenId(secret);
        bool duplicate =
            std::any_of(tokens_.begin(), tokens_.end(), [&](const auto& t) { return t->id == id; });
        if (duplicate) continue;
        auto token = std::make_unique<Token>();
        token->secret = std::move(secret);
        token->id = std::move(id);
        tokens_.push_back(std::move(token));
    }
    for (const auto& t : tokens_) secrets_.push_back(t->secret);
    if (tokens_.empty()) {
        auto token = std::make_unique<Token>();
        token->id = TokenId("");
        tokens_.push_back(std::move(token));
    }
}

std::vector<std::string> GithubClient::token_ids() const {
    std::vector<std::string> ids;
    for (const auto& t : tokens_) ids.push_back(t->id);
    return ids;
}

std::string GithubClient::AbsoluteUrl(const std::string& url_or_path) const {
    if (IsAbsolute(url_or_path)) return url_or_path;
    if (url_or_path.empty() || url_or_path[0] != '/') return base_url_ + "/" + url_or_path;
    return base_url_ + url_or_path;
}

std::string GithubClient::ResourceOf(const std::string& url) const {
    auto [origin, path] = SplitUrl(url);
    path = path.substr(0, path.find_first_of("?#"));
    if (origin == base_origin_ && path.rfind(base_path_, 0) == 0) {
        path = path.substr(base_path_.size());
    }
    if (path.rfind("/search/code", 0) == 0) return "code_search";
    if (path.rfind("/search/", 0) == 0) return "search";
    if (path.rfind("/graphql", 0) == 0) return "graphql";
    return "core";
}

GithubClient::Choice GithubClient::ChooseToken(const std::string& resource) {
    const Timestamp now = clock_.Now();
    const size_t n = tokens_.size();
    // Local state first, without holding the lock across RateLimitBook calls (a database).
    std::vector<char> usable(n, 1);
    std::optional<Timestamp> earliest;
    size_t rejected = 0;
    {
        std::lock_guard lock(mu_);
        for (size_t i = 0; i < n; ++i) {
            const Token& t = *tokens_[i];
            if (t.rejected) {
                usable[i] = 0;
                ++rejected;
            } else if (t.blocked_until && *t.blocked_until > now) {
                usable[i] = 0;
                if (!earliest || *t.blocked_until < *earliest) earliest = t.blocked_until;
            }
        }
    }
    Token* best = nullptr;
    long long best_score = 0;
    const unsigned start = round_robin_.fetch_add(1, std::memory_order_relaxed);
    for (size_t k = 0; k < n; ++k) {
        size_t i = (start + k) % n;
        if (!usable[i]) continue;
        Token& t = *tokens_[i];
        long long score = kUnknownBudget;
        if (auto budget = book_.Get(t.id, resource)) {
            if (budget->reset_at <= now) {
                score = std::max(budget->limit, 1);  // the window has been reset since
            } else if (budget->remaining <= 0) {
                if (!earliest || budget->reset_at < *earliest) earliest = budget->reset_at;
                continue;
            } else {
                score = budget->remaining;
            }
        }
        score -= t.in_flight.load(std::memory_order_relaxed);
        if (!best || score > best_score) {
            best = &t;
            best_score = score;
        }
    }
    Choice choice;
    choice.token = best;
    if (best) return choice;
    if (rejected == n) {
        choice.error = MakeError(ErrorCode::kUnauthorized,
                                 "GitHub rejected every configured token (401): check "
                                 "--github-token");
        return choice;
    }
    std::string count =
        n == 1 ? "the GitHub token is" : "all " + std::to_string(n) + " GitHub tokens are";
    if (tokens_[0]->secret.empty()) count = "anonymous access is";
    choice.error = MakeError(ErrorCode::kRateLimited,
                             count + " rate limited for '" + resource + "'" +
                                 (earliest ? " until " + FormatForgeTime(*earliest) : ""));
    if (earliest) choice.error.retry_at = *earliest;
    return choice;
}

RateLimitSnapshot GithubClient::ReadRate(const HttpResponse& response, const std::string& resource,
                                         const Token& token) {
    RateLimitSnapshot rate;
    auto limit = IntegerHeader(response, "x-ratelimit-limit");
    auto remaining = IntegerHeader(response, "x-ratelimit-remaining");
    auto reset = IntegerHeader(response, "x-ratelimit-reset");
    auto header_resource = response.Header("x-ratelimit-resource");
    rate.resource = header_resource ? std::string(*header_resource) : resource;
    auto reset_at = reset ? FromUnixSeconds(*reset) : std::nullopt;
    if (!limit || !remaining || !reset_at) return rate;
    rate.known = true;
    rate.limit = static_cast<int>(*limit);
    rate.remaining = static_cast<int>(*remaining);
    rate.reset_at = *reset_at;
    book_.Observe(token.id, rate.resource, rate.limit, rate.remaining, rate.reset_at);
    return rate;
}

Error GithubClient::RateLimitError(const HttpResponse& response, const RateLimitSnapshot& rate,
                                   Token& token, const std::string& url) {
    const Timestamp now = clock_.Now();
    std::optional<Timestamp> at;
    std::string why;
    bool primary = IntegerHeader(response, "x-ratelimit-remaining") == 0LL;
    if (primary && rate.known) {
        at = std::max(rate.reset_at, Timestamp(now + seconds(1)));  // not in the past (clock skew)
        why = "primary rate limit for '" + rate.resource + "' exhausted";
    }
    if (auto retry_after = RetryAfter(response)) {
        Timestamp ra = now + *retry_after;
        if (!at || ra > *at) at = ra;
        why = (primary ? why + ", " : "") + "retry-after " + std::to_string(retry_after->count()) +
              " s";
    }
    std::lock_guard lock(mu_);
    if (!primary) ++token.secondary_hits;  // a secondary limit, with or without retry-after
    if (!at) {
        int hits = std::max(token.secondary_hits, 1);
        seconds delay = kSecondaryBackoffMin;
        for (int i = 1; i < hits && delay < kSecondaryBackoffMax; ++i) delay *= 2;
        delay = std::min(delay, kSecondaryBackoffMax);
        at = now + delay;
        why = "secondary rate limit (" + std::to_string(hits) + " in a row), backing off " +
              std::to_string(delay.count()) + " s";
    }
    // The book tracks primary limits; other waits are remembered here so that this token is not
    // used again before then (GitHub may ban clients that keep trying).
    if (!(primary && rate.known)) {
        if (!token.blocked_until || *token.blocked_until < *at) token.blocked_until = at;
    }
    Error error =
        MakeError(ErrorCode::kRateLimited,
                  "GitHub rate limit (HTTP " + std::to_string(response.status) + ", token " +
                      token.id + ") on " + url + ": " + why + "; retry at " + FormatForgeTime(*at));
    error.retry_at = *at;
    return error;
}

Result<GithubPage> GithubClient::Get(std::string url_or_path) {
    return Get(std::move(url_or_path), GetOptions{});
}

Result<GithubPage> GithubClient::Get(std::string url_or_path, const GetOptions& options) {
    const std::string url = AbsoluteUrl(url_or_path);
    const std::string resource = ResourceOf(url);

    slots_.acquire();
    struct SlotRelease {
        std::counting_semaphore<1024>& s;
        ~SlotRelease() { s.release(); }
    } slot_release{slots_};

    Choice choice = ChooseToken(resource);
    if (!choice.token) {
        spdlog::debug("GitHub GET {} not sent: {}", url, choice.error.message);
        return choice.error;
    }
    Token& token = *choice.token;
    token.in_flight.fetch_add(1, std::memory_order_relaxed);
    struct InFlight {
        std::atomic<int>& n;
        ~InFlight() { n.fetch_sub(1, std::memory_order_relaxed); }
    } in_flight{token.in_flight};

    std::optional<EtagCache::Entry> cached;
    if (options.conditional) cached = etags_.Get(url, token.id);

    std::string current = url;
    HttpResponse response;
    RateLimitSnapshot rate;
    for (int hop = 0;; ++hop) {
        HttpRequest request;
        request.method = "GET";
        request.url = current;
        request.headers = {{"Accept", "application/vnd.github+json"},
                           {"X-GitHub-Api-Version", "2022-11-28"},
                           {"User-Agent", user_agent_}};
        if (!token.secret.empty() && SplitUrl(current).first == base_origin_) {
            request.headers.emplace_back("Authorization", "Bearer " + token.secret);
        }
        if (cached) request.headers.emplace_back("If-None-Match", cached->etag);
        for (const auto& [name, value] : options.headers) SetHeader(request.headers, name, value);

        auto sent = http_.Send(request);
        if (!sent) {
            Error error = std::move(sent.error());
            // A transport should not echo a token; make sure.
            error.message = MaskSecrets(error.message, secrets_);
            spdlog::debug("GitHub GET {} failed: {}", current, error.message);
            return error;
        }
        response = std::move(sent.value());
        rate = ReadRate(response, resource, token);
        spdlog::debug("GitHub GET {} -> {} (token {}, {} left)", current, response.status, token.id,
                      rate.known ? std::to_string(rate.remaining) : "?");
        auto location = response.Header("location");
        if (!IsRedirect(response.status) || !location || hop >= kMaxRedirects) break;
        current = ResolveLocation(current, *location);
    }

    const int status = response.status;
    if ((status >= 200 && status < 300) || status == 304) {
        {
            std::lock_guard lock(mu_);
            token.secondary_hits = 0;
        }
        GithubPage page;
        page.status = status;
        page.url = url;
        page.token_id = token.id;
        page.rate = rate;
        if (auto etag = response.Header("etag")) page.etag = std::string(*etag);
        std::string link(response.Header("link").value_or(""));
        if (status == 304) {
            page.not_modified = true;
            if (cached) {
                page.body = std::move(cached->body);
                if (page.etag.empty()) page.etag = cached->etag;
                // A 304 need not repeat the Link header; the pages are those of the cached one.
                if (link.empty()) link = cached->link;
            }
        } else {
            page.body = std::move(response.body);
            if (options.conditional && !page.etag.empty()) {
                etags_.Put(url, token.id, page.etag, page.body, link);
            }
        }
        if (!link.empty()) page.links = ParseLinkHeader(link);
        if (auto last = page.links.find("last"); last != page.links.end()) {
            page.last_page = PageParameter(last->second);
        }
        return page;
    }

    const std::string what = "GitHub GET " + current;
    if (status == 401) {
        {
            std::lock_guard lock(mu_);
            token.rejected = true;
        }
        std::string message = token.secret.empty()
                                  ? what + " requires authentication (401): pass --github-token"
                                  : "GitHub rejected the token " + token.id +
                                        " (401: " + GithubMessage(response, secrets_) +
                                        "): check --github-token";
        spdlog::warn("{}", message);
        return Unexpected(ErrorCode::kUnauthorized, message);
    }
    if ((status == 403 || status == 429) && LooksLikeRateLimit(response)) {
        Error error = RateLimitError(response, rate, token, current);
        spdlog::warn("{}", error.message);
        return error;
    }
    if (status == 404 || status == 410) {
        return Unexpected(
            ErrorCode::kNotFound,
            what + ": not found (" + std::to_string(status) +
                (token.secret.empty() ? "" : "; or not visible to token " + token.id) + ")");
    }
    if (status >= 500) {
        Error error =
            MakeError(ErrorCode::kTransient, what + ": HTTP " + std::to_string(status) + ": " +
                                                 GithubMessage(response, secrets_));
        if (auto wait = RetryAfter(response)) error.retry_at = clock_.Now() + *wait;
        return error;
    }
    return Unexpected(ErrorCode::kInvalid, what + ": HTTP " + std::to_string(status) + ": " +
                                               GithubMessage(response, secrets_));
}

}  // namespace forgedb::sources::github
