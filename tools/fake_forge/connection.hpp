#pragma once
// Connection-level faults that forgedb::http::Response cannot express (a body shorter than its
// Content-Length, a connection closed without an answer). forgedb::http hides the socket, so the
// fake finds it: cpp-httplib adds REMOTE_PORT and LOCAL_PORT pseudo-headers to every request, and
// the process's sockets are listed in /proc/self/fd. The handler runs on the thread that owns the
// connection, so nothing else writes to the socket meanwhile. After shutdown(), the server's own
// answer fails to send and it closes the connection. Linux only. Thread-safe.

#include <string_view>

#include "forgedb/http/http.hpp"

namespace forgedb::fake::connection {

// The socket of the connection that carried `req`, or -1 when it cannot be found.
int FindSocket(const http::Request& req);

// Sends `bytes` on the socket (may be empty), then shuts it down both ways. False on failure.
bool SendAndShutdown(int fd, std::string_view bytes);

// Shuts down every connection accepted on `local_port` (the listening socket is left alone);
// returns how many. Used by FakeGithub::Stop() so that idle keep-alive connections do not hold
// the server's shutdown for its 30 s keep-alive timeout.
int ShutdownAccepted(int local_port);

}  // namespace forgedb::fake::connection
