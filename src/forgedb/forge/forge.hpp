#pragma once
// The Forge interface: everything one forge brings to forgedb. Each forge lives in its own folder
// (src/forgedb/forges/<name>/) and implements this interface; app/ builds the list of forges from
// the configuration, and every other layer reaches a forge only through a `Forges` registry:
//   - its webhook surface (routes that log deliveries durably);
//   - how a logged delivery of it becomes rows (the deliveries job dispatches by forge name);
//   - its job kinds (crawls, refreshes);
//   - its load routes (POST /load/...), which `forgedb load` parses too;
//   - the crawls that fill the mirror with one person's contributions.
// Its tables and migrations are listed in docs/schema.md under the forge's name.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::forge {

using Query = std::multimap<std::string, std::string>;
using PathParams = std::map<std::string, std::string>;

// What a load path asks for.
struct LoadPlan {
    store::NewJob job;    // kind, args and unique key of the crawl
    bool single = false;  // one object: ?inline=true may run it in the request
    // Runs the single-object load now on the caller's connection; empty when the forge has no
    // client in this process.
    std::function<Status(store::Connection&, const Clock&)> run_now;
    // After an inline run, whether the job must still be queued (GitHub's ?children=true).
    bool queue_after_inline = false;
};

// One load route: its pattern ("/load/gerrit/{instance}/changes") and how the path's parameters
// and the query (without "inline", which the load surface owns) become a plan. kInvalid for a bad
// parameter (unknown names are refused), kNotFound for an instance this process does not know.
struct LoadRoute {
    std::string pattern;
    std::function<Result<LoadPlan>(const PathParams&, const Query&)> plan;
};

// One crawl that fills the mirror with a person's contributions on a forge, as the contributor
// view asks for it when a window is not covered yet.
struct ContributorCrawl {
    std::string instance;  // the instance the crawl reads ("github" for GitHub)
    std::string part;      // what the crawl covers: "owner", "authored", "contributor", ...
    store::NewJob job;
};

class Forge {
public:
    virtual ~Forge() = default;

    // The forge's name: the value of webhook_delivery.forge, of the first segment of its load
    // paths and of its job kinds ("github", "gerrit", ...).
    virtual std::string_view name() const = 0;

    // The webhook routes, which log what they accept into `log`. Called once; the routes keep
    // references to this forge, `log` and `clock`.
    virtual std::vector<http::Route> WebhookRoutes(replication::DeliveryLog& log,
                                                   const Clock& clock) = 0;

    // Turns one logged delivery of this forge into rows, in the caller's open transaction, and
    // queues its follow-up jobs (only kinds `registry` can run). Returns the outcome (processed,
    // stale, ignored, ...); a payload that cannot be processed is kInvalid or kMissingData.
    virtual Result<std::string> ProcessDelivery(queue::JobQueue& queue,
                                                const tasks::TaskRegistry& registry,
                                                const store::Delivery& delivery) const = 0;

    // Registers the job kinds this forge runs with the clients it has. REQUIRES: the forge
    // outlives the workers using `registry`.
    virtual void RegisterTasks(tasks::TaskRegistry& registry) = 0;

    // The forge's load routes.
    virtual std::vector<LoadRoute> LoadRoutes() = 0;

    // Adds this forge's own headers to the answer of one of its load routes (GitHub copies its
    // rate-limit budget). Default: none.
    virtual void DecorateLoadAnswer(http::Response& response) const { (void)response; }

    // The crawls that fill the mirror with `username`'s contributions created in [start, end), on
    // the instance the contributor view reads; empty when the view does not read this forge.
    virtual std::vector<ContributorCrawl> ContributorCrawls(const std::string& username,
                                                            Timestamp start, Timestamp end) const {
        (void)username, (void)start, (void)end;
        return {};
    }
};

// The forges of this process, by name. Built once at start-up, then read-only (thread-safe).
class Forges {
public:
    Forges() = default;
    explicit Forges(std::vector<std::unique_ptr<Forge>> forges);
    Forges(Forges&&) = default;
    Forges& operator=(Forges&&) = default;

    // Adds a forge. REQUIRES: no forge of that name yet (a wiring bug: throws).
    void Add(std::unique_ptr<Forge> forge);

    Forge* Find(std::string_view name) const;
    std::vector<Forge*> All() const;
    std::vector<std::string> Names() const;

    // Every forge's webhook routes.
    std::vector<http::Route> WebhookRoutes(replication::DeliveryLog& log, const Clock& clock) const;
    // Registers every forge's job kinds and the job that processes logged deliveries.
    void RegisterTasks(tasks::TaskRegistry& registry) const;

private:
    std::vector<std::unique_ptr<Forge>> forges_;
};

}  // namespace forgedb::forge
