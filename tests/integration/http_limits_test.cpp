// The HTTP server against hostile and broken clients, over raw sockets on loopback: slow clients
// cost a socket and never a thread; bodies, headers and time are bounded while reading;
// ambiguous framing is refused and the connection closed; pipelined requests are answered in
// order; connection caps hold per client.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "forgedb/http/server.hpp"
#include "support/raw_http.hpp"

namespace forgedb::http {
namespace {

using forgedb::testing::RawAnswer;
using forgedb::testing::RawConnection;
using forgedb::testing::RawRequest;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

class HttpLimitsTest : public ::testing::Test {
protected:
    void SetUp() override {
        router_.Add({"GET", "/healthz", [this](const Request&) {
                         ++handled_;
                         return Response::Json(200, "{\"status\":\"ok\"}");
                     }});
        router_.Add({"POST", "/echo", [this](const Request& req) {
                         ++handled_;
                         bodies_ += static_cast<long long>(req.body.size());
                         return Response::Json(
                             200, "{\"size\":" + std::to_string(req.body.size()) + "}");
                     }});
        router_.Add({"GET", "/path/{name}", [this](const Request& req) {
                         ++handled_;
                         return Response::Json(
                             200, "{\"name\":" + JsonQuote(req.params.at("name")) + "}");
                     }});
        router_.Add({"GET", "/slow", [this](const Request&) {
                         ++handled_;
                         std::this_thread::sleep_for(milliseconds(300));
                         return Response::Json(200, "{}");
                     }});
        options_.port = 0;
        options_.max_body_bytes = 1024 * 1024;
        options_.max_header_bytes = 8 * 1024;
        options_.max_header_count = 50;
        options_.header_timeout = milliseconds(1000);
        options_.request_timeout = milliseconds(2000);
        options_.idle_timeout = milliseconds(1000);
    }
    void Start() {
        server_ = std::make_unique<Server>(router_, options_);
        ASSERT_TRUE(server_->Start());
    }
    void TearDown() override {
        if (server_) server_->Stop();
    }
    int port() const { return server_->port(); }
    // Answers one request on a fresh connection.
    std::optional<RawAnswer> Ask(const std::string& raw) {
        RawConnection c(port());
        if (!c.Send(raw)) return std::nullopt;
        return c.Read();
    }

    Router router_;
    ServerOptions options_;
    std::unique_ptr<Server> server_;
    std::atomic<int> handled_{0};
    std::atomic<long long> bodies_{0};
};

// 64 clients that send a header line every 200 ms and never finish (a per-read timeout would
// never fire) hold sockets, not threads: /healthz answers at once all along, and each slow
// client is cut off by the whole-request deadline.
TEST_F(HttpLimitsTest, SlowClientsNeitherBlockOthersNorStayForever) {
    options_.handler_threads = 2;
    Start();
    std::vector<std::unique_ptr<RawConnection>> slow;
    for (int i = 0; i < 64; ++i) {
        slow.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(slow.back()->connected());
        ASSERT_TRUE(slow.back()->Send("POST /echo HTTP/1.1\r\nHost: x\r\n"));
    }
    std::atomic<bool> done{false};
    std::thread dripper([&] {
        int line = 0;
        while (!done) {
            for (auto& c : slow) c->Send("X-Drip-" + std::to_string(line) + ": 1\r\n");
            ++line;
            std::this_thread::sleep_for(milliseconds(200));
        }
    });
    for (int i = 0; i < 5; ++i) {
        auto start = Clock::now();
        auto answer = Ask(RawRequest("GET", "/healthz"));
        ASSERT_TRUE(answer);
        EXPECT_EQ(answer->status, 200);
        EXPECT_LT(Clock::now() - start, seconds(1));
        std::this_thread::sleep_for(milliseconds(100));
    }
    // header_timeout is 1 s from the first byte: every slow client is closed by 3 s.
    int closed = 0;
    auto deadline = Clock::now() + seconds(3);
    done = true;
    dripper.join();
    for (auto& c : slow) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (c->ClosedWithin(std::max(left, milliseconds(1)))) ++closed;
    }
    EXPECT_EQ(closed, 64);
    // The server gives each slot back as its coroutine ends, just after closing the socket.
    for (int i = 0; i < 200 && server_->Stats().connections_open > 0; ++i) {
        std::this_thread::sleep_for(milliseconds(10));
    }
    EXPECT_EQ(server_->Stats().connections_open, 0);
}

// A chunked body is held to the same limit as a Content-Length one, and refused when it reaches
// it: the handler never runs and the server stops reading.
TEST_F(HttpLimitsTest, ChunkedBodyOverTheLimitIsRefusedAtTheLimit) {
    Start();
    RawConnection c(port());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    std::string chunk(64 * 1024, 'a');
    char size_line[32];
    snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
    long long sent = 0;
    // Up to 64 MiB; the server refuses after 1 MiB and closes after lingering a little.
    while (sent < 64LL * 1024 * 1024) {
        if (!c.Send(std::string(size_line) + chunk + "\r\n")) break;
        sent += static_cast<long long>(chunk.size());
    }
    EXPECT_LT(sent, 64LL * 1024 * 1024) << "the server read a 64 MiB body past its 1 MiB limit";
    auto answer = c.Read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 413);
    EXPECT_EQ(handled_, 0);
    // The same limit for a Content-Length body, refused before any of it is read.
    auto too_long = Ask(RawRequest("POST", "/echo", "Content-Length: 1048577\r\n"));
    ASSERT_TRUE(too_long);
    EXPECT_EQ(too_long->status, 413);
    // A body at the limit is served.
    auto at_limit = Ask(RawRequest("POST", "/echo", "", std::string(1024 * 1024, 'b')));
    ASSERT_TRUE(at_limit);
    EXPECT_EQ(at_limit->status, 200);
    EXPECT_EQ(at_limit->body, "{\"size\":1048576}");
}

TEST_F(HttpLimitsTest, HugeOrNegativeLengthsAndChunkSizesAreRefusedAtOnce) {
    Start();
    for (const char* length :
         {"18446744073709551616", "99999999999999999999999", "-1", "1e3", "12abc"}) {
        auto answer =
            Ask(RawRequest("POST", "/echo", std::string("Content-Length: ") + length + "\r\n"));
        ASSERT_TRUE(answer) << length;
        EXPECT_TRUE(answer->status == 400 || answer->status == 413)
            << length << " " << answer->status;
    }
    auto huge = Ask(RawRequest("POST", "/echo", "Content-Length: 9000000000000\r\n"));
    ASSERT_TRUE(huge);
    EXPECT_EQ(huge->status, 413);
    auto chunk =
        Ask("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            "8000000000000000\r\nabc");
    ASSERT_TRUE(chunk);
    EXPECT_TRUE(chunk->status == 400 || chunk->status == 413) << chunk->status;
    EXPECT_EQ(handled_, 0);
}

TEST_F(HttpLimitsTest, CompressedRequestBodiesAreRefused) {
    Start();
    // A gzip member of 1 MiB of zeros would inflate far past the limit; it is never inflated.
    auto gzip = Ask(RawRequest("POST", "/echo", "Content-Encoding: gzip\r\n", "\x1f\x8b\x08"));
    ASSERT_TRUE(gzip);
    EXPECT_EQ(gzip->status, 415);
    auto deflate = Ask(RawRequest("POST", "/echo", "Content-Encoding: deflate\r\n", "x"));
    ASSERT_TRUE(deflate);
    EXPECT_EQ(deflate->status, 415);
    EXPECT_EQ(handled_, 0);
    auto identity = Ask(RawRequest("POST", "/echo", "Content-Encoding: identity\r\n", "xy"));
    ASSERT_TRUE(identity);
    EXPECT_EQ(identity->status, 200);
}

TEST_F(HttpLimitsTest, HeaderCountAndSizeAreBounded) {
    Start();
    std::string many;
    for (int i = 0; i < 60; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
    auto count = Ask(RawRequest("GET", "/healthz", many));
    ASSERT_TRUE(count);
    EXPECT_EQ(count->status, 431);
    // 2,000,000 headers (42 MB): refused at the 8 KiB limit, not read to the end.
    RawConnection c(port());
    ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
    long long sent = 0;
    std::string block;
    for (int i = 0; i < 1000; ++i) block += "X-Flood: 0123456789\r\n";
    for (int i = 0; i < 2000 && c.Send(block); ++i) sent += static_cast<long long>(block.size());
    EXPECT_LT(sent, 2000LL * static_cast<long long>(block.size()));
    auto flood = c.Read();
    ASSERT_TRUE(flood);
    EXPECT_EQ(flood->status, 431);
    EXPECT_EQ(handled_, 0);
}

TEST_F(HttpLimitsTest, PipelinedRequestsAreAnsweredInOrder) {
    Start();
    RawConnection c(port());
    ASSERT_TRUE(c.Send(RawRequest("GET", "/slow") + RawRequest("GET", "/path/first") +
                       RawRequest("POST", "/echo", "", "12345") + RawRequest("GET", "/path/last")));
    auto a = c.Read(), b = c.Read(), d = c.Read(), e = c.Read();
    ASSERT_TRUE(a && b && d && e);
    EXPECT_EQ(a->body, "{}");
    EXPECT_EQ(b->body, "{\"name\":\"first\"}");
    EXPECT_EQ(d->body, "{\"size\":5}");
    EXPECT_EQ(e->body, "{\"name\":\"last\"}");
}

// RFC 9112 6.3: a request without Content-Length or Transfer-Encoding has no body.
TEST_F(HttpLimitsTest, PostWithoutLengthHasAnEmptyBody) {
    Start();
    RawConnection c(port());
    ASSERT_TRUE(c.Send("POST /echo HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto answer = c.Read(milliseconds(900));  // well before any read timeout
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, "{\"size\":0}");
}

// Framing a proxy and forgedb could read differently is refused, and the connection closed so
// that nothing smuggled behind it is served.
TEST_F(HttpLimitsTest, AmbiguousFramingIsRefusedAndClosed) {
    Start();
    const std::string smuggled = RawRequest("GET", "/path/smuggled");
    struct Case {
        const char* name;
        std::string request;
    } cases[] = {
        {"differing Content-Length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 40\r\n\r\nabc"},
        {"repeated Content-Length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc"},
        {"Content-Length list",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc"},
        {"Content-Length then Transfer-Encoding",
         "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         "0\r\n\r\n"},
        {"Transfer-Encoding then Content-Length",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
         "0\r\n\r\n"},
        {"unknown coding",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
         "0\r\n\r\n"},
        {"chunked not last",
         "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n"
         "\r\n0\r\n\r\n"},
    };
    for (const auto& k : cases) {
        RawConnection c(port());
        ASSERT_TRUE(c.Send(k.request + smuggled)) << k.name;
        auto answer = c.Read();
        ASSERT_TRUE(answer) << k.name;
        EXPECT_TRUE(answer->status == 400 || answer->status == 501) << k.name << answer->status;
        EXPECT_EQ(answer->Header("connection"), "close") << k.name;
        EXPECT_TRUE(c.ClosedWithin(seconds(5))) << k.name;
    }
    EXPECT_EQ(handled_, 0);
}

TEST_F(HttpLimitsTest, ConnectionsAreCappedPerClient) {
    options_.max_connections_per_client = 4;
    Start();
    std::vector<std::unique_ptr<RawConnection>> held;
    for (int i = 0; i < 4; ++i) {
        held.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(held.back()->Send(RawRequest("GET", "/healthz")));
        auto ok = held.back()->Read();
        ASSERT_TRUE(ok);
        EXPECT_EQ(ok->status, 200);
    }
    auto refused = Ask(RawRequest("GET", "/healthz"));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(server_->Stats().connections_refused, 1);
    held.pop_back();  // a slot frees up when a connection closes
    std::optional<RawAnswer> again;
    for (int i = 0; i < 50 && !(again && again->status == 200); ++i) {
        std::this_thread::sleep_for(milliseconds(20));
        again = Ask(RawRequest("GET", "/healthz"));
    }
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
}

TEST_F(HttpLimitsTest, IdleKeptAliveConnectionsAreClosed) {
    Start();
    RawConnection c(port());
    ASSERT_TRUE(c.Send(RawRequest("GET", "/healthz")));
    auto answer = c.Read();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_TRUE(c.ClosedWithin(seconds(4)));  // idle_timeout is 1 s
}

TEST_F(HttpLimitsTest, ExpectContinueHeadAndBadEscapes) {
    Start();
    RawConnection c(port());
    ASSERT_TRUE(
        c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\n"));
    auto interim = c.Read();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(c.Send("abcd"));
    auto final_answer = c.Read();
    ASSERT_TRUE(final_answer);
    EXPECT_EQ(final_answer->body, "{\"size\":4}");

    RawConnection h(port());
    ASSERT_TRUE(h.Send(RawRequest("HEAD", "/path/abc") + RawRequest("GET", "/path/x%20y")));
    auto head = h.Read(std::chrono::seconds(5), /*to_head=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->Header("content-length"), "14");
    EXPECT_EQ(head->body, "");
    auto next = h.Read();  // the HEAD answer carried no body, so the next answer follows at once
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "{\"name\":\"x y\"}");

    auto bad = Ask(RawRequest("GET", "/path/%zz"));
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    auto absolute = Ask(RawRequest("GET", "http://elsewhere/healthz"));
    ASSERT_TRUE(absolute);
    EXPECT_EQ(absolute->status, 400);
}

TEST_F(HttpLimitsTest, StopClosesIdleConnectionsPromptly) {
    options_.idle_timeout = seconds(60);
    options_.stop_grace = milliseconds(0);
    Start();
    std::vector<std::unique_ptr<RawConnection>> idle;
    for (int i = 0; i < 10; ++i) {
        idle.push_back(std::make_unique<RawConnection>(port()));
        ASSERT_TRUE(idle.back()->Send(RawRequest("GET", "/healthz")));
        ASSERT_TRUE(idle.back()->Read());
    }
    auto start = Clock::now();
    server_->Stop();
    EXPECT_LT(Clock::now() - start, seconds(5));
    for (auto& c : idle) EXPECT_TRUE(c->ClosedWithin(seconds(1)));
}

}  // namespace
}  // namespace forgedb::http
