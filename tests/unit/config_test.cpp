#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "forgedb/app/config.hpp"

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
    {
        std::ofstream(path) << "s3cret\n";
    }
    auto secret = ReadSecretFile(path.string());
    ASSERT_TRUE(secret);
    EXPECT_EQ(*secret, "s3cret");
    {
        std::ofstream(path) << "\n";
    }
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

}  // namespace
}  // namespace forgedb::app
