#pragma once
// The HTTP/1.1 server: the only code that sees the HTTP library (Boost.Beast on Asio). Serves a
// Router on one address.
//
// Sockets are served by a few I/O threads running one coroutine per connection, so an idle or
// slow client costs a socket and a little memory, never a thread. Handlers run on a separate pool
// of handler threads (they may wait on the database); routes marked nonblocking run inline.
//
// Limits, all enforced while reading (nothing is buffered past a limit):
//   - the request line and headers: max_header_bytes in all and max_header_count fields (431);
//   - the body, with Content-Length or chunked alike: max_body_bytes (413, refused at the limit);
//   - request Content-Encoding other than identity: 415 (no forge compresses its requests);
//   - framing: a repeated or invalid Content-Length, Content-Length with Transfer-Encoding, or a
//     transfer coding other than chunked: 400 (501 for an unknown coding), and the connection is
//     closed (request smuggling behind a proxy needs an ambiguous frame);
//   - time: header_timeout to receive the headers and request_timeout for the whole request,
//     both counted from its first byte (408); idle_timeout between requests of a kept-alive
//     connection; write_timeout to send an answer;
//   - connections: max_connections in all and max_connections_per_client per client address;
//     one over either cap is answered 503 and closed.
// Pipelined requests are answered in order; a request without Content-Length or
// Transfer-Encoding has an empty body (RFC 9112 6.3). Answers are gzip-compressed when the
// client accepts it and they are large enough to gain from it.
//
// Start() binds and serves on background threads; Stop() stops accepting, lets requests in
// progress finish (up to a grace period), closes every connection and joins the threads.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;           // 0: any free port (see Server::port())
    int io_threads = 2;        // threads serving the sockets
    int handler_threads = 16;  // threads running handlers that may block
    std::size_t max_body_bytes = 25 * 1024 * 1024;
    std::size_t max_header_bytes = 64 * 1024;  // request line and header fields
    std::size_t max_header_count = 100;
    std::chrono::milliseconds header_timeout{10'000};
    std::chrono::milliseconds request_timeout{60'000};
    std::chrono::milliseconds idle_timeout{30'000};
    std::chrono::milliseconds write_timeout{30'000};
    std::chrono::milliseconds stop_grace{5'000};
    int max_connections = 2048;
    int max_connections_per_client = 128;
};

// Counters of the server since Start(), for tests and metrics. Thread-safe snapshot.
struct ServerStats {
    long long connections_open = 0;
    long long connections_accepted = 0;
    long long connections_refused = 0;  // over a connection cap
    long long requests = 0;             // answered by a handler
    long long rejected = 0;             // refused by the server itself (limits, framing, time)
};

class Server {
public:
    Server(const Router& router, ServerOptions options);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    Status Start();
    void Stop();
    int port() const { return port_; }
    ServerStats Stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    int port_ = 0;
};

}  // namespace forgedb::http
