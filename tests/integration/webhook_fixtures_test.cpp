// Every recorded GitHub delivery of the replicated events goes through the real HTTP endpoint,
// signed, into a fresh database; the rows it must produce are checked against the payload itself.

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

class WebhookFixturesTest : public BackendTest {
protected:
    // Delivers one fixture into a fresh database and runs the common checks.
    void DeliverFresh(const std::string& event, const std::string& path) {
        tdb_ = TestDatabase::Create(GetParam());
        harness_ = std::make_unique<WebhookHarness>(tdb());
        payload_ = json::parse(ReadFile(path));
        auto res = harness_->Post(event, ReadFile(path), "fixture-1");
        ASSERT_TRUE(res);
        ASSERT_EQ(res->status, 202) << res->body;
        EXPECT_EQ(harness_->Drain(), 1);
        EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery WHERE delivery_id = ?",
                               {std::string("fixture-1")}),
                  "processed")
            << tdb().Scalar("SELECT error FROM webhook_delivery").value_or("");
        EXPECT_EQ(tdb().Scalar("SELECT event FROM webhook_delivery"), event);
        if (payload_.contains("action")) {
            EXPECT_EQ(tdb().Scalar("SELECT action FROM webhook_delivery"),
                      payload_["action"].get<std::string>());
        }
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'succeeded'"), 1);
        const json& repo = payload_["repository"];
        EXPECT_EQ(Str("SELECT full_name FROM github_repository WHERE id = ?",
                      repo["id"].get<std::int64_t>()),
                  repo["full_name"].get<std::string>());
        EXPECT_EQ(Str("SELECT owner_login FROM github_repository WHERE id = ?",
                      repo["id"].get<std::int64_t>()),
                  repo["owner"]["login"].get<std::string>());
        const json& sender = payload_["sender"];
        EXPECT_EQ(
            Str("SELECT login FROM github_user WHERE id = ?", sender["id"].get<std::int64_t>()),
            sender["login"].get<std::string>());
    }

    std::optional<std::string> Str(const std::string& sql, std::int64_t id) {
        return tdb().Scalar(sql, {id});
    }
    long long Count(const std::string& sql, std::int64_t id) { return tdb().Count(sql, {id}); }
    std::string Action() const { return payload_.value("action", ""); }
    static std::optional<std::string> OptStr(const json& v) {
        if (v.is_null()) return std::nullopt;
        return v.get<std::string>();
    }
    static std::string Time(const json& v) { return v.is_null() ? "NULL" : v.get<std::string>(); }

    // The association holds the payload's labels; after `labeled`/`unlabeled`, the top-level
    // label is on/off whatever the object copy says (the recorded `unlabeled` payloads still list
    // the label they remove).
    void CheckLabels(const std::string& assoc_table, const std::string& owner_column,
                     std::int64_t owner_id, const json& labels, std::int64_t repo_id) {
        json expected = json::array();
        const bool action_on_label = Action() == "labeled" || Action() == "unlabeled";
        const std::int64_t acted =
            action_on_label ? payload_["label"]["id"].get<std::int64_t>() : 0;
        for (const auto& l : labels) {
            if (action_on_label && l["id"] == acted) continue;
            expected.push_back(l);
        }
        if (Action() == "labeled") expected.push_back(payload_["label"]);
        EXPECT_EQ(Count("SELECT COUNT(*) FROM " + assoc_table + " WHERE " + owner_column + " = ?",
                        owner_id),
                  static_cast<long long>(expected.size()));
        if (action_on_label) {
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + assoc_table + " WHERE " + owner_column +
                                      " = ? AND label_id = ?",
                                  {owner_id, acted}),
                      Action() == "labeled" ? 1 : 0);
        }
        for (const auto& l : expected) {
            auto id = l["id"].get<std::int64_t>();
            EXPECT_EQ(Str("SELECT name FROM github_issue_label WHERE id = ?", id),
                      l["name"].get<std::string>());
            EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label WHERE id = ? AND "
                                  "repo_id = ?",
                                  {id, repo_id}),
                      1);
        }
    }

    void CheckPullRequest(const json& pr) {
        auto id = pr["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT title FROM github_pull_request WHERE id = ?", id),
                  pr["title"].get<std::string>());
        EXPECT_EQ(Str("SELECT state FROM github_pull_request WHERE id = ?", id),
                  pr["state"].get<std::string>());
        EXPECT_EQ(Str("SELECT body FROM github_pull_request WHERE id = ?", id), OptStr(pr["body"]));
        EXPECT_EQ(Str("SELECT user_login FROM github_pull_request WHERE id = ?", id),
                  pr["user"]["login"].get<std::string>());
        EXPECT_EQ(NormTime(Str("SELECT updated_at FROM github_pull_request WHERE id = ?", id)),
                  Time(pr["updated_at"]));
        EXPECT_EQ(NormTime(Str("SELECT closed_at FROM github_pull_request WHERE id = ?", id)),
                  Time(pr["closed_at"]));
        auto base_repo = pr["base"]["repo"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT base_repo_id FROM github_pull_request WHERE id = ?", id),
                  std::to_string(base_repo));
        EXPECT_EQ(Str("SELECT head_sha FROM github_pull_request WHERE id = ?", id),
                  pr["head"]["sha"].get<std::string>());
        EXPECT_EQ(
            Str("SELECT login FROM github_user WHERE id = ?", pr["user"]["id"].get<std::int64_t>()),
            pr["user"]["login"].get<std::string>());
        if (pr.contains("labels")) {
            CheckLabels("github_pull_request_label_association", "pull_request_id", id,
                        pr["labels"], base_repo);
        }
        if (pr.contains("milestone") && !pr["milestone"].is_null()) {
            auto mid = pr["milestone"]["id"].get<std::int64_t>();
            EXPECT_EQ(Str("SELECT milestone_id FROM github_pull_request WHERE id = ?", id),
                      std::to_string(mid));
            // Joined on the base repository (the seed used the head repository).
            EXPECT_EQ(Str("SELECT repo_id FROM github_milestone WHERE id = ?", mid),
                      std::to_string(base_repo));
        }
        auto raw = json::parse(Str("SELECT raw FROM github_pull_request WHERE id = ?", id).value());
        EXPECT_EQ(raw["id"], pr["id"]);
    }

    // Checks the columns of the keys the issue object carries (some payloads, such as
    // "pinned", send a partial issue without state, labels or assignee).
    void CheckIssue(const json& issue, std::int64_t repo_id) {
        auto id = issue["id"].get<std::int64_t>();
        auto col = [&](const std::string& c) {
            return Str("SELECT " + c + " FROM github_issue WHERE id = ?", id);
        };
        EXPECT_EQ(col("repo_id"), std::to_string(repo_id));
        EXPECT_EQ(col("number"), std::to_string(issue["number"].get<int>()));
        EXPECT_EQ(col("title"), issue["title"].get<std::string>());
        if (issue.contains("state")) {
            EXPECT_EQ(col("state"), issue["state"].get<std::string>());
        }
        if (issue.contains("body")) {
            EXPECT_EQ(col("body"), OptStr(issue["body"]));
        }
        EXPECT_EQ(NormTime(col("updated_at")), Time(issue["updated_at"]));
        if (issue.contains("closed_at")) {
            EXPECT_EQ(NormTime(col("closed_at")), Time(issue["closed_at"]));
        }
        if (issue.contains("assignee")) {
            EXPECT_EQ(
                col("assignee_login"),
                issue["assignee"].is_null()
                    ? std::nullopt
                    : std::optional<std::string>(issue["assignee"]["login"].get<std::string>()));
        }
        if (issue.contains("labels")) {
            CheckLabels("github_issue_label_association", "issue_id", id, issue["labels"], repo_id);
        }
        if (issue.contains("milestone") && !issue["milestone"].is_null()) {
            auto mid = issue["milestone"]["id"].get<std::int64_t>();
            EXPECT_EQ(col("milestone_number"),
                      std::to_string(issue["milestone"]["number"].get<int>()));
            EXPECT_EQ(Str("SELECT title FROM github_milestone WHERE id = ?", mid),
                      issue["milestone"]["title"].get<std::string>());
            EXPECT_EQ(Str("SELECT repo_id FROM github_milestone WHERE id = ?", mid),
                      std::to_string(repo_id));
        } else if (issue.contains("milestone")) {
            EXPECT_EQ(col("milestone_id"), std::nullopt);
        }
        EXPECT_EQ(col("user_login"), issue["user"]["login"].get<std::string>());
    }

    bool Tombstoned(const std::string& table, std::int64_t id) {
        return Str("SELECT deleted_at FROM " + table + " WHERE id = ?", id).has_value();
    }

    void ForEachFixture(const std::string& event,
                        const std::function<void(const json& payload)>& check) {
        auto files = ListFiles("github/webhooks/" + event);
        ASSERT_FALSE(files.empty());
        for (const auto& f : files) {
            SCOPED_TRACE(f);
            DeliverFresh(event, f);
            try {
                check(payload_);
            } catch (const std::exception& e) {
                ADD_FAILURE() << f << ": " << e.what();
            }
            harness_.reset();
        }
    }

    std::unique_ptr<WebhookHarness> harness_;
    json payload_;
};
FORGEDB_INSTANTIATE_BACKENDS(WebhookFixturesTest);

TEST_P(WebhookFixturesTest, PullRequest) {
    ForEachFixture("pull_request", [&](const json& p) { CheckPullRequest(p["pull_request"]); });
}

TEST_P(WebhookFixturesTest, Issues) {
    ForEachFixture("issues", [&](const json& p) {
        auto repo_id = p["repository"]["id"].get<std::int64_t>();
        auto id = p["issue"]["id"].get<std::int64_t>();
        if (Action() == "transferred") {
            EXPECT_TRUE(Tombstoned("github_issue", id));
            const json& moved = p["changes"]["new_issue"];
            CheckIssue(moved, p["changes"]["new_repository"]["id"].get<std::int64_t>());
            EXPECT_FALSE(Tombstoned("github_issue", moved["id"].get<std::int64_t>()));
            return;
        }
        CheckIssue(p["issue"], repo_id);
        EXPECT_EQ(Tombstoned("github_issue", id), Action() == "deleted");
    });
}

TEST_P(WebhookFixturesTest, IssueComment) {
    ForEachFixture("issue_comment", [&](const json& p) {
        auto id = p["comment"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT issue_id FROM github_issue_comment WHERE id = ?", id),
                  std::to_string(p["issue"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Str("SELECT body FROM github_issue_comment WHERE id = ?", id),
                  p["comment"]["body"].get<std::string>());
        EXPECT_EQ(Str("SELECT user_login FROM github_issue_comment WHERE id = ?", id),
                  p["comment"]["user"]["login"].get<std::string>());
        EXPECT_EQ(Str("SELECT repo_id FROM github_issue_comment WHERE id = ?", id),
                  std::to_string(p["repository"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Tombstoned("github_issue_comment", id), Action() == "deleted");
        CheckIssue(p["issue"], p["repository"]["id"].get<std::int64_t>());
    });
}

TEST_P(WebhookFixturesTest, Label) {
    ForEachFixture("label", [&](const json& p) {
        auto id = p["label"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT name FROM github_issue_label WHERE id = ?", id),
                  p["label"]["name"].get<std::string>());
        EXPECT_EQ(Str("SELECT color FROM github_issue_label WHERE id = ?", id),
                  p["label"]["color"].get<std::string>());
        EXPECT_EQ(Str("SELECT repo_id FROM github_issue_label WHERE id = ?", id),
                  std::to_string(p["repository"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Tombstoned("github_issue_label", id), Action() == "deleted");
    });
}

TEST_P(WebhookFixturesTest, Milestone) {
    ForEachFixture("milestone", [&](const json& p) {
        auto id = p["milestone"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT title FROM github_milestone WHERE id = ?", id),
                  p["milestone"]["title"].get<std::string>());
        EXPECT_EQ(Str("SELECT number FROM github_milestone WHERE id = ?", id),
                  std::to_string(p["milestone"]["number"].get<int>()));
        EXPECT_EQ(Str("SELECT state FROM github_milestone WHERE id = ?", id),
                  p["milestone"]["state"].get<std::string>());
        EXPECT_EQ(Str("SELECT creator_login FROM github_milestone WHERE id = ?", id),
                  p["milestone"]["creator"]["login"].get<std::string>());
        EXPECT_EQ(NormTime(Str("SELECT due_at FROM github_milestone WHERE id = ?", id)),
                  Time(p["milestone"]["due_on"]));
        EXPECT_EQ(Tombstoned("github_milestone", id), Action() == "deleted");
    });
}

TEST_P(WebhookFixturesTest, Repository) {
    ForEachFixture("repository", [&](const json& p) {
        auto id = p["repository"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT name FROM github_repository WHERE id = ?", id),
                  p["repository"]["name"].get<std::string>());
        EXPECT_EQ(Str("SELECT private FROM github_repository WHERE id = ?", id),
                  p["repository"]["private"].get<bool>()
                      ? (GetParam() == Backend::kSqlite ? "1" : "t")
                      : (GetParam() == Backend::kSqlite ? "0" : "f"));
        EXPECT_EQ(NormTime(Str("SELECT created_at FROM github_repository WHERE id = ?", id)),
                  p["repository"]["created_at"].is_number()
                      ? NormTime(FormatForgeTime(
                            *FromUnixSeconds(p["repository"]["created_at"].get<long long>())))
                      : Time(p["repository"]["created_at"]));
        EXPECT_FALSE(Tombstoned("github_repository", id));
    });
}

TEST_P(WebhookFixturesTest, Member) {
    ForEachFixture("member", [&](const json& p) {
        auto user = p["member"]["id"].get<std::int64_t>();
        auto repo = p["repository"]["id"].get<std::int64_t>();
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_user_repository_association WHERE "
                              "user_id = ? AND repo_id = ? AND deleted_at IS NULL",
                              {user, repo}),
                  1);
        EXPECT_EQ(Str("SELECT login FROM github_user WHERE id = ?", user),
                  p["member"]["login"].get<std::string>());
    });
}

TEST_P(WebhookFixturesTest, PullRequestReview) {
    ForEachFixture("pull_request_review", [&](const json& p) {
        auto id = p["review"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT state FROM github_pull_request_review WHERE id = ?", id),
                  p["review"]["state"].get<std::string>());
        EXPECT_EQ(Str("SELECT pull_request_id FROM github_pull_request_review WHERE id = ?", id),
                  std::to_string(p["pull_request"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Str("SELECT commit_id FROM github_pull_request_review WHERE id = ?", id),
                  p["review"]["commit_id"].get<std::string>());
        CheckPullRequest(p["pull_request"]);
    });
}

TEST_P(WebhookFixturesTest, PullRequestReviewComment) {
    ForEachFixture("pull_request_review_comment", [&](const json& p) {
        auto id = p["comment"]["id"].get<std::int64_t>();
        EXPECT_EQ(Str("SELECT path FROM github_pull_request_review_comment WHERE id = ?", id),
                  p["comment"]["path"].get<std::string>());
        EXPECT_EQ(Str("SELECT body FROM github_pull_request_review_comment WHERE id = ?", id),
                  p["comment"]["body"].get<std::string>());
        EXPECT_EQ(
            Str("SELECT pull_request_id FROM github_pull_request_review_comment WHERE id = ?", id),
            std::to_string(p["pull_request"]["id"].get<std::int64_t>()));
        EXPECT_EQ(Tombstoned("github_pull_request_review_comment", id), Action() == "deleted");
        CheckPullRequest(p["pull_request"]);
    });
}

// Events forgedb does not replicate are logged, answered 202 and marked "ignored".
TEST_P(WebhookFixturesTest, OtherEventsAreLoggedAndIgnored) {
    for (std::string event : {"star", "fork", "status", "watch"}) {
        auto files = ListFiles("github/webhooks/" + event);
        ASSERT_FALSE(files.empty());
        SCOPED_TRACE(files.front());
        tdb_ = TestDatabase::Create(GetParam());
        WebhookHarness h(tdb());
        auto res = h.Post(event, ReadFile(files.front()), "other-1");
        ASSERT_TRUE(res);
        EXPECT_EQ(res->status, 202);
        h.Drain();
        EXPECT_EQ(tdb().Scalar("SELECT status FROM webhook_delivery"), "ignored");
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_repository"), 0);
    }
}

}  // namespace
}  // namespace forgedb::testing
