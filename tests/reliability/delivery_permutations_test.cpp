// R1: the final rows do not depend on the order of deliveries. Each scenario is the history of
// one object (or a few) told by recorded fixtures, made consistent the way a real history is: one
// object id, strictly increasing versions, and each copy holding the object as it was at its
// time. Every ordering of the scenario's deliveries is posted over real HTTP and processed, one
// delivery per job, on a clean slate; the mirrored rows of every ordering must equal those of
// the first. A duplicate delivery (the same delivery id twice) is part of every ordering.
// Both backends.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "support/test_support.hpp"
#include "support/webhook_harness.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

struct Delivery {
    // GitHub event name, "gerrit" for a Gerrit event, or "gitlab:" and GitLab's X-Gitlab-Event.
    std::string event;
    json body;
};

// What is compared: one query per table, its rows in key order. Replication stamps and tombstone
// times are stamps of when forgedb wrote, not of the data: tombstones are compared as present or
// absent, raw as parsed JSON.
struct Snapshot {
    std::vector<std::string> queries;
};

// Tables a scenario may write, emptied between orderings.
constexpr const char* kTables[] = {
    "webhook_delivery",
    "job",
    "github_user",
    "github_repository",
    "github_issue",
    "github_issue_label",
    "github_issue_label_association",
    "github_pull_request",
    "github_pull_request_label_association",
    "github_pull_request_review",
    "github_milestone",
    "github_release",
    "github_ref",
    "gerrit_change",
    "gerrit_revision",
    "gerrit_account",
    "gitlab_user",
    "gitlab_project",
    "gitlab_merge_request",
    "gitlab_note",
    "gitlab_label",
    "contribution",
};

std::string Iso(int minute) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "2024-03-01T10:%02d:00Z", minute);
    return buf;
}

class DeliveryPermutationsTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (tdb_) h_ = std::make_unique<WebhookHarness>(tdb());
    }
    void TearDown() override { h_.reset(); }

    json Github(const std::string& rel) {
        return json::parse(ReadFile(DataPath("github/webhooks/" + rel + ".payload.json")));
    }
    json Gerrit(const std::string& rel) { return json::parse(ReadFile(DataPath("gerrit/" + rel))); }

    void Reset() {
        for (const char* table : kTables) {
            auto st = tdb().conn().Query(std::string("DELETE FROM ") + table);
            ASSERT_TRUE(st) << table << ": " << st.error().ToString();
        }
    }

    // One row per line, columns separated by '|'; raw columns re-serialized.
    std::string Read(const Snapshot& snapshot) {
        std::string out;
        for (const auto& sql : snapshot.queries) {
            auto res = tdb().conn().Query(sql);
            if (!res) {
                ADD_FAILURE() << sql << ": " << res.error().ToString();
                continue;
            }
            out += "# " + sql + "\n";
            for (const auto& row : res->rows) {
                for (const auto& cell : row) {
                    std::string v = cell.value_or("NULL");
                    if (!v.empty() && v.front() == '{') {
                        auto j = json::parse(v, nullptr, false);
                        if (!j.is_discarded()) v = j.dump();
                    }
                    out += v + "|";
                }
                out += "\n";
            }
        }
        return out;
    }

    // Posts the deliveries in `order` (the first one twice, as a redelivery), each processed by
    // its own job, and returns the snapshot.
    std::string Run(const std::vector<Delivery>& deliveries, const std::vector<size_t>& order,
                    const Snapshot& snapshot, int run) {
        Reset();
        int n = 0;
        auto post = [&](const Delivery& d, const std::string& id) {
            auto res = d.event == "gerrit" ? h_->PostGerrit(d.body.dump())
                       : d.event.starts_with("gitlab:")
                           ? h_->PostGitlab(d.event.substr(7), d.body.dump())
                           : h_->Post(d.event, d.body.dump(), id);
            ASSERT_TRUE(res);
            ASSERT_TRUE(res->status == 202 || res->status == 200) << res->status << res->body;
            h_->Drain();
        };
        for (size_t i : order) {
            post(deliveries[i], "r" + std::to_string(run) + "-" + std::to_string(n++));
        }
        // A duplicate of the first: the ledger keeps one, and nothing changes.
        post(deliveries[order.front()], "r" + std::to_string(run) + "-0");
        EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM webhook_delivery WHERE status NOT IN "
                              "('processed', 'stale')"),
                  0)
            << "every delivery is processed or stale";
        return Read(snapshot);
    }

    // Every ordering of `deliveries` ends with the rows of the first ordering.
    void ExpectOrderIndependent(const std::vector<Delivery>& deliveries, const Snapshot& snapshot) {
        std::vector<size_t> order(deliveries.size());
        std::iota(order.begin(), order.end(), 0);
        const std::string expected = Run(deliveries, order, snapshot, 0);
        ASSERT_FALSE(::testing::Test::HasFailure());
        int run = 0;
        int orderings = 1;
        while (std::next_permutation(order.begin(), order.end())) {
            ++orderings;
            std::string got = Run(deliveries, order, snapshot, ++run);
            std::string told;
            for (size_t i : order) told += std::to_string(i) + " ";
            ASSERT_EQ(got, expected) << "ordering " << told;
        }
        RecordProperty("orderings", orderings);
    }

    std::unique_ptr<WebhookHarness> h_;
};
FORGEDB_INSTANTIATE_BACKENDS(DeliveryPermutationsTest);

// An issue opened, edited, labeled and closed, and its label edited. 5! orderings (the label's
// creation is in LabelLifecycle).
TEST_P(DeliveryPermutationsTest, IssueAndItsLabel) {
    json opened = Github("issues/opened");
    const json repo = opened["repository"];
    json label = Github("label/created")["label"];
    auto copy = [&](json payload, int minute, const std::string& title, const std::string& state,
                    bool labeled) {
        payload["repository"] = repo;
        json issue = opened["issue"];
        issue["updated_at"] = Iso(minute);
        issue["title"] = title;
        issue["state"] = state;
        issue["closed_at"] = state == "closed" ? json(Iso(minute)) : json(nullptr);
        json edited_label = label;
        edited_label["color"] = "cceeaa";
        issue["labels"] = labeled ? json::array({edited_label}) : json::array();
        payload["issue"] = issue;
        return payload;
    };
    json label_edited = Github("label/edited");
    label_edited["repository"] = repo;
    label_edited["label"]["id"] = label["id"];
    label_edited["label"]["color"] = "cceeaa";
    json labeled = copy(Github("issues/labeled"), 3, "Second title", "open", true);
    labeled["label"] = label_edited["label"];
    std::vector<Delivery> deliveries = {
        {"issues", copy(opened, 1, "First title", "open", false)},
        {"issues", copy(Github("issues/edited"), 2, "Second title", "open", false)},
        {"issues", labeled},
        {"issues", copy(Github("issues/reopened"), 4, "Second title", "closed", true)},
        {"label", label_edited},
    };
    deliveries[3].body["action"] = "closed";
    ExpectOrderIndependent(
        deliveries,
        {{"SELECT id, number, title, state, updated_at, closed_at, deleted_at IS NULL, raw FROM "
          "github_issue ORDER BY id",
          "SELECT id, name, color, deleted_at IS NULL FROM github_issue_label ORDER BY id",
          "SELECT issue_id, label_id FROM github_issue_label_association ORDER BY 1, 2"}});
    EXPECT_EQ(tdb().Scalar("SELECT title FROM github_issue"), "Second title");
    EXPECT_EQ(tdb().Scalar("SELECT state FROM github_issue"), "closed");
    EXPECT_EQ(tdb().Scalar("SELECT color FROM github_issue_label"), "cceeaa");
}

// A pull request opened, synchronized and closed, and a review submitted then dismissed.
// 5! orderings.
TEST_P(DeliveryPermutationsTest, PullRequestAndItsReview) {
    json opened = Github("pull_request/opened");
    const json repo = opened["repository"];
    auto copy = [&](json payload, int minute, const std::string& state, const std::string& sha) {
        payload["repository"] = repo;
        json pr = opened["pull_request"];
        pr["updated_at"] = Iso(minute);
        pr["state"] = state;
        pr["closed_at"] = state == "closed" ? json(Iso(minute)) : json(nullptr);
        pr["head"]["sha"] = sha;
        payload["pull_request"] = pr;
        return payload;
    };
    json submitted = Github("pull_request_review/submitted");
    json dismissed = Github("pull_request_review/dismissed");
    for (json* r : {&submitted, &dismissed}) {
        (*r)["repository"] = repo;
        (*r)["pull_request"] = copy(opened, 2, "open", "bbbb")["pull_request"];
        (*r)["review"]["submitted_at"] = Iso(2);
    }
    dismissed["review"]["id"] = submitted["review"]["id"];
    std::vector<Delivery> deliveries = {
        {"pull_request", copy(opened, 1, "open", "aaaa")},
        {"pull_request", copy(Github("pull_request/synchronize"), 2, "open", "bbbb")},
        {"pull_request", copy(Github("pull_request/closed"), 3, "closed", "bbbb")},
        {"pull_request_review", submitted},
        {"pull_request_review", dismissed},
    };
    ExpectOrderIndependent(deliveries,
                           {{"SELECT id, number, state, head_sha, updated_at, closed_at, raw FROM "
                             "github_pull_request ORDER BY id",
                             "SELECT id, pull_request_id, LOWER(state), submitted_at, body FROM "
                             "github_pull_request_review ORDER BY id"}});
    EXPECT_EQ(tdb().Scalar("SELECT state FROM github_pull_request"), "closed");
    EXPECT_EQ(tdb().Scalar("SELECT LOWER(state) FROM github_pull_request_review"), "dismissed");
}

// A label created, edited and deleted: the deletion is final and keeps the edit. 3! orderings.
TEST_P(DeliveryPermutationsTest, LabelLifecycle) {
    json created = Github("label/created");
    json edited = Github("label/edited");
    json deleted = Github("label/deleted");
    for (json* l : {&edited, &deleted}) {
        (*l)["repository"] = created["repository"];
        (*l)["label"]["id"] = created["label"]["id"];
        (*l)["label"]["color"] = "cceeaa";
    }
    ExpectOrderIndependent(
        {{"label", created}, {"label", edited}, {"label", deleted}},
        {{"SELECT id, name, color, deleted_at IS NULL FROM github_issue_label ORDER BY id"}});
    EXPECT_EQ(tdb().Scalar("SELECT color FROM github_issue_label"), "cceeaa");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_issue_label WHERE deleted_at IS NOT NULL"),
              1);
}

// A release created, edited (with its update time) and deleted. 3! orderings.
TEST_P(DeliveryPermutationsTest, ReleaseLifecycle) {
    json created = Github("release/created");
    json edited = Github("release/edited");
    json deleted = Github("release/deleted");
    edited["release"] = created["release"];
    edited["release"]["name"] = "Renamed";
    edited["release"]["updated_at"] = Iso(2);
    deleted["release"] = edited["release"];
    for (json* r : {&edited, &deleted}) (*r)["repository"] = created["repository"];
    ExpectOrderIndependent({{"release", created}, {"release", edited}, {"release", deleted}},
                           {{"SELECT id, tag_name, name, draft, updated_at, deleted_at IS NULL "
                             "FROM github_release ORDER BY id"}});
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_release"), "Renamed");
}

// Gerrit events of two changes: a comment then a merge of change 1, patch sets 1 then 2 of
// change 2. 4! orderings.
TEST_P(DeliveryPermutationsTest, GerritEventsOfTwoChanges) {
    std::vector<Delivery> deliveries;
    for (const char* name :
         {"webhook.comment-added.cdevents.json", "webhook.change-merged.cdevents.json",
          "webhook.patchset-created.ps1.cdevents.json",
          "webhook.patchset-created.ps2.cdevents.json"}) {
        deliveries.push_back({"gerrit", Gerrit(std::string("cdevents-community/") + name)});
    }
    ExpectOrderIndependent(
        deliveries, {{"SELECT number, status, current_patch_set, current_revision, submitted_at, "
                      "last_event_at, raw FROM gerrit_change ORDER BY number",
                      "SELECT change_number, patch_set, revision FROM gerrit_revision ORDER BY "
                      "1, 2"}});
    EXPECT_EQ(tdb().Scalar("SELECT status FROM gerrit_change WHERE number = 1"), "MERGED");
    EXPECT_EQ(tdb().Scalar("SELECT current_patch_set FROM gerrit_change WHERE number = 2"), "2");
}

// A GitLab merge request opened, retitled and merged, and a note on it that carries the merge
// request as it was at the retitle. 4! orderings.
TEST_P(DeliveryPermutationsTest, GitlabMergeRequestAndItsNote) {
    auto fixture = [](const std::string& name) {
        return json::parse(ReadFile(DataPath("gitlab/webhooks/" + name + ".json")));
    };
    json opened = fixture("merge_request");
    opened["object_attributes"]["updated_at"] = Iso(1);
    opened["object_attributes"]["title"] = "First title";
    json retitled = opened;
    retitled["object_attributes"]["updated_at"] = Iso(2);
    retitled["object_attributes"]["title"] = "Second title";
    retitled["object_attributes"]["action"] = "update";
    json merged = retitled;
    merged["object_attributes"]["updated_at"] = Iso(3);
    merged["object_attributes"]["state"] = "merged";
    merged["object_attributes"]["action"] = "merge";
    json note = fixture("note_merge_request");
    const json& mr = opened["object_attributes"];
    note["merge_request"]["id"] = mr["id"];
    note["merge_request"]["iid"] = mr["iid"];
    note["merge_request"]["updated_at"] = Iso(2);
    note["merge_request"]["title"] = "Second title";
    note["merge_request"]["state"] = "opened";
    note["object_attributes"]["noteable_id"] = mr["id"];
    ExpectOrderIndependent(
        {{"gitlab:Merge Request Hook", opened},
         {"gitlab:Merge Request Hook", retitled},
         {"gitlab:Merge Request Hook", merged},
         {"gitlab:Note Hook", note}},
        {{"SELECT id, iid, project_id, title, state, updated_at, draft FROM "
          "gitlab_merge_request ORDER BY id",
          "SELECT id, noteable_type, noteable_id, noteable_iid, body, updated_at FROM gitlab_note "
          "ORDER BY id",
          "SELECT id, username FROM gitlab_user ORDER BY id"}});
    EXPECT_EQ(tdb().Scalar("SELECT state FROM gitlab_merge_request"), "merged");
    EXPECT_EQ(tdb().Scalar("SELECT title FROM gitlab_merge_request"), "Second title");
}

}  // namespace
}  // namespace forgedb::testing
