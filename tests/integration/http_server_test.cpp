// forgedb's HTTP server on loopback: answers are never brotli-compressed (forgedb offers gzip
// only, at a fast level), gzip is used when asked for, and query strings are decoded.

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "forgedb/http/server.hpp"
#include "support/http_client.hpp"

namespace forgedb::http {
namespace {

TEST(HttpServer, PrefersGzipOverBrotli) {
    std::string big(200000, 'x');
    Router router;
    router.Add({"GET", "/big", [&big](const Request& req) {
                    auto res = Response::Json(200, "{\"x\":\"" + big + "\"}");
                    res.headers.emplace_back("X-Query", std::string(req.Query("q").value_or("")));
                    return res;
                }});
    ServerOptions options;
    options.port = 0;
    Server server(router, options);
    ASSERT_TRUE(server.Start());
    testing::TestClient cli("127.0.0.1", server.port());  // bodies as sent, never decoded
    auto both = cli.Get("/big?q=a%20b", {{"Accept-Encoding", "br, gzip;q=0.9"}});
    ASSERT_TRUE(both);
    EXPECT_EQ(both->status, 200);
    EXPECT_EQ(both->Header("Content-Encoding"), "gzip");
    EXPECT_LT(both->body.size(), big.size() / 10);  // compressed
    EXPECT_EQ(both->Header("X-Query"), "a b");
    auto br_only = cli.Get("/big", {{"Accept-Encoding", "br"}});
    ASSERT_TRUE(br_only);
    EXPECT_EQ(br_only->Header("Content-Encoding"), "");
    EXPECT_GT(br_only->body.size(), big.size());
    server.Stop();
}

// The gzip member `packed`, inflated.
std::string Gunzip(const std::string& packed) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    std::string out(1 << 20, '\0');
    std::string all;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
    z.avail_in = static_cast<uInt>(packed.size());
    int rc = Z_OK;
    while (rc == Z_OK) {
        z.next_out = reinterpret_cast<Bytef*>(out.data());
        z.avail_out = static_cast<uInt>(out.size());
        rc = inflate(&z, Z_NO_FLUSH);
        all.append(out.data(), out.size() - z.avail_out);
    }
    EXPECT_EQ(rc, Z_STREAM_END);
    inflateEnd(&z);
    return all;
}

TEST(HttpServer, GzipOnlyWhenAcceptedAndWorthIt) {
    std::string big = "{\"items\":[";
    for (int i = 0; i < 5000; ++i) big += (i ? "," : "") + std::to_string(i * 7919 % 1000);
    big += "]}";
    Router router;
    router.Add({"GET", "/big", [&big](const Request&) { return Response::Json(200, big); }});
    router.Add({"GET", "/small", [](const Request&) { return Response::Json(200, "{\"a\":1}"); }});
    ServerOptions options;
    options.port = 0;
    Server server(router, options);
    ASSERT_TRUE(server.Start());
    testing::TestClient cli("127.0.0.1", server.port());  // bodies as sent, never decoded

    for (const char* accept : {"gzip", "deflate, gzip;q=0.5", "*", "GZIP"}) {
        auto r = cli.Get("/big", {{"Accept-Encoding", accept}});
        ASSERT_TRUE(r) << accept;
        EXPECT_EQ(r->Header("Content-Encoding"), "gzip") << accept;
        EXPECT_EQ(r->Header("Vary"), "Accept-Encoding") << accept;
        EXPECT_LT(r->body.size(), big.size() / 2) << accept;
        EXPECT_EQ(Gunzip(r->body), big) << accept;
    }
    for (const char* accept : {"gzip;q=0", "identity", "deflate", "br"}) {
        auto r = cli.Get("/big", {{"Accept-Encoding", accept}});
        ASSERT_TRUE(r) << accept;
        EXPECT_EQ(r->Header("Content-Encoding"), "") << accept;
        EXPECT_EQ(r->body, big) << accept;
    }
    auto none = cli.Get("/big");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->Header("Content-Encoding"), "");
    EXPECT_EQ(none->body, big);
    // A small answer is not worth compressing.
    auto small = cli.Get("/small", {{"Accept-Encoding", "gzip"}});
    ASSERT_TRUE(small);
    EXPECT_EQ(small->Header("Content-Encoding"), "");
    EXPECT_EQ(small->body, "{\"a\":1}");
    server.Stop();
}

}  // namespace
}  // namespace forgedb::http
