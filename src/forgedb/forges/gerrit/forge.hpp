#pragma once
// Gerrit as a forge (see forge/forge.hpp): one client per configured instance, the event surface
// at /replication/gerrit/{instance}, the gerrit.* crawls and the load routes
//   POST /load/gerrit/{instance}/changes?q=QUERY[&incremental=1][&after=T][&before=T]
//   POST /load/gerrit/{instance}/accounts/{username}

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "forgedb/forge/forge.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::gerrit {

inline constexpr const char* kForgeName = "gerrit";

struct GerritInstanceOptions {
    sources::gerrit::Instance instance;  // name, URL and credentials
    std::string webhook_secret;          // ?secret= of the event endpoint; "" = none
};

struct GerritForgeOptions {
    std::vector<GerritInstanceOptions> instances;
    // Events of an instance without a secret are accepted (--insecure-accept-unsigned).
    bool accept_unsigned = false;
    // The instance the contributor view crawls; "" = none.
    std::string contributor_instance;
};

class GerritForge final : public forge::Forge {
public:
    // REQUIRES: `clock` outlives the forge.
    GerritForge(GerritForgeOptions options, const Clock& clock,
                std::unique_ptr<sources::HttpClient> http = sources::MakeCurlHttpClient());
    ~GerritForge() override;

    std::string_view name() const override { return kForgeName; }
    std::vector<http::Route> WebhookRoutes(replication::DeliveryLog& log,
                                           const Clock& clock) override;
    Result<std::string> ProcessDelivery(queue::JobQueue& queue, const tasks::TaskRegistry& registry,
                                        const store::Delivery& delivery) const override;
    void RegisterTasks(tasks::TaskRegistry& registry) override;
    std::vector<forge::LoadRoute> LoadRoutes() override;
    std::vector<forge::ContributorCrawl> ContributorCrawls(const std::string& username,
                                                           Timestamp start,
                                                           Timestamp end) const override;

    // Instance name -> client (non-owning).
    std::map<std::string, sources::gerrit::GerritClient*> Clients() const;

private:
    Result<forge::LoadPlan> PlanChanges(const forge::PathParams& p, const forge::Query& q) const;
    Result<forge::LoadPlan> PlanAccount(const forge::PathParams& p, const forge::Query& q) const;
    Result<sources::gerrit::GerritClient*> ClientFor(const std::string& instance) const;

    GerritForgeOptions options_;
    std::unique_ptr<sources::HttpClient> http_;
    std::vector<std::unique_ptr<sources::gerrit::GerritClient>> clients_;
    std::unique_ptr<replication::GerritEvents> events_;
};

}  // namespace forgedb::gerrit
