#pragma once
// GitHub's load routes, shaped like its API paths, in one table:
//   POST /load/repos/{owner}/{repo}[/pulls[/{number}[/files|/reviews]]|/issues[/comments|/{number}]
//        |/labels[/{name}]|/milestones[/{number}]|/hooks[/{number}]|/releases|/branches|/tags]
//   POST /load/user/repos, /load/user/{username}/repos, /load/user/{username}
// with ?children=true (queue the crawls below an object), ?state=open|closed|all and
// ?refresh=true (an incremental refresh of pulls or issues).

#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/forges/github/tasks.hpp"

namespace forgedb::github {

// The patterns of the table, in order.
const std::vector<std::string>& LoadRoutePatterns();

// The crawl of a matched route: `pattern` is one of LoadRoutePatterns(), `params` the path's
// parameters. kInvalid for a bad parameter.
Result<tasks::GithubCrawl> CrawlForRoute(const std::string& pattern,
                                         const forge::PathParams& params,
                                         const forge::Query& query);

// The crawl a load path asks for ("/load/repos/o/r/pulls", with its query), or kInvalid /
// kNotFound (no such route).
Result<tasks::GithubCrawl> CrawlForPath(const std::string& path, const forge::Query& query);

}  // namespace forgedb::github
