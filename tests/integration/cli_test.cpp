// The command line: bad values stop with one line and exit code 2; help describes every option.

#include <gtest/gtest.h>

#include <filesystem>

#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

struct Run {
    int code;
    std::string output;
};

Run RunForgedb(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.insert(args.begin(), FORGEDB_BINARY);
    static int n = 0;
    auto log = std::filesystem::temp_directory_path() /
               ("forgedb_cli_" + std::to_string(getpid()) + "_" + std::to_string(n++) + ".log");
    std::filesystem::remove(log);
    ChildProcess p(args, log.string(), env);
    int code = p.Wait();
    Run r{code, p.Log()};
    std::filesystem::remove(log);
    return r;
}

int Lines(const std::string& s) {
    int n = 0;
    for (char c : s) n += c == '\n';
    return n;
}

TEST(Cli, HelpDescribesCommandsAndOptions) {
    auto top = RunForgedb({"--help"});
    EXPECT_EQ(top.code, 0);
    for (const char* word : {"serve", "work", "migrate", "replay"}) {
        EXPECT_NE(top.output.find(word), std::string::npos) << word;
    }
    auto serve = RunForgedb({"serve", "--help"});
    EXPECT_EQ(serve.code, 0);
    for (const char* word :
         {"--listen", "FORGEDB_LISTEN", "--database", "FORGEDB_DATABASE", "--github-webhook-secret",
          "--github-webhook-secret-file", "--insecure-accept-unsigned", "--workers"}) {
        EXPECT_NE(serve.output.find(word), std::string::npos) << word;
    }
    auto replay = RunForgedb({"replay", "--help"});
    EXPECT_NE(replay.output.find("--since"), std::string::npos);
    EXPECT_NE(replay.output.find("--event"), std::string::npos);
    EXPECT_NE(replay.output.find("--forge"), std::string::npos);
    EXPECT_NE(replay.output.find("--pending"), std::string::npos);
}

TEST(Cli, BadValuesExitWithCode2AndOneLine) {
    std::vector<std::vector<std::string>> cases = {
        {"serve", "--listen", "nonsense", "--insecure-accept-unsigned"},
        {"serve", "--listen", "127.0.0.1:99999", "--insecure-accept-unsigned"},
        {"serve", "--workers", "many", "--insecure-accept-unsigned"},
        {"serve"},  // no secret and no explicit insecure flag
        {"serve", "--github-webhook-secret-file", "/nonexistent/secret"},
        {"serve", "--database", "mysql://localhost/db", "--insecure-accept-unsigned"},
        {"replay", "--since", "last tuesday"},
        {"replay", "--forge", "gitea"},
        {"frobnicate"},
    };
    for (const auto& args : cases) {
        auto r = RunForgedb(args);
        std::string joined;
        for (const auto& a : args) joined += a + " ";
        EXPECT_EQ(r.code, 2) << joined << "\n" << r.output;
        EXPECT_EQ(Lines(r.output), 1) << joined << "\n" << r.output;
    }
}

TEST(Cli, EnvironmentVariablesAreRead) {
    auto r = RunForgedb({"serve", "--insecure-accept-unsigned"}, {"FORGEDB_LISTEN=bad"});
    EXPECT_EQ(r.code, 2);
    EXPECT_NE(r.output.find("--listen"), std::string::npos) << r.output;
}

TEST(Cli, MigrateCreatesTheSchema) {
    auto dir =
        std::filesystem::temp_directory_path() / ("forgedb_cli_m_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string url = "sqlite:" + (dir / "m.db").string();
    auto r = RunForgedb({"migrate", "--database", url});
    EXPECT_EQ(r.code, 0) << r.output;
    auto again = RunForgedb({"migrate", "--database", url});
    EXPECT_EQ(again.code, 0);
    EXPECT_EQ(again.output.find("applied migration"), std::string::npos) << again.output;
    auto db = store::Database::Open(url);
    auto conn = (*db)->Connect();
    ASSERT_TRUE(conn);
    EXPECT_TRUE((*conn)->Query("SELECT COUNT(*) FROM github_pull_request"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace forgedb::testing
