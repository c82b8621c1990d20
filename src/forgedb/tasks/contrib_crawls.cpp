#include "forgedb/tasks/contrib_crawls.hpp"

#include "forgedb/tasks/gerrit_tasks.hpp"
#include "forgedb/tasks/phabricator_tasks.hpp"

namespace forgedb::tasks {

store::NewJob GerritOwnerCrawl(const std::string& instance, const std::string& username,
                               Timestamp start, Timestamp end) {
    GerritCrawl c;
    c.kind = kGerritChangesJob;
    c.instance = instance;
    c.query = "owner:" + username;
    // Gerrit's after:/before: bound the last update, the view dates a change by its creation: a
    // change created in the window may have been updated after it, so only the start bounds the
    // query (a change is always updated after it was created).
    c.after = start;
    (void)end;
    return c.ToJob();
}

std::vector<store::NewJob> PhabricatorUserCrawls(const std::string& instance,
                                                 const std::string& username, Timestamp start,
                                                 Timestamp end) {
    std::vector<store::NewJob> jobs;
    for (bool authored : {true, false}) {
        PhabricatorCrawl c;
        c.kind = kPhabricatorTasksJob;
        c.instance = instance;
        (authored ? c.author : c.assigned) = username;
        c.created_start = start;
        c.created_end = end;
        jobs.push_back(c.ToJob());
    }
    return jobs;
}

}  // namespace forgedb::tasks
