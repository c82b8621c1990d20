#pragma once
// GitHub as a forge (see forge/forge.hpp): the webhook surface at /replication, the processing of
// its deliveries, the github.* crawls and the load routes shaped like GitHub's API paths.

#include <memory>
#include <string>
#include <vector>

#include "forgedb/forge/forge.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/forges/github/state.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::github {

inline constexpr const char* kForgeName = "github";

struct GithubForgeOptions {
    // HMAC key of X-Hub-Signature-256; "" accepts unsigned deliveries (the configuration allows
    // that only with --insecure-accept-unsigned).
    std::string webhook_secret;
    // The organisations whose repositories the contributor view crawls; empty: it crawls none.
    std::vector<std::string> contributor_orgs;
};

class GithubForge final : public forge::Forge {
public:
    // Without API access: deliveries are taken and processed, follow-up crawls wait for a process
    // that has access, and inline loads answer 503.
    explicit GithubForge(GithubForgeOptions options);
    // With API access: the client's rate-limit book and ETag cache live in `db`. REQUIRES: `db`
    // and `clock` outlive the forge.
    GithubForge(GithubForgeOptions options, store::Database& db, const Clock& clock,
                sources::github::GithubClientOptions api,
                std::unique_ptr<sources::HttpClient> http = sources::MakeCurlHttpClient());
    ~GithubForge() override;

    std::string_view name() const override { return kForgeName; }
    std::vector<http::Route> WebhookRoutes(replication::DeliveryLog& log,
                                           const Clock& clock) override;
    Result<std::string> ProcessDelivery(queue::JobQueue& queue, const tasks::TaskRegistry& registry,
                                        const store::Delivery& delivery) const override;
    void RegisterTasks(tasks::TaskRegistry& registry) override;
    std::vector<forge::LoadRoute> LoadRoutes() override;
    void DecorateLoadAnswer(http::Response& response) const override;
    std::vector<forge::ContributorCrawl> ContributorCrawls(const std::string& username,
                                                           Timestamp start,
                                                           Timestamp end) const override;

    // Null without API access.
    sources::github::GithubClient* client() const { return client_.get(); }
    sources::github::RateLimitBook* book() const { return book_.get(); }

private:
    Result<forge::LoadPlan> PlanLoad(const std::string& pattern, const forge::PathParams& params,
                                     const forge::Query& query) const;

    GithubForgeOptions options_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<tasks::DbRateLimitBook> book_;
    std::unique_ptr<tasks::DbEtagCache> etags_;
    std::unique_ptr<sources::github::GithubClient> client_;
    std::unique_ptr<replication::GithubWebhook> webhook_;
};

}  // namespace forgedb::github
