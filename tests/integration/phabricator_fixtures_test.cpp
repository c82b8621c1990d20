// Recorded Conduit answers through the envelope check and the process functions, with the rows
// checked against the recorded values; and the Herald endpoint over real HTTP: a signed call is
// logged, processed and refreshes its object from a fake Conduit; bad calls store nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "fake_conduit.hpp"
#include "forgedb/core/crypto.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/phabricator/client.hpp"
#include "forgedb/forges/phabricator/objects.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
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
namespace ph = process::phabricator;

constexpr const char* kMozilla = "phabricator/mozilla-code-review";
constexpr const char* kWikibugs = "phabricator/wikibugs2";

std::string FileName(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

std::string EpochTime(const json& v) {
    return FormatForgeTime(*FromUnixSeconds(v.get<long long>()));
}

sources::HttpResponse Ok200(std::string body) {
    sources::HttpResponse r;
    r.status = 200;
    r.body = std::move(body);
    return r;
}

// ---------------------------------------------------------------------------------------------
// Recorded answers

TEST(PhabricatorFixtures, EveryRecordedSearchAnswerIsAConduitEnvelopeWithPagingData) {
    const sources::phabricator::Instance mozilla{"mozilla", "https://phab.example.org", "t"};
    int searches = 0;
    for (const auto& path : ListFiles(kMozilla)) {
        std::string name = FileName(path);
        if (name == "LICENSE") continue;
        SCOPED_TRACE(name);
        std::string body = ReadFile(path);
        std::string method = name.substr(0, name.find(".mozilla.json"));
        ASSERT_TRUE(
            sources::phabricator::CheckConduitResponse(mozilla, method, Ok200(body), Timestamp{}));
        json want = json::parse(body);
        ASSERT_TRUE(want["error_code"].is_null());
        auto doc = JsonDocument::Parse(body);
        ASSERT_TRUE(doc);
        auto page = ph::ReadSearchResult(doc->root());
        ASSERT_TRUE(page) << page.error().ToString();
        EXPECT_EQ(page->data.size(), want["result"]["data"].size());
        EXPECT_FALSE(page->after) << "recorded single pages";
        for (size_t i = 0; i < page->data.size(); ++i) {
            EXPECT_EQ(JsonGetString(page->data[i], "phid"),
                      want["result"]["data"][i]["phid"].get<std::string>());
        }
        ++searches;
    }
    EXPECT_EQ(searches, 8);
}

TEST(PhabricatorFixtures, ProjectSearchMapsTheSlugToThePhidOfItsItem) {
    json j = json::parse(
        ReadFile(DataPath(std::string(kMozilla) + "/project.search.with-slugmap.mozilla.json")));
    auto& item = j["result"]["data"][0];
    EXPECT_EQ(
        j["result"]["maps"]["slugMap"][item["fields"]["slug"].get<std::string>()]["projectPHID"],
        item["phid"]);
}

TEST(PhabricatorFixtures, CursorAfterIsTakenVerbatimAndEmptyPhpObjectsAreTolerated) {
    auto read = [](const std::string& text) {
        auto doc = JsonDocument::Parse(text);
        EXPECT_TRUE(doc);
        auto r = ph::ReadSearchResult(doc->root());
        return r ? r->after.value_or("<null>") : "<error: " + r.error().message + ">";
    };
    EXPECT_EQ(read(R"({"result":{"data":[],"cursor":{"after":"335","before":null}}})"), "335");
    EXPECT_EQ(read(R"({"result":{"data":[],"cursor":{"after":"0042"}}})"), "0042");
    EXPECT_EQ(read(R"({"result":{"data":[],"cursor":{"after":77}}})"), "77");
    EXPECT_EQ(read(R"({"result":{"data":[],"cursor":[]}})"), "<null>");
    EXPECT_EQ(read(R"({"result":{"data":[]}})"), "<null>");
    EXPECT_EQ(read(R"({"result":{"data":[],"cursor":{"after":[1]}}})").rfind("<error", 0), 0u);
    EXPECT_EQ(read(R"({"result":{"data":{}}})").rfind("<error", 0), 0u);
    EXPECT_EQ(read(R"({"result":null})").rfind("<error", 0), 0u);
}

TEST(PhabricatorFixtures, RecordedFeedStoriesNameTheObjectsHeraldCallsCarry) {
    int stories = 0;
    for (const auto& path : ListFiles(kWikibugs)) {
        std::string name = FileName(path);
        if (!StartsWith(name, "feed.query.story.")) continue;
        json story = json::parse(ReadFile(path));
        std::string phid = story["data"]["objectPHID"].get<std::string>();
        EXPECT_TRUE(StartsWith(phid, "PHID-TASK-")) << name;
        EXPECT_TRUE(story["chronologicalKey"].is_string()) << "64-bit keys come as strings";
        ++stories;
    }
    EXPECT_EQ(stories, 4);
}

class PhabricatorRowsTest : public BackendTest {
protected:
    ph::Context Ctx(model::Via via = model::Via::kApi) {
        return ph::Context{tdb().conn(), "mozilla", via,
                           Timestamp{std::chrono::seconds{1700000000}}};
    }
    // Processes every item of a recorded answer with `fn`.
    template <typename Fn>
    json ProcessFile(const std::string& file, Fn fn) {
        std::string body = ReadFile(DataPath(std::string(kMozilla) + "/" + file));
        auto doc = JsonDocument::Parse(body);
        EXPECT_TRUE(doc);
        auto page = ph::ReadSearchResult(doc->root());
        EXPECT_TRUE(page);
        for (Json item : page->data) {
            auto p = fn(item, Ctx());
            if (!p) {
                ADD_FAILURE() << p.error().ToString();
                continue;
            }
            EXPECT_FALSE(p->stale);
        }
        return json::parse(body);
    }
    std::optional<std::string> Col(const std::string& table, const std::string& column,
                                   const std::string& key_column, const model::Value& key) {
        return tdb().Scalar("SELECT " + column + " FROM " + table +
                                " WHERE instance = 'mozilla' "
                                "AND " +
                                key_column + " = ?",
                            {key});
    }
};
FORGEDB_INSTANTIATE_BACKENDS(PhabricatorRowsTest);

TEST_P(PhabricatorRowsTest, UserSearchAnswersBecomeUserRows) {
    for (const char* file :
         {"user.search.one-user.mozilla.json", "user.search.by-phid.mozilla.json"}) {
        SCOPED_TRACE(file);
        json answer = ProcessFile(file, ph::ProcessUser);
        for (const auto& u : answer["result"]["data"]) {
            std::string phid = u["phid"].get<std::string>();
            auto col = [&](const char* c) { return Col("phabricator_user", c, "phid", phid); };
            EXPECT_EQ(col("id"), std::to_string(u["id"].get<long long>()));
            EXPECT_EQ(col("username"), u["fields"]["username"].get<std::string>());
            EXPECT_EQ(col("real_name"), u["fields"]["realName"].get<std::string>());
            EXPECT_EQ(json::parse(col("roles").value()), u["fields"]["roles"]);
            EXPECT_EQ(NormTime(col("created_at")), EpochTime(u["fields"]["dateCreated"]));
            EXPECT_EQ(NormTime(col("modified_at")), EpochTime(u["fields"]["dateModified"]));
            EXPECT_EQ(json::parse(col("raw").value()), u);
            EXPECT_TRUE(col("last_replicated_via_api_at").has_value());
            EXPECT_FALSE(col("last_replicated_via_webhook_at").has_value());
        }
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_user"), 2);
}

TEST_P(PhabricatorRowsTest, RevisionSearchAnswerBecomesARevisionRow) {
    json answer = ProcessFile("differential.revision.search.with-reviewers.mozilla.json",
                              ph::ProcessRevision);
    const json& r = answer["result"]["data"][0];
    const json& f = r["fields"];
    std::int64_t id = r["id"].get<std::int64_t>();
    auto col = [&](const char* c) { return Col("phabricator_revision", c, "id", id); };
    EXPECT_EQ(col("phid"), r["phid"].get<std::string>());
    EXPECT_EQ(col("title"), f["title"].get<std::string>());
    EXPECT_EQ(col("status"), f["status"]["value"].get<std::string>());
    EXPECT_EQ(col("status_name"), f["status"]["name"].get<std::string>());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_revision WHERE id = ? AND closed = ?",
                          {id, f["status"]["closed"].get<bool>()}),
              1);
    EXPECT_EQ(col("author_phid"), f["authorPHID"].get<std::string>());
    EXPECT_EQ(col("repository_phid"), f["repositoryPHID"].get<std::string>());
    EXPECT_EQ(col("diff_phid"), f["diffPHID"].get<std::string>());
    EXPECT_EQ(NormTime(col("created_at")), EpochTime(f["dateCreated"]));
    EXPECT_EQ(NormTime(col("modified_at")), EpochTime(f["dateModified"]));
    // The dotted keys are kept as they are in the raw item.
    json raw = json::parse(col("raw").value());
    EXPECT_EQ(raw["fields"]["bugzilla.bug-id"], "1546334");
    EXPECT_EQ(raw["fields"]["status"]["color.ansi"], "red");
}

TEST_P(PhabricatorRowsTest, OlderItemsAreStaleAndWriteNothing) {
    std::string body = ReadFile(DataPath(
        std::string(kMozilla) + "/differential.revision.search.with-reviewers.mozilla.json"));
    json item = json::parse(body)["result"]["data"][0];
    auto process = [&](const json& j) {
        auto doc = JsonDocument::Parse(j.dump());
        EXPECT_TRUE(doc);
        return ph::ProcessRevision(doc->root(), Ctx());
    };
    ASSERT_TRUE(process(item));
    json older = item;
    older["fields"]["title"] = "an older title";
    older["fields"]["dateModified"] = item["fields"]["dateModified"].get<long long>() - 1;
    auto stale = process(older);
    ASSERT_TRUE(stale);
    EXPECT_TRUE(stale->stale);
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_revision"),
              item["fields"]["title"].get<std::string>());
    json newer = item;
    newer["fields"]["title"] = "a newer title";
    newer["fields"]["dateModified"] = item["fields"]["dateModified"].get<long long>() + 60;
    auto applied = process(newer);
    ASSERT_TRUE(applied);
    EXPECT_FALSE(applied->stale);
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_revision"), "a newer title");
}

TEST_P(PhabricatorRowsTest, PhpEmptyListsStandForEmptyObjects) {
    auto process_task = [&](const std::string& text) {
        auto doc = JsonDocument::Parse(text);
        EXPECT_TRUE(doc);
        return ph::ProcessTask(doc->root(), Ctx());
    };
    auto bare = process_task(
        R"({"id":7,"type":"TASK","phid":"PHID-TASK-bare","fields":[],"attachments":[]})");
    ASSERT_TRUE(bare) << bare.error().ToString();
    EXPECT_EQ(tdb().Scalar("SELECT phid FROM phabricator_task WHERE id = 7"), "PHID-TASK-bare");
    EXPECT_FALSE(tdb().Scalar("SELECT projects FROM phabricator_task WHERE id = 7"));
    auto full = process_task(
        R"({"id":8,"type":"TASK","phid":"PHID-TASK-full","fields":{"name":"A \/ B \u00dc",)"
        R"("status":{"value":"open","name":"Open","color":null},"priority":{"value":90,)"
        R"("name":"Needs Triage","color":"violet","subpriority":-25973615.881481},)"
        R"("authorPHID":"PHID-USER-a","ownerPHID":null,"closerPHID":null,"subtype":"default",)"
        R"("dateCreated":1462297064,"dateModified":1462306027,"dateClosed":null,)"
        R"("policy":[]},"attachments":{"projects":{"projectPHIDs":[]}}})");
    ASSERT_TRUE(full) << full.error().ToString();
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_task WHERE id = 8"), "A / B \xc3\x9c");
    EXPECT_EQ(tdb().Scalar("SELECT priority FROM phabricator_task WHERE id = 8"), "Needs Triage");
    EXPECT_EQ(tdb().Scalar("SELECT priority_value FROM phabricator_task WHERE id = 8"), "90");
    EXPECT_FALSE(tdb().Scalar("SELECT owner_phid FROM phabricator_task WHERE id = 8"));
    EXPECT_EQ(
        json::parse(tdb().Scalar("SELECT projects FROM phabricator_task WHERE id = 8").value()),
        json::array());
    EXPECT_EQ(NormTime(tdb().Scalar("SELECT created_at FROM phabricator_task WHERE id = 8")),
              "2016-05-03T17:37:44Z");
    // Not objects, lists or null: refused, nothing written.
    EXPECT_EQ(process_task(R"({"id":9,"phid":"PHID-TASK-x","fields":"oops"})").error().code,
              ErrorCode::kInvalid);
    EXPECT_EQ(process_task(R"({"id":9,"phid":"PHID-TASK-x","fields":[1]})").error().code,
              ErrorCode::kInvalid);
    EXPECT_EQ(process_task(R"({"id":9,"fields":{}})").error().code, ErrorCode::kMissingData);
    EXPECT_EQ(process_task(R"({"phid":"PHID-TASK-x","fields":{}})").error().code,
              ErrorCode::kMissingData);
    EXPECT_EQ(process_task(R"({"id":9,"phid":"PHID-TASK-x","fields":{"dateCreated":"soon"}})")
                  .error()
                  .code,
              ErrorCode::kInvalid);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM phabricator_task"), 2);
}

// ---------------------------------------------------------------------------------------------
// The Herald endpoint

constexpr const char* kHookKey = "herald-hook-key";
constexpr const char* kConduitToken = "api-heraldtest";

// Herald's call body for one object, as Phabricator posts it.
std::string HeraldBody(const std::string& type, const std::string& phid) {
    return json{
        {"object", {{"type", type}, {"phid", phid}}},
        {"triggers", json::array({{{"phid", "PHID-HRUL-abcdefghijklmnopqrst"}}})},
        {"action", {{"test", false}, {"silent", false}, {"secure", false}, {"epoch", 1553098801}}},
        {"transactions", json::array({{{"phid", "PHID-XACT-TASK-gscex6xu3xwre37"}}})}}
        .dump();
}

// The endpoint served on loopback, with a fake Conduit behind the refresh jobs; the deliveries
// job processes what the endpoint logged.
class HeraldTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        conduit_.SetTokens({kConduitToken});
        ASSERT_TRUE(conduit_.Start());
        user_ = conduit_.Generate("alice", 3, {});
        http_ = sources::MakeCurlHttpClient();
        client_ = std::make_unique<sources::phabricator::ConduitClient>(
            *http_, clock_,
            sources::phabricator::Instance{"wikimedia", conduit_.base_url(), kConduitToken});
        tasks::RegisterPhabricatorTasks(registry_, {{"wikimedia", client_.get()}});
        tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb().db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);
        log_ = std::make_unique<replication::DeliveryLog>(tdb().db(), clock_, notifier_,
                                                          &tasks::DeliveriesJob);
        ASSERT_TRUE(log_->Start());
        events_ = std::make_unique<replication::PhabricatorEvents>(
            *log_, clock_,
            std::map<std::string, std::string>{{"wikimedia", kHookKey}, {"unsigned", ""}},
            /*insecure_unsigned=*/false);
        router_.AddAll(events_->Routes());
        http::ServerOptions sopts;
        sopts.port = 0;
        sopts.handler_threads = 4;
        server_ = std::make_unique<http::Server>(router_, sopts);
        ASSERT_TRUE(server_->Start());
        web_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
    }
    void TearDown() override {
        if (server_) server_->Stop();
        if (log_) log_->Stop();
        client_.reset();
        http_.reset();
        conduit_.Stop();
    }

    std::optional<TestReply> Post(const std::string& body, std::optional<std::string> signature,
                                  const std::string& instance = "wikimedia") {
        HttpHeaders h{{"User-Agent", "Phabricator Webhooks"}};
        if (signature) h.emplace_back("X-Phabricator-Webhook-Signature", *signature);
        return web_->Post("/replication/phabricator/" + instance, body, "application/json", h);
    }
    std::optional<TestReply> PostSigned(const std::string& body) {
        return Post(body, HmacSha256Hex(kHookKey, body));
    }
    int Drain() {
        auto ran = workers_->Drain();
        EXPECT_TRUE(ran) << ran.error().ToString();
        return ran ? *ran : -1;
    }

    SystemClock clock_;
    fake::FakeConduit conduit_;
    fake::GeneratedPhabricatorUser user_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<sources::phabricator::ConduitClient> client_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
    std::unique_ptr<replication::DeliveryLog> log_;
    std::unique_ptr<replication::PhabricatorEvents> events_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> web_;
};
FORGEDB_INSTANTIATE_BACKENDS(HeraldTest);

TEST_P(HeraldTest, SignedCallIsLoggedThenRefreshesTheTaskItNames) {
    json task = *conduit_.GetTask(user_.authored.front());
    std::string phid = task["phid"].get<std::string>();
    std::string body = HeraldBody("TASK", phid);
    auto res = PostSigned(body);
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << res->body;
    EXPECT_EQ(tdb().Scalar("SELECT forge FROM webhook_delivery"), "phabricator");
    EXPECT_EQ(tdb().Scalar("SELECT instance FROM webhook_delivery"), "wikimedia");
    EXPECT_EQ(tdb().Scalar("SELECT delivery_id FROM webhook_delivery"),
              replication::EventDeliveryId("wikimedia", body));
    EXPECT_EQ(tdb().Scalar("SELECT event FROM webhook_delivery"), "TASK");
    EXPECT_FALSE(tdb().Scalar("SELECT action FROM webhook_delivery"));
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery"), "pending");
    EXPECT_EQ(tdb().Scalar("SELECT body FROM webhook_delivery"), body);
    EXPECT_NE(tdb().Scalar("SELECT headers FROM webhook_delivery")->find("X-Phabricator-Webhook"),
              std::string::npos);

    EXPECT_EQ(Drain(), 2) << "the deliveries job, then the refresh it queued";
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery"), "processed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'phabricator.object' AND "
                          "state = 'succeeded' AND unique_key = ?",
                          {"phabricator.object:wikimedia:" + phid}),
              1);
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_task WHERE instance = 'wikimedia' AND "
                           "phid = ?",
                           {phid}),
              task["fields"]["name"].get<std::string>());
    EXPECT_EQ(conduit_.Stats().per_path["/api/maniphest.search"], 1);
}

TEST_P(HeraldTest, RevisionAndUserCallsRefreshThoseObjects) {
    auto g = conduit_.Generate("bob", 0, {.assigned = 0, .others = 0, .revisions = 1});
    json revision = *conduit_.GetRevision(g.revisions.front());
    ASSERT_EQ(PostSigned(HeraldBody("DREV", revision["phid"].get<std::string>()))->status, 202);
    ASSERT_EQ(PostSigned(HeraldBody("USER", g.phid))->status, 202);
    Drain();
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status = 'processed'"), 2);
    EXPECT_EQ(tdb().Scalar("SELECT title FROM phabricator_revision WHERE phid = ?",
                           {revision["phid"].get<std::string>()}),
              revision["fields"]["title"].get<std::string>());
    EXPECT_EQ(tdb().Scalar("SELECT username FROM phabricator_user WHERE phid = ?", {g.phid}),
              "bob");
}

TEST_P(HeraldTest, ObjectTypesThatAreNotMirroredAreIgnored) {
    ASSERT_EQ(PostSigned(HeraldBody("PSTE", "PHID-PSTE-abcdefghijklmnopqrst"))->status, 202);
    EXPECT_EQ(Drain(), 1);
    EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery"), "ignored");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'phabricator.object'"), 0);
    EXPECT_EQ(conduit_.Stats().total, 0);
}

TEST_P(HeraldTest, RepeatedCallIsADuplicateWithOneRow) {
    std::string body = HeraldBody("TASK", "PHID-TASK-abcdefghijklmnopqrst");
    ASSERT_EQ(PostSigned(body)->status, 202);
    auto again = PostSigned(body);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(json::parse(again->body)["message"], "duplicate");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery"), 1);
}

TEST_P(HeraldTest, BadCallsAreRefusedAndStoreNothing) {
    std::string good = HeraldBody("TASK", "PHID-TASK-abcdefghijklmnopqrst");
    // Signatures.
    EXPECT_EQ(Post(good, std::nullopt)->status, 401);
    EXPECT_EQ(Post(good, HmacSha256Hex("another key", good))->status, 401);
    EXPECT_EQ(Post(good, HmacSha256Hex(kHookKey, good + " "))->status, 401);
    EXPECT_EQ(Post(good, "")->status, 401);
    // An upper-case hex signature is the same signature.
    std::string upper = HmacSha256Hex(kHookKey, good);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(replication::VerifyPhabricatorSignature(kHookKey, good, upper));
    // An instance without a key refuses unsigned calls unless told otherwise.
    EXPECT_EQ(Post(good, std::nullopt, "unsigned")->status, 401);
    // Unknown instance.
    EXPECT_EQ(Post(good, HmacSha256Hex(kHookKey, good), "nowhere")->status, 404);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery"), 0);
    ASSERT_EQ(PostSigned(good)->status, 202);  // control: the good call is accepted
    // Bodies that are not Herald calls.
    for (const std::string& bad :
         {std::string("this is not json"), std::string("[1, 2, 3]"), std::string("{}"),
          std::string(R"({"object": "PHID-TASK-x"})"),
          std::string(R"({"object": {"type": "TASK"}})"),
          std::string(R"({"object": {"type": "TASK", "phid": 42}})"),
          std::string(R"({"object": {"phid": "PHID-TASK-x"}})"),
          std::string(R"({"object": {"type": "", "phid": "PHID-TASK-x"}})"), std::string("")}) {
        SCOPED_TRACE(bad);
        auto res = PostSigned(bad);
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << res->body;
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery"), 1) << "only the control call";
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE delivery_id = ?",
                          {replication::EventDeliveryId("wikimedia", good)}),
              1);
}

TEST_P(HeraldTest, InsecureModeAcceptsUnsignedCallsForInstancesWithoutAKey) {
    replication::PhabricatorEvents insecure(*log_, clock_, {{"local", ""}, {"keyed", kHookKey}},
                                            /*insecure_unsigned=*/true);
    http::Request req;
    req.method = "POST";
    req.path = "/replication/phabricator/local";
    req.params["instance"] = "local";
    std::string body = HeraldBody("TASK", "PHID-TASK-abcdefghijklmnopqrst");
    req.body = body;
    EXPECT_EQ(insecure.Handle(req).status, 202);
    // An instance that has a key still requires the signature.
    req.params["instance"] = "keyed";
    EXPECT_EQ(insecure.Handle(req).status, 401);
    EXPECT_EQ(tdb().Scalar("SELECT instance FROM webhook_delivery"), "local");
}

}  // namespace
}  // namespace forgedb::testing
