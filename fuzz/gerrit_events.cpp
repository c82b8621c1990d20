// Gerrit webhook events through the route table of the event surface (instance, ?secret=, JSON
// checks, durable logging) over a real SQLite delivery log. Input: see FuzzRequest. Instance
// "wikimedia" has the secret "s3cret"; "open" has none (refused, as without
// --insecure-accept-unsigned).

#include "forgedb/forges/gerrit/webhook.hpp"
#include "fuzz_support.hpp"

namespace {

struct Surface {
    forgedb::fuzz::FuzzDeliveryLog intake;
    forgedb::replication::GerritEvents events{
        intake.log(), intake.clock(), {{"wikimedia", "s3cret"}, {"open", ""}}, false};
    forgedb::http::Router router;
    Surface() { router.AddAll(events.Routes()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surface surface;
    forgedb::fuzz::FuzzRequest r(forgedb::fuzz::AsText(data, size), "POST");
    (void)surface.router.Dispatch(r.req);
    surface.intake.database().PruneEvery(1000);
    return 0;
}
