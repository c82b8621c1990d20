#pragma once
// Phabricator as a forge (see forge/forge.hpp): one Conduit client per configured instance, the
// Herald surface at /replication/phabricator/{instance}, the phabricator.* crawls and the load
// routes
//   POST /load/phabricator/{instance}/tasks?author=U|assigned=U|project=P[&incremental=1]
//                                          [&created_start=T][&created_end=T]
//   POST /load/phabricator/{instance}/revisions?author=U[&created_start=T][&created_end=T]
//   POST /load/phabricator/{instance}/users/{username}

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "forgedb/forge/forge.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/forges/phabricator/webhook.hpp"
#include "forgedb/sources/http_client.hpp"

namespace forgedb::phabricator {

inline constexpr const char* kForgeName = "phabricator";

struct PhabricatorInstanceOptions {
    sources::phabricator::Instance instance;  // name, URL and Conduit token
    std::string hook_key;                     // Herald webhook HMAC key; "" = none
};

struct PhabricatorForgeOptions {
    std::vector<PhabricatorInstanceOptions> instances;
    // Herald calls of an instance without a key are accepted (--insecure-accept-unsigned).
    bool accept_unsigned = false;
    // The instance the contributor view crawls; "" = none.
    std::string contributor_instance;
};

class PhabricatorForge final : public forge::Forge {
public:
    // REQUIRES: `clock` outlives the forge.
    PhabricatorForge(PhabricatorForgeOptions options, const Clock& clock,
                     std::unique_ptr<sources::HttpClient> http = sources::MakeCurlHttpClient());
    ~PhabricatorForge() override;

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
    std::map<std::string, sources::phabricator::ConduitClient*> Clients() const;

private:
    Result<forge::LoadPlan> PlanTasks(const forge::PathParams& p, const forge::Query& q) const;
    Result<forge::LoadPlan> PlanRevisions(const forge::PathParams& p, const forge::Query& q) const;
    Result<forge::LoadPlan> PlanUser(const forge::PathParams& p, const forge::Query& q) const;
    Result<sources::phabricator::ConduitClient*> ClientFor(const std::string& instance) const;

    PhabricatorForgeOptions options_;
    std::unique_ptr<sources::HttpClient> http_;
    std::vector<std::unique_ptr<sources::phabricator::ConduitClient>> clients_;
    std::unique_ptr<replication::PhabricatorEvents> events_;
};

}  // namespace forgedb::phabricator
