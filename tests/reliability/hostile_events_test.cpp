// Hostile input on the Gerrit event endpoint and the Phabricator Herald endpoint, on both
// backends, over real HTTP on loopback: a bad or missing secret or signature is refused and logs
// nothing; bodies that are not JSON, hold invalid UTF-8 or nest 100,000 deep are refused at the
// door; NUL characters are stored alike on SQLite and PostgreSQL; numbers out of range and
// values of the wrong type fail their own delivery with an error naming the field, and the
// valid events of the same batch are processed. After each, the server goes on serving.
// Payloads are the recorded events of tests/data, mutated here.

#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "forgedb/core/crypto.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/forges/phabricator/webhook.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

constexpr const char* kInstance = "wikimedia";
constexpr const char* kGerritSecret = "gerrit-events-secret-9f3b";
constexpr const char* kHookKey = "herald-hook-key-c41d";
const std::string kGerritPath = std::string("/replication/gerrit/") + kInstance;
const std::string kHeraldPath = std::string("/replication/phabricator/") + kInstance;
// U+FFFD, which both backends store for a NUL character.
const std::string kReplacement = "\xEF\xBF\xBD";

// A recorded Gerrit event (patchset-created, change 2, patch set 2).
json GerritEvent() {
    return json::parse(
        ReadFile(DataPath("gerrit/cdevents-community/webhook.patchset-created.ps2.cdevents.json")));
}

// The same event about another change (a body, and so a delivery, of its own).
json GerritEventFor(std::int64_t number) {
    json e = GerritEvent();
    e["change"]["number"] = number;
    e["patchSet"]["ref"] =
        "refs/changes/" + std::to_string(number % 100) + "/" + std::to_string(number) + "/2";
    return e;
}

// A Herald call for the object of a recorded feed story (Herald sends the object, the triggering
// rules, the action and the transactions, as the story does).
json HeraldCall(const std::string& story = "feed.query.story.transaction.createtask") {
    json s = json::parse(ReadFile(DataPath("phabricator/wikibugs2/" + story + ".wikibugs2.json")));
    const std::string phid = s["data"]["objectPHID"];
    json transactions = json::array();
    for (const auto& [key, value] : s["data"]["transactionPHIDs"].items()) {
        transactions.push_back({{"phid", value}});
    }
    return {
        {"object", {{"type", phid.substr(5, phid.find('-', 5) - 5)}, {"phid", phid}}},
        {"triggers", json::array({{{"phid", "PHID-HRUL-abcdefghijklmnopqrst"}}})},
        {"action", {{"test", false}, {"silent", false}, {"secure", false}, {"epoch", s["epoch"]}}},
        {"transactions", transactions}};
}

// Inserts raw bytes right after `"key":"` in a serialized body (for bytes nlohmann would escape).
std::string InsertIntoString(std::string body, const std::string& key, const std::string& bytes) {
    const std::string marker = "\"" + key + "\":\"";
    auto at = body.find(marker);
    if (at == std::string::npos) throw std::runtime_error("no string " + key + " in the body");
    body.insert(at + marker.size(), bytes);
    return body;
}

// Replaces the JSON value of `"key":<value>` (first occurrence) with literal text.
std::string ReplaceValue(std::string body, const std::string& key, const std::string& literal) {
    const std::string marker = "\"" + key + "\":";
    auto at = body.find(marker);
    if (at == std::string::npos) throw std::runtime_error("no key " + key + " in the body");
    size_t start = at + marker.size();
    size_t end = start;
    while (end < body.size() && body[end] != ',' && body[end] != '}') ++end;
    body.replace(start, end - start, literal);
    return body;
}

// Bodies every JSON endpoint must refuse before logging anything: not JSON, cut short, trailing
// garbage, invalid UTF-8 bytes (and a lone surrogate escape) inside a string, nesting 100,000
// deep, a number beyond any double.
std::vector<std::pair<std::string, std::string>> UnparsableBodies(const std::string& valid,
                                                                  const std::string& string_key,
                                                                  const std::string& number_key) {
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    return {
        {"not JSON", "this is not json"},
        {"empty", ""},
        {"cut in half", valid.substr(0, valid.size() / 2)},
        {"trailing garbage", valid + "}{"},
        {"invalid UTF-8", InsertIntoString(valid, string_key, "\xff\xfe\xc0\x80")},
        {"overlong NUL", InsertIntoString(valid, string_key, "\xc0\x80")},
        {"UTF-16 surrogate as UTF-8", InsertIntoString(valid, string_key, "\xed\xa0\x80")},
        {"lone surrogate escape", InsertIntoString(valid, string_key, "\\ud800")},
        {"nested 100,000 deep", "{\"type\":\"comment-added\",\"object\":" + deep + "}"},
        {"1e400", ReplaceValue(valid, number_key, "1e400")},
    };
}

class HostileEventsTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        // Only the deliveries task: the refreshes the events queue are looked at, not run.
        tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
        log_ = std::make_unique<replication::DeliveryLog>(tdb().db(), clock_, notifier_,
                                                          &tasks::DeliveriesJob);
        ASSERT_TRUE(log_->Start());
        gerrit_ = std::make_unique<replication::GerritEvents>(
            *log_, clock_, std::map<std::string, std::string>{{kInstance, kGerritSecret}},
            /*accept_unsigned=*/false);
        herald_ = std::make_unique<replication::PhabricatorEvents>(
            *log_, clock_, std::map<std::string, std::string>{{kInstance, kHookKey}},
            /*insecure_unsigned=*/false);
        router_.AddAll(gerrit_->Routes());
        router_.AddAll(herald_->Routes());
        http::ServerOptions sopts;
        sopts.port = 0;
        sopts.handler_threads = 4;
        sopts.max_body_bytes = 1 << 20;
        server_ = std::make_unique<http::Server>(router_, sopts);
        ASSERT_TRUE(server_->Start());
        client_ = std::make_unique<TestClient>(
            "127.0.0.1", server_->port(), TestClientOptions{.timeout = std::chrono::seconds(30)});
    }
    void TearDown() override {
        if (server_) server_->Stop();
        if (log_) log_->Stop();
    }

    TestReply Must(std::optional<TestReply> reply) {
        EXPECT_TRUE(reply) << client_->last_error();
        return reply ? *reply : TestReply{};
    }
    TestReply PostGerrit(const std::string& body,
                         const std::string& query = std::string("?secret=") + kGerritSecret) {
        return Must(client_->Post(kGerritPath + query, body, "application/json",
                                  {{"User-Agent", "Gerrit webhooks plugin"}}));
    }
    TestReply PostHerald(const std::string& body, std::optional<std::string> signature) {
        HttpHeaders h{{"User-Agent", "Phabricator Webhooks"}};
        if (signature) h.emplace_back("X-Phabricator-Webhook-Signature", *signature);
        return Must(client_->Post(kHeraldPath, body, "application/json", h));
    }
    TestReply PostHeraldSigned(const std::string& body) {
        return PostHerald(body, HmacSha256Hex(kHookKey, body));
    }

    // Replaces the per-commit processing jobs of the deliveries logged so far by one job over
    // `ids`, in that order: what one group commit of those deliveries queues.
    void OneBatch(const std::string& forge, const std::vector<std::string>& ids) {
        ASSERT_TRUE(tdb().conn().Query("DELETE FROM job WHERE kind = 'webhook.deliveries'"));
        queue::JobQueue q(tdb().conn(), clock_);
        ASSERT_TRUE(q.Enqueue(tasks::DeliveriesJob(forge, ids)));
    }
    int Drain() {
        auto ran = workers_->Drain();
        EXPECT_TRUE(ran) << ran.error().ToString();
        return ran ? *ran : -1;
    }

    static std::string Id(const std::string& body) {
        return replication::EventDeliveryId(kInstance, body);
    }
    std::string Column(const std::string& column, const std::string& id) {
        return tdb()
            .Scalar("SELECT " + column + " FROM webhook_delivery WHERE delivery_id = ?", {id})
            .value_or("(null)");
    }
    std::string Status(const std::string& id) { return Column("status", id); }
    std::string Error(const std::string& id) { return Column("error", id); }
    long long Deliveries() { return tdb().Count("SELECT COUNT(*) FROM webhook_delivery"); }
    long long Jobs() { return tdb().Count("SELECT COUNT(*) FROM job"); }
    long long DeliveryJobsNotSucceeded() {
        return tdb().Count(
            "SELECT COUNT(*) FROM job WHERE kind = 'webhook.deliveries' AND state <> 'succeeded'");
    }
    std::optional<std::string> Change(const std::string& column, std::int64_t number) {
        return tdb().Scalar(
            "SELECT " + column + " FROM gerrit_change WHERE instance = 'wikimedia' AND number = ?",
            {number});
    }

    // A valid event sent now is accepted and processed: the server and its workers go on.
    void ValidGerritEventIsStillProcessed(std::int64_t number) {
        std::string body = GerritEventFor(number).dump();
        auto res = PostGerrit(body);
        ASSERT_EQ(res.status, 202) << res.body;
        Drain();
        EXPECT_EQ(Status(Id(body)), "processed");
        EXPECT_EQ(Change("subject", number), "update commit as per review");
    }
    void ValidHeraldCallIsStillProcessed(const std::string& story) {
        std::string body = HeraldCall(story).dump();
        auto res = PostHeraldSigned(body);
        ASSERT_EQ(res.status, 202) << res.body;
        Drain();
        EXPECT_EQ(Status(Id(body)), "processed");
    }

    SystemClock clock_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
    std::unique_ptr<replication::DeliveryLog> log_;
    std::unique_ptr<replication::GerritEvents> gerrit_;
    std::unique_ptr<replication::PhabricatorEvents> herald_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> client_;
};
FORGEDB_INSTANTIATE_BACKENDS(HostileEventsTest);

// ---------------------------------------------------------------------------------------------
// Gerrit

TEST_P(HostileEventsTest, GerritEventsWithoutTheRightSecretAreRefusedAndLogNothing) {
    const std::string body = GerritEvent().dump();
    const std::string secret = kGerritSecret;
    const std::string wrong[] = {
        "",                                                // no query at all
        "?secret=",                                        // empty
        "?secret=wrong",                                   //
        "?secret=" + secret.substr(0, secret.size() - 1),  // a prefix
        "?secret=" + secret + "x",                         // longer
        "?secret=" + secret.substr(1),                     // a suffix
        "?secret=GERRIT-EVENTS-SECRET-9F3B",               // another case
        "?Secret=" + secret,                               // another parameter name
        "?token=" + secret,                                //
        "?secret=" + secret + "%00",                       // with a NUL after it
        "?secret=%20" + secret,                            // with a space before it
    };
    for (const auto& query : wrong) {
        SCOPED_TRACE(query);
        auto res = PostGerrit(body, query);
        EXPECT_EQ(res.status, 401) << res.body;
        EXPECT_EQ(res.body.find(secret), std::string::npos) << "the answer names the secret";
        EXPECT_NE(json::parse(res.body, nullptr, false).value("error", ""), "");
    }
    // The secret in a header instead of the query is not the secret.
    auto header = Must(client_->Post(kGerritPath, body, "application/json",
                                     {{"X-Gerrit-Secret", secret}, {"Authorization", secret}}));
    EXPECT_EQ(header.status, 401);
    // An instance that is not configured.
    EXPECT_EQ(
        Must(client_->Post("/replication/gerrit/other?secret=" + secret, body, "application/json"))
            .status,
        404);
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(Jobs(), 0);
    // The right secret, percent-encoded or not, is accepted once.
    EXPECT_EQ(PostGerrit(body, "?secret=gerrit%2Devents%2Dsecret%2D9f3b").status, 202);
    EXPECT_EQ(PostGerrit(body).status, 200) << "the same body again is a duplicate";
    EXPECT_EQ(Deliveries(), 1);
    Drain();
    EXPECT_EQ(Status(Id(body)), "processed");
}

TEST_P(HostileEventsTest, GerritBodiesThatDoNotParseAreRefusedAtTheDoorAndTheServerGoesOn) {
    const std::string valid = GerritEvent().dump();
    auto bodies = UnparsableBodies(valid, "subject", "number");
    // Not an event: not an object, or no string "type" (an object or a number where the type's
    // string is expected, or a type of 101 characters).
    json type_object = GerritEvent();
    type_object["type"] = {{"name", "patchset-created"}};
    json type_number = GerritEvent();
    type_number["type"] = 9223372036854775807LL;
    json type_long = GerritEvent();
    type_long["type"] = std::string(101, 'x');
    bodies.push_back({"an array", "[" + valid + "]"});
    bodies.push_back({"a string", "\"patchset-created\""});
    bodies.push_back({"type object", type_object.dump()});
    bodies.push_back({"type number", type_number.dump()});
    bodies.push_back({"type too long", type_long.dump()});
    for (const auto& [what, body] : bodies) {
        SCOPED_TRACE(what);
        auto res = PostGerrit(body);
        EXPECT_EQ(res.status, 400) << res.body.substr(0, 200);
        auto message = json::parse(res.body, nullptr, false);
        ASSERT_TRUE(message.is_object()) << res.body.substr(0, 200);
        EXPECT_FALSE(message.value("error", "").empty());
    }
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(Jobs(), 0);
    ValidGerritEventIsStillProcessed(7001);
}

// NUL characters inside strings: the event is logged as sent (the body keeps the escape), and
// the change row holds U+FFFD in place of each NUL, alike on both backends.
TEST_P(HostileEventsTest, GerritNulCharactersAreStoredAlikeAndNothingIsLost) {
    json e = GerritEventFor(7101);
    e["change"]["subject"] = std::string("before\0after", 12);
    e["change"]["owner"]["name"] = std::string("\0", 1);
    e["change"]["topic"] = std::string("t\0\0", 3);
    e["patchSet"]["kind"] = std::string("REWORK\0", 7);
    json nul_type = GerritEventFor(7102);
    nul_type["type"] = std::string("patchset-created\0", 17);
    const std::string body = e.dump();
    const std::string type_body = nul_type.dump();
    ASSERT_NE(body.find("\\u0000"), std::string::npos);
    ASSERT_EQ(PostGerrit(body).status, 202);
    ASSERT_EQ(PostGerrit(type_body).status, 202);
    // Logged as received.
    EXPECT_EQ(Column("body", Id(body)), body);
    EXPECT_EQ(Column("event", Id(type_body)), "patchset-created" + kReplacement);
    Drain();
    EXPECT_EQ(Status(Id(body)), "processed") << Error(Id(body));
    EXPECT_EQ(Status(Id(type_body)), "processed") << Error(Id(type_body));
    EXPECT_EQ(Change("subject", 7101), "before" + kReplacement + "after");
    EXPECT_EQ(Change("owner_name", 7101), kReplacement);
    EXPECT_EQ(Change("topic", 7101), "t" + kReplacement + kReplacement);
    EXPECT_EQ(tdb().Scalar("SELECT kind FROM gerrit_revision WHERE change_number = 7101"),
              "REWORK" + kReplacement);
    // The raw copy keeps the exact text.
    auto raw = json::parse(Change("raw", 7101).value_or("{}"));
    EXPECT_EQ(raw["subject"], std::string("before\0after", 12));
    EXPECT_EQ(Change("subject", 7102), "update commit as per review");
    EXPECT_EQ(DeliveryJobsNotSucceeded(), 0);
}

// One batch: valid events around events with values out of range or of the wrong type. Each bad
// event fails alone with an error that names the field, nothing of it is written, and every
// valid one is processed.
TEST_P(HostileEventsTest, GerritOutOfRangeAndWrongTypesFailTheirEventAloneInABatch) {
    struct Case {
        std::string name;
        std::string body;
        std::string error;  // expected in the error; "" for a valid event
        std::int64_t number = 0;
    };
    std::vector<Case> cases;
    auto add = [&](const std::string& name, json e, const std::string& error, std::int64_t n) {
        cases.push_back({name, e.dump(), error, n});
    };
    auto mutated = [](std::int64_t n, auto&& change) {
        json e = GerritEventFor(n);
        change(e);
        return e;
    };
    add("valid first", GerritEventFor(7201), "", 7201);
    add("change number 2^63",
        mutated(0, [](json& e) { e["change"]["number"] = 9223372036854775808ULL; }),
        "'number' is not a 64-bit integer: 9223372036854775808", 0);
    add("change number -2^63-1 as text",
        mutated(0, [](json& e) { e["change"]["number"] = "-9223372036854775809"; }),
        "'number' is not a 64-bit integer", 0);
    add("change number as words", mutated(0, [](json& e) { e["change"]["number"] = "forty-two"; }),
        "'number' is not a 64-bit integer: \"forty-two\"", 0);
    add("change number as an object",
        mutated(0,
                [](json& e) {
                    e["change"]["number"] = {{"n", 7203}};
                }),
        "'number' is not a 64-bit integer", 0);
    add("change number as a fraction", mutated(0, [](json& e) { e["change"]["number"] = 72.5; }),
        "'number' is not a 64-bit integer: 72.5", 0);
    add("valid second", GerritEventFor(7204), "", 7204);
    add("eventCreatedOn 2^63-1",
        mutated(7205, [](json& e) { e["eventCreatedOn"] = 9223372036854775807LL; }),
        "unexpected value for 'eventCreatedOn'", 7205);
    add("eventCreatedOn as text", mutated(7206, [](json& e) { e["eventCreatedOn"] = "yesterday"; }),
        "unexpected value for 'eventCreatedOn'", 7206);
    add("createdOn 2^63-1",
        mutated(7207, [](json& e) { e["change"]["createdOn"] = 9223372036854775807LL; }),
        "unexpected value for 'createdOn'", 7207);
    add("createdOn 1e300", mutated(7208, [](json& e) { e["change"]["createdOn"] = 1e300; }),
        "unexpected value for 'createdOn'", 7208);
    add("lastUpdated before year 1",
        mutated(7209, [](json& e) { e["change"]["lastUpdated"] = -62135596801LL; }),
        "unexpected value for 'lastUpdated'", 7209);
    add("patch set number 2^64",
        mutated(7210, [](json& e) { e["patchSet"]["number"] = 18446744073709551615ULL; }),
        "unexpected value for 'number'", 7210);
    add("patch set revision an object",
        mutated(7211,
                [](json& e) {
                    e["patchSet"]["revision"] = {{"sha", "66e097f5"}};
                }),
        "patchSet has no 'revision'", 7211);
    add("change a string", mutated(0, [](json& e) { e["change"] = "I10fd9012"; }),
        "event change is not a JSON object", 0);
    add("sizeInsertions as text",
        mutated(7212, [](json& e) { e["patchSet"]["sizeInsertions"] = "11"; }), "sizeInsertions",
        7212);
    add("sizeDeletions 2^63",
        mutated(7213, [](json& e) { e["patchSet"]["sizeDeletions"] = 9223372036854775808ULL; }),
        "unexpected value for 'sizeDeletions'", 7213);
    add("sizeDeletions -2^63",
        mutated(7216,
                [](json& e) {
                    e["patchSet"]["sizeDeletions"] = std::numeric_limits<std::int64_t>::min();
                }),
        "unexpected value for 'sizeDeletions'", 7216);
    add("wip as text", mutated(7214, [](json& e) { e["change"]["wip"] = "yes"; }),
        "unexpected value for 'wip'", 7214);
    add("patchSet a string", mutated(7217, [](json& e) { e["patchSet"] = "ps2"; }),
        "unexpected value for 'patchSet'", 7217);
    add("project a number", mutated(7218, [](json& e) { e["change"]["project"] = 42; }),
        "unexpected value for 'project'", 7218);
    add("owner a string", mutated(7219, [](json& e) { e["change"]["owner"] = "admin"; }),
        "unexpected value for 'owner'", 7219);
    add("owner username an array",
        mutated(7220, [](json& e) { e["change"]["owner"]["username"] = json::array({"a"}); }),
        "unexpected value for 'owner.username'", 7220);
    add("valid last", GerritEventFor(7215), "", 7215);

    std::vector<std::string> ids;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto res = PostGerrit(c.body);
        ASSERT_EQ(res.status, 202) << "the door checks the envelope only: " << res.body;
        ids.push_back(Id(c.body));
    }
    OneBatch("gerrit", ids);
    Drain();
    EXPECT_EQ(DeliveryJobsNotSucceeded(), 0) << "the job ends although some events failed";
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string id = Id(c.body);
        if (c.error.empty()) {
            EXPECT_EQ(Status(id), "processed") << Error(id);
            EXPECT_EQ(Column("error", id), "(null)");
            EXPECT_EQ(Change("subject", c.number), "update commit as per review");
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'gerrit.change' AND "
                                  "unique_key = ?",
                                  {"gerrit.change:wikimedia:" + std::to_string(c.number)}),
                      1);
            continue;
        }
        EXPECT_EQ(Status(id), "failed");
        const std::string error = Error(id);
        EXPECT_TRUE(error.rfind("invalid: ", 0) == 0 || error.rfind("missing_data: ", 0) == 0)
            << error;
        EXPECT_NE(error.find(c.error), std::string::npos) << error;
        EXPECT_TRUE(
            tdb().Scalar("SELECT processed_at FROM webhook_delivery WHERE delivery_id = ?", {id}))
            << "a failed event is recorded as such";
        if (c.number != 0) {
            EXPECT_EQ(Change("subject", c.number), std::nullopt) << "nothing of it is written";
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE change_number = ?",
                                  {c.number}),
                      0);
        }
    }
    // Nothing wrapped: no change or refresh under a number the events did not name.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change WHERE number < 7201 OR number > "
                          "7215"),
              0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'gerrit.change'"), 3);
    ValidGerritEventIsStillProcessed(7299);
}

// ---------------------------------------------------------------------------------------------
// Phabricator (Herald)

TEST_P(HostileEventsTest, HeraldCallsWithoutTheRightSignatureAreRefusedAndLogNothing) {
    const std::string body = HeraldCall().dump();
    const std::string good = HmacSha256Hex(kHookKey, body);
    const std::optional<std::string> wrong[] = {
        std::nullopt,                          // missing
        "",                                    // empty
        "0",                                   //
        good.substr(0, good.size() - 1),       // a prefix
        good + "0",                            // longer
        "sha256=" + good,                      // GitHub's form
        HmacSha256Hex("another key", body),    // another key
        HmacSha256Hex(kHookKey, body + "\n"),  // another body
        HmacSha256Hex(std::string(kHookKey) + "x", body),
        Sha256Hex(body),  // a plain digest
        kHookKey,         // the key itself
        std::string(64, '0'),
    };
    for (const auto& signature : wrong) {
        SCOPED_TRACE(signature.value_or("(none)"));
        auto res = PostHerald(body, signature);
        EXPECT_EQ(res.status, 401) << res.body;
        EXPECT_EQ(res.body.find(kHookKey), std::string::npos) << "the answer names the key";
        EXPECT_EQ(res.body.find(good), std::string::npos) << "the answer gives the signature";
    }
    // A signature for a body with a byte flipped.
    std::string flipped = body;
    flipped[flipped.size() / 2] ^= 1;
    EXPECT_EQ(PostHerald(flipped, good).status, 401);
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(Jobs(), 0);
    // The right signature, in upper case or with spaces around it, is accepted.
    std::string upper = good;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(PostHerald(body, " " + upper + " ").status, 202);
    EXPECT_EQ(Deliveries(), 1);
    Drain();
    EXPECT_EQ(Status(Id(body)), "processed");
}

TEST_P(HostileEventsTest, HeraldBodiesThatDoNotParseAreRefusedAtTheDoorAndTheServerGoesOn) {
    const std::string valid = HeraldCall().dump();
    auto bodies = UnparsableBodies(valid, "phid", "epoch");
    // Not a Herald call: the object or its phid and type missing, or of another type.
    auto mutated = [](auto&& change) {
        json call = HeraldCall();
        change(call);
        return call.dump();
    };
    bodies.push_back({"an array", "[" + valid + "]"});
    bodies.push_back({"object a string", mutated([](json& c) { c["object"] = "PHID-TASK-x"; })});
    bodies.push_back({"object null", mutated([](json& c) { c["object"] = nullptr; })});
    bodies.push_back(
        {"phid 2^63", mutated([](json& c) { c["object"]["phid"] = 9223372036854775808ULL; })});
    bodies.push_back({"phid an object", mutated([](json& c) {
                          c["object"]["phid"] = {{"id", "x"}};
                      })});
    bodies.push_back({"phid empty", mutated([](json& c) { c["object"]["phid"] = ""; })});
    bodies.push_back({"type an array", mutated([](json& c) { c["object"]["type"] = {"TASK"}; })});
    bodies.push_back({"type missing", mutated([](json& c) { c["object"].erase("type"); })});
    for (const auto& [what, body] : bodies) {
        SCOPED_TRACE(what);
        auto res = PostHeraldSigned(body);
        EXPECT_EQ(res.status, 400) << res.body.substr(0, 200);
        auto message = json::parse(res.body, nullptr, false);
        ASSERT_TRUE(message.is_object()) << res.body.substr(0, 200);
        EXPECT_FALSE(message.value("error", "").empty());
    }
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(Jobs(), 0);
    ValidHeraldCallIsStillProcessed("feed.query.story.transaction.addproject");
}

// NUL characters: a call is logged as sent; a NUL in the type is stored as U+FFFD on both
// backends (and the type is then not one that is mirrored); a NUL in the PHID fails that call
// with a clear error instead of queueing a refresh of a PHID that cannot exist; a NUL in a part
// forgedb does not read changes nothing.
TEST_P(HostileEventsTest, HeraldNulCharactersAreStoredAlikeAndNothingIsLost) {
    json in_type = HeraldCall("feed.query.story.transaction.manychanges");
    in_type["object"]["type"] = std::string("TASK\0", 5);
    json in_phid = HeraldCall("feed.query.story.token");
    in_phid["object"]["phid"] = in_phid["object"]["phid"].get<std::string>() + std::string(1, '\0');
    json elsewhere = HeraldCall("feed.query.story.transaction.createtask");
    elsewhere["transactions"][0]["phid"] = std::string("PHID-XACT-\0", 11);
    std::vector<std::string> ids;
    for (const json* call : {&in_type, &in_phid, &elsewhere}) {
        const std::string body = call->dump();
        auto res = PostHeraldSigned(body);
        ASSERT_EQ(res.status, 202) << res.body;
        EXPECT_EQ(Column("body", Id(body)), body);
        ids.push_back(Id(body));
    }
    EXPECT_EQ(Column("event", ids[0]), "TASK" + kReplacement);
    OneBatch("phabricator", ids);
    Drain();
    EXPECT_EQ(Status(ids[0]), "ignored");
    EXPECT_EQ(Status(ids[1]), "failed");
    EXPECT_NE(Error(ids[1]).find("control characters"), std::string::npos) << Error(ids[1]);
    EXPECT_EQ(Status(ids[2]), "processed") << Error(ids[2]);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'phabricator.object'"), 1);
    EXPECT_EQ(tdb().Scalar("SELECT unique_key FROM job WHERE kind = 'phabricator.object'"),
              "phabricator.object:wikimedia:" + elsewhere["object"]["phid"].get<std::string>());
    EXPECT_EQ(DeliveryJobsNotSucceeded(), 0);
}

// One batch of calls: values Herald never sends in the object (not a PHID, a PHID of a type that
// is not mirrored, an epoch of 2^63 - 1 elsewhere in the call) each give their own outcome, and
// the valid calls around them queue their refresh.
TEST_P(HostileEventsTest, HeraldBadValuesFailTheirCallAloneInABatch) {
    auto call = [](const std::string& story, auto&& change) {
        json c = HeraldCall(story);
        change(c);
        return c.dump();
    };
    const std::string valid1 = HeraldCall("feed.query.story.transaction.createtask").dump();
    const std::string not_phid =
        call("feed.query.story.token", [](json& c) { c["object"]["phid"] = "T12345"; });
    const std::string bare_prefix =
        call("feed.query.story.token", [](json& c) { c["object"]["phid"] = "PHID-"; });
    const std::string too_long = call("feed.query.story.token", [](json& c) {
        c["object"]["phid"] = "PHID-TASK-" + std::string(300, 'a');
    });
    const std::string huge_epoch = call("feed.query.story.transaction.manychanges", [](json& c) {
        c["action"]["epoch"] = 9223372036854775807LL;
    });
    const std::string paste = call("feed.query.story.token", [](json& c) {
        c["object"] = {{"type", "PSTE"}, {"phid", "PHID-PSTE-abcdefghijklmnopqrst"}};
    });
    const std::string valid2 = HeraldCall("feed.query.story.transaction.addproject").dump();
    const std::vector<std::string> bodies = {valid1,     not_phid, bare_prefix, too_long,
                                             huge_epoch, paste,    valid2};
    std::vector<std::string> ids;
    for (const auto& b : bodies) {
        auto res = PostHeraldSigned(b);
        ASSERT_EQ(res.status, 202) << res.body;
        ids.push_back(Id(b));
    }
    OneBatch("phabricator", ids);
    Drain();
    EXPECT_EQ(DeliveryJobsNotSucceeded(), 0);
    EXPECT_EQ(Status(Id(valid1)), "processed");
    EXPECT_EQ(Status(Id(not_phid)), "failed");
    EXPECT_EQ(Error(Id(not_phid)), "invalid: 'T12345' is not a PHID");
    EXPECT_EQ(Status(Id(bare_prefix)), "failed");
    EXPECT_NE(Error(Id(bare_prefix)).find("is not a PHID"), std::string::npos);
    EXPECT_EQ(Status(Id(too_long)), "failed");
    EXPECT_NE(Error(Id(too_long)).find("too long"), std::string::npos) << Error(Id(too_long));
    // The epoch is not read: the call names its object, which is refreshed.
    EXPECT_EQ(Status(Id(huge_epoch)), "processed");
    EXPECT_EQ(Status(Id(paste)), "ignored");
    EXPECT_EQ(Status(Id(valid2)), "processed");
    EXPECT_EQ(Column("error", Id(valid2)), "(null)");
    // One refresh per distinct mirrored object among the processed calls.
    std::set<std::string> want;
    for (const auto& b : {valid1, huge_epoch, valid2}) {
        want.insert("phabricator.object:wikimedia:" +
                    json::parse(b)["object"]["phid"].get<std::string>());
    }
    auto keys = tdb().conn().Query("SELECT unique_key FROM job WHERE kind = 'phabricator.object'");
    ASSERT_TRUE(keys);
    std::set<std::string> got;
    for (const auto& r : keys->rows) got.insert(r[0].value_or(""));
    EXPECT_EQ(got, want);
    ValidHeraldCallIsStillProcessed("feed.query.story.transaction.manychanges");
}

}  // namespace
}  // namespace forgedb::testing
