// The webhook endpoint's rules: order of checks, duplicates, ordering by updated_at, tombstones,
// and the fixes of the original system's bugs. Runs on both backends over real HTTP.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "forgedb/app/runtime.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "support/http_client.hpp"
#include "support/raw_http.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

class WebhookTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (tdb_) h_ = std::make_unique<WebhookHarness>(tdb());
    }
    void TearDown() override { h_.reset(); }

    std::string Fixture(const std::string& rel) {
        return ReadFile(DataPath("github/webhooks/" + rel));
    }
    long long Deliveries() { return tdb().Count("SELECT COUNT(*) FROM webhook_delivery"); }
    std::optional<std::string> DeliveryStatus(const std::string& id) {
        return tdb().Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = ?", {id});
    }
    int PostJson(const std::string& event, const json& body, const std::string& id) {
        auto res = h_->Post(event, body.dump(), id);
        if (!res) return -1;
        return res->status;
    }

    std::unique_ptr<WebhookHarness> h_;
};
FORGEDB_INSTANTIATE_BACKENDS(WebhookTest);

TEST_P(WebhookTest, PingAnswersPongAndLogsNothing) {
    auto res = h_->Post("ping", Fixture("ping/payload.json"), "p-1");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(json::parse(res->body), json({{"message", "pong"}}));
    EXPECT_EQ(Deliveries(), 0);
}

TEST_P(WebhookTest, RedeliveryIsAnsweredDuplicateAndDoneOnce) {
    std::string body = Fixture("pull_request/opened.payload.json");
    auto first = h_->Post("pull_request", body, "same-id");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 202);
    auto second = h_->Post("pull_request", body, "same-id");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200);
    EXPECT_EQ(json::parse(second->body)["message"], "duplicate");
    EXPECT_EQ(h_->Drain(), 1);
    auto third = h_->Post("pull_request", body, "same-id");  // after processing, too
    EXPECT_EQ(third->status, 200);
    EXPECT_EQ(h_->Drain(), 0);
    EXPECT_EQ(Deliveries(), 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 1);
}

TEST_P(WebhookTest, OlderPayloadAfterNewerIsStaleAndChangesNothing) {
    ASSERT_EQ(
        h_->Deliver("pull_request", "github/webhooks/pull_request/closed.payload.json", "new"),
        202);
    ASSERT_EQ(
        h_->Deliver("pull_request", "github/webhooks/pull_request/opened.payload.json", "old"),
        202);
    EXPECT_EQ(DeliveryStatus("new"), "processed");
    EXPECT_EQ(DeliveryStatus("old"), "stale");
    EXPECT_EQ(tdb().Scalar("SELECT state FROM github_pull_request"), "closed");
    EXPECT_EQ(NormTime(tdb().Scalar("SELECT closed_at FROM github_pull_request")),
              "2019-05-15T15:21:18Z");
    // Ordering uses GitHub's updated_at: the stale delivery did not move the replication stamp
    // of the pull request row either.
    auto stamp = tdb().Scalar("SELECT last_replicated_via_webhook_at FROM github_pull_request");
    auto received =
        tdb().Scalar("SELECT received_at FROM webhook_delivery WHERE delivery_id = 'new'");
    EXPECT_EQ(NormTime(stamp), NormTime(received));
}

TEST_P(WebhookTest, EqualUpdatedAtApplies) {
    ASSERT_EQ(
        h_->Deliver("pull_request", "github/webhooks/pull_request/unassigned.payload.json", "a"),
        202);
    json labeled = json::parse(Fixture("pull_request/labeled.payload.json"));
    // Same updated_at as the stored row (15:20:35), so it applies.
    ASSERT_EQ(labeled["pull_request"]["updated_at"], "2019-05-15T15:20:35Z");
    ASSERT_EQ(PostJson("pull_request", labeled, "b"), 202);
    h_->Drain();
    EXPECT_EQ(DeliveryStatus("b"), "processed");
    EXPECT_EQ(tdb().Scalar("SELECT assignee_login FROM github_pull_request"), "Codertocat");
}

TEST_P(WebhookTest, ReopenedIssueClearsClosedAt) {
    json opened = json::parse(Fixture("issues/opened.payload.json"));
    json closed = opened;
    closed["action"] = "closed";
    closed["issue"]["state"] = "closed";
    closed["issue"]["closed_at"] = "2019-05-15T15:20:10Z";
    closed["issue"]["updated_at"] = "2019-05-15T15:20:10Z";
    ASSERT_EQ(PostJson("issues", closed, "c"), 202);
    h_->Drain();
    EXPECT_EQ(NormTime(tdb().Scalar("SELECT closed_at FROM github_issue")), "2019-05-15T15:20:10Z");
    json reopened = opened;
    reopened["action"] = "reopened";
    ASSERT_EQ(PostJson("issues", reopened, "r"), 202);
    h_->Drain();
    EXPECT_EQ(tdb().Scalar("SELECT state FROM github_issue"), "open");
    EXPECT_EQ(tdb().Scalar("SELECT closed_at FROM github_issue"), std::nullopt);
}

TEST_P(WebhookTest, RenamedLabelKeepsItsRow) {
    ASSERT_EQ(h_->Deliver("issues", "github/webhooks/issues/labeled.payload.json", "l1"), 202);
    json renamed = json::parse(Fixture("label/edited.payload.json"));
    // Rename the label the issue carries.
    json issue_label = json::parse(Fixture("issues/labeled.payload.json"))["label"];
    renamed["label"] = issue_label;
    renamed["label"]["name"] = "defect";
    renamed["changes"] = {{"name", {{"from", "bug"}}}};
    ASSERT_EQ(PostJson("label", renamed, "l2"), 202);
    h_->Drain();
    auto id = issue_label["id"].get<std::int64_t>();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label"), 1);
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_issue_label WHERE id = ?", {id}), "defect");
    EXPECT_EQ(
        tdb().Count("SELECT COUNT(*) FROM github_issue_label_association WHERE label_id = ?", {id}),
        1);
}

TEST_P(WebhookTest, DeletedLabelIsTombstonedAndUnlinked) {
    ASSERT_EQ(h_->Deliver("issues", "github/webhooks/issues/labeled.payload.json", "l1"), 202);
    json deleted = json::parse(Fixture("label/deleted.payload.json"));
    deleted["label"] = json::parse(Fixture("issues/labeled.payload.json"))["label"];
    ASSERT_EQ(PostJson("label", deleted, "l2"), 202);
    h_->Drain();
    EXPECT_TRUE(tdb().Scalar("SELECT deleted_at FROM github_issue_label").has_value());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label_association"), 0);
}

TEST_P(WebhookTest, DeletedRepositoryIsTombstoned) {
    json created = json::parse(Fixture("repository/created.payload.json"));
    ASSERT_EQ(PostJson("repository", created, "r1"), 202);
    json deleted = created;
    deleted["action"] = "deleted";
    ASSERT_EQ(PostJson("repository", deleted, "r2"), 202);
    h_->Drain();
    EXPECT_TRUE(tdb().Scalar("SELECT deleted_at FROM github_repository").has_value());
    EXPECT_EQ(DeliveryStatus("r2"), "processed");
}

TEST_P(WebhookTest, MemberRemovedIsTombstoned) {
    ASSERT_EQ(h_->Deliver("member", "github/webhooks/member/added.payload.json", "m1"), 202);
    json removed = json::parse(Fixture("member/added.payload.json"));
    removed["action"] = "removed";
    ASSERT_EQ(PostJson("member", removed, "m2"), 202);
    h_->Drain();
    EXPECT_TRUE(
        tdb().Scalar("SELECT deleted_at FROM github_user_repository_association").has_value());
}

TEST_P(WebhookTest, BadSignatureIsRefusedAndStoresNothing) {
    std::string body = Fixture("pull_request/opened.payload.json");
    HttpHeaders headers{{"X-GitHub-Event", "pull_request"},
                        {"X-GitHub-Delivery", "bad"},
                        {"X-Hub-Signature-256", "sha256=" + std::string(64, '0')}};
    auto res = h_->PostRaw("/replication", headers, body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401);
    headers.back().second = h_->Signature(body + " ");  // the signature of another body
    EXPECT_EQ(h_->PostRaw("/replication", headers, body, "application/json")->status, 401);
    auto unsigned_res = h_->Post("pull_request", body, "unsigned", /*sign=*/false);
    EXPECT_EQ(unsigned_res->status, 401);
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 0);
}

TEST_P(WebhookTest, UnsignedAcceptedOnlyWithoutSecret) {
    h_.reset();
    WebhookHarness open(tdb(), "");
    auto res = open.Post("pull_request", Fixture("pull_request/opened.payload.json"), "u",
                         /*sign=*/false);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202);
    open.Drain();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 1);
}

TEST_P(WebhookTest, MalformedRequestsGet400AndStoreNothing) {
    EXPECT_EQ(h_->Post("pull_request", "{not json", "j1")->status, 400);
    EXPECT_EQ(h_->Post("pull_request", "", "j2")->status, 400);
    EXPECT_EQ(h_->Post("pull_request", "[1,2]", "j3")->status, 400);
    EXPECT_EQ(h_->Post("pull_request", "{\"a\":\"\xff\"}", "j4")->status, 400);
    HttpHeaders no_event{{"X-GitHub-Delivery", "j5"}};
    std::string body = Fixture("pull_request/opened.payload.json");
    no_event.emplace_back("X-Hub-Signature-256", h_->Signature(body));
    auto res = h_->PostRaw("/replication", no_event, body, "application/json");
    EXPECT_EQ(res->status, 400);
    EXPECT_NE(res->body.find("X-GitHub-Event"), std::string::npos);
    HttpHeaders no_delivery{{"X-GitHub-Event", "pull_request"},
                            {"X-Hub-Signature-256", h_->Signature(body)}};
    EXPECT_EQ(h_->PostRaw("/replication", no_delivery, body, "application/json")->status, 400);
    EXPECT_EQ(Deliveries(), 0);
}

TEST_P(WebhookTest, MissingObjectIsLoggedAsFailedWithItsError) {
    ASSERT_EQ(PostJson("pull_request", json{{"action", "opened"}}, "f1"), 202);
    h_->Drain();
    EXPECT_EQ(DeliveryStatus("f1"), "failed");
    auto error = tdb().Scalar("SELECT error FROM webhook_delivery WHERE delivery_id = 'f1'");
    ASSERT_TRUE(error);
    EXPECT_NE(error->find("pull_request"), std::string::npos);
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job"), "succeeded");  // the job did its work
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_pull_request"), 0);
}

TEST_P(WebhookTest, OneBadPayloadDoesNotHoldBackItsBatch) {
    // 40 deliveries logged by one group commit share one job (processed in chunks).
    std::vector<std::string> ids;
    json issue = json::parse(Fixture("issues/opened.payload.json"));
    {
        auto tx = store::Transaction::Begin(tdb().conn());
        for (int i = 0; i < 40; ++i) {
            store::Delivery d;
            d.forge = "github";
            d.delivery_id = "batch-" + std::to_string(i);
            d.event = "issues";
            d.received_at = SystemClock().Now();
            d.headers_json = "{}";
            json body = issue;
            body["issue"]["id"] = 1000 + i;
            if (i == 17) body.erase("issue");  // cannot be processed
            d.body = body.dump();
            ASSERT_TRUE(*store::InsertDelivery(tdb().conn(), d));
            ids.push_back(d.delivery_id);
        }
        SystemClock clock;
        queue::JobQueue q(tdb().conn(), clock);
        ASSERT_TRUE(q.Enqueue(tasks::DeliveriesJob("github", ids)));
        ASSERT_TRUE(tx->Commit());
    }
    EXPECT_EQ(h_->Drain(), 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'processed'"), 39);
    EXPECT_EQ(DeliveryStatus("batch-17"), "failed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 39);
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job"), "succeeded");
}

// Refused when the headers announce it, before the body is read: the client sees the 413 while
// it is still sending (the server drops a little of the rest, then closes).
TEST_P(WebhookTest, OversizedBodyIs413) {
    std::string big(26 * 1024 * 1024, ' ');
    big.front() = '{';
    big.back() = '}';
    RawConnection c(h_->port());
    c.Send(RawRequest("POST", "/replication",
                      "X-GitHub-Event: pull_request\r\nX-GitHub-Delivery: big\r\n"
                      "Content-Type: application/json\r\nX-Hub-Signature-256: " +
                          h_->Signature(big) + "\r\n",
                      big));
    auto res = c.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 413);
    EXPECT_EQ(Deliveries(), 0);
}

TEST_P(WebhookTest, SubRoutesNameTheirEvent) {
    std::string body = Fixture("issues/opened.payload.json");
    HttpHeaders headers{{"X-GitHub-Delivery", "s1"}, {"X-Hub-Signature-256", h_->Signature(body)}};
    auto res = h_->PostRaw("/replication/issue", headers, body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202);
    h_->Drain();
    EXPECT_EQ(tdb().Scalar("SELECT event FROM webhook_delivery"), "issues");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 1);
}

TEST_P(WebhookTest, FormEncodedDeliveryIsAccepted) {
    std::string payload = Fixture("issues/opened.payload.json");
    std::string form = "payload=";
    for (unsigned char c : payload) {
        if (std::isalnum(c)) {
            form += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            form += buf;
        }
    }
    ASSERT_GT(form.size(), 8192u);  // larger than the HTTP library's own form limit
    auto res = h_->Post("issues", form, "form-1", true, "/replication",
                        "application/x-www-form-urlencoded");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    h_->Drain();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 1);
    EXPECT_EQ(tdb().Scalar("SELECT body FROM webhook_delivery"), payload);
}

TEST_P(WebhookTest, ShortUserDoesNotClobberFullUser) {
    // A full user, as the API returns it.
    auto user = JsonDocument::Parse(
        R"({"id":21031067,"login":"Codertocat","name":"Coder Cat","company":"GitHub",)"
        R"("created_at":"2019-01-01T00:00:00Z","updated_at":"2019-05-01T00:00:00Z"})");
    ASSERT_TRUE(user);
    {
        auto tx = store::Transaction::Begin(tdb().conn());
        process::github::Context ctx{tdb().conn(), model::github::Via::kApi,
                                     *ParseTimestamp("2019-05-02T00:00:00Z"), nullptr};
        ASSERT_TRUE(process::github::ProcessUser(user->root(), ctx));
        ASSERT_TRUE(tx->Commit());
    }
    ASSERT_EQ(h_->Deliver("issues", "github/webhooks/issues/opened.payload.json", "x"), 202);
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_user WHERE id = 21031067"), "Coder Cat");
    auto raw = json::parse(*tdb().Scalar("SELECT raw FROM github_user WHERE id = 21031067"));
    EXPECT_EQ(raw["company"], "GitHub");
    EXPECT_TRUE(tdb()
                    .Scalar("SELECT last_replicated_via_webhook_at FROM github_user WHERE id = "
                            "21031067")
                    .has_value());
    EXPECT_TRUE(
        tdb()
            .Scalar("SELECT last_replicated_via_api_at FROM github_user WHERE id = 21031067")
            .has_value());
}

TEST_P(WebhookTest, ReplayRebuildsRowsFromTheLog) {
    ASSERT_EQ(h_->Deliver("issues", "github/webhooks/issues/opened.payload.json", "i1"), 202);
    ASSERT_EQ(h_->Deliver("star", "github/webhooks/star/created.payload.json", "s1"), 202);
    ASSERT_TRUE(tdb().conn().Query("DELETE FROM github_issue"));
    ASSERT_TRUE(tdb().conn().Query("UPDATE webhook_delivery SET status = 'pending'"));
    app::ReplayOptions issues;
    issues.event = "issues";
    EXPECT_EQ(app::RunReplay(tdb().url(), issues), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 1);
    EXPECT_EQ(DeliveryStatus("i1"), "processed");
    EXPECT_EQ(DeliveryStatus("s1"), "pending");  // filtered out by --event
    app::ReplayOptions later;
    later.since = ParseTimestamp("2999-01-01T00:00:00Z");
    EXPECT_EQ(app::RunReplay(tdb().url(), later), 0);
    EXPECT_EQ(DeliveryStatus("s1"), "pending");  // filtered out by --since
    app::ReplayOptions gerrit;
    gerrit.forge = "gerrit";
    EXPECT_EQ(app::RunReplay(tdb().url(), gerrit), 0);
    EXPECT_EQ(DeliveryStatus("s1"), "pending");  // filtered out by --forge
}

TEST_P(WebhookTest, ReplayOfPendingDeliveriesFinishesWhatADeadJobLeft) {
    ASSERT_EQ(h_->Deliver("issues", "github/webhooks/issues/opened.payload.json", "i1"), 202);
    ASSERT_EQ(h_->Deliver("star", "github/webhooks/star/created.payload.json", "s1"), 202);
    // As if the job processing i1 had died before reaching it; s1 was processed.
    ASSERT_TRUE(tdb().conn().Query("DELETE FROM github_issue"));
    ASSERT_TRUE(tdb().conn().Query(
        "UPDATE webhook_delivery SET status = 'pending', processed_at = NULL WHERE delivery_id = "
        "'i1'"));
    auto s1_before = tdb().Scalar(
        "SELECT processed_at FROM webhook_delivery WHERE "
        "delivery_id = 's1'");
    ASSERT_TRUE(s1_before);
    app::ReplayOptions pending;
    pending.pending_only = true;
    EXPECT_EQ(app::RunReplay(tdb().url(), pending), 0);
    EXPECT_EQ(DeliveryStatus("i1"), "processed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue"), 1);
    // The processed one is left as it was.
    EXPECT_EQ(tdb().Scalar("SELECT processed_at FROM webhook_delivery WHERE delivery_id = 's1'"),
              s1_before);
}

}  // namespace
}  // namespace forgedb::testing
