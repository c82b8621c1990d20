#pragma once
// The contributions read model (table `contribution`, kept up to date by triggers on the mirror's
// tables: gerrit_change, phabricator_task, github_commit, github_pull_request, github_issue; see
// schema/<dialect>/0003_*.sql and docs/schema.md) and the contributor-view tables: saved queries,
// their users and filter, and crawl coverage per account and window.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

// One row of `contribution` as a window read returns it (account and instance are the ones asked
// for).
struct ContributionRow {
    std::string platform;   // "gerrit", "phabricator", "github"
    std::string kind;       // "change", "task", "commit", "pull_request", "issue"
    std::string source_id;  // change number, task id, commit SHA, pull request / issue id
    Timestamp time{};       // when it happened (UTC): created, merged, committed
    std::string status;  // forge status as stored: MERGED/NEW/ABANDONED, open/resolved/..., merged
    std::string title;
    std::string url;      // when the mirror has one (GitHub html_url); "" otherwise
    std::string project;  // gerrit project; github "owner/repo"; "" for phabricator
    bool authored = false;
    bool assigned = false;
};

// Whose contributions to read: the accounts on each platform ("" = none) and the GitHub
// organisations (lower case) a GitHub contribution must belong to (empty: any).
struct ContributorAccounts {
    std::string gerrit_instance;
    std::string gerrit_username;
    std::string phabricator_instance;
    std::string phabricator_phid;
    std::string github_login;
    std::vector<std::string> github_orgs;
};

// Contributions of the accounts with time in [start, end), oldest first. GitHub commits whose
// Change-Id matches a Gerrit change of the same instance are left out (counted once, as Gerrit).
// A range read on the (account, platform, instance, time) index.
Result<std::vector<ContributionRow>> ListContributions(Connection& conn,
                                                       const ContributorAccounts& who,
                                                       Timestamp start, Timestamp end);

// Account lookups for the view (all nullopt when the mirror does not know the account, or knows
// it without that field). Usernames and logins match without regard to case.

// The PHID of a Phabricator user of `instance`.
Result<std::optional<std::string>> PhabricatorPhid(Connection& conn, const std::string& instance,
                                                   const std::string& username);
// The real name of a Phabricator user (phabricator_user.real_name).
Result<std::optional<std::string>> PhabricatorRealName(Connection& conn,
                                                       const std::string& instance,
                                                       const std::string& username);
// The full name of a Gerrit account (gerrit_account.name, else display_name; else the owner_name
// of one of the user's changes).
Result<std::optional<std::string>> GerritRealName(Connection& conn, const std::string& instance,
                                                  const std::string& username);
// The profile name of a GitHub user (github_user.name), else the author name of one of the
// login's mirrored commits.
Result<std::optional<std::string>> GithubRealName(Connection& conn, const std::string& login);

}  // namespace forgedb::store
