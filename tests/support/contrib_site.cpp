#include "support/contrib_site.hpp"

#include <stdexcept>

#include "support/forges.hpp"

namespace forgedb::testing {

contrib::ContribConfig TestContribConfig() {
    contrib::ContribConfig config;
    config.gerrit_instance = "wm";
    config.gerrit_url = "https://gerrit.example.org/r";
    config.phabricator_instance = "wm";
    config.phabricator_url = "https://phab.example.org";
    config.crawl_on_view = false;
    return config;
}

ContribSite::ContribSite(TestDatabase& tdb, const Clock& clock) {
    forges_ = ContribForges(TestContribConfig());
    service_ = std::make_unique<contrib::Service>(tdb.db(), clock, notifier_, TestContribConfig(),
                                                  forges_.get());
    api_ = std::make_unique<api::WikiContribApi>(*service_);
    pages_ = std::make_unique<ui::Pages>(*service_, clock);
    router_.AddAll(api_->Routes());
    router_.AddAll(pages_->Routes());
    http::ServerOptions opts;
    opts.port = 0;
    server_ = std::make_unique<http::Server>(router_, opts);
    auto st = server_->Start();
    if (!st) throw std::runtime_error(st.error().ToString());
    client_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
}

ContribSite::~ContribSite() { server_->Stop(); }

}  // namespace forgedb::testing
