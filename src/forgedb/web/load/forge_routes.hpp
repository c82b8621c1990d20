#pragma once
// Load routes of every forge, resolved to the job they queue: GitHub's (load_routes.cpp) and the
// Gerrit and Phabricator ones declared in forge_routes.cpp:
//   POST /load/gerrit/{instance}/changes?q=QUERY[&incremental=1][&after=T][&before=T]
//   POST /load/gerrit/{instance}/accounts/{username}
//   POST /load/phabricator/{instance}/tasks?author=U|assigned=U|project=P[&incremental=1]
//                                          [&created_start=T][&created_end=T]
//   POST /load/phabricator/{instance}/revisions?author=U
//   POST /load/phabricator/{instance}/users/{username}
// Query parameters are checked strictly: an unknown one, or a bad value, is an error.

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::load {

// The forge clients of this process (null / empty when a forge is not configured).
struct ForgeClients {
    sources::github::GithubClient* github = nullptr;
    std::map<std::string, sources::gerrit::GerritClient*> gerrit;
    std::map<std::string, sources::phabricator::ConduitClient*> phabricator;
};

// What a load path asks for.
struct LoadPlan {
    store::NewJob job;    // kind, args and unique key of the crawl
    bool single = false;  // one object: ?inline=true may run it in the request
    // Runs the single-object load now on the caller's connection; empty when the forge is not
    // configured in this process.
    std::function<Status(store::Connection&, const Clock&)> run_now;
    // After an inline run, whether the job must still be queued (GitHub's ?children=true).
    bool queue_after_inline = false;
};

// Resolves a load path (with its query) for any forge. kNotFound for an unknown path or an
// instance this process does not know; kInvalid for bad parameters.
Result<LoadPlan> PlanForPath(const std::string& path,
                             const std::multimap<std::string, std::string>& query,
                             const ForgeClients& clients);

// The patterns of the Gerrit and Phabricator load routes (GitHub's are in load_routes.cpp).
std::vector<std::string> ForgeRoutePatterns();

// Splits "gerrit/wm/changes?q=owner:alice" (the CLI's form of a load path) into "/load/..." and
// its decoded query.
Result<std::pair<std::string, std::multimap<std::string, std::string>>> SplitLoadPath(
    const std::string& text);

}  // namespace forgedb::load
