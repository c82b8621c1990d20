// GitHub deliveries through the route table of the webhook surface (signature check, form or JSON
// body, durable logging) over a real SQLite delivery log. Input: see FuzzRequest. A header
// "X-Hub-Signature-256: sign" is replaced by the body's true signature, so that inputs reach the
// parser behind the check; any other value is checked as sent.

#include "forgedb/core/crypto.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "fuzz_support.hpp"

namespace {

constexpr const char* kSecret = "fuzz-secret";

struct Surface {
    forgedb::fuzz::FuzzDeliveryLog intake;
    forgedb::replication::GithubWebhook webhook{intake.log(), intake.clock(), {kSecret}};
    forgedb::http::Router router;
    Surface() { router.AddAll(webhook.Routes()); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static Surface surface;
    forgedb::fuzz::FuzzRequest r(forgedb::fuzz::AsText(data, size), "POST");
    if (auto* sig = r.HeaderValue("X-Hub-Signature-256"); sig && *sig == "sign") {
        *sig = "sha256=" + forgedb::HmacSha256Hex(kSecret, r.body);
    }
    for (const auto& [name, value] : r.req.headers) {
        (void)forgedb::replication::VerifyGithubSignature(kSecret, r.body, value);
    }
    (void)surface.router.Dispatch(r.req);
    surface.intake.database().PruneEvery(1000);
    return 0;
}
