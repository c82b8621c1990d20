#pragma once
// GitLab as a forge (see forge/forge.hpp): one or more instances (--gitlab NAME=URL), the webhook
// surface at /replication/gitlab/{instance} (webhook.hpp) and the processing of its deliveries
// (events.hpp) into the gitlab_* tables (model.hpp, schema/).

#include <memory>
#include <string>
#include <vector>

#include "forgedb/forge/forge.hpp"
#include "forgedb/forges/gitlab/webhook.hpp"

namespace forgedb::gitlab {

inline constexpr const char* kForgeName = "gitlab";

struct GitlabInstanceOptions {
    std::string name;            // the configured name, e.g. "wikimedia"
    std::string url;             // e.g. "https://gitlab.wikimedia.org", without a trailing slash
    std::string token;           // API token ("" = anonymous reads of public data); never logged
    std::string webhook_secret;  // X-Gitlab-Token of the instance's hooks; "" = none
};

struct GitlabForgeOptions {
    std::vector<GitlabInstanceOptions> instances;
    // Deliveries of an instance without a secret are accepted (--insecure-accept-unsigned).
    bool accept_unsigned = false;
};

class GitlabForge final : public forge::Forge {
public:
    explicit GitlabForge(GitlabForgeOptions options);
    ~GitlabForge() override;

    std::string_view name() const override { return kForgeName; }
    std::vector<http::Route> WebhookRoutes(replication::DeliveryLog& log,
                                           const Clock& clock) override;
    Result<std::string> ProcessDelivery(queue::JobQueue& queue, const tasks::TaskRegistry& registry,
                                        const store::Delivery& delivery) const override;
    void RegisterTasks(tasks::TaskRegistry& registry) override;
    std::vector<forge::LoadRoute> LoadRoutes() override;

private:
    GitlabForgeOptions options_;
    std::unique_ptr<GitlabWebhook> webhook_;
};

}  // namespace forgedb::gitlab
