// Phabricator Herald calls through the route table of the event surface (instance, signature,
// JSON checks, durable logging) over a real SQLite delivery log. Input: see FuzzRequest. A header
// "X-Phabricator-Webhook-Signature: sign" is replaced by the body's true signature; any other
// value is checked as sent. Instance "wikimedia" has a hook key, "open" has none.

#include "forgedb/core/crypto.hpp"
#include "forgedb/forges/phabricator/webhook.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr const char* kKey = "fuzz-hook-key";

struct Surface {
    forgedb::fuzz::FuzzDeliveryLog intake;
    forgedb::replication::PhabricatorEvents events{
        intake.log(), intake.clock(), {{"wikimedia", kKey}, {"open", ""}}, false};
    forgedb::http::Router router;
    Surface() { router.AddAll(events.Routes()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surface surface;
    forgedb::fuzz::FuzzRequest r(forgedb::fuzz::AsText(data, size), "POST");
    if (auto* sig = r.HeaderValue("X-Phabricator-Webhook-Signature"); sig && *sig == "sign") {
        *sig = forgedb::HmacSha256Hex(kKey, r.body);
    }
    for (const auto& [name, value] : r.req.headers) {
        (void)forgedb::replication::VerifyPhabricatorSignature(kKey, r.body, value);
    }
    (void)surface.router.Dispatch(r.req);
    surface.intake.database().PruneEvery(1000);
    return 0;
}
