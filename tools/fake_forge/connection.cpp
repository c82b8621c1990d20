#include "connection.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

namespace forgedb::fake::connection {
namespace {

std::optional<int> HeaderInt(const http::Request& req, std::string_view name) {
    auto v = req.Header(name);
    if (!v) return std::nullopt;
    int out = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
    if (ec != std::errc() || p != v->data() + v->size()) return std::nullopt;
    return out;
}

// Port and printable address of a socket address (IPv4 or IPv6).
bool Describe(const sockaddr_storage& sa, int& port, std::string& addr) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa.ss_family == AF_INET) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(&sa);
        port = ntohs(in->sin_port);
        inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    } else if (sa.ss_family == AF_INET6) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&sa);
        port = ntohs(in6->sin6_port);
        inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    } else {
        return false;
    }
    addr = buf;
    return true;
}

struct Endpoints {
    int fd = -1;
    int local_port = 0;
    int peer_port = 0;
    std::string peer_addr;
};

// Calls fn for each connected socket of the process until it returns true; returns that one.
template <typename Fn>
std::optional<Endpoints> EachConnectedSocket(Fn fn) {
    DIR* dir = opendir("/proc/self/fd");
    if (dir == nullptr) return std::nullopt;
    std::optional<Endpoints> found;
    while (dirent* e = readdir(dir)) {
        char* end = nullptr;
        long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
        struct stat st;
        if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        sockaddr_storage local{}, peer{};
        socklen_t local_len = sizeof local, peer_len = sizeof peer;
        if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &local_len) !=
                0 ||
            getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) {
            continue;  // not connected (e.g. a listening socket)
        }
        Endpoints ep;
        ep.fd = static_cast<int>(fd);
        std::string local_addr;
        if (!Describe(local, ep.local_port, local_addr) ||
            !Describe(peer, ep.peer_port, ep.peer_addr)) {
            continue;
        }
        if (fn(ep)) {
            found = ep;
            break;
        }
    }
    closedir(dir);
    return found;
}

}  // namespace

int FindSocket(const http::Request& req) {
    auto remote_port = HeaderInt(req, "REMOTE_PORT");
    auto local_port = HeaderInt(req, "LOCAL_PORT");
    if (!remote_port || !local_port) return -1;
    auto found = EachConnectedSocket([&](const Endpoints& ep) {
        return ep.local_port == *local_port && ep.peer_port == *remote_port &&
               (req.remote_addr.empty() || ep.peer_addr == req.remote_addr ||
                ep.peer_addr == "::ffff:" + req.remote_addr);
    });
    return found ? found->fd : -1;
}

int ShutdownAccepted(int local_port) {
    int count = 0;
    EachConnectedSocket([&](const Endpoints& ep) {
        if (ep.local_port == local_port && shutdown(ep.fd, SHUT_RDWR) == 0) ++count;
        return false;
    });
    return count;
}

bool SendAndShutdown(int fd, std::string_view bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
    }
    return shutdown(fd, SHUT_RDWR) == 0 && sent == bytes.size();
}

Status Listener::Start(const http::Router& router, const std::string& host, int port, int threads) {
    if (server_) return Ok();
    http::ServerOptions so;
    so.host = host;
    so.port = port;
    so.threads = threads;
    auto server = std::make_unique<http::Server>(router, so);
    auto st = server->Start();
    if (!st) return st;
    port_ = server->port();
    server_ = std::move(server);
    return Ok();
}

void Listener::Stop() {
    if (!server_) return;
    // forgedb::http::Server waits for idle keep-alive connections (up to 30 s) before it stops;
    // close them (repeatedly, in case a client reconnects) while it shuts down.
    std::atomic<bool> stopped{false};
    std::thread closer([&] {
        while (!stopped) {
            ShutdownAccepted(port_);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    server_->Stop();
    stopped = true;
    closer.join();
    server_.reset();
    port_ = 0;
}

}  // namespace forgedb::fake::connection
