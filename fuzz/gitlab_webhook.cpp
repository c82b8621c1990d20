// GitLab webhook deliveries through the route table of its surface (instance, secret token,
// headers, JSON checks, durable logging) over a real SQLite delivery log. Input: see FuzzRequest.
// Instance "wikimedia" has a secret token, "open" has none (and unsigned deliveries are refused).

#include "forgedb/forges/gitlab/webhook.hpp"
#include "fuzz_support.hpp"

namespace {

struct Surface {
    forgedb::fuzz::FuzzDeliveryLog intake;
    forgedb::gitlab::GitlabWebhook webhook{
        intake.log(), intake.clock(), {{"wikimedia", "fuzz-token"}, {"open", ""}}, false};
    forgedb::http::Router router;
    Surface() { router.AddAll(webhook.Routes()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surface surface;
    forgedb::fuzz::FuzzRequest r(forgedb::fuzz::AsText(data, size), "POST");
    (void)surface.router.Dispatch(r.req);
    surface.intake.database().PruneEvery(1000);
    return 0;
}
