#pragma once
// Gerrit crawls as jobs, per configured instance.
//   gerrit.changes  a change query (e.g. "owner:alice", "project:mediawiki/core"), paged with
//                   n=100 and S=<start>: each page job writes its changes (with their owners and
//                   current revisions) and the root job's progress in one transaction and, when
//                   the last change carries _more_changes, queues the next page as a child of the
//                   root in that same transaction, so a restart resumes at the page it stopped at.
//                   Optional window bounds become after:/before: operators; `incremental` starts
//                   from the scope's watermark minus an overlap, and the last page raises it.
//   gerrit.account  account lookup by username (GET /accounts/?q=username:<u>&o=DETAILS).
//   gerrit.change   refresh of one change by number (webhook follow-up).
// HTTP happens outside transactions; rows are written with Via::kApi.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {

inline constexpr const char* kGerritChangesJob = "gerrit.changes";
inline constexpr const char* kGerritAccountJob = "gerrit.account";
inline constexpr const char* kGerritChangeJob = "gerrit.change";

struct GerritCrawl {
    std::string kind;      // one of the job kinds above
    std::string instance;  // configured instance name
    std::string query;     // changes: a Gerrit search expression
    std::string account;   // account: the username
    long long number = 0;  // change: the change number
    bool incremental = false;
    std::optional<Timestamp> after, before;  // changes: window on the change's `updated`
    int start = 0;                           // changes: S= offset of this page

    std::string ArgsJson() const;
    static Result<GerritCrawl> FromArgs(const std::string& json);
    // One live crawl per target, e.g. "gerrit.changes:wikimedia:owner:alice" (window included).
    std::string UniqueKey() const;
    // The job that runs this crawl (kind, args, unique key, attempts).
    store::NewJob ToJob() const;
};

// Checks a crawl request: known kind, non-empty instance, query/account/number present,
// after <= before. kInvalid with a message for the user otherwise.
Status ValidateCrawl(const GerritCrawl& crawl);

// Runs a gerrit.account lookup now on the caller's connection (inline loads).
Status RunGerritAccountNow(store::Connection& conn, sources::gerrit::GerritClient& client,
                           const Clock& clock, const GerritCrawl& crawl);

// Processes one logged Gerrit event (delivery.forge == "gerrit") in the caller's open
// transaction: the change it names is upserted from the event's change object (Via::kWebhook)
// and a gerrit.change refresh job is queued for it. Events that name no change
// (project-created, ref-replicated, ...) are "ignored". Returns the outcome (processed, stale,
// ignored); payload errors are kInvalid / kMissingData and write nothing.
Result<std::string> ProcessGerritDelivery(queue::JobQueue& queue, const store::Delivery& delivery);

// Registers the three job kinds. `clients` maps instance name -> client. REQUIRES: the clients
// outlive the workers.
void RegisterGerritTasks(TaskRegistry& registry,
                         std::map<std::string, sources::gerrit::GerritClient*> clients);

// gerrit.changes with query "owner:<username>" updated since the window's start (Gerrit bounds
// the last update, not the creation, so the end cannot bound the query).
store::NewJob GerritOwnerCrawl(const std::string& instance, const std::string& username,
                               Timestamp start, Timestamp end);

}  // namespace forgedb::tasks
