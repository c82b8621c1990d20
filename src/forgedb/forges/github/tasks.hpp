#pragma once
// GitHub crawls as jobs.
//   github.sync    one object: user, repo, pull, issue, milestone, label, hook ("children"
//                  queues the crawls below it, as the original system did);
//   github.list    a paginated list (pulls, issues, labels, milestones, hooks, releases,
//                  branches, tags, issue_comments, pull_files, pull_reviews, user_repos):
//                  fetches page 1, reads Link rel="last",
//                  fans the other pages out as github.page children; each page commits its rows
//                  and the parent's progress together. When every page of a full scan (state=all,
//                  or a list without states) has succeeded, the last page sweeps: rows of that
//                  parent that neither this scan nor any webhook touched since it began get their
//                  tombstone. Open-only or partial scans never delete anything.
//   github.refresh incremental: issues walk `since` from the watermark minus an overlap; pulls
//                  walk sort=updated desc and stop at the watermark.
//   github.contributor  one login's commits, merged pull requests and opened issues in some
//                  organisations within a window (the contributor view's crawl; see below).
// HTTP happens outside transactions; rows are written with Via::kApi.

#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forges/github/rest_client.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {

inline constexpr const char* kGithubSyncJob = "github.sync";
inline constexpr const char* kGithubListJob = "github.list";
inline constexpr const char* kGithubPageJob = "github.page";
inline constexpr const char* kGithubRefreshJob = "github.refresh";
// One contributor's work in the repositories of some organisations within a window: the commits
// by the login (each organisation's repositories, then each repository's commits), then the pull
// requests the login had merged and the issues it opened, through GitHub's search API. Each page
// commits its rows with the job's progress. Built by GithubContributorCrawl (below);
// implemented in github_contributor.cpp.
inline constexpr const char* kGithubContributorJob = "github.contributor";

// A crawl request, as the load endpoints and the CLI build it.
struct GithubCrawl {
    std::string kind;      // one of the job kinds above
    std::string resource;  // "repo", "pulls", ...
    std::string owner, repo, username, name;
    std::optional<long long> number;  // pull/issue/milestone number, or hook id
    std::string state = "all";        // for pulls, issues, milestones
    bool children = false;

    std::string ArgsJson() const;
    // One live crawl per target: e.g. "github.list:pulls:octo/hello".
    std::string UniqueKey() const;
    static Result<GithubCrawl> FromArgs(const std::string& json);
};

// Checks a crawl request (known resource, required names present).
Status ValidateCrawl(const GithubCrawl& crawl);

// Runs a github.sync crawl now, on the caller's connection (inline loads).
Status RunGithubSyncNow(store::Connection& conn, sources::github::GithubClient& client,
                        const Clock& clock, const GithubCrawl& crawl);

// Registers github.contributor (called by RegisterGithubTasks).
void RegisterGithubContributorTask(TaskRegistry& registry, sources::github::GithubClient& client);

// Registers the five job kinds. REQUIRES: `client` outlives the workers.
void RegisterGithubTasks(TaskRegistry& registry, sources::github::GithubClient& client);

// github.contributor: the user's commits (author=<login>) in the repositories of the
// organisations, committed in the window, and the pull requests they had merged and the issues
// they opened there in the window. The unique key names the login, the organisations and the
// window, so that repeated views of one window share one crawl. Implemented with the job in
// contributor.cpp.
store::NewJob GithubContributorCrawl(const std::string& login, const std::vector<std::string>& orgs,
                                     Timestamp start, Timestamp end);

}  // namespace forgedb::tasks
