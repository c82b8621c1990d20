// The route matcher: fuzzed methods and paths against the route table the server builds (every
// surface's real routes), through http::Router::Find, which fills the {placeholders}. Handlers
// are never run. Input: "METHOD PATH" on the first line.

#include "forgedb/app/forges.hpp"
#include "forgedb/app/health.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "forgedb/forges/phabricator/webhook.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/load/load_surface.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "fuzz_support.hpp"

namespace {

// The surfaces in the order app/commands/serve.cpp adds them.
struct Surfaces {
    forgedb::fuzz::FuzzDeliveryLog intake;
    forgedb::replication::GithubWebhook github{intake.log(), intake.clock(), {"secret"}};
    forgedb::replication::GerritEvents gerrit{
        intake.log(), intake.clock(), {{"wikimedia", "s3cret"}}, false};
    forgedb::replication::PhabricatorEvents phabricator{
        intake.log(), intake.clock(), {{"wikimedia", "key"}}, false};
    forgedb::queue::Notifier notifier;
    forgedb::forge::Forges forges =
        forgedb::app::MakeForges({}, intake.database().db(), intake.clock());
    forgedb::load::LoadSurface loads{
        intake.database().db(), intake.clock(), notifier, forges, {"token"}};
    forgedb::contrib::Service contributors{intake.database().db(), intake.clock(), notifier, {}};
    forgedb::api::WikiContribApi contrib_api{contributors};
    forgedb::ui::Pages pages{contributors};
    forgedb::http::Router router;

    Surfaces() {
        router.AddAll(github.Routes());
        router.AddAll(gerrit.Routes());
        router.AddAll(phabricator.Routes());
        router.AddAll(loads.Routes());
        router.AddAll(forgedb::app::HealthRoutes(intake.database().db()));
        router.AddAll(contrib_api.Routes());
        router.AddAll(pages.Routes());
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surfaces surfaces;
    forgedb::fuzz::FuzzRequest r(forgedb::fuzz::AsText(data, size), "");
    forgedb::http::Response refusal;
    (void)surfaces.router.Find(r.req, &refusal);
    return 0;
}
