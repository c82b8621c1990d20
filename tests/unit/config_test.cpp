#include "forgedb/app/config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace forgedb::app {
namespace {

TEST(Config, ParsesListen) {
    auto a = ParseListen("0.0.0.0:9000");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->host, "0.0.0.0");
    EXPECT_EQ(a->port, 9000);
    auto b = ParseListen(":8081");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->host, "127.0.0.1");
    auto v6 = ParseListen("[::1]:8080");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_FALSE(ParseListen("8080"));
    EXPECT_FALSE(ParseListen("host:"));
    EXPECT_FALSE(ParseListen("host:65536"));
    EXPECT_FALSE(ParseListen("host:-1"));
    EXPECT_FALSE(ParseListen("host:80x"));
}

TEST(Config, SecretFile) {
    auto path = std::filesystem::temp_directory_path() / "forgedb_secret_test";
    { std::ofstream(path) << "s3cret\n"; }
    auto secret = ReadSecretFile(path.string());
    ASSERT_TRUE(secret);
    EXPECT_EQ(*secret, "s3cret");
    { std::ofstream(path) << "\n"; }
    EXPECT_FALSE(ReadSecretFile(path.string()));
    std::filesystem::remove(path);
    EXPECT_FALSE(ReadSecretFile(path.string()));
}

TEST(Config, UnsignedNeedsExplicitFlag) {
    ServeConfig c;
    EXPECT_FALSE(Validate(c));
    c.insecure_accept_unsigned = true;
    EXPECT_TRUE(Validate(c));
    c.insecure_accept_unsigned = false;
    c.github_webhook_secret = "x";
    EXPECT_TRUE(Validate(c));
    c.workers = -1;
    EXPECT_FALSE(Validate(c));
}

TEST(Config, ForgeInstances) {
    auto dir = std::filesystem::temp_directory_path() / "forgedb_forges_test";
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "pw") << "gerrit-password\n";
    std::ofstream(dir / "token") << "api-abc123\n";
    std::ofstream(dir / "key") << "hook-key\n";
    ForgesFlags flags;
    flags.gerrit = {"wikimedia=https://gerrit.wikimedia.org/r/", "other=http://127.0.0.1:9/"};
    flags.gerrit_auth = {"wikimedia=bot:" + (dir / "pw").string()};
    flags.phabricator = {"wikimedia=https://phabricator.wikimedia.org"};
    flags.phabricator_token = {"wikimedia=" + (dir / "token").string()};
    flags.phabricator_hook_key = {"wikimedia=" + (dir / "key").string()};
    auto forges = BuildForges(flags);
    ASSERT_TRUE(forges) << forges.error().message;
    ASSERT_EQ(forges->gerrit.size(), 2u);
    EXPECT_EQ(forges->gerrit[0].url, "https://gerrit.wikimedia.org/r");  // trailing slash dropped
    EXPECT_EQ(forges->gerrit[0].username, "bot");
    EXPECT_EQ(forges->gerrit[0].password, "gerrit-password");
    EXPECT_EQ(forges->gerrit[1].username, "");
    ASSERT_EQ(forges->phabricator.size(), 1u);
    EXPECT_EQ(forges->phabricator[0].token, "api-abc123");
    EXPECT_EQ(forges->phabricator[0].hook_key, "hook-key");

    auto fails = [](ForgesFlags f, std::string_view needle) {
        auto r = BuildForges(f);
        if (r) return ::testing::AssertionFailure() << "accepted";
        if (r.error().message.find(needle) == std::string::npos) {
            return ::testing::AssertionFailure() << r.error().message;
        }
        return ::testing::AssertionSuccess();
    };
    auto gerrit = [](std::vector<std::string> instances, std::vector<std::string> auth = {}) {
        ForgesFlags f;
        f.gerrit = std::move(instances);
        f.gerrit_auth = std::move(auth);
        return f;
    };
    EXPECT_TRUE(fails(gerrit({"wikimedia"}), "NAME=VALUE"));
    EXPECT_TRUE(fails(gerrit({"=https://x"}), "NAME=VALUE"));
    EXPECT_TRUE(fails(gerrit({"Wiki=https://x"}), "instance name"));
    EXPECT_TRUE(fails(gerrit({"w=ftp://x"}), "not an http(s) URL"));
    EXPECT_TRUE(fails(gerrit({"w=https://a", "w=https://b"}), "given twice"));
    EXPECT_TRUE(fails(gerrit({"w=https://a"}, {"v=bot:" + (dir / "pw").string()}), "no --gerrit"));
    EXPECT_TRUE(fails(gerrit({"w=https://a"}, {"w=bot"}), "USER:PASSWORD-FILE"));
    EXPECT_TRUE(fails(gerrit({"w=https://a"}, {"w=bot:/nonexistent/pw"}), "cannot read"));
    ForgesFlags phab;
    phab.phabricator_token = {"w=" + (dir / "token").string()};
    EXPECT_TRUE(fails(phab, "no --phabricator"));
    // A secret never appears in an error message.
    ForgesFlags bad_url;
    bad_url.phabricator = {"w=gopher://x"};
    bad_url.phabricator_token = {"w=" + (dir / "token").string()};
    auto r = BuildForges(bad_url);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.find("api-abc123"), std::string::npos);
    std::filesystem::remove_all(dir);
}

TEST(Config, ContributorView) {
    ForgesConfig forges;
    forges.gerrit = {{"wm", "https://gerrit.example/r", "", "", ""},
                     {"other", "https://other.example", "", "", ""}};
    forges.phabricator = {{"wm", "https://phab.example", "", ""}};
    ContribFlags flags;
    auto c = BuildContrib(flags, forges);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->gerrit_instance, "wm");  // the first one by default
    EXPECT_EQ(c->gerrit_url, "https://gerrit.example/r");
    EXPECT_EQ(c->phabricator_instance, "wm");
    EXPECT_EQ(c->freshness, std::chrono::hours(24));
    EXPECT_TRUE(c->crawl_on_view);
    flags.gerrit = "other";
    flags.github_orgs = {"Wikimedia", "wmde"};
    flags.freshness = "6h";
    flags.webhooks_current = {"gerrit", "github"};
    flags.no_crawl = true;
    c = BuildContrib(flags, forges);
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->gerrit_instance, "other");
    EXPECT_EQ(c->github_orgs, (std::vector<std::string>{"wikimedia", "wmde"}));
    EXPECT_EQ(c->freshness, std::chrono::hours(6));
    EXPECT_TRUE(c->gerrit_webhooks);
    EXPECT_FALSE(c->phabricator_webhooks);
    EXPECT_TRUE(c->github_webhooks);
    EXPECT_FALSE(c->crawl_on_view);
    for (auto bad : {"", "1w", "h", "-5m", "1234567890"}) {
        ContribFlags f;
        f.freshness = bad;
        EXPECT_FALSE(BuildContrib(f, forges)) << bad;
    }
    ContribFlags unknown;
    unknown.phabricator = "nope";
    EXPECT_FALSE(BuildContrib(unknown, forges));
    ContribFlags org;
    org.github_orgs = {"not an org"};
    EXPECT_FALSE(BuildContrib(org, forges));
    ContribFlags hooks;
    hooks.webhooks_current = {"gitlab"};
    EXPECT_FALSE(BuildContrib(hooks, forges));
    ContribFlags gerrit_without_instances;
    gerrit_without_instances.gerrit = "wm";
    EXPECT_FALSE(BuildContrib(gerrit_without_instances, ForgesConfig{}));
}

}  // namespace
}  // namespace forgedb::app

namespace forgedb::app {
namespace {

TEST(Config, Durations) {
    EXPECT_EQ(*ParseDuration("500ms", "--x"), std::chrono::milliseconds(500));
    EXPECT_EQ(*ParseDuration("90", "--x"), std::chrono::seconds(90));
    EXPECT_EQ(*ParseDuration("2m", "--x"), std::chrono::minutes(2));
    for (const char* bad : {"", "s", "1.5s", "-1s", "10 s", "1w", "9999999999s"}) {
        auto d = ParseDuration(bad, "--http-idle-timeout");
        ASSERT_FALSE(d) << bad;
        EXPECT_NE(d.error().message.find("--http-idle-timeout"), std::string::npos);
    }
}

TEST(Config, HttpLimitsAreChecked) {
    ListenAddress listen{"0.0.0.0", 8080};
    auto ok = BuildHttp(HttpFlags{}, listen);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->host, "0.0.0.0");
    EXPECT_EQ(ok->max_body_bytes, 25u * 1024 * 1024);
    EXPECT_EQ(ok->header_timeout, std::chrono::seconds(10));
    EXPECT_EQ(ok->idle_timeout, std::chrono::seconds(30));

    struct Case {
        const char* flag;
        void (*set)(HttpFlags&);
    } cases[] = {
        {"--http-threads", [](HttpFlags& f) { f.handler_threads = 0; }},
        {"--http-io-threads", [](HttpFlags& f) { f.io_threads = 65; }},
        {"--http-max-body-bytes", [](HttpFlags& f) { f.max_body_bytes = -1; }},
        {"--http-max-header-bytes", [](HttpFlags& f) { f.max_header_bytes = 10; }},
        {"--http-max-headers", [](HttpFlags& f) { f.max_headers = 0; }},
        {"--http-max-connections", [](HttpFlags& f) { f.max_connections = 0; }},
        {"--http-max-connections-per-client",
         [](HttpFlags& f) { f.max_connections_per_client = 0; }},
        {"--http-header-timeout", [](HttpFlags& f) { f.header_timeout = "soon"; }},
        {"--http-idle-timeout", [](HttpFlags& f) { f.idle_timeout = "50ms"; }},
        {"--http-request-timeout", [](HttpFlags& f) { f.request_timeout = "2h"; }},
        // the whole request cannot take less time than its headers
        {"--http-request-timeout", [](HttpFlags& f) { f.request_timeout = "5s"; }},
    };
    for (const auto& c : cases) {
        HttpFlags f;
        c.set(f);
        auto built = BuildHttp(f, listen);
        ASSERT_FALSE(built) << c.flag;
        EXPECT_NE(built.error().message.find(c.flag), std::string::npos)
            << c.flag << ": " << built.error().message;
    }
}

}  // namespace
}  // namespace forgedb::app
