// Rows independent of delivery order for objects without a version (labels, reviews), tombstones
// that keep the first deletion, labels of `labeled`/`unlabeled` kept whatever the issue copy's
// staleness, and values both backends store alike (NUL characters, ids and times out of range),
// with one bad delivery never stranding the others of its batch. Both backends, over real HTTP.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/test_support.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

class DeliveryOrderTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (tdb_) h_ = std::make_unique<WebhookHarness>(tdb());
    }
    void TearDown() override { h_.reset(); }

    json Fixture(const std::string& rel) {
        return json::parse(ReadFile(DataPath("github/webhooks/" + rel)));
    }
    // Posts one delivery (202 expected) without processing it.
    void Post(const std::string& event, const json& body, const std::string& id) {
        auto res = h_->Post(event, body.dump(), id);
        ASSERT_TRUE(res);
        ASSERT_EQ(res->status, 202) << res->body;
    }
    // Posts and processes one delivery.
    void Deliver(const std::string& event, const json& body, const std::string& id) {
        Post(event, body, id);
        h_->Drain();
    }
    std::string Status(const std::string& id) {
        return tdb()
            .Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = ?", {id})
            .value_or("(none)");
    }
    std::string Error(const std::string& id) {
        return tdb()
            .Scalar("SELECT error FROM webhook_delivery WHERE delivery_id = ?", {id})
            .value_or("");
    }

    std::unique_ptr<WebhookHarness> h_;
};
FORGEDB_INSTANTIATE_BACKENDS(DeliveryOrderTest);

// label.edited (cceeaa) then a late label.created (cb1f00) reverted the colour.
TEST_P(DeliveryOrderTest, LateLabelCreatedNeverOverwritesAnEdit) {
    Deliver("label", Fixture("label/edited.payload.json"), "edited");
    Deliver("label", Fixture("label/created.payload.json"), "created");
    EXPECT_EQ(tdb().Scalar("SELECT color FROM github_issue_label WHERE id = 1362937026"), "cceeaa");
    EXPECT_EQ(Status("created"), "processed");
    // In order, the edit wins as well.
    json created = Fixture("label/created.payload.json");
    json edited = Fixture("label/edited.payload.json");
    created["label"]["id"] = 77;
    edited["label"]["id"] = 77;
    Deliver("label", created, "created-77");
    Deliver("label", edited, "edited-77");
    EXPECT_EQ(tdb().Scalar("SELECT color FROM github_issue_label WHERE id = 77"), "cceeaa");
}

// pull_request_review.dismissed then a late submitted stored "commented".
TEST_P(DeliveryOrderTest, ReviewStatesOnlyMoveForward) {
    Deliver("pull_request_review", Fixture("pull_request_review/dismissed.payload.json"), "d");
    Deliver("pull_request_review", Fixture("pull_request_review/submitted.payload.json"), "s");
    auto state = [&] {
        return tdb().Scalar("SELECT LOWER(state) FROM github_pull_request_review WHERE id = ?",
                            {std::int64_t{237895671}});
    };
    EXPECT_EQ(state(), "dismissed");
    // A pending copy never replaces a submitted state.
    json pending = Fixture("pull_request_review/submitted.payload.json");
    pending["review"]["id"] = 5;
    Deliver("pull_request_review", pending, "s5");
    pending["review"]["state"] = "pending";
    pending["review"]["submitted_at"] = nullptr;
    Deliver("pull_request_review", pending, "p5");
    EXPECT_EQ(tdb().Scalar("SELECT LOWER(state) FROM github_pull_request_review WHERE id = 5"),
              "commented");
    // A newer submission of a dismissed review applies.
    json resubmitted = Fixture("pull_request_review/submitted.payload.json");
    resubmitted["review"]["state"] = "approved";
    resubmitted["review"]["submitted_at"] = "2019-05-16T09:00:00Z";
    Deliver("pull_request_review", resubmitted, "again");
    EXPECT_EQ(state(), "approved");
}

// The second delete of an object moved deleted_at forward.
TEST_P(DeliveryOrderTest, RepeatedDeleteKeepsTheFirstDeletionTime) {
    Deliver("issues", Fixture("issues/deleted.payload.json"), "del-1");
    auto first = tdb().Scalar("SELECT deleted_at FROM github_issue WHERE id = 444500041");
    ASSERT_TRUE(first);
    Deliver("issues", Fixture("issues/deleted.payload.json"), "del-2");
    EXPECT_EQ(tdb().Scalar("SELECT deleted_at FROM github_issue WHERE id = 444500041"), first);
    EXPECT_EQ(Status("del-2"), "processed");
}

// The top-level `label` of issues.labeled was never stored, and lost with a stale issue copy.
TEST_P(DeliveryOrderTest, LabeledAndUnlabeledApplyWhateverTheIssuesStaleness) {
    json newer = Fixture("issues/edited.payload.json");
    newer["issue"]["id"] = 444500041;
    newer["issue"]["updated_at"] = "2030-01-01T00:00:00Z";
    newer["issue"]["labels"] = json::array();
    Deliver("issues", newer, "newer");
    json labeled = Fixture("issues/labeled.payload.json");  // its issue copy is older: stale
    labeled["label"]["id"] = 901;
    labeled["label"]["name"] = "only-in-the-label";
    Deliver("issues", labeled, "labeled");
    EXPECT_EQ(Status("labeled"), "stale");
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_issue_label WHERE id = 901"),
              "only-in-the-label");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label_association WHERE issue_id = "
                          "444500041 AND label_id = 901"),
              1);
    json unlabeled = Fixture("issues/unlabeled.payload.json");
    unlabeled["label"]["id"] = 901;
    Deliver("issues", unlabeled, "unlabeled");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label_association WHERE issue_id = "
                          "444500041 AND label_id = 901"),
              0);
    // The issue itself keeps its newer copy.
    EXPECT_EQ(NormTime(tdb().Scalar("SELECT updated_at FROM github_issue WHERE id = 444500041")),
              "2030-01-01T00:00:00Z");
}

// A NUL inside a string was cut on PostgreSQL ("before") and kept as a NUL on SQLite: both store
// U+FFFD in columns, and raw keeps the exact text.
TEST_P(DeliveryOrderTest, NulCharactersAreStoredAlikeAndNothingIsLost) {
    json issue = Fixture("issues/opened.payload.json");
    issue["issue"]["title"] = std::string("before\0after", 12);
    Deliver("issues", issue, "nul");
    EXPECT_EQ(Status("nul"), "processed");
    const auto id = issue["issue"]["id"].get<std::int64_t>();
    EXPECT_EQ(tdb().Scalar("SELECT title FROM github_issue WHERE id = ?", {id}),
              "before\xEF\xBF\xBD"
              "after");
    auto raw = tdb().Scalar("SELECT raw FROM github_issue WHERE id = ?", {id}).value_or("");
    EXPECT_EQ(json::parse(raw)["title"], std::string("before\0after", 12));
}

// Ids beyond int64 wrapped to INT64_MIN; integer times overflowed (9223372036854775807 became
// 1969-12-31, 100000000000000 year 0000) and PostgreSQL then refused the batch. Each bad
// delivery now fails alone, with a clear error, and the others of its batch are processed.
TEST_P(DeliveryOrderTest, OutOfRangeValuesFailTheirDeliveryAloneWithAClearError) {
    json huge_id = Fixture("issues/opened.payload.json");
    huge_id["issue"]["id"] = 9223372036854775808ULL;
    json push = Fixture("push/with-new-branch.payload.json");
    push["commits"][0]["timestamp"] = 9223372036854775807LL;
    json year_zero = Fixture("issues/opened.payload.json");
    year_zero["issue"]["id"] = 31337;
    year_zero["issue"]["created_at"] = 100000000000000LL;
    json good = Fixture("issues/opened.payload.json");
    // Each runs under its own savepoint, so a refused value loses that delivery alone.
    Post("issues", huge_id, "huge-id");
    Post("issues", good, "good-1");
    Post("push", push, "huge-time");
    Post("issues", year_zero, "year-zero");
    Post("label", Fixture("label/created.payload.json"), "good-2");
    h_->Drain();
    EXPECT_EQ(Status("huge-id"), "failed");
    EXPECT_NE(Error("huge-id").find("outside the 64-bit integer range"), std::string::npos)
        << Error("huge-id");
    EXPECT_EQ(Status("huge-time"), "failed");
    EXPECT_NE(Error("huge-time").find("timestamp"), std::string::npos) << Error("huge-time");
    EXPECT_EQ(Status("year-zero"), "failed");
    EXPECT_NE(Error("year-zero").find("created_at"), std::string::npos) << Error("year-zero");
    EXPECT_EQ(Status("good-1"), "processed");
    EXPECT_EQ(Status("good-2"), "processed");
    EXPECT_EQ(
        tdb().Count("SELECT COUNT(*) FROM github_issue WHERE id IN (31337, -9223372036854775808)"),
        0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state <> 'succeeded' AND kind = "
                          "'webhook.deliveries'"),
              0);
}

// The seed's last_replicated_at, the later of the two provenance stamps, on every replicated
// table, computed by the database.
TEST_P(DeliveryOrderTest, LastReplicatedAtIsTheLaterOfTheTwoStamps) {
    json issue = Fixture("issues/opened.payload.json");
    Deliver("issues", issue, "opened");
    const auto id = issue["issue"]["id"].get<std::int64_t>();
    auto read = [&](const char* column) {
        return NormTime(tdb().Scalar(
            std::string("SELECT ") + column + " FROM github_issue WHERE id = ?", {id}));
    };
    EXPECT_NE(read("last_replicated_at"), "NULL");
    EXPECT_EQ(read("last_replicated_at"), read("last_replicated_via_webhook_at"));
    auto later =
        tdb().conn().Query("UPDATE github_issue SET last_replicated_via_api_at = ? WHERE id = ?",
                           {std::string("2031-05-06T07:08:09.000000Z"), id});
    ASSERT_TRUE(later) << later.error().ToString();
    EXPECT_EQ(read("last_replicated_at"), "2031-05-06T07:08:09Z");
    for (const char* table : {"gerrit_change", "phabricator_task", "github_commit",
                              "github_pull_request_review", "github_release"}) {
        EXPECT_EQ(tdb().Count(std::string("SELECT COUNT(*) FROM ") + table +
                              " WHERE last_replicated_at IS NOT NULL"),
                  0)
            << table;  // the column exists (the query runs) and is NULL without stamps
    }
}

// Invalid UTF-8 and JSON nested 100,000 deep: a clear 400, nothing stored, and the server (and
// its parser's stack) unharmed.
TEST_P(DeliveryOrderTest, InvalidUtf8AndDeepNestingAreRefusedAtTheDoor) {
    std::string title_bytes = Fixture("issues/opened.payload.json").dump();
    const std::string marker = "\"title\":\"";
    auto at = title_bytes.find(marker);
    ASSERT_NE(at, std::string::npos);
    title_bytes.insert(at + marker.size(), "\xff\xfe\xc0\x80");
    auto bad_utf8 = h_->Post("issues", title_bytes, "bad-utf8");
    ASSERT_TRUE(bad_utf8);
    EXPECT_EQ(bad_utf8->status, 400) << bad_utf8->body;
    std::string deep(100000, '[');
    deep += std::string(100000, ']');
    deep = "{\"action\":\"opened\",\"issue\":" + deep + "}";
    auto nested = h_->Post("issues", deep, "deep");
    ASSERT_TRUE(nested);
    EXPECT_EQ(nested->status, 400) << nested->body;
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery"), 0);
    // The same server goes on accepting deliveries.
    Deliver("issues", Fixture("issues/opened.payload.json"), "after");
    EXPECT_EQ(Status("after"), "processed");
}

}  // namespace
}  // namespace forgedb::testing
