#pragma once
// The http::Server of a fake, set between Start() and Stop(). Start() and Stop() belong to the
// owner; port() may be read from any thread.

#include <atomic>
#include <memory>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/http/server.hpp"

namespace forgedb::fake {

class Listener {
public:
    // Serves `router` (which must outlive the serving) on background threads, with `threads`
    // handler threads; Ok when serving.
    Status Start(const http::Router& router, const std::string& host, int port, int threads);
    // Stops serving and closes every connection, idle kept-alive ones included. Idempotent.
    void Stop();
    int port() const { return port_; }  // 0 when not serving

private:
    std::unique_ptr<http::Server> server_;
    std::atomic<int> port_{0};
};

}  // namespace forgedb::fake
