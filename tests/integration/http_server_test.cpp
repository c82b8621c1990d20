// forgedb's HTTP server on loopback: answers are never brotli-compressed (the library's brotli
// runs at its slowest quality), gzip still is when asked for, and query strings are decoded.

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>

#include "forgedb/http/server.hpp"

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
    httplib::Client cli("127.0.0.1", server.port());
    cli.set_decompress(false);
    auto both = cli.Get("/big?q=a%20b", {{"Accept-Encoding", "br, gzip;q=0.9"}});
    ASSERT_TRUE(both);
    EXPECT_EQ(both->status, 200);
    EXPECT_EQ(both->get_header_value("Content-Encoding"), "gzip");
    EXPECT_LT(both->body.size(), big.size() / 10);  // compressed
    EXPECT_EQ(both->get_header_value("X-Query"), "a b");
    auto br_only = cli.Get("/big", {{"Accept-Encoding", "br"}});
    ASSERT_TRUE(br_only);
    EXPECT_EQ(br_only->get_header_value("Content-Encoding"), "");
    EXPECT_GT(br_only->body.size(), big.size());
    server.Stop();
}

}  // namespace
}  // namespace forgedb::http
