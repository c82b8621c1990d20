#include "support/forges.hpp"

#include "forgedb/core/clock.hpp"
#include "forgedb/forges/gerrit/forge.hpp"
#include "forgedb/forges/github/forge.hpp"
#include "forgedb/forges/gitlab/forge.hpp"
#include "forgedb/forges/phabricator/forge.hpp"

namespace forgedb::testing {

std::unique_ptr<forge::Forges> ContribForges(const contrib::ContribConfig& config) {
    static const SystemClock clock;
    auto forges = std::make_unique<forge::Forges>();
    forges->Add(
        std::make_unique<github::GithubForge>(github::GithubForgeOptions{"", config.github_orgs}));
    gerrit::GerritForgeOptions gerrit;
    gerrit.contributor_instance = config.gerrit_instance;
    forges->Add(std::make_unique<gerrit::GerritForge>(std::move(gerrit), clock));
    phabricator::PhabricatorForgeOptions phabricator;
    phabricator.contributor_instance = config.phabricator_instance;
    forges->Add(std::make_unique<phabricator::PhabricatorForge>(std::move(phabricator), clock));
    forges->Add(std::make_unique<gitlab::GitlabForge>(gitlab::GitlabForgeOptions{}));
    return forges;
}

const forge::Forges& OfflineForges() {
    static const std::unique_ptr<forge::Forges> forges = ContribForges({});
    return *forges;
}

}  // namespace forgedb::testing
