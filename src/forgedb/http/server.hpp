#pragma once
// The HTTP server: the only code that sees cpp-httplib. Serves a Router on one address.
// Start() binds and serves on a background thread; Stop() stops accepting and joins it.

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "forgedb/core/result.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::http {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 8080;   // 0: any free port (see Server::port())
    int threads = 32;  // one per concurrent keep-alive connection
    std::size_t max_body_bytes = 25 * 1024 * 1024;
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

private:
    struct Impl;
    const Router& router_;
    ServerOptions options_;
    std::unique_ptr<Impl> impl_;
    std::thread thread_;
    int port_ = 0;
};

}  // namespace forgedb::http
