#include "forgedb/forges/github/load_routes.hpp"

#include <cctype>

#include "forgedb/forge/load_params.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::github {
namespace {

using tasks::GithubCrawl;

// One row per load route: the pattern and how it becomes a crawl.
struct LoadRoute {
    const char* pattern;
    const char* kind;      // tasks::kGithubSyncJob or kGithubListJob
    const char* resource;  // object or list name
};

constexpr LoadRoute kLoadRoutes[] = {
    {"/load/repos/{owner}/{repo}", tasks::kGithubSyncJob, "repo"},
    {"/load/repos/{owner}/{repo}/pulls", tasks::kGithubListJob, "pulls"},
    {"/load/repos/{owner}/{repo}/pulls/{number}", tasks::kGithubSyncJob, "pull"},
    {"/load/repos/{owner}/{repo}/pulls/{number}/files", tasks::kGithubListJob, "pull_files"},
    {"/load/repos/{owner}/{repo}/pulls/{number}/reviews", tasks::kGithubListJob, "pull_reviews"},
    {"/load/repos/{owner}/{repo}/issues", tasks::kGithubListJob, "issues"},
    {"/load/repos/{owner}/{repo}/issues/comments", tasks::kGithubListJob, "issue_comments"},
    {"/load/repos/{owner}/{repo}/issues/{number}", tasks::kGithubSyncJob, "issue"},
    {"/load/repos/{owner}/{repo}/labels", tasks::kGithubListJob, "labels"},
    {"/load/repos/{owner}/{repo}/labels/{name}", tasks::kGithubSyncJob, "label"},
    {"/load/repos/{owner}/{repo}/milestones", tasks::kGithubListJob, "milestones"},
    {"/load/repos/{owner}/{repo}/milestones/{number}", tasks::kGithubSyncJob, "milestone"},
    {"/load/repos/{owner}/{repo}/hooks", tasks::kGithubListJob, "hooks"},
    {"/load/repos/{owner}/{repo}/hooks/{number}", tasks::kGithubSyncJob, "hook"},
    {"/load/repos/{owner}/{repo}/releases", tasks::kGithubListJob, "releases"},
    {"/load/repos/{owner}/{repo}/branches", tasks::kGithubListJob, "branches"},
    {"/load/repos/{owner}/{repo}/tags", tasks::kGithubListJob, "tags"},
    {"/load/user/repos", tasks::kGithubListJob, "my_repos"},
    {"/load/user/{username}/repos", tasks::kGithubListJob, "user_repos"},
    {"/load/user/{username}", tasks::kGithubSyncJob, "user"},
};

Result<GithubCrawl> BuildCrawl(const LoadRoute& route, const std::map<std::string, std::string>& p,
                               const std::multimap<std::string, std::string>& query) {
    GithubCrawl c;
    c.kind = route.kind;
    c.resource = route.resource;
    auto get = [&](const char* k) {
        auto it = p.find(k);
        return it == p.end() ? std::string() : it->second;
    };
    c.owner = get("owner");
    c.repo = get("repo");
    c.username = get("username");
    c.name = get("name");
    if (auto n = get("number"); !n.empty()) {
        long long v = 0;
        for (char ch : n) {
            if (!std::isdigit(static_cast<unsigned char>(ch)) || v > 1'000'000'000'000LL) {
                return Unexpected(ErrorCode::kInvalid, "'" + n + "' is not a number");
            }
            v = v * 10 + (ch - '0');
        }
        c.number = v;
    }
    FORGEDB_ASSIGN_OR_RETURN(
        c.children, forge::ParseFlag("children", forge::QueryValue(query, "children"), false));
    // ?refresh=true: an incremental refresh from the last watermark instead of a full scan.
    FORGEDB_ASSIGN_OR_RETURN(
        bool refresh, forge::ParseFlag("refresh", forge::QueryValue(query, "refresh"), false));
    if (refresh) {
        if (c.resource != "pulls" && c.resource != "issues") {
            return Unexpected(ErrorCode::kInvalid, "refresh is for pulls and issues");
        }
        c.kind = tasks::kGithubRefreshJob;
    }
    if (auto state = forge::QueryValue(query, "state")) c.state = std::string(*state);
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    return c;
}

const LoadRoute* FindRoute(const std::string& pattern) {
    for (const auto& r : kLoadRoutes) {
        if (pattern == r.pattern) return &r;
    }
    return nullptr;
}

}  // namespace

const std::vector<std::string>& LoadRoutePatterns() {
    static const std::vector<std::string> patterns = [] {
        std::vector<std::string> out;
        for (const auto& r : kLoadRoutes) out.emplace_back(r.pattern);
        return out;
    }();
    return patterns;
}

Result<GithubCrawl> CrawlForRoute(const std::string& pattern, const forge::PathParams& params,
                                  const forge::Query& query) {
    const LoadRoute* route = FindRoute(pattern);
    if (route == nullptr) return Unexpected(ErrorCode::kNotFound, "no load route " + pattern);
    return BuildCrawl(*route, params, query);
}

Result<GithubCrawl> CrawlForPath(const std::string& path, const forge::Query& query) {
    static const http::Router router = [] {
        http::Router r;
        for (const auto& pattern : LoadRoutePatterns()) {
            r.Add({"POST", pattern, [](const http::Request&) { return http::Response{}; }});
        }
        return r;
    }();
    http::Request req;
    req.method = "POST";
    req.path = path;
    http::Response refusal;
    const http::Route* route = router.Find(req, &refusal);
    if (route == nullptr) return Unexpected(ErrorCode::kNotFound, "no load route " + path);
    return CrawlForRoute(route->pattern, req.params, query);
}

}  // namespace forgedb::github
