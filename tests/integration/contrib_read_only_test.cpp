// --contrib-read-only-queries: the WikiContrib API's PATCH and DELETE of a stored query, which
// need no credentials, answer 403 and change nothing; creating and reading queries still work.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "support/forges.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

class ContribReadOnlyTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        contrib::ContribConfig config;
        config.gerrit_instance = "wm";
        config.phabricator_instance = "wm";
        config.crawl_on_view = false;
        forges_ = ContribForges(config);
        service_ = std::make_unique<contrib::Service>(tdb().db(), clock_, notifier_, config,
                                                      forges_.get());
    }
    http::Response Call(http::Router& router, const std::string& method, const std::string& path,
                        const std::string& body = "") {
        http::Request req;
        req.method = method;
        req.path = path;
        req.headers.emplace("Content-Type", "application/json");
        req.body = body;
        return router.Dispatch(req);
    }

    SystemClock clock_;
    queue::Notifier notifier_;
    std::unique_ptr<forge::Forges> forges_;
    std::unique_ptr<contrib::Service> service_;
};

TEST_P(ContribReadOnlyTest, ChangesAndDeletionsAreRefusedCreationIsNot) {
    api::WikiContribApi api(*service_, {.query_changes = false});
    http::Router router;
    router.AddAll(api.Routes());
    const json user = {{"fullname", "Jane Doe"},
                       {"gerrit_username", "jdoe"},
                       {"phabricator_username", "jdoe"},
                       {"github_username", "JaneD"}};
    auto created =
        Call(router, "POST", "/query/add/user/", json{{"file", -1}, {"users", {user}}}.dump());
    ASSERT_EQ(created.status, 302) << created.body;
    const std::string hash = contrib::QueryHash({{"Jane Doe", "jdoe", "jdoe", "JaneD"}});
    const std::string filter = "/query/" + hash + "/update/filter/";
    const std::string users = "/query/" + hash + "/update/user/";
    auto before = Call(router, "GET", filter);
    ASSERT_EQ(before.status, 200);

    auto patch_filter = Call(router, "PATCH", filter,
                             json{{"username", "Jane Doe"}, {"status", "abandoned"}}.dump());
    EXPECT_EQ(patch_filter.status, 403);
    EXPECT_EQ(json::parse(patch_filter.body)["error"], 1);
    auto patch_users = Call(router, "PATCH", users, json{{"file", -1}, {"users", {user}}}.dump());
    EXPECT_EQ(patch_users.status, 403);
    EXPECT_EQ(Call(router, "DELETE", users).status, 403);

    EXPECT_EQ(Call(router, "GET", filter).body, before.body);  // unchanged
    EXPECT_EQ(Call(router, "GET", users).status, 200);         // not deleted
    EXPECT_EQ(Call(router, "GET", "/result/" + hash + "/").status, 200);

    // The default keeps the original's behaviour: the same DELETE works.
    api::WikiContribApi open_api(*service_);
    http::Router open_router;
    open_router.AddAll(open_api.Routes());
    EXPECT_EQ(Call(open_router, "DELETE", users).status, 200);
    EXPECT_EQ(Call(open_router, "GET", users).status, 404);
}

FORGEDB_INSTANTIATE_BACKENDS(ContribReadOnlyTest);

}  // namespace
}  // namespace forgedb::testing
