// GitLab webhooks over real HTTP into both databases: every recorded hook body of
// tests/data/gitlab/webhooks goes through /replication/gitlab/wikimedia, is logged, processed by
// the deliveries job, and its rows are checked against the payload itself. Then the unhappy paths:
// the secret token, bad headers and bodies, duplicates, stale and out-of-order deliveries.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "forgedb/core/time.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

std::string Fixture(const std::string& name) {
    return ReadFile(DataPath("gitlab/webhooks/" + name + ".json"));
}

// A stored time in the forge's form, whatever the backend returns (SQLite text, PostgreSQL's).
std::string StoredTime(const std::optional<std::string>& text) {
    if (!text) return "NULL";
    auto t = ParseTimestamp(*text);
    return t ? FormatForgeTime(*t) : "unparsable: " + *text;
}

std::string ForgeTime(const std::string& text) {
    auto t = ParseTimestamp(text);
    return t ? FormatForgeTime(*t) : "unparsable: " + text;
}

class GitlabWebhookTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        harness_ = std::make_unique<WebhookHarness>(tdb());
    }

    // Posts a body, expects 202, processes it; returns the delivery's outcome.
    std::string Deliver(const std::string& event, const std::string& body,
                        const HttpHeaders& headers = {}) {
        auto res = harness_->PostGitlab(event, body, headers);
        EXPECT_TRUE(res);
        if (!res) return "no answer";
        EXPECT_EQ(res->status, 202) << res->body;
        harness_->Drain();
        return tdb()
            .Scalar(
                "SELECT status FROM webhook_delivery WHERE forge = 'gitlab' ORDER BY "
                "received_at DESC, delivery_id DESC LIMIT 1")
            .value_or("none");
    }

    long long Count(const std::string& sql, const std::vector<model::Value>& params = {}) {
        return tdb().Count(sql, params);
    }
    std::optional<std::string> Str(const std::string& sql,
                                   const std::vector<model::Value>& params = {}) {
        return tdb().Scalar(sql, params);
    }

    std::unique_ptr<WebhookHarness> harness_;
};

TEST_P(GitlabWebhookTest, MergeRequestHookWritesTheMergeRequestItsProjectAndPeople) {
    const std::string body = Fixture("merge_request");
    const json p = json::parse(body);
    const json& a = p["object_attributes"];
    EXPECT_EQ(Deliver("Merge Request Hook", body), "processed")
        << Str("SELECT error FROM webhook_delivery").value_or("");
    const std::int64_t id = a["id"];
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_merge_request WHERE instance = 'wikimedia' AND "
                    "id = ? AND iid = ? AND project_id = ?",
                    {id, a["iid"].get<std::int64_t>(), a["target_project_id"].get<std::int64_t>()}),
              1);
    EXPECT_EQ(Str("SELECT title FROM gitlab_merge_request WHERE id = ?", {id}),
              a["title"].get<std::string>());
    EXPECT_EQ(Str("SELECT state FROM gitlab_merge_request WHERE id = ?", {id}),
              a["state"].get<std::string>());
    EXPECT_EQ(Str("SELECT source_branch FROM gitlab_merge_request WHERE id = ?", {id}),
              a["source_branch"].get<std::string>());
    EXPECT_EQ(Str("SELECT target_branch FROM gitlab_merge_request WHERE id = ?", {id}),
              a["target_branch"].get<std::string>());
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_merge_request WHERE id = ? AND author_id = ?",
                    {id, a["author_id"].get<std::int64_t>()}),
              1);
    EXPECT_EQ(StoredTime(Str("SELECT updated_at FROM gitlab_merge_request WHERE id = ?", {id})),
              ForgeTime(a["updated_at"]));
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_merge_request WHERE id = ? AND NOT draft", {id}),
              a["work_in_progress"].get<bool>() ? 0 : 1);
    EXPECT_EQ(json::parse(*Str("SELECT assignee_ids FROM gitlab_merge_request WHERE id = ?", {id})),
              a["assignee_ids"]);
    EXPECT_EQ(json::parse(*Str("SELECT reviewer_ids FROM gitlab_merge_request WHERE id = ?", {id})),
              a["reviewer_ids"]);
    json labels = json::array();
    for (const auto& l : a["labels"]) labels.push_back(l["title"]);
    EXPECT_EQ(json::parse(*Str("SELECT labels FROM gitlab_merge_request WHERE id = ?", {id})),
              labels);
    // The project, the actor, the assignees and reviewers, and the labels.
    EXPECT_EQ(Str("SELECT path_with_namespace FROM gitlab_project WHERE id = ?",
                  {p["project"]["id"].get<std::int64_t>()}),
              p["project"]["path_with_namespace"].get<std::string>());
    for (const char* key : {"assignees", "reviewers"}) {
        for (const auto& u : p[key]) {
            EXPECT_EQ(
                Str("SELECT username FROM gitlab_user WHERE id = ?", {u["id"].get<std::int64_t>()}),
                u["username"].get<std::string>());
        }
    }
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_label"),
              static_cast<long long>(p["labels"].size()));
    // Provenance: received by webhook, raw kept, and last_replicated_at follows.
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_merge_request WHERE id = ? AND "
                    "last_replicated_via_webhook_at IS NOT NULL AND "
                    "last_replicated_via_api_at IS NULL AND last_replicated_at IS NOT NULL",
                    {id}),
              1);
    EXPECT_EQ(json::parse(*Str("SELECT raw FROM gitlab_merge_request WHERE id = ?", {id})), a);
    EXPECT_EQ(Str("SELECT action FROM webhook_delivery"), a["action"].get<std::string>());
}

TEST_P(GitlabWebhookTest, IssueHookWritesTheIssue) {
    const std::string body = Fixture("issue");
    const json a = json::parse(body)["object_attributes"];
    EXPECT_EQ(Deliver("Issue Hook", body), "processed");
    const std::int64_t id = a["id"];
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_issue WHERE id = ? AND iid = ? AND project_id = ?",
                    {id, a["iid"].get<std::int64_t>(), a["project_id"].get<std::int64_t>()}),
              1);
    EXPECT_EQ(Str("SELECT title FROM gitlab_issue WHERE id = ?", {id}),
              a["title"].get<std::string>());
    EXPECT_EQ(Str("SELECT state FROM gitlab_issue WHERE id = ?", {id}),
              a["state"].get<std::string>());
    EXPECT_EQ(StoredTime(Str("SELECT created_at FROM gitlab_issue WHERE id = ?", {id})),
              ForgeTime(a["created_at"]));
}

TEST_P(GitlabWebhookTest, NoteHooksWriteTheNoteAndTheObjectItIsOn) {
    struct Case {
        const char* fixture;
        const char* noteable_type;
        const char* on;  // key of the object the note is on, or ""
    };
    for (const Case& c :
         {Case{"note_merge_request", "MergeRequest", "merge_request"},
          Case{"note_issue", "Issue", "issue"}, Case{"note_commit", "Commit", ""}}) {
        SCOPED_TRACE(c.fixture);
        const std::string body = Fixture(c.fixture);
        const json p = json::parse(body);
        const json& a = p["object_attributes"];
        EXPECT_EQ(Deliver("Note Hook", body), "processed")
            << Str("SELECT error FROM webhook_delivery WHERE status = 'failed'").value_or("");
        const std::int64_t id = a["id"];
        EXPECT_EQ(Str("SELECT body FROM gitlab_note WHERE id = ?", {id}),
                  a["note"].get<std::string>());
        EXPECT_EQ(Str("SELECT noteable_type FROM gitlab_note WHERE id = ?", {id}),
                  std::string(c.noteable_type));
        EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_note WHERE id = ? AND project_id = ?",
                        {id, p["project_id"].get<std::int64_t>()}),
                  1);
        if (std::string(c.on).empty()) {
            EXPECT_EQ(Str("SELECT commit_sha FROM gitlab_note WHERE id = ?", {id}),
                      a["commit_id"].get<std::string>());
            continue;
        }
        const json& on = p[c.on];
        EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_note WHERE id = ? AND noteable_iid = ?",
                        {id, on["iid"].get<std::int64_t>()}),
                  1);
        const std::string table =
            std::string(c.on) == "issue" ? "gitlab_issue" : "gitlab_merge_request";
        EXPECT_EQ(
            Str("SELECT title FROM " + table + " WHERE id = ?", {on["id"].get<std::int64_t>()}),
            on["title"].get<std::string>());
    }
}

TEST_P(GitlabWebhookTest, PushAndTagPushHooksWriteTheirCommits) {
    for (const auto& [event, fixture] :
         {std::pair{"Push Hook", "push"}, std::pair{"Tag Push Hook", "tag_push"}}) {
        SCOPED_TRACE(fixture);
        const std::string body = Fixture(fixture);
        const json p = json::parse(body);
        EXPECT_EQ(Deliver(event, body), "processed");
        for (const auto& c : p["commits"]) {
            const std::vector<model::Value> key{p["project_id"].get<std::int64_t>(),
                                                c["id"].get<std::string>()};
            EXPECT_EQ(
                Str("SELECT author_email FROM gitlab_commit WHERE project_id = ? AND sha = ?", key),
                c["author"]["email"].get<std::string>());
            EXPECT_EQ(
                StoredTime(Str(
                    "SELECT authored_at FROM gitlab_commit WHERE project_id = ? AND sha = ?", key)),
                ForgeTime(c["timestamp"]));
            std::string message = c["message"];
            EXPECT_EQ(Str("SELECT title FROM gitlab_commit WHERE project_id = ? AND sha = ?", key),
                      c.contains("title") ? c["title"].get<std::string>()
                                          : message.substr(0, message.find('\n')));
        }
    }
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_commit"),
              static_cast<long long>(json::parse(Fixture("push"))["commits"].size() +
                                     json::parse(Fixture("tag_push"))["commits"].size()));
}

TEST_P(GitlabWebhookTest, MemberReleaseAndOtherHooks) {
    const json member = json::parse(Fixture("member"));
    EXPECT_EQ(Deliver("Member Hook", member.dump()), "processed");
    EXPECT_EQ(Str("SELECT username FROM gitlab_user WHERE id = ?",
                  {member["user_id"].get<std::int64_t>()}),
              member["user_username"].get<std::string>());
    const json release = json::parse(Fixture("release"));
    EXPECT_EQ(Deliver("Release Hook", release.dump()), "processed");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_project WHERE id = ?",
                    {release["project"]["id"].get<std::int64_t>()}),
              1);
    // A hook with no table is logged and ignored.
    EXPECT_EQ(Deliver("Pipeline Hook", Fixture("pipeline")), "ignored");
    EXPECT_EQ(Deliver("Wiki Page Hook", R"({"object_kind":"wiki_page"})"), "ignored");
}

TEST_P(GitlabWebhookTest, SystemHooksDispatchByEventNameOrObjectKind) {
    const json push = json::parse(Fixture("push"));
    EXPECT_EQ(Deliver("System Hook", push.dump()), "processed");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_commit"),
              static_cast<long long>(push["commits"].size()));
    const json mr = json::parse(Fixture("merge_request"));
    EXPECT_EQ(Deliver("System Hook", mr.dump()), "processed");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_merge_request WHERE id = ?",
                    {mr["object_attributes"]["id"].get<std::int64_t>()}),
              1);
    json created = {{"event_name", "project_create"},
                    {"project_id", 74},
                    {"path_with_namespace", "tools/bot"},
                    {"name", "bot"},
                    {"project_visibility", "public"}};
    EXPECT_EQ(Deliver("System Hook", created.dump()), "processed");
    EXPECT_EQ(Str("SELECT visibility FROM gitlab_project WHERE id = 74"), "public");
    EXPECT_EQ(Str("SELECT namespace_path FROM gitlab_project WHERE id = 74"), "tools");
    EXPECT_EQ(Deliver("System Hook", R"({"event_name":"key_create","id":4})"), "ignored");
}

TEST_P(GitlabWebhookTest, TheSecretTokenIsRequiredAndNeverKept) {
    const std::string body = Fixture("issue");
    const std::string wrong_token = "not-the-hook-token";
    auto refused =
        harness_->PostRaw("/replication/gitlab/wikimedia",
                          {{"X-Gitlab-Event", "Issue Hook"}, {"X-Gitlab-Token", wrong_token}}, body,
                          "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    auto missing = harness_->PostRaw("/replication/gitlab/wikimedia",
                                     {{"X-Gitlab-Event", "Issue Hook"}}, body, "application/json");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 401);
    auto unknown =
        harness_->PostRaw("/replication/gitlab/elsewhere",
                          {{"X-Gitlab-Event", "Issue Hook"}, {"X-Gitlab-Token", kGitlabToken}},
                          body, "application/json");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_delivery"), 0);
    // Accepted: the token is not among the kept headers.
    EXPECT_EQ(Deliver("Issue Hook", body, {{"X-Gitlab-Instance", "https://gitlab.example"}}),
              "processed");
    auto headers = Str("SELECT headers FROM webhook_delivery");
    ASSERT_TRUE(headers);
    EXPECT_EQ(headers->find(kGitlabToken), std::string::npos);
    EXPECT_NE(headers->find("X-Gitlab-Instance"), std::string::npos);
}

TEST_P(GitlabWebhookTest, BadHeadersAndBodiesAre400AndStoreNothing) {
    auto post = [&](const HttpHeaders& headers, const std::string& body) {
        HttpHeaders all{{"X-Gitlab-Token", kGitlabToken}};
        all.insert(all.end(), headers.begin(), headers.end());
        auto res =
            harness_->PostRaw("/replication/gitlab/wikimedia", all, body, "application/json");
        return res ? res->status : -1;
    };
    const std::string body = Fixture("issue");
    EXPECT_EQ(post({}, body), 400);                                                 // no event
    EXPECT_EQ(post({{"X-Gitlab-Event", "Issue\x01Hook"}}, body), 400);              // control byte
    EXPECT_EQ(post({{"X-Gitlab-Event", "Issue Hook"}}, "{\"object_kind\":"), 400);  // cut JSON
    EXPECT_EQ(post({{"X-Gitlab-Event", "Issue Hook"}}, "[1,2]"), 400);              // not an object
    EXPECT_EQ(post({{"X-Gitlab-Event", "Issue Hook"}, {"Idempotency-Key", "a b"}}, body), 400);
    EXPECT_EQ(
        post({{"X-Gitlab-Event", "Issue Hook"}, {"X-Gitlab-Event-UUID", std::string(200, 'a')}},
             body),
        400);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_delivery"), 0);
}

TEST_P(GitlabWebhookTest, AHookOfTheWrongShapeFailsAloneWithItsError) {
    // Logged (valid JSON), then refused by processing; the next delivery is processed.
    EXPECT_EQ(Deliver("Merge Request Hook", R"({"object_kind":"merge_request"})"), "failed");
    EXPECT_NE(Str("SELECT error FROM webhook_delivery WHERE status = 'failed'")
                  .value_or("")
                  .find("object_attributes"),
              std::string::npos);
    json bad = json::parse(Fixture("issue"));
    bad["object_attributes"]["iid"] = "seven";
    EXPECT_EQ(Deliver("Issue Hook", bad.dump()), "failed");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_issue"), 0);
    EXPECT_EQ(Deliver("Issue Hook", Fixture("issue")), "processed");
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_issue"), 1);
}

TEST_P(GitlabWebhookTest, DuplicatesAreToldApartByKeyUuidOrBody) {
    const std::string body = Fixture("issue");
    auto status = [&](const HttpHeaders& headers, const std::string& b) {
        auto res = harness_->PostGitlab("Issue Hook", b, headers);
        return res ? res->status : -1;
    };
    // The same Idempotency-Key is one delivery, whatever else differs.
    EXPECT_EQ(status({{"Idempotency-Key", "k-1"}, {"X-Gitlab-Event-UUID", "u-1"}}, body), 202);
    EXPECT_EQ(status({{"Idempotency-Key", "k-1"}, {"X-Gitlab-Event-UUID", "u-2"}}, body), 200);
    // Without a key, the event UUID.
    EXPECT_EQ(status({{"X-Gitlab-Event-UUID", "u-3"}}, body), 202);
    EXPECT_EQ(status({{"X-Gitlab-Event-UUID", "u-3"}}, body), 200);
    EXPECT_EQ(status({{"X-Gitlab-Event-UUID", "u-4"}}, body), 202);
    // Without either, the body.
    EXPECT_EQ(status({}, body), 202);
    EXPECT_EQ(status({}, body), 200);
    EXPECT_EQ(Count("SELECT COUNT(*) FROM webhook_delivery WHERE forge = 'gitlab'"), 4);
    harness_->Drain();
    EXPECT_EQ(Count("SELECT COUNT(*) FROM gitlab_issue"), 1);
}

TEST_P(GitlabWebhookTest, AnOlderCopyDeliveredLaterIsStale) {
    json newer = json::parse(Fixture("merge_request"));
    json older = newer;
    newer["object_attributes"]["updated_at"] = "2013-12-04T09:00:00Z";
    newer["object_attributes"]["title"] = "Renamed later";
    newer["object_attributes"]["state"] = "merged";
    const std::int64_t id = newer["object_attributes"]["id"];
    EXPECT_EQ(Deliver("Merge Request Hook", newer.dump()), "processed");
    EXPECT_EQ(Deliver("Merge Request Hook", older.dump()), "stale");
    EXPECT_EQ(Str("SELECT title FROM gitlab_merge_request WHERE id = ?", {id}), "Renamed later");
    EXPECT_EQ(Str("SELECT state FROM gitlab_merge_request WHERE id = ?", {id}), "merged");
    // The webhook form of times (" UTC") compares as the same instant.
    json same = newer;
    same["object_attributes"]["updated_at"] = "2013-12-04 09:00:00 UTC";
    same["object_attributes"]["title"] = "Same instant";
    EXPECT_EQ(Deliver("Merge Request Hook", same.dump()), "processed");
    EXPECT_EQ(Str("SELECT title FROM gitlab_merge_request WHERE id = ?", {id}), "Same instant");
}

TEST_P(GitlabWebhookTest, AUserRenamedLaterKeepsTheNewNameWhateverTheOrder) {
    json older = json::parse(Fixture("merge_request"));
    older["object_attributes"]["updated_at"] = "2024-03-01T10:00:00Z";
    json newer = older;
    newer["object_attributes"]["updated_at"] = "2024-03-02T10:00:00Z";
    // Every copy of the user in the newer payload carries the new name.
    for (json* u : {&newer["user"]}) (*u)["username"] = "renamed";
    for (const char* key : {"assignees", "reviewers"}) {
        for (auto& u : newer[key]) {
            if (u["id"] == newer["user"]["id"]) u["username"] = "renamed";
        }
    }
    newer["project"]["path_with_namespace"] = "moved/project";
    const std::int64_t user = older["user"]["id"];
    const std::int64_t project = older["project"]["id"];
    EXPECT_EQ(Deliver("Merge Request Hook", newer.dump()), "processed");
    EXPECT_EQ(Deliver("Merge Request Hook", older.dump()), "stale");
    EXPECT_EQ(Str("SELECT username FROM gitlab_user WHERE id = ?", {user}), "renamed");
    EXPECT_EQ(Str("SELECT path_with_namespace FROM gitlab_project WHERE id = ?", {project}),
              "moved/project");
    EXPECT_EQ(StoredTime(Str("SELECT seen_at FROM gitlab_user WHERE id = ?", {user})),
              "2024-03-02T10:00:00Z");
}

FORGEDB_INSTANTIATE_BACKENDS(GitlabWebhookTest);

}  // namespace
}  // namespace forgedb::testing
