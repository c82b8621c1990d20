#pragma once
// Connection-level faults that forgedb::http::Response cannot express (a body shorter than its
// Content-Length, a connection closed without an answer). forgedb::http hides the socket, so the
// fake finds it: cpp-httplib adds REMOTE_PORT and LOCAL_PORT pseudo-headers to every request, and
// the process's sockets are listed in /proc/self/fd. The handler runs on the thread that owns the
// connection, so nothing else writes to the socket meanwhile. After shutdown(), the server's own
// answer fails to send and it closes the connection. Linux only. Thread-safe.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "forgedb/core/result.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/http/server.hpp"

namespace forgedb::fake::connection {

// The socket of the connection that carried `req`, or -1 when it cannot be found.
int FindSocket(const http::Request& req);

// Sends `bytes` on the socket (may be empty), then shuts it down both ways. False on failure.
bool SendAndShutdown(int fd, std::string_view bytes);

// Shuts down every connection accepted on `local_port` (the listening socket is left alone);
// returns how many. Used by Listener::Stop() so that idle keep-alive connections do not hold
// the server's shutdown for its 30 s keep-alive timeout.
int ShutdownAccepted(int local_port);

// The http::Server of a fake, set between Start() and Stop(). Start() and Stop() belong to the
// owner; port() may be read from any thread.
class Listener {
public:
    // Serves `router` (which must outlive the serving) on background threads; Ok when serving.
    Status Start(const http::Router& router, const std::string& host, int port, int threads);
    // Stops serving; idle keep-alive connections are closed rather than waited for. Idempotent.
    void Stop();
    int port() const { return port_; }  // 0 when not serving

private:
    std::unique_ptr<http::Server> server_;
    std::atomic<int> port_{0};
};

}  // namespace forgedb::fake::connection
