#pragma once
// The list of forges: the only place that names every forge. Each forge is built from its part
// of the configuration, with its clients; serve, work, load and replay build the same list, and
// tests build it through here too.

#include <string>
#include <vector>

#include "forgedb/app/config.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::app {

struct ForgeSettings {
    GithubConfig github;
    std::string github_webhook_secret;  // "" = unsigned deliveries accepted
    ForgesConfig forges;
    // Events of an instance without a secret are accepted (--insecure-accept-unsigned).
    bool accept_unsigned = false;
    // Which instances and organisations the contributor view crawls.
    contrib::ContribConfig contrib;
};

// The names of the forges MakeForges builds, in its order: what `forge` of a logged delivery
// (and `forgedb replay --forge`) may be.
std::vector<std::string> ForgeNames();

// REQUIRES: `db` and `clock` outlive the forges.
forge::Forges MakeForges(const ForgeSettings& settings, store::Database& db, const Clock& clock);

}  // namespace forgedb::app
