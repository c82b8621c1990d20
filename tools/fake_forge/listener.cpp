#include "listener.hpp"

namespace forgedb::fake {

Status Listener::Start(const http::Router& router, const std::string& host, int port, int threads) {
    if (server_) return Ok();
    http::ServerOptions so;
    so.host = host;
    so.port = port;
    so.handler_threads = threads;
    // A fake serves tests and benchmarks that open many connections from one address.
    so.max_connections_per_client = so.max_connections;
    so.stop_grace = std::chrono::milliseconds(0);
    auto server = std::make_unique<http::Server>(router, so);
    auto st = server->Start();
    if (!st) return st;
    port_ = server->port();
    server_ = std::move(server);
    return Ok();
}

void Listener::Stop() {
    if (!server_) return;
    server_->Stop();
    server_.reset();
    port_ = 0;
}

}  // namespace forgedb::fake
