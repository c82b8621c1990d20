#pragma once
// The contributor view (the WikiContrib API and the pages) served over real HTTP on loopback from
// a test database, for the Gerrit and Phabricator instance "wm", without crawls on view.

#include <memory>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {

// The configuration ContribSite serves: instance "wm" for both forges, crawl_on_view off.
contrib::ContribConfig TestContribConfig();

class ContribSite {
public:
    // Starts the server; throws std::runtime_error when it cannot. REQUIRES: tdb and clock
    // outlive the site.
    ContribSite(TestDatabase& tdb, const Clock& clock);
    ~ContribSite();

    contrib::Service& service() { return *service_; }
    TestClient& client() { return *client_; }

private:
    queue::Notifier notifier_;
    std::unique_ptr<forge::Forges> forges_;
    std::unique_ptr<contrib::Service> service_;
    std::unique_ptr<api::WikiContribApi> api_;
    std::unique_ptr<ui::Pages> pages_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> client_;
};

}  // namespace forgedb::testing
