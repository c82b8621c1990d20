// The fake Gerrit over real HTTP: Gerrit's answer shapes (XSSI guard, _more_changes, option-
// dependent fields), its query language subset, paging, basic auth on /a/, faults, statistics,
// recorded fixtures and the control API.

#include "fake_gerrit.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "forgedb/core/time.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

class FakeGerritTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(fake_.Start());
        client_ = std::make_unique<TestClient>("127.0.0.1", fake_.port());
    }
    void TearDown() override {
        client_.reset();
        fake_.Stop();
    }

    std::optional<TestReply> Get(const std::string& path, const HttpHeaders& headers = {}) {
        return client_->Get(path, headers);
    }
    // The JSON of a Gerrit answer, which must start with the XSSI guard.
    json Body(const std::optional<TestReply>& res) {
        EXPECT_TRUE(res);
        if (!res) return nullptr;
        EXPECT_EQ(res->body.rfind(")]}'\n", 0), 0u) << res->body.substr(0, 80);
        return json::parse(res->body.substr(5), nullptr, false);
    }
    json Changes(const std::string& query_string) {
        auto res = Get("/r/changes/?" + query_string);
        EXPECT_EQ(res->status, 200) << res->body;
        return Body(res);
    }

    fake::FakeGerrit fake_;
    std::unique_ptr<TestClient> client_;
};

TEST_F(FakeGerritTest, BaseUrlCarriesThePathPrefix) {
    EXPECT_EQ(fake_.base_url(), "http://127.0.0.1:" + std::to_string(fake_.port()) + "/r");
    fake_.Generate("alice", 1);
    EXPECT_EQ(Get("/changes/?q=owner:alice")->status, 404) << "outside /r";
    EXPECT_EQ(Get("/r/changes?q=owner:alice")->status, 200) << "with or without the slash";
}

TEST_F(FakeGerritTest, GeneratedChangesAreDeterministicAndShapedLikeGerrit) {
    auto a = fake_.Generate("alice", 20);
    fake::FakeGerrit other;
    auto b = other.Generate("alice", 20);
    EXPECT_EQ(a.numbers, b.numbers);
    EXPECT_EQ(*fake_.GetChange(a.numbers[7]), *other.GetChange(b.numbers[7])) << "same seed";
    fake::GerritGenerateOptions seeded;
    seeded.seed = 2;
    fake::FakeGerrit third;
    third.Generate("alice", 20, seeded);
    EXPECT_NE((*fake_.GetChange(a.numbers[7]))["subject"],
              (*third.GetChange(a.numbers[7]))["subject"]);

    std::set<std::string> statuses;
    for (const json& c : fake_.Changes()) {
        statuses.insert(c["status"].get<std::string>());
        auto created = ParseTimestamp(c["created"].get<std::string>());
        auto updated = ParseTimestamp(c["updated"].get<std::string>());
        ASSERT_TRUE(created && updated);
        EXPECT_LE(*created, *updated);
        EXPECT_EQ(c["created"].get<std::string>().size(), 29u) << "YYYY-MM-DD hh:mm:ss.nnnnnnnnn";
        EXPECT_EQ(c.contains("submitted"), c["status"] == "MERGED");
        const std::string current = c["current_revision"];
        ASSERT_TRUE(c["revisions"].contains(current));
        EXPECT_EQ(c["id"].get<std::string>().find('/'), std::string::npos) << "encoded";
    }
    EXPECT_EQ(statuses, (std::set<std::string>{"ABANDONED", "MERGED", "NEW"}));
}

TEST_F(FakeGerritTest, OptionsDecideTheFieldsOfAnswers) {
    auto gen = fake_.Generate("alice", 1);
    const std::string n = std::to_string(gen.numbers[0]);
    auto bare = Changes("q=change:" + n)[0];
    EXPECT_EQ(bare["owner"], json({{"_account_id", gen.account_id}}));
    EXPECT_FALSE(bare.contains("revisions"));
    EXPECT_FALSE(bare.contains("current_revision"));
    auto detailed = Changes("q=change:" + n + "&o=DETAILED_ACCOUNTS&o=CURRENT_REVISION")[0];
    EXPECT_EQ(detailed["owner"]["username"], "alice");
    EXPECT_EQ(detailed["owner"]["email"], "alice@example.org");
    ASSERT_EQ(detailed["revisions"].size(), 1u);
    auto& rev = detailed["revisions"][detailed["current_revision"].get<std::string>()];
    EXPECT_FALSE(rev.contains("commit"));
    EXPECT_EQ(rev["uploader"]["username"], "alice");
    auto all = Changes("q=change:" + n + "&o=ALL_REVISIONS&o=CURRENT_COMMIT")[0];
    EXPECT_EQ(all["revisions"].size(), (*fake_.GetChange(gen.numbers[0]))["revisions"].size());
    for (auto& [sha, r] : all["revisions"].items()) {
        EXPECT_TRUE(r["commit"].contains("subject")) << sha;
    }
    // Single change by number, Change-Id or triplet.
    auto stored = *fake_.GetChange(gen.numbers[0]);
    for (const std::string& id :
         {n, stored["change_id"].get<std::string>(), stored["id"].get<std::string>()}) {
        auto res = Get("/r/changes/" + id);
        ASSERT_EQ(res->status, 200) << id;
        EXPECT_EQ(Body(res)["_number"], gen.numbers[0]);
    }
    EXPECT_EQ(Get("/r/changes/99999999")->status, 404);
}

TEST_F(FakeGerritTest, QueriesFilterSortAndPage) {
    auto alice = fake_.Generate("alice", 25);
    fake_.Generate("bob", 10);
    auto page = Changes("q=owner:alice&n=10");
    ASSERT_EQ(page.size(), 10u);
    EXPECT_TRUE(page.back().value("_more_changes", false));
    for (size_t i = 0; i + 1 < page.size(); ++i) {
        EXPECT_FALSE(page[i].contains("_more_changes"));
        EXPECT_GE(page[i]["updated"].get<std::string>(), page[i + 1]["updated"].get<std::string>());
    }
    auto last = Changes("q=owner:alice&n=10&S=20");
    EXPECT_EQ(last.size(), 5u);
    EXPECT_FALSE(last.back().contains("_more_changes"));
    EXPECT_EQ(Changes("q=owner:alice&n=10&start=20"), last) << "start= is S=";
    EXPECT_EQ(Changes("q=owner:alice&n=25").back().contains("_more_changes"), false)
        << "exactly n left: no more";
    EXPECT_EQ(Changes("q=owner:alice%20owner:bob").size(), 0u) << "terms are ANDed";
    EXPECT_EQ(Changes("q=owner:alice@example.org").size(), 25u) << "owner by email";
    EXPECT_EQ(Changes("q=owner:" + std::to_string(alice.account_id)).size(), 25u);

    size_t merged = 0, open = 0;
    std::map<std::string, size_t> per_project;
    for (const json& c : fake_.Changes()) {
        if (c["owner"]["_account_id"] != alice.account_id) continue;
        merged += c["status"] == "MERGED";
        open += c["status"] == "NEW";
        ++per_project[c["project"]];
    }
    EXPECT_EQ(Changes("q=owner:alice+status:merged").size(), merged);
    EXPECT_EQ(Changes("q=owner:alice+is:open").size(), open);
    EXPECT_EQ(Changes("q=owner:alice+status:closed").size(), 25 - open);
    const auto& [project, count] = *per_project.begin();
    EXPECT_EQ(Changes("q=owner:alice+project:" + project).size(), count);

    // after:/before: inclusive, quoted or not, date or time.
    auto newest = *ParseTimestamp(page[0]["updated"].get<std::string>());
    std::string at = FormatGerritTime(std::chrono::floor<std::chrono::seconds>(newest));
    at = at.substr(0, 19);
    auto after =
        Changes("q=owner:alice+after:%22" + at.substr(0, 10) + "%20" + at.substr(11) + "%22");
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0]["_number"], page[0]["_number"]);
    EXPECT_EQ(Changes("q=owner:alice+before:1999-01-01").size(), 0u);
    EXPECT_EQ(Changes("q=owner:alice+since:1999-01-01+until:%7B2100-01-01%2000:00:00%7D").size(),
              25u);
}

TEST_F(FakeGerritTest, UnsupportedQueriesAreBadRequests) {
    fake_.Generate("alice", 1);
    for (const char* q : {"q=owner:alice%20OR%20owner:bob", "q=-owner:alice", "q=label:Verified",
                          "q=owner:alice+after:yesterday", "q=alice", "q=", "n=5",
                          "q=owner:alice&n=0", "q=owner:alice&S=-1"}) {
        auto res = Get(std::string("/r/changes/?") + q);
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 400) << q;
        EXPECT_EQ(res->Header("Content-Type").rfind("text/plain", 0), 0u) << q;
    }
}

TEST_F(FakeGerritTest, AuthenticatedEndpointsCheckBasicAuth) {
    fake_.Generate("alice", 2);
    fake_.SetPassword("bot", "pw");
    // "bot:pw" and "bot:nope"
    EXPECT_EQ(Get("/r/a/changes/?q=owner:alice")->status, 401);
    EXPECT_EQ(Get("/r/a/changes/?q=owner:alice", {{"Authorization", "Basic Ym90Om5vcGU="}})->status,
              401);
    auto ok = Get("/r/a/changes/?q=owner:alice", {{"Authorization", "Basic Ym90OnB3"}});
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(Body(ok).size(), 2u);
    EXPECT_EQ(Get("/r/changes/?q=owner:alice")->status, 200) << "anonymous reads stay open";
}

TEST_F(FakeGerritTest, AccountsAreFoundByUsername) {
    auto gen = fake_.Generate("alice", 1);
    auto details = Body(Get("/r/accounts/?q=username:alice&o=DETAILS"));
    ASSERT_EQ(details.size(), 1u);
    EXPECT_EQ(details[0]["_account_id"], gen.account_id);
    EXPECT_EQ(details[0]["name"], "Alice Example");
    EXPECT_EQ(Body(Get("/r/accounts/?q=username:alice"))[0],
              json({{"_account_id", gen.account_id}}));
    EXPECT_TRUE(Body(Get("/r/accounts/?q=username:nobody")).empty());
    EXPECT_EQ(Get("/r/accounts/?q=is:active")->status, 400);
}

TEST_F(FakeGerritTest, FaultsAndStatistics) {
    fake_.Generate("alice", 3);
    fake_.AddFault({fake::FaultKind::kStatus, 503, 0, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kTooManyRequests, 429, 7, 0, "/changes/", 1});
    fake_.AddFault({fake::FaultKind::kStatus, 500, 0, 0, "/accounts/", 1});
    EXPECT_EQ(Get("/r/changes/?q=owner:alice")->status, 503);
    auto limited = Get("/r/a/changes/?q=owner:alice");
    EXPECT_EQ(limited->status, 429) << "path prefixes ignore /a";
    EXPECT_EQ(limited->Header("Retry-After"), "7");
    EXPECT_EQ(Get("/r/changes/?q=owner:alice")->status, 200);
    EXPECT_EQ(fake_.PendingFaults().size(), 1u);
    fake_.AddFault({fake::FaultKind::kDropConnection, 200, 0, 0, "", 1});
    EXPECT_FALSE(Get("/r/changes/?q=owner:alice")) << "no answer at all";
    client_ = std::make_unique<TestClient>("127.0.0.1", fake_.port());
    fake_.AddFault({fake::FaultKind::kTruncatedBody, 200, 0, 0, "", 1});
    auto truncated = Get("/r/changes/?q=owner:alice");
    EXPECT_TRUE(!truncated || truncated->body.size() < 100) << "cut short";
    client_ = std::make_unique<TestClient>("127.0.0.1", fake_.port());
    auto stats = fake_.Stats();
    EXPECT_EQ(stats.total, 5);
    EXPECT_EQ(stats.per_path["/changes/"], 5);
    EXPECT_EQ(stats.faults, 4);
    EXPECT_EQ(stats.urls.front(), "/r/changes/?q=owner:alice");
    fake_.ResetStats();
    fake_.ClearFaults();
    EXPECT_EQ(fake_.Stats().total, 0);
    EXPECT_TRUE(fake_.PendingFaults().empty());
}

TEST_F(FakeGerritTest, UpstreamChangesAreServed) {
    auto gen = fake_.Generate("alice", 2);
    const long long n = gen.numbers[0];
    const Timestamp at = gen.latest_update + std::chrono::hours(1);
    ASSERT_TRUE(fake_.UpdateChange(n, {{"status", "MERGED"}, {"topic", "t"}}, at));
    auto c = *fake_.GetChange(n);
    EXPECT_EQ(c["status"], "MERGED");
    EXPECT_EQ(c["topic"], "t");
    EXPECT_EQ(c["updated"], FormatGerritTime(at));
    EXPECT_EQ(c["submitted"], FormatGerritTime(at));
    auto sha = fake_.AddPatchSet(n, at + std::chrono::minutes(1));
    ASSERT_TRUE(sha);
    auto first = Changes("q=owner:alice&o=CURRENT_REVISION")[0];
    EXPECT_EQ(first["_number"], n) << "the most recently updated comes first";
    EXPECT_EQ(first["current_revision"], *sha);
    EXPECT_FALSE(fake_.UpdateChange(424242, {}, at));
    EXPECT_FALSE(fake_.AddPatchSet(424242, at));
}

TEST_F(FakeGerritTest, RecordedFixturesAreServed) {
    fake_.AddRecordedFixtures(DataPath("gerrit/monocle"));
    fake_.AddRecordedFixtures(DataPath("gerrit/cdevents-community"));  // events: skipped
    EXPECT_EQ(fake_.Changes().size(), 6u);
    auto c = Changes("q=change:249221&o=DETAILED_ACCOUNTS");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_EQ(c[0]["owner"]["name"], "Fabio Ponciroli");
    EXPECT_FALSE(c[0].contains("_more_changes")) << "recorded paging flags are not replayed";
    EXPECT_EQ(Changes("q=owner:ponch78@gmail.com").size(), 2u);
    EXPECT_EQ(Changes("q=project:plugins/multi-site").size(),
              Changes("q=project:plugins%2Fmulti-site").size());
    EXPECT_THROW(fake_.AddRecordedFixtures("/nonexistent/dir"), std::runtime_error);
}

TEST_F(FakeGerritTest, ControlApi) {
    auto gen =
        client_->Post("/_fake/generate", R"({"owner":"carol","count":4})", "application/json");
    ASSERT_EQ(gen->status, 200) << gen->body;
    auto numbers = json::parse(gen->body)["numbers"];
    ASSERT_EQ(numbers.size(), 4u);
    const std::string n = numbers[0].dump();
    auto patch = client_->Patch("/_fake/changes/" + n,
                                R"({"patch":{"subject":"Edited"},"at":"2030-01-01T00:00:00Z"})",
                                "application/json");
    EXPECT_EQ(patch->status, 200) << patch->body;
    auto got = client_->Get("/_fake/changes/" + n);
    EXPECT_EQ(json::parse(got->body)["subject"], "Edited");
    EXPECT_EQ(json::parse(got->body)["updated"], "2030-01-01 00:00:00.000000000");
    auto ps = client_->Post("/_fake/changes/" + n + "/patchsets", "{}", "application/json");
    EXPECT_EQ(ps->status, 200);
    EXPECT_EQ(
        client_->Post("/_fake/faults", R"({"kind":"status","status":502})", "application/json")
            ->status,
        200);
    EXPECT_EQ(Get("/r/changes/?q=owner:carol")->status, 502);
    EXPECT_EQ(json::parse(client_->Get("/_fake/stats")->body)["total"], 1)
        << "the control API is not counted";
    EXPECT_EQ(client_->Get("/_fake/changes/1")->status, 404);
    EXPECT_EQ(client_->Post("/_fake/faults", R"({"kind":"nope"})", "application/json")->status,
              400);
}

}  // namespace
}  // namespace forgedb::testing
