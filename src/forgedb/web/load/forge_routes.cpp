#include "forgedb/web/load/forge_routes.hpp"

#include <cctype>
#include <set>

#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/web/load/load_routes.hpp"

namespace forgedb::load {
namespace {

using Query = std::multimap<std::string, std::string>;
using Params = std::map<std::string, std::string>;

// Refuses query parameters the route does not take (a typo must not silently widen a crawl).
Status OnlyKnown(const Query& query, std::initializer_list<std::string_view> known) {
    for (const auto& [k, v] : query) {
        bool ok = false;
        for (auto name : known) ok = ok || k == name;
        if (!ok) return Unexpected(ErrorCode::kInvalid, "unknown parameter '" + k + "'");
        if (query.count(k) > 1) {
            return Unexpected(ErrorCode::kInvalid, "parameter '" + k + "' is given twice");
        }
    }
    return Ok();
}

std::string Value(const Query& q, const std::string& name) {
    auto it = q.find(name);
    return it == q.end() ? std::string() : it->second;
}

std::optional<std::string_view> Maybe(const Query& q, const std::string& name) {
    auto it = q.find(name);
    if (it == q.end()) return std::nullopt;
    return std::string_view(it->second);
}

// "YYYY-MM-DD" (midnight UTC) or a full timestamp; absent -> nullopt.
Result<std::optional<Timestamp>> TimeParam(const Query& q, const std::string& name) {
    auto v = Value(q, name);
    if (v.empty()) return std::optional<Timestamp>{};
    auto t = ParseDayOrTimestamp(v);
    if (!t) {
        return Unexpected(ErrorCode::kInvalid,
                          name + " must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, not '" + v + "'");
    }
    return std::optional<Timestamp>{*t};
}

Result<LoadPlan> PlanGerrit(const std::string& what, const Params& p, const Query& q,
                            const ForgeClients& clients) {
    const std::string& instance = p.at("instance");
    auto it = clients.gerrit.find(instance);
    if (it == clients.gerrit.end()) {
        return Unexpected(ErrorCode::kNotFound, "no Gerrit instance '" + instance +
                                                    "' is configured (--gerrit NAME=URL)");
    }
    tasks::GerritCrawl c;
    c.instance = instance;
    LoadPlan plan;
    if (what == "changes") {
        FORGEDB_TRY(OnlyKnown(q, {"q", "incremental", "after", "before"}));
        c.kind = tasks::kGerritChangesJob;
        c.query = Value(q, "q");
        FORGEDB_ASSIGN_OR_RETURN(c.incremental,
                                 ParseFlag("incremental", Maybe(q, "incremental"), false));
        FORGEDB_ASSIGN_OR_RETURN(c.after, TimeParam(q, "after"));
        FORGEDB_ASSIGN_OR_RETURN(c.before, TimeParam(q, "before"));
    } else {
        FORGEDB_TRY(OnlyKnown(q, {"inline"}));
        c.kind = tasks::kGerritAccountJob;
        c.account = p.at("username");
        plan.single = true;
        auto* client = it->second;
        plan.run_now = [client, c](store::Connection& conn, const Clock& clock) {
            return tasks::RunGerritAccountNow(conn, *client, clock, c);
        };
    }
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    plan.job = c.ToJob();
    return plan;
}

Result<LoadPlan> PlanPhabricator(const std::string& what, const Params& p, const Query& q,
                                 const ForgeClients& clients) {
    const std::string& instance = p.at("instance");
    auto it = clients.phabricator.find(instance);
    if (it == clients.phabricator.end()) {
        return Unexpected(ErrorCode::kNotFound, "no Phabricator instance '" + instance +
                                                    "' is configured (--phabricator NAME=URL)");
    }
    tasks::PhabricatorCrawl c;
    c.instance = instance;
    LoadPlan plan;
    if (what == "tasks") {
        FORGEDB_TRY(OnlyKnown(
            q, {"author", "assigned", "project", "incremental", "created_start", "created_end"}));
        c.kind = tasks::kPhabricatorTasksJob;
        c.author = Value(q, "author");
        c.assigned = Value(q, "assigned");
        c.project = Value(q, "project");
        FORGEDB_ASSIGN_OR_RETURN(c.incremental,
                                 ParseFlag("incremental", Maybe(q, "incremental"), false));
        FORGEDB_ASSIGN_OR_RETURN(c.created_start, TimeParam(q, "created_start"));
        FORGEDB_ASSIGN_OR_RETURN(c.created_end, TimeParam(q, "created_end"));
    } else if (what == "revisions") {
        FORGEDB_TRY(OnlyKnown(q, {"author", "created_start", "created_end"}));
        c.kind = tasks::kPhabricatorRevisionsJob;
        c.author = Value(q, "author");
        FORGEDB_ASSIGN_OR_RETURN(c.created_start, TimeParam(q, "created_start"));
        FORGEDB_ASSIGN_OR_RETURN(c.created_end, TimeParam(q, "created_end"));
    } else {
        FORGEDB_TRY(OnlyKnown(q, {"inline"}));
        c.kind = tasks::kPhabricatorUserJob;
        c.username = p.at("username");
        plan.single = true;
        auto* client = it->second;
        plan.run_now = [client, c](store::Connection& conn, const Clock& clock) {
            return tasks::RunPhabricatorUserNow(conn, *client, clock, c);
        };
    }
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    plan.job = c.ToJob();
    return plan;
}

// The Gerrit and Phabricator load routes.
struct ForgeRoute {
    const char* pattern;
    const char* forge;  // "gerrit" or "phabricator"
    const char* what;
};

constexpr ForgeRoute kForgeRoutes[] = {
    {"/load/gerrit/{instance}/changes", "gerrit", "changes"},
    {"/load/gerrit/{instance}/accounts/{username}", "gerrit", "account"},
    {"/load/phabricator/{instance}/tasks", "phabricator", "tasks"},
    {"/load/phabricator/{instance}/revisions", "phabricator", "revisions"},
    {"/load/phabricator/{instance}/users/{username}", "phabricator", "user"},
};

}  // namespace

std::vector<std::string> ForgeRoutePatterns() {
    std::vector<std::string> out;
    for (const auto& r : kForgeRoutes) out.emplace_back(r.pattern);
    return out;
}

Result<LoadPlan> PlanForPath(const std::string& path, const Query& query,
                             const ForgeClients& clients) {
    http::Router router;
    std::optional<Result<LoadPlan>> out;
    for (const auto& r : kForgeRoutes) {
        router.Add({"POST", r.pattern, [&, r](const http::Request& req) {
                        Query rest = query;
                        rest.erase("inline");
                        out = std::string_view(r.forge) == "gerrit"
                                  ? PlanGerrit(r.what, req.params, rest, clients)
                                  : PlanPhabricator(r.what, req.params, rest, clients);
                        return http::Response{};
                    }});
    }
    http::Request req;
    req.method = "POST";
    req.path = path;
    router.Dispatch(req);
    if (out) return std::move(*out);
    // Not a Gerrit or Phabricator route: GitHub's table.
    FORGEDB_ASSIGN_OR_RETURN(auto crawl, CrawlForPath(path, query));
    LoadPlan plan;
    plan.job.kind = crawl.kind;
    plan.job.args = crawl.ArgsJson();
    plan.job.unique_key = crawl.UniqueKey();
    plan.single = crawl.kind == tasks::kGithubSyncJob;
    plan.queue_after_inline = crawl.children;
    if (plan.single && clients.github != nullptr) {
        auto* client = clients.github;
        plan.run_now = [client, crawl](store::Connection& conn, const Clock& clock) {
            return tasks::RunGithubSyncNow(conn, *client, clock, crawl);
        };
    }
    return plan;
}

Result<std::pair<std::string, Query>> SplitLoadPath(const std::string& text) {
    std::string path = text;
    std::string query;
    if (auto q = path.find('?'); q != std::string::npos) {
        query = path.substr(q + 1);
        path.erase(q);
    }
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (path.starts_with("load/")) path.erase(0, 5);
    auto parsed = http::ParseForm(query);
    if (!parsed) return Unexpected(ErrorCode::kInvalid, "bad escape in '?" + query + "'");
    return std::pair{"/load/" + path, std::move(*parsed)};
}

}  // namespace forgedb::load
