#include "forgedb/forges/github/forge.hpp"

#include <cctype>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/forge/load_params.hpp"
#include "forgedb/forges/github/events.hpp"
#include "forgedb/forges/github/load_routes.hpp"
#include "forgedb/forges/github/tasks.hpp"

namespace forgedb::github {

GithubForge::GithubForge(GithubForgeOptions options) : options_(std::move(options)) {}

GithubForge::GithubForge(GithubForgeOptions options, store::Database& db, const Clock& clock,
                         sources::github::GithubClientOptions api,
                         std::unique_ptr<sources::HttpClient> http)
    : options_(std::move(options)),
      http_(std::move(http)),
      book_(std::make_unique<tasks::DbRateLimitBook>(db, clock)),
      etags_(std::make_unique<tasks::DbEtagCache>(db, clock)),
      client_(std::make_unique<sources::github::GithubClient>(*http_, clock, *book_, *etags_,
                                                              std::move(api))) {}

GithubForge::~GithubForge() = default;

std::vector<http::Route> GithubForge::WebhookRoutes(replication::DeliveryLog& log,
                                                    const Clock& clock) {
    webhook_ = std::make_unique<replication::GithubWebhook>(
        log, clock, replication::GithubWebhookOptions{options_.webhook_secret});
    return webhook_->Routes();
}

Result<std::string> GithubForge::ProcessDelivery(queue::JobQueue& queue,
                                                 const tasks::TaskRegistry& registry,
                                                 const store::Delivery& d) const {
    FORGEDB_ASSIGN_OR_RETURN(Json payload, ParseOnThisThread(d.body));
    std::unordered_set<std::string> written;
    process::github::Context ctx{queue.connection(), model::github::Via::kWebhook, d.received_at,
                                 &written};
    FORGEDB_ASSIGN_OR_RETURN(auto result, process::github::ProcessEvent(d.event, payload, ctx));
    for (const auto& f : result.follow_ups) {
        if (!registry.Has(f.kind)) continue;  // no GitHub access configured: nothing to run it
        store::NewJob job{f.kind, f.args, 5, {}, std::nullopt, std::nullopt};
        if (auto crawl = tasks::GithubCrawl::FromArgs(f.args)) job.unique_key = crawl->UniqueKey();
        FORGEDB_TRY(queue.Enqueue(std::move(job)));
    }
    return std::string(process::github::EventOutcomeName(result.outcome));
}

void GithubForge::RegisterTasks(tasks::TaskRegistry& registry) {
    if (client_ != nullptr) tasks::RegisterGithubTasks(registry, *client_);
}

std::vector<forge::LoadRoute> GithubForge::LoadRoutes() {
    std::vector<forge::LoadRoute> out;
    for (const auto& pattern : LoadRoutePatterns()) {
        out.push_back(
            {pattern, [this, pattern](const forge::PathParams& params, const forge::Query& query) {
                 return PlanLoad(pattern, params, query);
             }});
    }
    return out;
}

Result<forge::LoadPlan> GithubForge::PlanLoad(const std::string& pattern,
                                              const forge::PathParams& params,
                                              const forge::Query& query) const {
    FORGEDB_ASSIGN_OR_RETURN(auto crawl, CrawlForRoute(pattern, params, query));
    forge::LoadPlan plan;
    plan.job.kind = crawl.kind;
    plan.job.args = crawl.ArgsJson();
    plan.job.unique_key = crawl.UniqueKey();
    plan.single = crawl.kind == tasks::kGithubSyncJob;
    plan.queue_after_inline = crawl.children;
    if (plan.single && client_ != nullptr) {
        auto* client = client_.get();
        plan.run_now = [client, crawl](store::Connection& conn, const Clock& clock) {
            return tasks::RunGithubSyncNow(conn, *client, clock, crawl);
        };
    }
    return plan;
}

void GithubForge::DecorateLoadAnswer(http::Response& res) const {
    if (book_ == nullptr || client_ == nullptr || res.status == 401) return;
    std::optional<sources::github::Budget> best;
    for (const auto& token : client_->token_ids()) {
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

std::vector<forge::ContributorCrawl> GithubForge::ContributorCrawls(const std::string& username,
                                                                    Timestamp start,
                                                                    Timestamp end) const {
    if (options_.contributor_orgs.empty() || username.empty()) return {};
    return {{kForgeName, "contributor",
             tasks::GithubContributorCrawl(username, options_.contributor_orgs, start, end)}};
}

}  // namespace forgedb::github
