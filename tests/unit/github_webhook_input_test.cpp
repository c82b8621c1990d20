// Headers of GitHub deliveries that arrive as bytes nobody checked: the webhook surface refuses
// what it cannot log, before logging it. Inputs found by fuzz/github_webhook.

#include <gtest/gtest.h>

#include "forgedb/core/crypto.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "support/test_support.hpp"

namespace forgedb::replication {
namespace {

// A delivery id with a byte that is not UTF-8 (the server takes header values as bytes) used to
// be logged, and the delivery log's writer thread then threw while writing the processing job's
// JSON arguments: the process ended. It is refused as a bad header instead.
TEST(GithubWebhookInput, RefusesADeliveryIdThatIsNotPrintableAscii) {
    auto tdb = testing::TestDatabase::Create(testing::Backend::kSqlite);
    SystemClock clock;
    queue::Notifier notifier;
    DeliveryLog log(tdb->db(), clock, notifier, &tasks::DeliveriesJob);
    ASSERT_TRUE(log.Start());
    GithubWebhook webhook(log, clock, {"secret"});
    const std::string body = R"({"ref": "refs/heads/main"})";
    for (std::string id : {std::string("72d3162e\x80"), std::string("a\nb"), std::string("\xff")}) {
        http::Request req;
        req.method = "POST";
        req.path = "/replication";
        req.headers.emplace("X-GitHub-Event", "push");
        req.headers.emplace("X-GitHub-Delivery", id);
        req.headers.emplace("X-Hub-Signature-256", "sha256=" + HmacSha256Hex("secret", body));
        req.body = body;
        auto res = webhook.Handle(req, std::nullopt);
        EXPECT_EQ(res.status, 400) << res.body;
        EXPECT_NE(res.body.find("X-GitHub-Delivery"), std::string::npos);
    }
    EXPECT_EQ(tdb->Count("SELECT COUNT(*) FROM webhook_delivery"), 0);
    log.Stop();
}

}  // namespace
}  // namespace forgedb::replication
