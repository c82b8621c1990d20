#include "forgedb/web/load/load_routes.hpp"

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::load {
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

std::optional<std::string_view> QueryValue(const std::multimap<std::string, std::string>& q,
                                           const std::string& name) {
    auto it = q.find(name);
    if (it == q.end()) return std::nullopt;
    return std::string_view(it->second);
}

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
    FORGEDB_ASSIGN_OR_RETURN(c.children,
                             ParseFlag("children", QueryValue(query, "children"), false));
    // ?refresh=true: an incremental refresh from the last watermark instead of a full scan.
    FORGEDB_ASSIGN_OR_RETURN(bool refresh,
                             ParseFlag("refresh", QueryValue(query, "refresh"), false));
    if (refresh) {
        if (c.resource != "pulls" && c.resource != "issues") {
            return Unexpected(ErrorCode::kInvalid, "refresh is for pulls and issues");
        }
        c.kind = tasks::kGithubRefreshJob;
    }
    if (auto state = QueryValue(query, "state")) c.state = std::string(*state);
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    return c;
}

http::Response ErrorResponse(const Error& e) {
    switch (e.code) {
        case ErrorCode::kInvalid:
        case ErrorCode::kMissingData:
            return http::Response::Error(400, e.message);
        case ErrorCode::kNotFound:
            return http::Response::Message(404, e.message);
        case ErrorCode::kUnauthorized:
            return http::Response::Error(502, e.message);
        case ErrorCode::kRateLimited: {
            long long wait = 60;
            if (e.retry_at) {
                wait = std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(
                                                  *e.retry_at - std::chrono::system_clock::now())
                                                  .count());
            }
            auto res = http::Response::Error(
                503, e.message + " Try again in " + std::to_string(wait) + " seconds.");
            res.headers.emplace_back("Retry-After", std::to_string(wait));
            return res;
        }
        default:
            return http::Response::Error(503, e.message);
    }
}

}  // namespace

Result<bool> ParseFlag(std::string_view name, std::optional<std::string_view> value,
                       bool fallback) {
    if (!value) return fallback;
    if (*value == "true" || *value == "1") return true;
    if (*value == "false" || *value == "0") return false;
    return Unexpected(
        ErrorCode::kInvalid,
        std::string(name) + " must be true, false, 1 or 0, not '" + std::string(*value) + "'");
}

Result<GithubCrawl> CrawlForPath(const std::string& path,
                                 const std::multimap<std::string, std::string>& query) {
    http::Router router;
    Result<GithubCrawl> out = Unexpected(ErrorCode::kNotFound, "no load route " + path);
    for (const auto& r : kLoadRoutes) {
        router.Add({"POST", r.pattern, [&out, &r, &query](const http::Request& req) {
                        out = BuildCrawl(r, req.params, query);
                        return http::Response{};
                    }});
    }
    http::Request req;
    req.method = "POST";
    req.path = path;
    router.Dispatch(req);
    return out;
}

std::string JobStatusJson(const store::JobTree& tree) {
    nlohmann::json progress = {{"done", tree.progress_done}, {"items", tree.items}};
    progress["total"] = tree.progress_total ? nlohmann::json(*tree.progress_total) : nullptr;
    nlohmann::json j = {{"id", tree.job.id},
                        {"kind", tree.job.kind},
                        {"status", tree.state},
                        {"progress", progress},
                        {"attempts", tree.job.attempts}};
    j["error"] = tree.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(tree.error);
    return j.dump();
}

LoadSurface::LoadSurface(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                         ForgeClients clients, LoadOptions options,
                         sources::github::RateLimitBook* book)
    : db_(db),
      clock_(clock),
      notifier_(notifier),
      clients_(std::move(clients)),
      options_(std::move(options)),
      book_(book) {}

void LoadSurface::AddRateHeaders(http::Response& res) {
    if (book_ == nullptr || clients_.github == nullptr) return;
    std::optional<sources::github::Budget> best;
    for (const auto& token : clients_.github->token_ids()) {
        auto b = book_->Get(token, "core");
        if (b && (!best || b->remaining > best->remaining)) best = b;
    }
    if (!best) return;
    auto reset =
        std::chrono::duration_cast<std::chrono::seconds>(best->reset_at.time_since_epoch()).count();
    res.headers.emplace_back("X-RateLimit-Limit", std::to_string(best->limit));
    res.headers.emplace_back("X-RateLimit-Remaining", std::to_string(best->remaining));
    res.headers.emplace_back("X-RateLimit-Reset", std::to_string(reset));
}

std::vector<http::Route> LoadSurface::Routes() {
    std::vector<http::Route> routes;
    for (const auto& r : kLoadRoutes) {
        routes.push_back({"POST", r.pattern, [this](const http::Request& q) {
                              auto res = Load(q);
                              if (res.status != 401) AddRateHeaders(res);  // GitHub's, as seen
                              return res;
                          }});
    }
    for (const auto& pattern : ForgeRoutePatterns()) {
        routes.push_back({"POST", pattern, [this](const http::Request& q) { return Load(q); }});
    }
    routes.push_back(
        {"GET", "/tasks/status/{id}", [this](const http::Request& q) { return Status(q); }});
    return routes;
}

std::optional<http::Response> LoadSurface::Refuse(const http::Request& req) const {
    // RFC 9110 11.4: "Bearer" SP token, the scheme matched without regard to case.
    std::string_view auth = req.Header("Authorization").value_or("");
    size_t space = auth.find(' ');
    std::string_view scheme = auth.substr(0, space);
    std::string_view token = space == std::string_view::npos ? "" : auth.substr(space);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!options_.api_token.empty() && EqualsIgnoreCase(scheme, "Bearer") &&
        ConstantTimeEquals(token, options_.api_token)) {
        return std::nullopt;
    }
    auto res = http::Response::Error(401,
                                     "a valid API token is required: "
                                     "Authorization: Bearer <token>");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
}

http::Response LoadSurface::Load(const http::Request& req) {
    if (auto refusal = Refuse(req)) return *refusal;
    auto plan = PlanForPath(req.path, req.query, clients_);
    if (!plan) return ErrorResponse(plan.error());
    auto inline_flag = ParseFlag("inline", req.Query("inline"), false);
    if (!inline_flag) return ErrorResponse(inline_flag.error());
    auto conn = db_.Connect();
    if (!conn) return ErrorResponse(conn.error());
    if (*inline_flag) {
        if (!plan->single) {
            return http::Response::Error(400, "inline is only for single objects, not lists");
        }
        if (!plan->run_now) {
            return http::Response::Error(503, "access to this forge is not configured");
        }
        auto st = plan->run_now(**conn, clock_);
        if (!st) return ErrorResponse(st.error());
        if (!plan->queue_after_inline) return http::Response::Message(200, "success");
    }
    queue::JobQueue queue(**conn, clock_);
    auto inserted = queue.Enqueue(plan->job);
    if (!inserted) return ErrorResponse(inserted.error());
    notifier_.Notify();
    std::string id = std::to_string(inserted->id);
    auto res = http::Response::Json(
        202, nlohmann::json{{"message", inserted->created ? "queued" : "already queued"},
                            {"id", inserted->id}}
                 .dump());
    res.headers.emplace_back("Location", "/tasks/status/" + id);
    return res;
}

http::Response LoadSurface::Status(const http::Request& req) {
    // A job's status names its target and error text: for the token holder only.
    if (auto refusal = Refuse(req)) return *refusal;
    const std::string& text = req.params.at("id");
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); })) {
        return http::Response::Error(400, "task id must be a number");
    }
    auto conn = db_.Connect();
    if (!conn) return ErrorResponse(conn.error());
    auto tree = store::LoadJobTree(**conn, std::stoll(text));
    if (!tree) return ErrorResponse(tree.error());
    if (!*tree) return http::Response::Message(404, "no task " + text);
    return http::Response::Json(200, JobStatusJson(**tree));
}

}  // namespace forgedb::load
