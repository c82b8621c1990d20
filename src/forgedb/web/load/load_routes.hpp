#pragma once
// The load surface: POST /load/... endpoints (shaped like GitHub's API paths) that queue crawls,
// or run a single-object sync inline, and GET /tasks/status/<id>. Every /load route needs the
// bearer API token. Routes are declared in one table (load_routes.cpp); the CLI's `forgedb load`
// parses its argument through the same table.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forges/github/rate_limit_book.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/web/load/forge_routes.hpp"

namespace forgedb::load {

struct LoadOptions {
    std::string api_token;  // empty: every /load request is refused (401)
};

// Parses "true", "false", "1", "0"; anything else is an error naming the flag.
Result<bool> ParseFlag(std::string_view name, std::optional<std::string_view> value, bool fallback);

// The crawl a load path asks for ("/load/repos/o/r/pulls", with its query), or kInvalid /
// kNotFound (no such route).
Result<tasks::GithubCrawl> CrawlForPath(const std::string& path,
                                        const std::multimap<std::string, std::string>& query);

class LoadSurface {
public:
    // REQUIRES: every reference and client outlives the surface. A forge without a client
    // answers 404 for its instances (Gerrit, Phabricator) or 503 for inline loads (GitHub).
    // `book` (may be null) gives GitHub's rate-limit headers copied onto /load answers.
    LoadSurface(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                ForgeClients clients, LoadOptions options,
                sources::github::RateLimitBook* book = nullptr);

    std::vector<http::Route> Routes();

private:
    // nullopt when the request carries the API token (Authorization: Bearer, the scheme in any
    // case); otherwise the 401 to answer.
    std::optional<http::Response> Refuse(const http::Request& req) const;
    http::Response Load(const http::Request& req);
    http::Response Status(const http::Request& req);
    // Adds X-RateLimit-Limit/-Remaining/-Reset of the fullest known "core" budget.
    void AddRateHeaders(http::Response& res);

    store::Database& db_;
    const Clock& clock_;
    queue::Notifier& notifier_;
    ForgeClients clients_;
    LoadOptions options_;
    sources::github::RateLimitBook* book_;
};

// {"id", "status", "progress": {"done", "total", "items"}, "attempts", "error"} of a job tree.
std::string JobStatusJson(const store::JobTree& tree);

}  // namespace forgedb::load
