// Recorded Gerrit payloads (tests/data/gerrit, see SOURCES.md), on both backends: every REST body
// becomes rows equal to its values; every event goes through POST /replication/gerrit/{instance}
// over real HTTP, is logged, and is processed (change events update their change and queue a
// refresh; others are ignored); bad requests are refused and store nothing.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "forgedb/forges/gerrit/changes.hpp"
#include "forgedb/forges/gerrit/client.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

constexpr const char* kInstance = "wikimedia";
constexpr const char* kSecured = "secured";
constexpr const char* kSecret = "s3cret value";

const char* const kRestFixtures[] = {
    "gerrit/haiku-format-bot/changes-query.current-revision.haiku-5692.haiku-format-bot.json",
    "gerrit/monocle/"
    "change.messages-detailed-accounts-detailed-labels-current-revision-files-commit.gerrit-"
    "246332.monocle.json",
    "gerrit/monocle/"
    "changes-query.messages-reviewer-updates-detailed-accounts-detailed-labels.n5.more-changes."
    "monocle.json",
    "gerrit/mylyn/change.current-revision.two-revisions.gerrit-2.6.mylyn.json",
    "gerrit/mylyn/change.labels-permitted-labels.three-labels.git-eclipse-egit-12850.mylyn.json",
    "gerrit/mylyn/change.no-votes.gerrit-2.6.mylyn.json",
};

const char* const kEventFolders[] = {"gerrit/cdevents-community",
                                     "gerrit/cdevents-gerrit-translator", "gerrit/gerrit-events",
                                     "gerrit/wikibugs2"};

std::string Text(const std::optional<std::string>& v) { return v ? *v : "NULL"; }

std::string Bool(const std::optional<std::string>& v) {
    if (!v) return "NULL";
    return (*v == "1" || *v == "t" || *v == "true") ? "true" : "false";
}

std::string Field(const json& obj, const char* key) {
    if (!obj.is_object() || !obj.contains(key) || obj[key].is_null()) return "NULL";
    return obj[key].is_string() ? obj[key].get<std::string>() : obj[key].dump();
}

std::string TimeField(const json& obj, const char* key) {
    if (!obj.is_object() || !obj.contains(key)) return "NULL";
    const json& v = obj[key];
    std::optional<Timestamp> t;
    if (v.is_string()) t = ParseTimestamp(v.get<std::string>());
    if (v.is_number_integer()) t = FromUnixSeconds(v.get<long long>());
    return t ? FormatForgeTime(*t) : "UNPARSABLE";
}

// The changes of a REST fixture: a list, or one ChangeInfo; with or without the XSSI guard.
std::vector<json> RestChanges(const std::string& fixture) {
    std::string text(sources::gerrit::StripXssiPrefix(ReadFile(DataPath(fixture))));
    json j = json::parse(text);
    return j.is_array() ? j.get<std::vector<json>>() : std::vector<json>{j};
}

// The events of an event fixture: a JSON array of events, or one event.
std::vector<std::string> EventBodies(const std::string& path) {
    std::string text = ReadFile(path);
    json j = json::parse(text);
    if (!j.is_array()) return {text};  // posted byte for byte
    std::vector<std::string> out;
    for (const auto& e : j) out.push_back(e.dump());
    return out;
}

std::optional<long long> ChangeNumberOf(const json& event) {
    if (!event.contains("change")) return std::nullopt;
    const json& n = event["change"]["number"];
    if (n.is_number_integer()) return n.get<long long>();
    if (n.is_string()) return std::stoll(n.get<std::string>());
    return std::nullopt;
}

class GerritFixturesTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        log_ = std::make_unique<replication::DeliveryLog>(tdb().db(), clock_, notifier_,
                                                          &tasks::DeliveriesJob);
        ASSERT_TRUE(log_->Start());
        events_ = std::make_unique<replication::GerritEvents>(
            *log_, clock_, std::map<std::string, std::string>{{kInstance, ""}, {kSecured, kSecret}},
            /*accept_unsigned=*/true);
        router_.AddAll(events_->Routes());
        http::ServerOptions sopts;
        sopts.port = 0;
        sopts.handler_threads = 4;
        sopts.max_body_bytes = 256 * 1024;
        server_ = std::make_unique<http::Server>(router_, sopts);
        ASSERT_TRUE(server_->Start());
        client_ = std::make_unique<TestClient>(
            "127.0.0.1", server_->port(), TestClientOptions{.timeout = std::chrono::seconds(30)});
    }
    void TearDown() override {
        if (server_) server_->Stop();
        if (log_) log_->Stop();
    }

    int Post(const std::string& path, const std::string& body) {
        auto res = client_->Post(path, body, "application/json");
        if (!res) {
            ADD_FAILURE() << "POST " << path << " failed: " << client_->last_error();
            return 0;
        }
        return res->status;
    }

    // Processes every pending Gerrit delivery in the order received, each in its own
    // transaction, and records the outcome, as the delivery job does (without running the
    // refresh jobs it queues). Returns delivery id -> outcome.
    std::map<std::string, std::string> ProcessPending() {
        std::map<std::string, std::string> out;
        store::DeliveryFilter filter;
        filter.forge = "gerrit";
        filter.pending_only = true;
        auto listed = store::ListDeliveries(tdb().conn(), filter);
        EXPECT_TRUE(listed);
        if (!listed) return out;
        queue::JobQueue q(tdb().conn(), clock_);
        for (const auto& key : *listed) {
            const std::string& id = key.delivery_id;
            auto d = store::LoadDelivery(tdb().conn(), "gerrit", id);
            EXPECT_TRUE(d);
            if (!d || d->status != "pending") continue;
            auto tx = store::Transaction::Begin(tdb().conn());
            EXPECT_TRUE(tx);
            auto outcome = tasks::ProcessGerritDelivery(q, *d);
            EXPECT_TRUE(outcome) << id << ": " << outcome.error().ToString();
            if (outcome) {
                EXPECT_TRUE(store::SetDeliveryOutcome(tdb().conn(), "gerrit", id, *outcome, "",
                                                      clock_.Now()));
            }
            EXPECT_TRUE(tx->Commit());
            out[id] = outcome ? *outcome : "error";
            order_.push_back(id);
        }
        return out;
    }

    long long Deliveries() { return tdb().Count("SELECT COUNT(*) FROM webhook_delivery"); }

    SystemClock clock_;
    queue::Notifier notifier_;
    std::unique_ptr<replication::DeliveryLog> log_;
    std::unique_ptr<replication::GerritEvents> events_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> client_;
    std::vector<std::string> order_;  // delivery ids in the order ProcessPending processed them
};
FORGEDB_INSTANTIATE_BACKENDS(GerritFixturesTest);

// ---------------------------------------------------------------------------------------------
// REST bodies

TEST_P(GerritFixturesTest, EveryRestFixtureBecomesRowsEqualToItsValues) {
    const Timestamp fetched = ParseTimestamp("2024-06-01T12:00:00Z").value();
    int changes = 0;
    for (const char* fixture : kRestFixtures) {
        SCOPED_TRACE(fixture);
        // The client's reader accepts the body as recorded (lists only).
        std::string body = ReadFile(DataPath(fixture));
        if (json::parse(std::string(sources::gerrit::StripXssiPrefix(body))).is_array()) {
            auto page = sources::gerrit::ParseChangesPage(body);
            ASSERT_TRUE(page) << page.error().ToString();
            EXPECT_EQ(page->count, static_cast<int>(RestChanges(fixture).size()));
        }
        for (const json& c : RestChanges(fixture)) {
            ++changes;
            auto doc = JsonDocument::Parse(c.dump());
            ASSERT_TRUE(doc);
            auto tx = store::Transaction::Begin(tdb().conn());
            ASSERT_TRUE(tx);
            process::gerrit::Context ctx{tdb().conn(), kInstance, model::Via::kApi, fetched,
                                         nullptr};
            auto p = process::gerrit::ProcessChange(doc->root(), ctx);
            ASSERT_TRUE(p) << p.error().ToString();
            EXPECT_FALSE(p->stale);
            ASSERT_TRUE(tx->Commit());

            const auto number = c["_number"].get<std::int64_t>();
            SCOPED_TRACE("change " + std::to_string(number));
            auto row = tdb().conn().Query(
                "SELECT change_id, triplet_id, project, branch, topic, subject, status, "
                "owner_account_id, owner_username, owner_name, created_at, updated_at, "
                "submitted_at, insertions, deletions, current_revision, current_patch_set, "
                "work_in_progress, last_replicated_via_api_at, deleted_at "
                "FROM gerrit_change WHERE instance = ? AND number = ?",
                {std::string(kInstance), number});
            ASSERT_TRUE(row);
            ASSERT_EQ(row->rows.size(), 1u);
            auto col = [&](size_t i) { return row->At(0, i); };
            EXPECT_EQ(Text(col(0)), Field(c, "change_id"));
            EXPECT_EQ(Text(col(1)), Field(c, "id"));
            EXPECT_EQ(Text(col(2)), Field(c, "project"));
            EXPECT_EQ(Text(col(3)), Field(c, "branch"));
            EXPECT_EQ(Text(col(4)), Field(c, "topic"));
            EXPECT_EQ(Text(col(5)), Field(c, "subject"));
            EXPECT_EQ(Text(col(6)), Field(c, "status"));
            EXPECT_EQ(Text(col(7)), Field(c["owner"], "_account_id"));
            EXPECT_EQ(Text(col(8)), Field(c["owner"], "username"));
            EXPECT_EQ(Text(col(9)), Field(c["owner"], "name"));
            EXPECT_EQ(NormTime(col(10)), TimeField(c, "created"));
            EXPECT_EQ(NormTime(col(11)), TimeField(c, "updated"));
            EXPECT_EQ(NormTime(col(12)), TimeField(c, "submitted"));
            EXPECT_EQ(Text(col(13)), Field(c, "insertions"));
            EXPECT_EQ(Text(col(14)), Field(c, "deletions"));
            EXPECT_EQ(Text(col(15)), Field(c, "current_revision"));
            std::string patch_set = "NULL";
            if (c.contains("current_revision")) {
                patch_set =
                    Field(c["revisions"][c["current_revision"].get<std::string>()], "_number");
            }
            EXPECT_EQ(Text(col(16)), patch_set);
            EXPECT_EQ(Bool(col(17)), c.value("work_in_progress", false) ? "true" : "false");
            EXPECT_EQ(NormTime(col(18)), FormatForgeTime(fetched));
            EXPECT_EQ(Text(col(19)), "NULL");

            // Every revision listed, with its ref (from `fetch` on old servers).
            const json revisions = c.value("revisions", json::object());
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_revision WHERE instance = ? AND "
                                  "change_number = ?",
                                  {std::string(kInstance), number}),
                      static_cast<long long>(revisions.size()));
            for (const auto& [sha, rev] : revisions.items()) {
                auto r = tdb().conn().Query(
                    "SELECT patch_set, ref, kind, uploader_account_id, created_at, "
                    "commit_subject FROM gerrit_revision WHERE instance = ? AND change_number = ? "
                    "AND revision = ?",
                    {std::string(kInstance), number, sha});
                ASSERT_TRUE(r);
                ASSERT_EQ(r->rows.size(), 1u) << sha;
                std::string ref = Field(rev, "ref");
                if (ref == "NULL" && rev.contains("fetch")) {
                    ref = rev["fetch"].begin().value()["ref"];
                }
                EXPECT_EQ(Text(r->At(0, 0)), Field(rev, "_number"));
                EXPECT_EQ(Text(r->At(0, 1)), ref);
                EXPECT_EQ(Text(r->At(0, 2)), Field(rev, "kind"));
                EXPECT_EQ(Text(r->At(0, 3)), rev.contains("uploader")
                                                 ? Field(rev["uploader"], "_account_id")
                                                 : "NULL");
                EXPECT_EQ(NormTime(r->At(0, 4)), TimeField(rev, "created"));
                EXPECT_EQ(Text(r->At(0, 5)),
                          rev.contains("commit") ? Field(rev["commit"], "subject") : "NULL");
            }
            // The owner, with what the fixture says about it.
            auto owner = tdb().conn().Query(
                "SELECT username, name, email FROM gerrit_account WHERE instance = ? AND "
                "account_id = ?",
                {std::string(kInstance), c["owner"]["_account_id"].get<std::int64_t>()});
            ASSERT_TRUE(owner);
            ASSERT_EQ(owner->rows.size(), 1u);
            for (auto [i, key] : {std::pair{0, "username"}, {1, "name"}, {2, "email"}}) {
                if (c["owner"].contains(key)) {
                    EXPECT_EQ(Text(owner->At(0, i)), Field(c["owner"], key)) << key;
                }
            }
        }
    }
    EXPECT_EQ(changes, 10);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change"), 10);

    // A few values read off the files by hand.
    auto one = [&](const std::string& sql, std::int64_t number) {
        return tdb().Scalar(sql + " FROM gerrit_change WHERE number = ?", {number});
    };
    EXPECT_EQ(one("SELECT triplet_id", 5692),
              "haiku~dev%2Fnetservices~I0dadd1dfd3fb36256bd6f4a2530dbbe12afefce5");
    EXPECT_EQ(one("SELECT insertions", 5692), "365");
    EXPECT_EQ(one("SELECT deletions", 5692), "521");
    EXPECT_EQ(NormTime(one("SELECT updated_at", 5692)), "2023-12-30T09:16:30Z");
    EXPECT_EQ(one("SELECT current_patch_set", 5692), "20");
    EXPECT_EQ(tdb().Scalar("SELECT ref FROM gerrit_revision WHERE change_number = 1"),
              "refs/changes/01/1/2");
    EXPECT_EQ(NormTime(one("SELECT created_at", 1)), "2013-06-20T15:13:19Z");
    EXPECT_EQ(one("SELECT owner_name", 1), std::nullopt) << "the mylyn owner has no name";
    EXPECT_EQ(one("SELECT insertions", 1), std::nullopt) << "Gerrit 2.6 sent no sizes";
    EXPECT_EQ(one("SELECT owner_name", 249221), "Fabio Ponciroli");
    EXPECT_EQ(Bool(one("SELECT work_in_progress", 249221)), "true");
    EXPECT_EQ(one("SELECT topic", 249214), "RestApiException-refactoring");
    EXPECT_EQ(NormTime(one("SELECT submitted_at", 246332)), "2020-04-13T22:43:52Z");
    EXPECT_EQ(tdb().Scalar("SELECT commit_subject FROM gerrit_revision WHERE change_number = ?",
                           {std::int64_t{246332}}),
              "Add support for file uploads in the UI");
    EXPECT_EQ(tdb().Scalar("SELECT email FROM gerrit_account WHERE account_id = 1000001"),
              "tests@mylyn.eclipse.org");
}

TEST_P(GerritFixturesTest, RestFixturesProcessedAgainChangeNothingAndOlderOnesAreStale) {
    const Timestamp fetched = ParseTimestamp("2024-06-01T12:00:00Z").value();
    auto process = [&](const json& c) {
        auto doc = JsonDocument::Parse(c.dump());
        EXPECT_TRUE(doc);
        auto tx = store::Transaction::Begin(tdb().conn());
        process::gerrit::Context ctx{tdb().conn(), kInstance, model::Via::kApi, fetched, nullptr};
        auto p = process::gerrit::ProcessChange(doc->root(), ctx);
        EXPECT_TRUE(p) << p.error().ToString();
        EXPECT_TRUE(tx->Commit());
        return p ? p->stale : false;
    };
    auto changes = RestChanges(kRestFixtures[2]);
    for (const auto& c : changes) EXPECT_FALSE(process(c));
    for (const auto& c : changes) EXPECT_FALSE(process(c)) << "the same version applies again";
    json older = changes[0];
    auto updated = *ParseTimestamp(older["updated"].get<std::string>());
    older["updated"] = FormatGerritTime(updated - std::chrono::seconds(1));
    older["subject"] = "An older subject";
    older.erase("topic");
    EXPECT_TRUE(process(older));
    EXPECT_EQ(tdb().Scalar("SELECT subject FROM gerrit_change WHERE number = ?",
                           {changes[0]["_number"].get<std::int64_t>()}),
              changes[0]["subject"].get<std::string>());

    // A change that lost its topic upstream loses it here too (REST is complete).
    json newer = changes[4];
    ASSERT_TRUE(newer.contains("topic"));
    newer.erase("topic");
    newer["updated"] = FormatGerritTime(*ParseTimestamp(newer["updated"].get<std::string>()) +
                                        std::chrono::hours(1));
    EXPECT_FALSE(process(newer));
    EXPECT_EQ(tdb().Scalar("SELECT topic FROM gerrit_change WHERE number = ?",
                           {newer["_number"].get<std::int64_t>()}),
              std::nullopt);
}

TEST_P(GerritFixturesTest, ProcessFunctionsRefuseMalformedPayloads) {
    process::gerrit::Context ctx{tdb().conn(), kInstance, model::Via::kApi, clock_.Now(), nullptr};
    for (const char* bad :
         {R"([])", R"({"subject":"no number"})", R"({"_number":"12"})",
          R"({"_number":1,"owner":{"name":"no id"}})", R"({"_number":1,"created":"yesterday"})"}) {
        auto doc = JsonDocument::Parse(bad);
        ASSERT_TRUE(doc);
        auto tx = store::Transaction::Begin(tdb().conn());
        auto p = process::gerrit::ProcessChange(doc->root(), ctx);
        ASSERT_FALSE(p) << bad;
        EXPECT_TRUE(p.error().code == ErrorCode::kInvalid ||
                    p.error().code == ErrorCode::kMissingData)
            << bad << ": " << p.error().ToString();
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change"), 0);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/changes/34/1234/5"), 1234);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/changes/01/1/meta"), 1);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/changes/01/1"), std::nullopt);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/heads/master"), std::nullopt);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/meta/config"), std::nullopt);
    EXPECT_EQ(process::gerrit::ChangeNumberOfRef("refs/changes/xx/abc/1"), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// Events

TEST_P(GerritFixturesTest, EveryEventFixtureIsLoggedAndProcessed) {
    struct Sent {
        json event;
        std::string id;
        std::string file;
    };
    std::vector<Sent> sent;
    std::set<std::string> ids;
    for (const char* folder : kEventFolders) {
        for (const auto& path : ListFiles(folder)) {
            for (const auto& body : EventBodies(path)) {
                const std::string id = replication::EventDeliveryId(kInstance, body);
                const bool repeat = !ids.insert(id).second;
                EXPECT_EQ(Post(std::string("/replication/gerrit/") + kInstance, body),
                          repeat ? 200 : 202)
                    << path;
                if (!repeat) sent.push_back({json::parse(body), id, path});
            }
        }
    }
    ASSERT_GE(sent.size(), 50u);
    EXPECT_EQ(Deliveries(), static_cast<long long>(sent.size()));
    // The log queues the processing of what it accepted, one job per group commit.
    auto jobs = tdb().conn().Query("SELECT args FROM job WHERE kind = 'webhook.deliveries'");
    ASSERT_TRUE(jobs);
    size_t queued_ids = 0;
    for (const auto& r : jobs->rows) {
        auto args = json::parse(Text(r[0]));
        EXPECT_EQ(args["forge"], "gerrit");
        queued_ids += args["delivery_ids"].size();
    }
    EXPECT_EQ(queued_ids, sent.size());
    // Logged as received.
    for (const auto& s : sent) {
        auto d = store::LoadDelivery(tdb().conn(), "gerrit", s.id);
        ASSERT_TRUE(d) << s.file;
        EXPECT_EQ(d->instance, kInstance);
        EXPECT_EQ(d->event, s.event["type"].get<std::string>());
        EXPECT_EQ(d->status, "pending");
        EXPECT_EQ(replication::EventDeliveryId(kInstance, d->body), s.id);
    }

    auto outcomes = ProcessPending();
    ASSERT_EQ(outcomes.size(), sent.size());
    std::set<std::string> refreshed;
    std::map<long long, json> last_event;  // change number -> `change` of the last event
    // An event older than one processed before it for the same change is stale: its time is the
    // change's lastUpdated, else the event's eventCreatedOn (seconds).
    auto time_of = [](const json& e) -> std::optional<long long> {
        const json& c = e["change"];
        if (c.contains("lastUpdated") && c["lastUpdated"].is_number_integer()) {
            return c["lastUpdated"].get<long long>();
        }
        if (e.contains("eventCreatedOn") && e["eventCreatedOn"].is_number_integer()) {
            return e["eventCreatedOn"].get<long long>();
        }
        return std::nullopt;
    };
    std::set<std::string> older;  // ids of the events older than one processed before them
    {
        std::map<std::string, const json*> by_id;
        for (const auto& s : sent) by_id[s.id] = &s.event;
        std::map<long long, long long> newest;  // change number -> newest event time applied
        for (const auto& id : order_) {
            const json& e = *by_id.at(id);
            auto number = ChangeNumberOf(e);
            if (!number || !e.contains("change")) continue;
            auto t = time_of(e);
            if (t && newest.contains(*number) && *t < newest[*number]) {
                older.insert(id);
                continue;
            }
            if (t) newest[*number] = *t;
            last_event[*number] = e["change"];
        }
    }
    int processed = 0, ignored = 0, stale = 0;
    for (const auto& s : sent) {
        SCOPED_TRACE(s.file + " " + s.event["type"].get<std::string>());
        const std::string type = s.event["type"];
        std::optional<long long> number = ChangeNumberOf(s.event);
        bool refresh = number.has_value() && type != "change-deleted";
        if (!number && type == "ref-updated") {
            number = process::gerrit::ChangeNumberOfRef(
                s.event["refUpdate"]["refName"].get<std::string>());
            refresh = number.has_value();
        }
        const std::string want = older.contains(s.id) ? "stale" : number ? "processed" : "ignored";
        EXPECT_EQ(outcomes[s.id], want);
        EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = ?", {s.id}),
                  want);
        (want == "processed" ? processed : want == "stale" ? stale : ignored)++;
        if (want == "stale") continue;
        if (refresh) refreshed.insert("gerrit.change:wikimedia:" + std::to_string(*number));
    }
    EXPECT_GT(processed, 20);
    EXPECT_GT(stale, 0) << "the fixtures hold an older event of a change after a newer one";
    EXPECT_GT(ignored, 5) << "replication and project events are logged and ignored";
    // Each change named by an event is mirrored with what the last event about it said.
    for (const auto& [number, c] : last_event) {
        SCOPED_TRACE("change " + std::to_string(number));
        auto row = tdb().conn().Query(
            "SELECT change_id, project, branch, owner_username, owner_name, subject, status, "
            "created_at, last_replicated_via_webhook_at, last_replicated_via_api_at "
            "FROM gerrit_change WHERE instance = ? AND number = ?",
            {std::string(kInstance), static_cast<std::int64_t>(number)});
        ASSERT_TRUE(row);
        ASSERT_EQ(row->rows.size(), 1u);
        EXPECT_EQ(Text(row->At(0, 0)), Field(c, "id"));
        std::string project =
            c["project"].is_object() ? Field(c["project"], "name") : Field(c, "project");
        EXPECT_EQ(Text(row->At(0, 1)), project);
        EXPECT_EQ(Text(row->At(0, 2)), Field(c, "branch"));
        EXPECT_EQ(Text(row->At(0, 3)), Field(c["owner"], "username"));
        EXPECT_EQ(Text(row->At(0, 4)), Field(c["owner"], "name"));
        EXPECT_EQ(Text(row->At(0, 5)), Field(c, "subject"));
        EXPECT_EQ(Text(row->At(0, 6)), Field(c, "status"));
        EXPECT_EQ(NormTime(row->At(0, 7)), TimeField(c, "createdOn"));
        EXPECT_TRUE(row->At(0, 8).has_value());
        EXPECT_FALSE(row->At(0, 9).has_value()) << "no crawl has run";
    }
    // One refresh job per change (unique keys), queued by the events that named it.
    std::set<std::string> queued;
    auto refreshes = tdb().conn().Query("SELECT unique_key FROM job WHERE kind = 'gerrit.change'");
    ASSERT_TRUE(refreshes);
    for (const auto& r : refreshes->rows) queued.insert(Text(r[0]));
    EXPECT_EQ(queued, refreshed);
    EXPECT_EQ(
        static_cast<size_t>(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'gerrit.change'")),
        refreshed.size());

    // Quirks, by hand: a number sent as a string, a patch set that became current, WIP flags,
    // a deleted change.
    auto one = [&](const std::string& sql, std::int64_t number) {
        return tdb().Scalar(sql + " FROM gerrit_change WHERE number = ?", {number});
    };
    EXPECT_EQ(one("SELECT project", 654), "playback-test");
    EXPECT_EQ(tdb().Scalar("SELECT patch_set FROM gerrit_revision WHERE change_number = 654"), "1");
    EXPECT_EQ(one("SELECT current_revision", 2), "66e097f59116e761f5473b66b351f7eba63aed50");
    EXPECT_EQ(one("SELECT current_patch_set", 2), "2");
    EXPECT_EQ(one("SELECT insertions", 2), "11");
    EXPECT_EQ(Bool(one("SELECT work_in_progress", 2001)), "true");
    auto deleted = json::parse(
        ReadFile(DataPath("gerrit/gerrit-events/stream-event.change-deleted.gerrit-events.json")));
    EXPECT_TRUE(one("SELECT deleted_at", *ChangeNumberOf(deleted)).has_value());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_account"), 0)
        << "events carry no account ids";
}

TEST_P(GerritFixturesTest, WipStateChangedWithoutWipMeansReadyForReview) {
    auto wip = json::parse(
        ReadFile(DataPath("gerrit/wikibugs2/stream-events.change_wip_true.wikibugs2.json")))[1];
    auto ready = json::parse(
        ReadFile(DataPath("gerrit/wikibugs2/stream-events.no_wip_field.wikibugs2.json")))[0];
    ASSERT_EQ(ready["type"], "wip-state-changed");
    ASSERT_FALSE(ready["change"].contains("wip"));
    // Same change, later event.
    ready["change"]["number"] = wip["change"]["number"];
    ready["eventCreatedOn"] = wip["eventCreatedOn"].get<long long>() + 60;
    ASSERT_EQ(Post("/replication/gerrit/wikimedia", wip.dump()), 202);
    ProcessPending();
    auto number = wip["change"]["number"].get<std::int64_t>();
    EXPECT_EQ(
        Bool(tdb().Scalar("SELECT work_in_progress FROM gerrit_change WHERE number = ?", {number})),
        "true");
    ASSERT_EQ(Post("/replication/gerrit/wikimedia", ready.dump()), 202);
    ProcessPending();
    EXPECT_EQ(
        Bool(tdb().Scalar("SELECT work_in_progress FROM gerrit_change WHERE number = ?", {number})),
        "false");
}

// After comment-added and change-merged, raw held the first event's change (NEW) and
// current_patch_set and submitted_at stayed NULL; and nothing may go backwards when the events
// arrive in another order.
TEST_P(GerritFixturesTest, EventsMoveTheChangeForwardNeverBackward) {
    auto body = [](const char* name) {
        return ReadFile(DataPath(std::string("gerrit/cdevents-community/") + name));
    };
    ASSERT_EQ(Post("/replication/gerrit/wikimedia", body("webhook.comment-added.cdevents.json")),
              202);
    ASSERT_EQ(Post("/replication/gerrit/wikimedia", body("webhook.change-merged.cdevents.json")),
              202);
    ProcessPending();
    auto col = [&](const std::string& column, std::int64_t number) {
        return tdb().Scalar("SELECT " + column + " FROM gerrit_change WHERE number = ?", {number});
    };
    EXPECT_EQ(col("status", 1), "MERGED");
    EXPECT_EQ(col("current_patch_set", 1), "2");
    EXPECT_EQ(NormTime(col("submitted_at", 1)), "2023-11-17T14:34:58Z");
    EXPECT_EQ(json::parse(col("raw", 1).value_or("{}"))["status"], "MERGED");
    // Patch sets 2 then a late 1: the change stays at 2, and the late event changes nothing.
    ASSERT_EQ(
        Post("/replication/gerrit/wikimedia", body("webhook.patchset-created.ps2.cdevents.json")),
        202);
    ProcessPending();
    ASSERT_EQ(
        Post("/replication/gerrit/wikimedia", body("webhook.patchset-created.ps1.cdevents.json")),
        202);
    ProcessPending();
    EXPECT_EQ(col("current_patch_set", 2), "2");
}

TEST_P(GerritFixturesTest, BadRequestsAreRefusedAndStoreNothing) {
    const std::string good =
        ReadFile(DataPath("gerrit/cdevents-community/webhook.change-merged.cdevents.json"));
    struct Case {
        std::string path;
        std::string body;
        int status;
    } cases[] = {
        {"/replication/gerrit/wikimedia", "this is not json", 400},
        {"/replication/gerrit/wikimedia", "", 400},
        {"/replication/gerrit/wikimedia", "[" + good + "]", 400},
        {"/replication/gerrit/wikimedia", R"({"change":{"number":1}})", 400},
        {"/replication/gerrit/wikimedia", R"({"type":42})", 400},
        {"/replication/gerrit/wikimedia", R"({"type":""})", 400},
        {"/replication/gerrit/wikimedia", "\"patchset-created\"", 400},
        {"/replication/gerrit/unknown", good, 404},
        {"/replication/gerrit/", good, 404},
        {"/replication/gerrit/secured", good, 401},
        {"/replication/gerrit/secured?secret=wrong", good, 401},
        {"/replication/gerrit/secured?secret=s3cret", good, 401},
        {"/replication/gerrit/secured?secret=s3cret%20value%20", good, 401},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(Post(c.path, c.body), c.status) << c.path << " " << c.body.substr(0, 40);
    }
    EXPECT_EQ(client_->Get("/replication/gerrit/wikimedia")->status, 405);
    // Over the server's body limit: the server answers 413 before the handler runs.
    std::string huge =
        R"({"type":"comment-added","comment":")" + std::string(300 * 1024, 'x') + "\"}";
    EXPECT_EQ(Post("/replication/gerrit/wikimedia", huge), 413);
    EXPECT_EQ(Deliveries(), 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 0);

    // The right secret (URL-encoded) is accepted.
    EXPECT_EQ(Post("/replication/gerrit/secured?secret=s3cret%20value", good), 202);
    EXPECT_EQ(Deliveries(), 1);
    EXPECT_EQ(tdb().Scalar("SELECT instance FROM webhook_delivery"), kSecured);
}

// Each event makes forgedb call Gerrit: an instance without a secret refuses events, unless the
// operator says otherwise (--insecure-accept-unsigned).
TEST_P(GerritFixturesTest, InstanceWithoutSecretRefusesEventsUnlessInsecure) {
    const std::string body =
        ReadFile(DataPath("gerrit/cdevents-community/webhook.comment-added.cdevents.json"));
    http::Request req;
    req.method = "POST";
    req.path = "/replication/gerrit/open";
    req.params["instance"] = "open";
    req.body = body;
    replication::GerritEvents strict(*log_, clock_, {{"open", ""}}, /*accept_unsigned=*/false);
    auto refused = strict.Handle(req);
    EXPECT_EQ(refused.status, 401);
    EXPECT_NE(refused.body.find("--gerrit-webhook-secret"), std::string::npos) << refused.body;
    EXPECT_EQ(Deliveries(), 0);
    replication::GerritEvents insecure(*log_, clock_, {{"open", ""}}, /*accept_unsigned=*/true);
    EXPECT_EQ(insecure.Handle(req).status, 202);
    EXPECT_EQ(Deliveries(), 1);
}

TEST_P(GerritFixturesTest, RepeatedEventIsOneDelivery) {
    const std::string body =
        ReadFile(DataPath("gerrit/cdevents-community/webhook.comment-added.cdevents.json"));
    EXPECT_EQ(Post("/replication/gerrit/wikimedia", body), 202);
    auto res = client_->Post("/replication/gerrit/wikimedia", body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(json::parse(res->body)["message"], "duplicate");
    EXPECT_EQ(Deliveries(), 1);
    EXPECT_EQ(tdb().Scalar("SELECT delivery_id FROM webhook_delivery"),
              replication::EventDeliveryId("wikimedia", body));
    auto outcomes = ProcessPending();
    ASSERT_EQ(outcomes.size(), 1u);
    EXPECT_EQ(outcomes.begin()->second, "processed");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM gerrit_change"), 1);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE kind = 'gerrit.change'"), 1);
    // The same event again after processing is still a duplicate, and changes nothing.
    EXPECT_EQ(Post("/replication/gerrit/wikimedia", body), 200);
    EXPECT_TRUE(ProcessPending().empty());
}

TEST_P(GerritFixturesTest, AnswersServiceUnavailableWhenTheLogCannotWrite) {
    log_->Stop();
    auto res =
        client_->Post("/replication/gerrit/wikimedia",
                      R"({"type":"comment-added","change":{"number":5}})", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 503);
    EXPECT_EQ(res->Header("Retry-After"), "5");
    EXPECT_EQ(Deliveries(), 0);
}

}  // namespace
}  // namespace forgedb::testing
