// The fake Conduit answers like Phabricator: in-band errors with HTTP 200, string cursors,
// usernames accepted where PHIDs are expected, the orders, the 100-item limit, and faults.

#include "fake_conduit.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "forgedb/forges/phabricator/client.hpp"

namespace forgedb::fake {
namespace {

using nlohmann::json;

class FakeConduitTest : public ::testing::Test {
protected:
    FakeConduitTest() { conduit_.SetTokens({"api-good"}); }

    // Calls `method` through Handle() with a form built from `params` (the token first).
    json Call(const std::string& method, const sources::phabricator::Params& params,
              const std::string& token = "api-good", int* status = nullptr) {
        sources::phabricator::Params all;
        if (!token.empty()) all.emplace_back("api.token", token);
        all.insert(all.end(), params.begin(), params.end());
        std::string body = sources::phabricator::EncodeForm(all);
        http::Request req;
        req.method = "POST";
        req.path = "/api/" + method;
        req.body = body;
        http::Response res = conduit_.Handle(req);
        if (status) *status = res.status;
        return json::parse(res.body);
    }

    FakeConduit conduit_;
};

TEST_F(FakeConduitTest, TokensAreCheckedInBand) {
    conduit_.Generate("alice", 1);
    int status = 0;
    json missing = Call("user.search", {}, "", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(missing["error_code"], "ERR-INVALID-SESSION");
    EXPECT_TRUE(missing["result"].is_null());
    json wrong = Call("user.search", {}, "api-bad", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(wrong["error_code"], "ERR-INVALID-AUTH");
    EXPECT_TRUE(Call("user.search", {})["error_code"].is_null());
}

TEST_F(FakeConduitTest, UnknownMethodsConstraintsOrdersAndLargeLimitsAreConduitErrors) {
    EXPECT_EQ(Call("maniphest.frobnicate", {})["error_code"], "ERR-CONDUIT-CORE");
    EXPECT_EQ(Call("maniphest.search", {{"constraints[bogus]", "1"}})["error_code"],
              "ERR-CONDUIT-CORE");
    EXPECT_EQ(Call("maniphest.search", {{"order", "sideways"}})["error_code"], "ERR-CONDUIT-CORE");
    json big = Call("maniphest.search", {{"limit", "101"}});
    EXPECT_EQ(big["error_code"], "ERR-CONDUIT-CORE");
    EXPECT_NE(big["error_info"].get<std::string>().find("101"), std::string::npos);
    EXPECT_EQ(Call("maniphest.search", {{"after", "999999"}})["error_code"], "ERR-CONDUIT-CORE");
}

TEST_F(FakeConduitTest, PagesFollowAStringCursorInTheRequestedOrder) {
    auto alice = conduit_.Generate("alice", 230);
    std::vector<long long> seen;
    std::string after;
    long long last_modified = 0;
    int pages = 0;
    for (;;) {
        sources::phabricator::Params p{{"constraints[authorPHIDs][0]", "alice"},  // a username
                                       {"order", "outdated"}};
        if (!after.empty()) p.emplace_back("after", after);
        json r = Call("maniphest.search", p);
        ASSERT_TRUE(r["error_code"].is_null()) << r.dump();
        ++pages;
        for (const auto& item : r["result"]["data"]) {
            long long modified = item["fields"]["dateModified"].get<long long>();
            EXPECT_GE(modified, last_modified) << "least recently modified first";
            last_modified = modified;
            seen.push_back(item["id"].get<long long>());
            EXPECT_TRUE(item["attachments"].empty()) << "attachments only when asked for";
        }
        const json& cursor = r["result"]["cursor"];
        EXPECT_EQ(cursor["order"], "outdated");
        if (cursor["after"].is_null()) break;
        ASSERT_TRUE(cursor["after"].is_string());
        after = cursor["after"].get<std::string>();
    }
    EXPECT_EQ(pages, 3);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, alice.authored);
    // Default order: newest first, by id.
    json newest = Call(
        "maniphest.search",
        {{"constraints[assigned][0]", alice.phid}, {"limit", "5"}, {"attachments[projects]", "1"}});
    const json& data = newest["result"]["data"];
    ASSERT_EQ(data.size(), 5u);
    EXPECT_EQ(data[0]["id"].get<long long>(), alice.assigned.back());
    EXPECT_TRUE(data[0]["attachments"]["projects"]["projectPHIDs"].is_array());
    EXPECT_EQ(newest["result"]["cursor"]["after"], std::to_string(data[4]["id"].get<long long>()));
}

TEST_F(FakeConduitTest, WindowsProjectsAndUsers) {
    auto alice = conduit_.Generate("alice", 50, {.others = 50});
    json t = *conduit_.GetTask(alice.authored[10]);
    long long created = t["fields"]["dateCreated"].get<long long>();
    json window = Call("maniphest.search", {{"constraints[createdStart]", std::to_string(created)},
                                            {"constraints[createdEnd]", std::to_string(created)}});
    ASSERT_EQ(window["result"]["data"].size(), 1u);
    EXPECT_EQ(window["result"]["data"][0]["id"], t["id"]);
    json projects = Call("project.search", {{"constraints[slugs][0]", "wikidata"}});
    std::string phid = projects["result"]["maps"]["slugMap"]["wikidata"]["projectPHID"];
    EXPECT_EQ(projects["result"]["data"][0]["phid"], phid);
    json by_slug = Call("maniphest.search", {{"constraints[projects][0]", "wikidata"}});
    json by_phid = Call("maniphest.search", {{"constraints[projects][0]", phid}});
    EXPECT_EQ(by_slug["result"]["data"], by_phid["result"]["data"]);
    json users = Call("user.search", {{"constraints[usernames][0]", "ALICE"}});
    ASSERT_EQ(users["result"]["data"].size(), 1u);
    EXPECT_EQ(users["result"]["data"][0]["phid"], alice.phid);
    EXPECT_EQ(users["result"]["data"][0]["fields"]["username"], "alice");
}

TEST_F(FakeConduitTest, InjectedConduitErrorsAndUpdates) {
    auto alice = conduit_.Generate("alice", 3);
    conduit_.AddConduitError({"maniphest.search", "ERR-CONDUIT-CORE", "boom", 1});
    EXPECT_TRUE(Call("user.search", {})["error_code"].is_null()) << "other methods unaffected";
    EXPECT_EQ(Call("maniphest.search", {})["error_info"], "boom");
    EXPECT_TRUE(Call("maniphest.search", {})["error_code"].is_null());
    EXPECT_TRUE(conduit_.PendingConduitErrors().empty());
    long long id = alice.authored.front();
    ASSERT_TRUE(conduit_.UpdateTask(id, {{"fields", {{"status", {{"value", "open"}}}}}},
                                    *FromUnixSeconds(1700000000)));
    ASSERT_TRUE(conduit_.UpdateTask(id, {{"fields", {{"status", {{"value", "declined"}}}}}},
                                    *FromUnixSeconds(1700000100)));
    json t = *conduit_.GetTask(id);
    EXPECT_EQ(t["fields"]["status"]["name"], "Declined");
    EXPECT_EQ(t["fields"]["dateModified"], 1700000100);
    EXPECT_EQ(t["fields"]["dateClosed"], 1700000100);
    EXPECT_FALSE(t["fields"]["closerPHID"].is_null());
    EXPECT_FALSE(conduit_.UpdateTask(999999, json::object(), *FromUnixSeconds(0)));
    auto stats = conduit_.Stats();
    EXPECT_EQ(stats.per_path["/api/maniphest.search"], 2);
    EXPECT_EQ(stats.faults, 1);
    for (const auto& url : stats.urls) EXPECT_EQ(url.find("api-good"), std::string::npos) << url;
}

}  // namespace
}  // namespace forgedb::fake
