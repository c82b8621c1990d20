#include "forgedb/app/forges.hpp"

#include <spdlog/spdlog.h>

#include "forgedb/forges/gerrit/forge.hpp"
#include "forgedb/forges/github/forge.hpp"
#include "forgedb/forges/gitlab/forge.hpp"
#include "forgedb/forges/phabricator/forge.hpp"

namespace forgedb::app {
namespace {

std::unique_ptr<forge::Forge> Github(const ForgeSettings& s, store::Database& db,
                                     const Clock& clock) {
    github::GithubForgeOptions options{s.github_webhook_secret, s.contrib.github_orgs};
    sources::github::GithubClientOptions api;
    api.base_url = s.github.api_url;
    api.tokens = s.github.tokens;
    api.max_concurrency = s.github.max_concurrency;
    return std::make_unique<github::GithubForge>(std::move(options), db, clock, std::move(api));
}

std::unique_ptr<forge::Forge> Gerrit(const ForgeSettings& s, const Clock& clock) {
    gerrit::GerritForgeOptions options;
    for (const auto& g : s.forges.gerrit) {
        options.instances.push_back({{g.name, g.url, g.username, g.password}, g.webhook_secret});
        spdlog::info("Gerrit instance {} at {}{}", g.name, g.url,
                     g.username.empty() ? " (anonymous)" : " as " + g.username);
    }
    options.accept_unsigned = s.accept_unsigned;
    options.contributor_instance = s.contrib.gerrit_instance;
    return std::make_unique<gerrit::GerritForge>(std::move(options), clock);
}

std::unique_ptr<forge::Forge> Phabricator(const ForgeSettings& s, const Clock& clock) {
    phabricator::PhabricatorForgeOptions options;
    for (const auto& p : s.forges.phabricator) {
        options.instances.push_back({{p.name, p.url, p.token}, p.hook_key});
        spdlog::info("Phabricator instance {} at {}{}", p.name, p.url,
                     p.token.empty() ? " (no Conduit token)" : "");
    }
    options.accept_unsigned = s.accept_unsigned;
    options.contributor_instance = s.contrib.phabricator_instance;
    return std::make_unique<phabricator::PhabricatorForge>(std::move(options), clock);
}

std::unique_ptr<forge::Forge> Gitlab(const ForgeSettings& s) {
    gitlab::GitlabForgeOptions options;
    for (const auto& g : s.forges.gitlab) {
        options.instances.push_back({g.name, g.url, g.token, g.webhook_secret});
        spdlog::info("GitLab instance {} at {}{}", g.name, g.url,
                     g.token.empty() ? " (anonymous)" : "");
    }
    options.accept_unsigned = s.accept_unsigned;
    return std::make_unique<gitlab::GitlabForge>(std::move(options));
}

}  // namespace

std::vector<std::string> ForgeNames() {
    return {github::kForgeName, gerrit::kForgeName, phabricator::kForgeName, gitlab::kForgeName};
}

forge::Forges MakeForges(const ForgeSettings& settings, store::Database& db, const Clock& clock) {
    forge::Forges forges;
    forges.Add(Github(settings, db, clock));
    forges.Add(Gerrit(settings, clock));
    forges.Add(Phabricator(settings, clock));
    forges.Add(Gitlab(settings));
    return forges;
}

}  // namespace forgedb::app
