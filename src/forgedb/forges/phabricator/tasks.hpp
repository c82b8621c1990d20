#pragma once
// Phabricator crawls as jobs, per configured instance.
//   phabricator.tasks      maniphest.search by author, by assignee (usernames, resolved to PHIDs
//                          through the mirror or user.search first) or by project (slug or
//                          PHID), limit 100, paged with result.cursor.after: each page job writes
//                          its tasks and the root's progress and queues the next page (with the
//                          cursor) in one transaction. `incremental` walks
//                          constraints[modifiedStart] from the watermark minus an overlap with
//                          order=outdated, and the last page raises the watermark. Optional
//                          created_start/created_end bound the window.
//   phabricator.revisions  differential.revision.search by author, paged the same way.
//   phabricator.user       user.search by username (constraints[usernames][0]).
//   phabricator.object     refresh one object by PHID (Herald follow-up) through the *.search
//                          method of its type in kObjectTypes (objects.hpp: TASK, DREV, USER);
//                          types that are not mirrored are ignored.
// HTTP happens outside transactions; rows are written with Via::kApi.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {

inline constexpr const char* kPhabricatorTasksJob = "phabricator.tasks";
inline constexpr const char* kPhabricatorRevisionsJob = "phabricator.revisions";
inline constexpr const char* kPhabricatorUserJob = "phabricator.user";
inline constexpr const char* kPhabricatorObjectJob = "phabricator.object";

struct PhabricatorCrawl {
    std::string kind;      // one of the job kinds above
    std::string instance;  // configured instance name
    std::string author;    // tasks, revisions: username
    std::string assigned;  // tasks: username
    std::string project;   // tasks: project slug or PHID
    std::string username;  // user
    std::string phid;      // object
    bool incremental = false;
    std::optional<Timestamp> created_start, created_end;  // tasks, revisions: window
    std::string after;                                    // cursor of this page ("" = first page)

    std::string ArgsJson() const;
    static Result<PhabricatorCrawl> FromArgs(const std::string& json);
    // One live crawl per target, e.g. "phabricator.tasks:wikimedia:author=alice".
    std::string UniqueKey() const;
    store::NewJob ToJob() const;
};

// Checks a crawl request: known kind, instance, exactly one of author/assigned/project for
// tasks, author for revisions, username for user, a PHID for object, start <= end.
Status ValidateCrawl(const PhabricatorCrawl& crawl);

// Runs a phabricator.user lookup now on the caller's connection (inline loads).
Status RunPhabricatorUserNow(store::Connection& conn, sources::phabricator::ConduitClient& client,
                             const Clock& clock, const PhabricatorCrawl& crawl);

// Processes one logged Herald delivery (delivery.forge == "phabricator") in the caller's open
// transaction: queues a phabricator.object refresh for the object it names. Returns the outcome
// ("processed", or "ignored" for object types that are not mirrored); payload errors are
// kInvalid / kMissingData.
Result<std::string> ProcessPhabricatorDelivery(queue::JobQueue& queue,
                                               const store::Delivery& delivery);

// Registers the four job kinds. `clients` maps instance name -> client. REQUIRES: the clients
// outlive the workers.
void RegisterPhabricatorTasks(TaskRegistry& registry,
                              std::map<std::string, sources::phabricator::ConduitClient*> clients);

// phabricator.tasks authored by, and assigned to, the user, created in the window.
std::vector<store::NewJob> PhabricatorUserCrawls(const std::string& instance,
                                                 const std::string& username, Timestamp start,
                                                 Timestamp end);

}  // namespace forgedb::tasks
