#pragma once
// The crawl jobs that fill the mirror for one contributor and window (used by the contributor
// view when a window is not covered yet). Each job is a root job; its status folds its pages.

#include <string>
#include <vector>

#include "forgedb/core/time.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {

// gerrit.changes with query "owner:<username>" updated since the window's start (Gerrit bounds
// the last update, not the creation, so the end cannot bound the query).
store::NewJob GerritOwnerCrawl(const std::string& instance, const std::string& username,
                               Timestamp start, Timestamp end);

// phabricator.tasks authored by, and assigned to, the user, created in the window.
std::vector<store::NewJob> PhabricatorUserCrawls(const std::string& instance,
                                                 const std::string& username, Timestamp start,
                                                 Timestamp end);

// github.contributor: the user's commits (author=<login>) in the repositories of the
// organisations, committed in the window, and the pull requests they had merged and the issues
// they opened there in the window. The unique key names the login, the organisations and the
// window, so that repeated views of one window share one crawl. Implemented with the job in
// github_contributor.cpp.
store::NewJob GithubContributorCrawl(const std::string& login, const std::vector<std::string>& orgs,
                                     Timestamp start, Timestamp end);

}  // namespace forgedb::tasks
