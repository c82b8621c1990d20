// The fake GitLab over real HTTP on loopback: offset and keyset paging, list filters, projects
// named by encoded path, visibility and tokens, rate-limit headers and 429s, ETags and 304s,
// injected faults, generated objects against the recorded GitLab bodies of tests/data/gitlab,
// user events, the control API and the standalone binary.

#include "fake_forge/fake_gitlab.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/time.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::fake {
namespace {

using nlohmann::json;
using testing::HttpHeaders;
using testing::TestClient;
using testing::TestClientOptions;
using testing::TestReply;

constexpr const char* kToken = "glpat-test-token";

// rel -> URL of a Link header.
std::map<std::string, std::string> Links(const std::string& header) {
    std::map<std::string, std::string> out;
    size_t pos = 0;
    while ((pos = header.find('<', pos)) != std::string::npos) {
        size_t end = header.find('>', pos);
        size_t rel = header.find("rel=\"", end);
        if (end == std::string::npos || rel == std::string::npos) break;
        size_t rel_end = header.find('"', rel + 5);
        out[header.substr(rel + 5, rel_end - rel - 5)] = header.substr(pos + 1, end - pos - 1);
        pos = rel_end;
    }
    return out;
}

// GitLab's form of a time: "2021-01-01T00:00:00.000Z".
std::string GitlabTimeOf(Timestamp t) { return FormatLocalTime(t).substr(0, 23) + "Z"; }

std::string Upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

json Fixture(const std::string& name) {
    return json::parse(testing::ReadFile(testing::DataPath("gitlab/rest/" + name)));
}

// Every top-level key of `fixture` is in `generated`, and where both values are not null they
// have the same JSON type (numbers of any kind count as one type).
void ExpectShapeOf(const json& fixture, const json& generated, const std::string& what) {
    ASSERT_TRUE(fixture.is_object()) << what;
    ASSERT_TRUE(generated.is_object()) << what << ": " << generated.dump().substr(0, 200);
    for (const auto& [key, value] : fixture.items()) {
        auto it = generated.find(key);
        if (it == generated.end()) {
            ADD_FAILURE() << what << " lacks \"" << key << "\"";
            continue;
        }
        if (value.is_null() || it->is_null()) continue;
        if (value.is_number() && it->is_number()) continue;
        EXPECT_EQ(value.type_name(), std::string(it->type_name()))
            << what << " \"" << key << "\": " << it->dump().substr(0, 80);
    }
}

class FakeGitlabTest : public ::testing::Test {
protected:
    void SetUp() override {
        GitlabGenerateOptions o;
        o.merge_requests = 30;
        o.issues = 20;
        gen_ = fake_.Generate(o);
        fake_.AddToken(kToken, "alice");
        auto st = fake_.Start();
        ASSERT_TRUE(st) << st.error().ToString();
        client_ = std::make_unique<TestClient>(
            "127.0.0.1", fake_.port(), TestClientOptions{.timeout = std::chrono::seconds(10)});
    }
    void TearDown() override {
        client_.reset();
        fake_.Stop();
    }

    // GET with the token (PRIVATE-TOKEN), or anonymously.
    std::optional<TestReply> Get(const std::string& path, HttpHeaders headers = {}) {
        headers.emplace_back("PRIVATE-TOKEN", kToken);
        return client_->Get(path, headers);
    }
    std::optional<TestReply> Anonymous(const std::string& path, const HttpHeaders& headers = {}) {
        return client_->Get(path, headers);
    }
    static json Body(const std::optional<TestReply>& r) {
        if (!r) return nullptr;
        return json::parse(r->body, nullptr, false);
    }
    std::string Local(const std::string& url) const {
        EXPECT_EQ(url.rfind(fake_.base_url(), 0), 0u) << url;
        return url.substr(fake_.base_url().size());
    }
    static std::string Project(long long id) { return "/api/v4/projects/" + std::to_string(id); }
    long long PublicProject() const { return gen_.project_ids[0]; }
    long long PrivateProject() const { return gen_.private_project_ids.at(0); }

    // Follows Link rel="next" from `path`: every item, and the answers.
    std::vector<json> Walk(const std::string& path, std::vector<TestReply>* answers = nullptr) {
        std::vector<json> items;
        std::string next = path;
        for (int n = 0; !next.empty() && n < 1000; ++n) {
            auto r = Get(next);
            EXPECT_TRUE(r);
            if (!r) break;
            EXPECT_EQ(r->status, 200) << next << ": " << r->body;
            for (auto& x : Body(r)) items.push_back(x);
            auto links = Links(r->Header("Link"));
            next = links.count("next") ? Local(links["next"]) : "";
            if (answers) answers->push_back(*r);
        }
        return items;
    }

    FakeGitlab fake_;
    GeneratedGitlab gen_;
    std::unique_ptr<TestClient> client_;
};

// ---- paging ----

using FakeGitlabPaging = FakeGitlabTest;

TEST_F(FakeGitlabPaging, OffsetPagesWalkEveryMergeRequestOnce) {
    const auto all = fake_.Items(PublicProject(), GitlabItemKind::kMergeRequest);
    ASSERT_EQ(all.size(), 30u);
    std::set<long long> expected;
    for (const auto& mr : all) expected.insert(mr["id"].get<long long>());

    // By X-Next-Page, as go-gitlab does.
    std::vector<long long> seen;
    std::string page = "1";
    int requests = 0;
    std::string previous_created = "9999";
    while (!page.empty() && requests < 20) {
        auto r = Get(Project(PublicProject()) + "/merge_requests?per_page=7&page=" + page);
        ASSERT_TRUE(r);
        ASSERT_EQ(r->status, 200) << r->body;
        ++requests;
        EXPECT_EQ(r->Header("X-Page"), page);
        EXPECT_EQ(r->Header("X-Per-Page"), "7");
        EXPECT_EQ(r->Header("X-Total"), "30");
        EXPECT_EQ(r->Header("X-Total-Pages"), "5");
        EXPECT_EQ(r->Header("X-Prev-Page"), page == "1" ? "" : std::to_string(std::stoi(page) - 1));
        ASSERT_TRUE(r->HasHeader("X-Next-Page"));
        auto links = Links(r->Header("Link"));
        EXPECT_TRUE(links.count("first") && links.count("last"));
        EXPECT_EQ(links.count("next"), r->Header("X-Next-Page").empty() ? 0u : 1u);
        EXPECT_EQ(links.count("prev"), page == "1" ? 0u : 1u);
        for (const auto& mr : Body(r)) {
            seen.push_back(mr["id"].get<long long>());
            const std::string created = mr["created_at"];
            EXPECT_LE(created, previous_created) << "created_at descending by default";
            previous_created = created;
        }
        page = r->Header("X-Next-Page");
    }
    EXPECT_EQ(requests, 5);
    EXPECT_EQ(seen.size(), 30u);
    EXPECT_EQ(std::set<long long>(seen.begin(), seen.end()), expected);

    // By Link rel="next": the same sequence; the URLs are absolute, from the request's Host.
    std::vector<TestReply> answers;
    auto walked = Walk(Project(PublicProject()) + "/merge_requests?per_page=7&state=all");
    ASSERT_EQ(walked.size(), 30u);
    for (size_t i = 0; i < walked.size(); ++i) EXPECT_EQ(walked[i]["id"], seen[i]);
    auto first = Get(Project(PublicProject()) + "/merge_requests?per_page=7&state=all");
    const std::string next = Links(first->Header("Link"))["next"];
    EXPECT_EQ(next.rfind("http://127.0.0.1:" + std::to_string(fake_.port()) +
                             Project(PublicProject()) + "/merge_requests?",
                         0),
              0u)
        << next;
    EXPECT_NE(next.find("state=all"), std::string::npos) << "the query is kept";
    EXPECT_NE(next.find("page=2"), std::string::npos);

    // Past the end: an empty page; per_page is capped at 100.
    auto past = Get(Project(PublicProject()) + "/merge_requests?per_page=7&page=9");
    EXPECT_EQ(Body(past), json::array());
    EXPECT_EQ(past->Header("X-Next-Page"), "");
    auto big = Get(Project(PublicProject()) + "/merge_requests?per_page=500");
    EXPECT_EQ(big->Header("X-Per-Page"), "100");
    EXPECT_EQ(Body(big).size(), 30u);
    EXPECT_EQ(Body(Get(Project(PublicProject()) + "/merge_requests")).size(), 20u)
        << "default per_page";
}

TEST_F(FakeGitlabPaging, KeysetPagesWalkEveryItemOnce) {
    // Projects by id, ascending: the cursor is id_after.
    std::vector<TestReply> answers;
    auto projects =
        Walk("/api/v4/projects?pagination=keyset&order_by=id&sort=asc&per_page=1", &answers);
    ASSERT_EQ(projects.size(), gen_.project_ids.size()) << "the token sees the private one too";
    for (size_t i = 0; i < projects.size(); ++i) EXPECT_EQ(projects[i]["id"], gen_.project_ids[i]);
    for (size_t i = 0; i < answers.size(); ++i) {
        const auto& r = answers[i];
        EXPECT_FALSE(r.HasHeader("X-Total"));
        EXPECT_FALSE(r.HasHeader("X-Total-Pages"));
        EXPECT_FALSE(r.HasHeader("X-Page"));
        auto links = Links(r.Header("Link"));
        EXPECT_EQ(links.count("next"), i + 1 < answers.size() ? 1u : 0u);
        EXPECT_FALSE(links.count("prev") || links.count("first") || links.count("last"));
        if (links.count("next")) {
            EXPECT_NE(links["next"].find("id_after=" + std::to_string(gen_.project_ids[i])),
                      std::string::npos)
                << links["next"];
        }
    }

    // Merge requests by updated_at, descending: an opaque cursor.
    answers.clear();
    auto mrs = Walk(Project(PublicProject()) +
                        "/merge_requests?pagination=keyset&order_by=updated_at&sort=desc&"
                        "per_page=4",
                    &answers);
    ASSERT_EQ(mrs.size(), 30u);
    std::set<long long> ids;
    for (size_t i = 0; i < mrs.size(); ++i) {
        ids.insert(mrs[i]["id"].get<long long>());
        if (i > 0) {
            EXPECT_GE(mrs[i - 1]["updated_at"].get<std::string>(),
                      mrs[i]["updated_at"].get<std::string>());
        }
    }
    EXPECT_EQ(ids.size(), 30u) << "no item twice";
    EXPECT_EQ(answers.size(), 8u);
    EXPECT_NE(Links(answers[0].Header("Link"))["next"].find("cursor="), std::string::npos);

    // Issues by id, descending (id_before), and filtered.
    auto issues = Walk(Project(PublicProject()) +
                       "/issues?pagination=keyset&order_by=id&sort=desc&per_page=3&state=opened");
    size_t opened = 0;
    for (const auto& i : fake_.Items(PublicProject(), GitlabItemKind::kIssue)) {
        opened += i["state"] == "opened";
    }
    ASSERT_EQ(issues.size(), opened);
    for (size_t i = 1; i < issues.size(); ++i) EXPECT_GT(issues[i - 1]["id"], issues[i]["id"]);

    // A group's projects, its subgroup's included.
    auto group = Walk(
        "/api/v4/groups/acme/projects?include_subgroups=true&pagination=keyset&"
        "order_by=id&sort=asc&per_page=1");
    std::set<std::string> paths;
    for (const auto& p : group) paths.insert(p["path_with_namespace"]);
    EXPECT_EQ(paths, (std::set<std::string>{"acme/web", "acme/platform/api", "acme/docs"}));
    EXPECT_EQ(Walk("/api/v4/groups/acme/projects?pagination=keyset&order_by=id&per_page=1").size(),
              2u)
        << "without include_subgroups";
}

TEST_F(FakeGitlabPaging, KeysetIsRefusedWhereGitlabHasNone) {
    for (const std::string& path :
         {Project(PublicProject()) + "/merge_requests/1/notes?pagination=keyset",
          std::string("/api/v4/projects?pagination=keyset&order_by=name"),
          Project(PublicProject()) + "/repository/commits?pagination=keyset"}) {
        auto r = Get(path);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 405) << path;
        EXPECT_EQ(Body(r)["error"],
                  "Keyset pagination is not yet available for this type of request");
    }
}

TEST_F(FakeGitlabPaging, TotalsCanBeLeftOut) {
    const std::string path = Project(PublicProject()) + "/merge_requests?per_page=10";
    fake_.SetTotals(false, 10000);
    auto r = Get(path);
    EXPECT_FALSE(r->HasHeader("X-Total"));
    EXPECT_FALSE(r->HasHeader("X-Total-Pages"));
    EXPECT_EQ(r->Header("X-Next-Page"), "2") << "paging still works";
    auto links = Links(r->Header("Link"));
    EXPECT_TRUE(links.count("next") && links.count("first"));
    EXPECT_FALSE(links.count("last"));

    // GitLab's rule: no totals for lists over a limit; over the control API.
    auto put = client_->Put("/_fake/settings", R"({"send_totals":true,"totals_limit":25})",
                            "application/json");
    ASSERT_EQ(put->status, 200);
    EXPECT_FALSE(Get(path)->HasHeader("X-Total")) << "30 merge requests";
    EXPECT_EQ(Get(Project(PublicProject()) + "/issues?per_page=10")->Header("X-Total"), "20");
}

// ---- filters ----

using FakeGitlabFilters = FakeGitlabTest;

TEST_F(FakeGitlabFilters, StateAuthorAndUpdatedAfterFilterLists) {
    const auto all = fake_.Items(PublicProject(), GitlabItemKind::kMergeRequest);
    std::map<std::string, size_t> by_state;
    std::map<std::string, size_t> by_author;
    std::vector<std::string> updated;
    for (const auto& mr : all) {
        ++by_state[mr["state"]];
        ++by_author[mr["author"]["username"]];
        updated.push_back(mr["updated_at"]);
    }
    ASSERT_GE(by_state.size(), 3u) << "opened, merged and closed at least";
    const std::string list = Project(PublicProject()) + "/merge_requests?per_page=100";
    for (const auto& [state, count] : by_state) {
        auto items = Body(Get(list + "&state=" + state));
        EXPECT_EQ(items.size(), count) << state;
        for (const auto& mr : items) EXPECT_EQ(mr["state"], state);
    }
    const auto& [author, count] = *by_author.begin();
    auto mine = Body(Get(list + "&author_username=" + Upper(author)));
    EXPECT_EQ(mine.size(), count) << "usernames compare case-insensitively";
    for (const auto& mr : mine) EXPECT_EQ(mr["author"]["username"], author);
    EXPECT_EQ(Body(Get(list + "&author_username=nobody")), json::array());

    std::sort(updated.begin(), updated.end());
    const std::string middle = updated[updated.size() / 2];
    auto recent = Body(Get(list + "&updated_after=" + middle));
    EXPECT_EQ(recent.size(), updated.size() - updated.size() / 2) << "updated_after is inclusive";
    for (const auto& mr : recent) EXPECT_GE(mr["updated_at"].get<std::string>(), middle);
    auto older = Body(Get(list + "&updated_before=" + middle));
    EXPECT_EQ(older.size(), updated.size() / 2 + 1);

    EXPECT_EQ(Get(list + "&state=bogus")->status, 400);
    EXPECT_EQ(Body(Get(list + "&state=bogus"))["error"], "state does not have a valid value");
    EXPECT_EQ(Body(Get(list + "&updated_after=yesterday"))["error"], "updated_after is invalid");
    EXPECT_EQ(Get(list + "&order_by=popularity")->status, 400);
}

TEST_F(FakeGitlabFilters, UpdatedAfterFindsOnlyWhatChangedSinceTheLastSync) {
    const std::string mrs = Project(PublicProject()) + "/merge_requests?per_page=100";
    const std::string issues = Project(PublicProject()) + "/issues?per_page=100";
    const std::string since = GitlabTimeOf(gen_.latest_update + std::chrono::milliseconds(1));
    EXPECT_EQ(Body(Get(mrs + "&updated_after=" + since)), json::array());
    EXPECT_EQ(Body(Get(issues + "&updated_after=" + since)), json::array());

    // A merge request is closed and an issue commented on, later, over the control API.
    const std::string later = "2031-05-01T10:00:00Z";
    json opened;
    for (const auto& mr : fake_.Items(PublicProject(), GitlabItemKind::kMergeRequest)) {
        if (mr["state"] == "opened") opened = mr;
    }
    ASSERT_TRUE(opened.is_object());
    const std::string iid = std::to_string(opened["iid"].get<long long>());
    auto patched = client_->Patch(
        "/_fake/projects/" + std::to_string(PublicProject()) + "/merge_requests/" + iid,
        json{{"patch", {{"state", "closed"}}}, {"at", later}}.dump(), "application/json");
    ASSERT_EQ(patched->status, 200) << patched->body;
    auto noted =
        client_->Post("/_fake/projects/" + std::to_string(PublicProject()) + "/issues/2/notes",
                      json{{"author", "carol"}, {"body", "Still failing"}, {"at", later}}.dump(),
                      "application/json");
    ASSERT_EQ(noted->status, 200) << noted->body;

    auto changed = Body(Get(mrs + "&updated_after=" + since));
    ASSERT_EQ(changed.size(), 1u);
    EXPECT_EQ(changed[0]["iid"], opened["iid"]);
    EXPECT_EQ(changed[0]["state"], "closed");
    EXPECT_EQ(changed[0]["updated_at"], "2031-05-01T10:00:00.000Z");
    EXPECT_EQ(changed[0]["closed_at"], "2031-05-01T10:00:00.000Z");
    auto commented = Body(Get(issues + "&updated_after=" + since));
    ASSERT_EQ(commented.size(), 1u);
    EXPECT_EQ(commented[0]["iid"], 2);
    auto notes = Body(Get(Project(PublicProject()) + "/issues/2/notes?sort=desc"));
    ASSERT_FALSE(notes.empty());
    EXPECT_EQ(notes[0]["body"], "Still failing");
    EXPECT_EQ(notes[0]["author"]["username"], "carol");
    EXPECT_EQ(notes[0]["noteable_type"], "Issue");
    EXPECT_EQ(notes[0]["noteable_iid"], 2);
}

// ---- projects, auth ----

using FakeGitlabProjects = FakeGitlabTest;

TEST_F(FakeGitlabProjects, PathEncodedIdsNameTheSameProject) {
    for (size_t i = 0; i < gen_.project_ids.size(); ++i) {
        std::string encoded = gen_.project_paths[i];
        for (size_t at; (at = encoded.find('/')) != std::string::npos;) {
            encoded.replace(at, 1, "%2F");
        }
        auto by_path = Get("/api/v4/projects/" + encoded);
        ASSERT_EQ(by_path->status, 200) << encoded;
        EXPECT_EQ(by_path->body, Get(Project(gen_.project_ids[i]))->body) << encoded;
        EXPECT_EQ(Body(by_path)["path_with_namespace"], gen_.project_paths[i]);
        auto mr = Get("/api/v4/projects/" + encoded + "/merge_requests/3");
        ASSERT_EQ(mr->status, 200);
        EXPECT_EQ(Body(mr)["project_id"], gen_.project_ids[i]);
    }
    EXPECT_EQ(gen_.project_paths[1], "acme/platform/api") << "a subgroup: two %2F";
    auto r = Get("/api/v4/projects/acme%2Fplatform%2Fapi/merge_requests?per_page=5");
    EXPECT_NE(Links(r->Header("Link"))["next"].find("/projects/acme%2Fplatform%2Fapi/"),
              std::string::npos)
        << "Link URLs keep the encoded id";
    auto missing = Get("/api/v4/projects/acme%2Fnothing");
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(Body(missing), json({{"message", "404 Project Not Found"}}));
    EXPECT_EQ(Body(Get(Project(PublicProject()) + "/merge_requests/9999")),
              json({{"message", "404 Not found"}}));
    EXPECT_EQ(Body(Get("/api/v4/users/1")), json({{"message", "404 User Not Found"}}));
    EXPECT_EQ(Body(Get("/api/v4/nothing")), json({{"error", "404 Not Found"}}));
    EXPECT_EQ(Get("/api/v4/groups/acme%2Fplatform")->status, 200);
}

using FakeGitlabAuth = FakeGitlabTest;

TEST_F(FakeGitlabAuth, PrivateProjectIsHiddenFromAnonymousCallers) {
    const long long hidden = PrivateProject();
    const std::string path = gen_.project_paths.back();
    ASSERT_EQ(Body(Get(Project(hidden)))["visibility"], "private");
    for (const std::string& p :
         {Project(hidden), Project(hidden) + "/merge_requests", Project(hidden) + "/issues/1",
          std::string("/api/v4/projects/acme%2Fdocs")}) {
        auto r = Anonymous(p);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 404) << p;
        EXPECT_EQ(Body(r), json({{"message", "404 Project Not Found"}})) << p;
    }
    EXPECT_EQ(path, "acme/docs");
    auto listed = Body(Anonymous("/api/v4/projects?per_page=100"));
    EXPECT_EQ(listed.size(), gen_.project_ids.size() - 1);
    for (const auto& p : listed) EXPECT_NE(p["id"], hidden);
    EXPECT_EQ(Anonymous(Project(PublicProject()))->status, 200) << "public projects are open";

    EXPECT_EQ(Get(Project(hidden) + "/merge_requests")->status, 200) << "PRIVATE-TOKEN";
    auto bearer =
        client_->Get(Project(hidden), {{"Authorization", std::string("Bearer ") + kToken}});
    EXPECT_EQ(bearer->status, 200) << "OAuth bearer token";
    EXPECT_EQ(Body(Get("/api/v4/projects?per_page=100")).size(), gen_.project_ids.size());

    // Events in the private project show to the token only.
    const long long alice = gen_.user_ids[0];
    auto count_in = [&](const json& events) {
        size_t n = 0;
        for (const auto& e : events) n += e["project_id"] == hidden;
        return n;
    };
    const std::string events = "/api/v4/users/" + std::to_string(alice) + "/events?per_page=100";
    size_t seen = 0;
    for (int page = 1; page < 50; ++page) {
        auto r = Get(events + "&page=" + std::to_string(page));
        seen += count_in(Body(r));
        if (r->Header("X-Next-Page").empty()) break;
    }
    EXPECT_GT(seen, 0u);
    for (int page = 1; page < 50; ++page) {
        auto r = Anonymous(events + "&page=" + std::to_string(page));
        EXPECT_EQ(count_in(Body(r)), 0u);
        if (r->Header("X-Next-Page").empty()) break;
    }
}

TEST_F(FakeGitlabAuth, WrongTokenIsRefusedWith401) {
    for (const HttpHeaders& h : {HttpHeaders{{"PRIVATE-TOKEN", "glpat-wrong"}},
                                 HttpHeaders{{"Authorization", "Bearer glpat-wrong"}}}) {
        auto r = client_->Get(Project(PublicProject()), h);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 401);
        EXPECT_EQ(Body(r), json({{"message", "401 Unauthorized"}}));
    }
    fake_.RemoveToken(kToken);
    EXPECT_EQ(Get(Project(PublicProject()))->status, 401) << "a revoked token";

    // A fake with no tokens set takes any token.
    FakeGitlab open;
    open.Generate({});
    ASSERT_TRUE(open.Start());
    TestClient other("127.0.0.1", open.port());
    auto r = other.Get("/api/v4/projects/" + std::to_string(gen_.private_project_ids[0]),
                       {{"PRIVATE-TOKEN", "anything"}});
    EXPECT_EQ(r->status, 200) << "ids are the same in both fakes";
    open.Stop();
}

// ---- rate limits, ETags, faults ----

using FakeGitlabRateLimit = FakeGitlabTest;

TEST_F(FakeGitlabRateLimit, HeadersCountDownAndASpentBudgetAnswers429) {
    const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
    fake_.SetBudget(kToken, 5, 3, now + 30);
    const std::string path = Project(PublicProject()) + "/issues?per_page=5";
    for (int remaining : {2, 1, 0}) {
        auto r = Get(path);
        ASSERT_EQ(r->status, 200);
        EXPECT_EQ(r->Header("RateLimit-Limit"), "5");
        EXPECT_EQ(r->Header("RateLimit-Remaining"), std::to_string(remaining));
        EXPECT_EQ(r->Header("RateLimit-Observed"), std::to_string(5 - remaining));
        EXPECT_EQ(r->Header("RateLimit-Reset"), std::to_string(now + 30));
        EXPECT_EQ(r->Header("RateLimit-ResetTime").size(), 29u)
            << "an HTTP date: " << r->Header("RateLimit-ResetTime");
        EXPECT_NE(r->Header("RateLimit-ResetTime").find(" GMT"), std::string::npos);
    }
    auto spent = Get(path);
    ASSERT_TRUE(spent);
    EXPECT_EQ(spent->status, 429);
    EXPECT_EQ(spent->body, "Retry later\n");
    EXPECT_EQ(spent->Header("RateLimit-Remaining"), "0");
    const int retry_after = std::stoi(spent->Header("Retry-After"));
    EXPECT_GE(retry_after, 1);
    EXPECT_LE(retry_after, 30);
    EXPECT_EQ(fake_.Stats().rate_limited, 1);
    EXPECT_EQ(Anonymous(path)->status, 200) << "anonymous callers have their own budget";
    EXPECT_EQ(Anonymous(path)->Header("RateLimit-Limit"), "500");
}

TEST(FakeGitlabRateWindow, ANewWindowRefillsTheBudget) {
    ManualClock clock(Timestamp{std::chrono::seconds{1800000000}});
    FakeGitlabOptions o;
    o.clock = &clock;
    o.rate_limit = 2;
    o.anonymous_rate_limit = 2;
    FakeGitlab fake(o);
    fake.Generate({});
    ASSERT_TRUE(fake.Start());
    TestClient client("127.0.0.1", fake.port());
    EXPECT_EQ(client.Get("/api/v4/projects")->Header("RateLimit-Reset"), "1800000060");
    EXPECT_EQ(client.Get("/api/v4/projects")->status, 200);
    auto spent = client.Get("/api/v4/projects");
    EXPECT_EQ(spent->status, 429);
    EXPECT_EQ(spent->Header("Retry-After"), "60");
    clock.Advance(std::chrono::seconds(61));
    auto again = client.Get("/api/v4/projects");
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(again->Header("RateLimit-Remaining"), "1");
    EXPECT_EQ(again->Header("RateLimit-Reset"), "1800000121");
    fake.Stop();
}

using FakeGitlabEtag = FakeGitlabTest;

TEST_F(FakeGitlabEtag, IfNoneMatchAnswers304WithoutBody) {
    const std::string one = Project(PublicProject()) + "/merge_requests/4";
    auto first = Get(one);
    const std::string etag = first->Header("ETag");
    ASSERT_EQ(etag.rfind("W/\"", 0), 0u) << etag;
    auto again = Get(one, {{"If-None-Match", etag}});
    EXPECT_EQ(again->status, 304);
    EXPECT_EQ(again->body, "");
    EXPECT_EQ(again->Header("ETag"), etag);
    // 304s are charged, as GitLab's throttles count requests.
    EXPECT_EQ(std::stoi(again->Header("RateLimit-Remaining")),
              std::stoi(first->Header("RateLimit-Remaining")) - 1);
    EXPECT_EQ(Get(one, {{"If-None-Match", "W/\"other\""}})->status, 200);

    // A list page keeps its paging headers in the 304.
    const std::string list = Project(PublicProject()) + "/merge_requests?per_page=10";
    auto page = Get(list);
    auto cached = Get(list, {{"If-None-Match", page->Header("ETag")}});
    EXPECT_EQ(cached->status, 304);
    EXPECT_EQ(cached->Header("X-Total"), "30");
    EXPECT_EQ(cached->Header("Link"), page->Header("Link"));
    EXPECT_EQ(fake_.Stats().not_modified, 2);

    ASSERT_TRUE(fake_.Update(PublicProject(), GitlabItemKind::kMergeRequest, 4,
                             {{"title", "Renamed"}}, *ParseTimestamp("2031-01-01T00:00:00Z")));
    auto changed = Get(one, {{"If-None-Match", etag}});
    EXPECT_EQ(changed->status, 200);
    EXPECT_NE(changed->Header("ETag"), etag);
    EXPECT_EQ(Body(changed)["title"], "Renamed");
}

using FakeGitlabFaults = FakeGitlabTest;

TEST_F(FakeGitlabFaults, PipelineFaultsAreAnsweredTheGitlabWay) {
    const std::string path = Project(PublicProject()) + "/merge_requests";
    fake_.AddFault({.kind = FaultKind::kStatus, .status = 500, .path_prefix = "/api/v4/projects"});
    auto failed = Get(path);
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 500);
    EXPECT_EQ(Body(failed), json({{"message", "500 Internal Server Error"}}));
    auto ok = Get(path);
    EXPECT_EQ(ok->status, 200) << "one fault, one answer";
    const int remaining = std::stoi(ok->Header("RateLimit-Remaining"));

    auto posted =
        client_->Post("/_fake/faults", R"({"kind":"too_many_requests","retry_after":7,"count":1})",
                      "application/json");
    ASSERT_EQ(posted->status, 200) << posted->body;
    auto limited = Get(path);
    EXPECT_EQ(limited->status, 429);
    EXPECT_EQ(limited->Header("Retry-After"), "7");
    EXPECT_EQ(std::stoi(limited->Header("RateLimit-Remaining")), remaining)
        << "faults are not charged";

    fake_.AddFault({.kind = FaultKind::kTruncatedBody, .path_prefix = "/api/v4/"});
    EXPECT_FALSE(Get(path)) << "a body cut short";
    fake_.AddFault({.kind = FaultKind::kMalformedBody, .path_prefix = ""});
    auto malformed = Get(path);
    ASSERT_TRUE(malformed);
    EXPECT_TRUE(Body(malformed).is_discarded());
    EXPECT_EQ(Get(path)->status, 200);
    EXPECT_EQ(fake_.Stats().faults, 4);
}

// ---- shapes ----

using FakeGitlabShapes = FakeGitlabTest;

TEST_F(FakeGitlabShapes, GeneratedObjectsCarryTheFixtureKeys) {
    const std::string project = Project(PublicProject());
    auto mr = Body(Get(project + "/merge_requests/1"));
    ExpectShapeOf(Fixture("get_merge_request.json"), mr, "merge request");
    auto listed = Body(Get(project + "/merge_requests?per_page=3"));
    ASSERT_EQ(listed.size(), 3u);
    for (const auto& recorded : Fixture("get_merge_requests.json")) {
        ExpectShapeOf(recorded, listed[0], "merge request list item");
    }
    for (const char* detail : {"diff_refs", "head_pipeline", "changes_count", "user"}) {
        EXPECT_FALSE(listed[0].contains(detail)) << detail << " is single-object only";
        EXPECT_TRUE(mr.contains(detail)) << detail;
    }
    auto author = Body(Get(project + "/merge_requests?per_page=1&author_username=bob"));
    for (const auto& recorded : Fixture("get_merge_requests_author_username.json")) {
        if (!author.empty()) ExpectShapeOf(recorded, author[0], "merge request by author");
    }

    auto issue = Body(Get(project + "/issues/1"));
    ExpectShapeOf(Fixture("issue_move.json"), issue, "issue");
    json epic_issue = Fixture("list_epic_issues.json")[0];
    epic_issue.erase("epic_issue_id");  // of epics only
    ExpectShapeOf(epic_issue, Body(Get(project + "/issues?per_page=1"))[0], "issue list item");

    const long long bob = gen_.user_ids[1];
    ExpectShapeOf(Fixture("get_user.json"), Body(Get("/api/v4/users/" + std::to_string(bob))),
                  "user");
    auto found = Body(Get("/api/v4/users?username=bob"));
    ASSERT_EQ(found.size(), 1u);
    ExpectShapeOf(Fixture("search_users.json")[0], found[0], "basic user");
    ExpectShapeOf(Fixture("search_users.json")[0], mr["author"], "merge request author");
    EXPECT_EQ(Body(Get("/api/v4/users?username=nobody")), json::array());

    auto commits = Body(Get(project + "/repository/commits?per_page=2"));
    ASSERT_EQ(commits.size(), 2u);
    ExpectShapeOf(Fixture("list_project_commits.json")[0], commits[0], "commit list item");
    const std::string sha = commits[0]["id"];
    ExpectShapeOf(Fixture("get_commit.json"), Body(Get(project + "/repository/commits/" + sha)),
                  "commit");
    EXPECT_EQ(Body(Get(project + "/repository/commits/" + sha.substr(0, 8)))["id"], sha);

    const json discussion = Fixture("list_merge_request_discussions.json")[0];
    auto notes = Body(Get(project + "/merge_requests/1/notes"));
    ASSERT_FALSE(notes.empty());
    ExpectShapeOf(discussion["notes"][0], notes[0], "note");
    EXPECT_TRUE(notes[0].contains("created_at") && notes[0].contains("updated_at"));
    EXPECT_EQ(notes[0]["noteable_type"], "MergeRequest");
    EXPECT_EQ(notes[0]["noteable_iid"], 1);
    EXPECT_EQ(notes[0]["noteable_id"], mr["id"]);
    // Commit notes: GitLab's commit-comment shape, and the same notes as discussions.
    json commented;
    for (const auto& c : Body(Get(project + "/repository/commits?per_page=100"))) {
        auto d = Body(
            Get(project + "/repository/commits/" + c["id"].get<std::string>() + "/discussions"));
        if (!d.empty()) {
            commented = c;
            ExpectShapeOf(discussion, d[0], "commit discussion");
            ExpectShapeOf(discussion["notes"][0], d[0]["notes"][0], "commit note");
            EXPECT_EQ(d[0]["notes"][0]["noteable_type"], "Commit");
            EXPECT_EQ(d[0]["notes"][0]["commit_id"], c["id"]);
            break;
        }
    }
    ASSERT_TRUE(commented.is_object()) << "some commits have notes";
    auto comments = Body(
        Get(project + "/repository/commits/" + commented["id"].get<std::string>() + "/comments"));
    ASSERT_FALSE(comments.empty());
    for (const char* key : {"note", "path", "line", "line_type", "author", "created_at"}) {
        EXPECT_TRUE(comments[0].contains(key)) << key;
    }

    // Events: an issue closed and a push, as in the recorded project events.
    const json recorded_events = Fixture("list_project_events.json");
    auto closed = Body(Get(project + "/events?action=closed&target_type=issue&per_page=1"));
    ASSERT_EQ(closed.size(), 1u);
    ExpectShapeOf(recorded_events[0], closed[0], "issue event");
    auto pushed = Body(Get(project + "/events?action=pushed&per_page=1"));
    ASSERT_EQ(pushed.size(), 1u);
    ExpectShapeOf(recorded_events[1], pushed[0], "push event");
    ExpectShapeOf(recorded_events[1]["push_data"], pushed[0]["push_data"], "push_data");
    EXPECT_TRUE(pushed[0].contains("created_at"));
}

// ---- events ----

using FakeGitlabEvents = FakeGitlabTest;

TEST_F(FakeGitlabEvents, UserEventsCoverWhatTheUserOpenedAndMerged) {
    const long long bob = gen_.user_ids[1];
    std::set<std::pair<long long, std::string>> expected;  // (merge request id, action_name)
    for (long long project : gen_.project_ids) {
        for (const auto& mr : fake_.Items(project, GitlabItemKind::kMergeRequest)) {
            const long long id = mr["id"];
            if (mr["author"]["id"] == bob) expected.insert({id, "opened"});
            if (mr["merged_by"].is_object() && mr["merged_by"]["id"] == bob) {
                expected.insert({id, "accepted"});
            }
            if (mr["closed_by"].is_object() && mr["closed_by"]["id"] == bob) {
                expected.insert({id, "closed"});
            }
        }
    }
    const std::string events = "/api/v4/users/" + std::to_string(bob) + "/events?per_page=20";
    auto mine = Walk(events + "&target_type=merge_request");
    std::set<std::pair<long long, std::string>> seen;
    for (const auto& e : mine) {
        EXPECT_EQ(e["author_id"], bob);
        EXPECT_EQ(e["target_type"], "MergeRequest");
        EXPECT_TRUE(e["target_iid"].is_number());
        seen.insert({e["target_id"].get<long long>(), e["action_name"].get<std::string>()});
    }
    EXPECT_EQ(seen.size(), mine.size()) << "each event once";
    EXPECT_EQ(seen, expected);

    auto merged = Walk(events + "&action=merged");
    for (const auto& e : merged) EXPECT_EQ(e["action_name"], "accepted");
    EXPECT_EQ(merged.size(),
              static_cast<size_t>(std::count_if(expected.begin(), expected.end(),
                                                [](auto& x) { return x.second == "accepted"; })));

    // after / before take days and leave both named days out.
    auto everything = Walk(events);
    ASSERT_GT(everything.size(), 10u);
    for (size_t i = 1; i < everything.size(); ++i) {
        EXPECT_GE(everything[i - 1]["created_at"].get<std::string>(),
                  everything[i]["created_at"].get<std::string>())
            << "newest first";
    }
    auto window = Walk(events + "&after=2021-01-05&before=2021-01-20");
    ASSERT_FALSE(window.empty());
    for (const auto& e : window) {
        const std::string at = e["created_at"];
        EXPECT_GE(at, "2021-01-06T00:00:00.000Z");
        EXPECT_LT(at, "2021-01-20T00:00:00.000Z");
    }
    for (const auto& e : Walk(events + "&action=pushed")) {
        EXPECT_EQ(e["action_name"], "pushed to");
        EXPECT_EQ(e["push_data"]["commit_count"], 1);
    }
    EXPECT_EQ(Get(events + "&action=bogus")->status, 400);
}

// ---- control API, generation ----

using FakeGitlabControl = FakeGitlabTest;

TEST_F(FakeGitlabControl, DeletedItemsAnswer404AndAddedUsersAreFound) {
    const std::string base = "/_fake/projects/" + std::to_string(PublicProject());
    ASSERT_EQ(Get(Project(PublicProject()) + "/merge_requests/5")->status, 200);
    ASSERT_EQ(client_->Delete(base + "/merge_requests/5")->status, 200);
    auto gone = Get(Project(PublicProject()) + "/merge_requests/5");
    EXPECT_EQ(gone->status, 404);
    EXPECT_EQ(Body(gone), json({{"message", "404 Not found"}}));
    EXPECT_EQ(Get(Project(PublicProject()) + "/merge_requests/5/notes")->status, 404);
    EXPECT_EQ(Get(Project(PublicProject()) + "/merge_requests")->Header("X-Total"), "29");
    EXPECT_EQ(client_->Delete(base + "/merge_requests/5")->status, 404);
    EXPECT_EQ(client_->Get(base + "/issues/1")->status, 200);

    auto added = client_->Post("/_fake/users", R"({"username":"zoe","name":"Zoe Example"})",
                               "application/json");
    ASSERT_EQ(added->status, 200) << added->body;
    auto zoe = Body(Get("/api/v4/users?username=zoe"));
    ASSERT_EQ(zoe.size(), 1u);
    EXPECT_EQ(zoe[0]["name"], "Zoe Example");
    EXPECT_EQ(zoe[0]["id"], Body(added)["id"]);
    EXPECT_EQ(client_->Post("/_fake/users", R"({"username":"ZOE"})", "application/json")->status,
              409);

    ASSERT_EQ(client_->Delete("/_fake/projects/" + std::to_string(PublicProject()))->status, 200);
    EXPECT_EQ(Get(Project(PublicProject()))->status, 404);

    // Requests are counted by path; the control API is not.
    fake_.ResetStats();
    Get(Project(gen_.project_ids[1]) + "/merge_requests?page=1");
    Get(Project(gen_.project_ids[1]) + "/merge_requests?page=2");
    client_->Get("/_fake/health");
    auto stats = Body(client_->Get("/_fake/stats"));
    EXPECT_EQ(stats["total"], 2);
    EXPECT_EQ(stats["per_path"][Project(gen_.project_ids[1]) + "/merge_requests"], 2);
    EXPECT_EQ(client_->Delete("/_fake/stats")->status, 200);
    EXPECT_EQ(fake_.Stats().total, 0);
}

TEST(FakeGitlabGenerate, IsDeterministicForASeed) {
    FakeGitlab a, b, c;
    GitlabGenerateOptions o;
    auto ga = a.Generate(o);
    auto gb = b.Generate(o);
    o.seed = 2;
    c.Generate(o);
    EXPECT_EQ(ga.project_ids, gb.project_ids);
    EXPECT_EQ(ga.project_paths, (std::vector<std::string>{"acme/web", "acme/platform/api",
                                                          "alice/runner", "acme/docs"}));
    EXPECT_EQ(ga.private_project_ids, std::vector<long long>{ga.project_ids.back()});
    const long long p = ga.project_ids[0];
    EXPECT_EQ(a.Items(p, GitlabItemKind::kMergeRequest), b.Items(p, GitlabItemKind::kMergeRequest));
    EXPECT_NE(a.Items(p, GitlabItemKind::kMergeRequest), c.Items(p, GitlabItemKind::kMergeRequest));

    std::set<std::string> states;
    std::set<long long> ids;
    bool draft = false;
    for (long long project : ga.project_ids) {
        long long iid = 0;
        for (const auto& mr : a.Items(project, GitlabItemKind::kMergeRequest)) {
            EXPECT_EQ(mr["iid"], ++iid) << "iids count from 1 per project";
            EXPECT_TRUE(ids.insert(mr["id"].get<long long>()).second) << "ids are global";
            states.insert(mr["state"].get<std::string>());
            draft = draft || mr["draft"].get<bool>();
            EXPECT_LE(mr["created_at"].get<std::string>(), mr["updated_at"].get<std::string>());
            EXPECT_EQ(mr["merged_at"].is_string(), mr["state"] == "merged");
            EXPECT_EQ(mr["closed_at"].is_string(), mr["state"] == "closed");
        }
    }
    EXPECT_TRUE(states.contains("opened") && states.contains("merged") &&
                states.contains("closed"));
    EXPECT_TRUE(draft);
    EXPECT_EQ(ga.merge_requests, 4 * o.merge_requests);
}

TEST(FakeGitlabBinary, ServesGitlabUntilSigterm) {
    const std::string binary =
        (std::filesystem::path(FORGEDB_BINARY).parent_path() / "forgedb-fake-forge").string();
    if (!std::filesystem::exists(binary)) GTEST_SKIP() << "not built: " << binary;
    const auto log = std::filesystem::temp_directory_path() /
                     ("fake_gitlab_" + std::to_string(getpid()) + ".log");
    std::filesystem::remove(log);
    testing::ChildProcess child(
        {binary, "--listen", "127.0.0.1:0", "--gitlab-listen", "127.0.0.1:0", "--gitlab-generate",
         "demo:12", "--gitlab-token", "secret"},
        log.string());
    const std::string banner = "fake gitlab listening on http://127.0.0.1:";
    int port = 0;
    for (int i = 0; i < 200 && port == 0; ++i) {
        std::string text = child.Log();
        size_t at = text.find(banner);
        if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
            port = std::stoi(text.substr(at + banner.size()));
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    ASSERT_GT(port, 0) << child.Log();
    TestClient client("127.0.0.1", port);
    auto projects = client.Get("/api/v4/projects", {{"PRIVATE-TOKEN", "secret"}});
    ASSERT_TRUE(projects);
    EXPECT_EQ(projects->status, 200);
    EXPECT_EQ(projects->Header("X-Total"), "4");
    auto mrs = client.Get("/api/v4/projects/demo%2Fweb/merge_requests");
    EXPECT_EQ(mrs->Header("X-Total"), "12");
    EXPECT_EQ(client.Get("/api/v4/projects", {{"PRIVATE-TOKEN", "wrong"}})->status, 401);
    child.Kill(SIGTERM);
    EXPECT_EQ(child.Wait(), 0);
    std::filesystem::remove(log);
}

}  // namespace
}  // namespace forgedb::fake
