#include "forgedb/forges/gitlab/forge.hpp"

#include <map>

#include "forgedb/core/json.hpp"
#include "forgedb/forges/gitlab/events.hpp"

namespace forgedb::gitlab {

GitlabForge::GitlabForge(GitlabForgeOptions options) : options_(std::move(options)) {}

GitlabForge::~GitlabForge() = default;

std::vector<http::Route> GitlabForge::WebhookRoutes(replication::DeliveryLog& log,
                                                    const Clock& clock) {
    std::map<std::string, std::string> secrets;
    for (const auto& i : options_.instances) secrets[i.name] = i.webhook_secret;
    webhook_ =
        std::make_unique<GitlabWebhook>(log, clock, std::move(secrets), options_.accept_unsigned);
    return webhook_->Routes();
}

Result<std::string> GitlabForge::ProcessDelivery(queue::JobQueue& queue,
                                                 const tasks::TaskRegistry& registry,
                                                 const store::Delivery& d) const {
    (void)registry;  // no follow-up jobs: a delivery carries the whole object
    FORGEDB_ASSIGN_OR_RETURN(Json payload, ParseOnThisThread(d.body));
    Context ctx{queue.connection(), d.instance, model::Via::kWebhook, d.received_at, d.received_at};
    return ProcessHook(ctx, d.event, payload);
}

void GitlabForge::RegisterTasks(tasks::TaskRegistry& registry) {
    (void)registry;  // the REST crawls come with the GitLab client
}

std::vector<forge::LoadRoute> GitlabForge::LoadRoutes() { return {}; }

}  // namespace forgedb::gitlab
