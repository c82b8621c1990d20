#include "support/raw_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <fstream>

namespace forgedb::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

int MillisLeft(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string RawAnswer::Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
}

RawConnection::RawConnection(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
}

RawConnection::~RawConnection() { Close(); }

void RawConnection::Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void RawConnection::ShutdownSend() {
    if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

bool RawConnection::Send(std::string_view bytes) {
    if (fd_ < 0) return false;
    size_t sent = 0;
    while (sent < bytes.size()) {
        ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return false;
        sent += static_cast<size_t>(n);
    }
    return true;
}

bool RawConnection::Fill(Clock::time_point deadline) {
    if (fd_ < 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, MillisLeft(deadline)) <= 0) return false;
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
}

std::optional<RawAnswer> RawConnection::Read(std::chrono::milliseconds timeout, bool to_head) {
    const auto deadline = Clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!Fill(deadline)) return std::nullopt;
    }
    RawAnswer answer;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    answer.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
        size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        pos = e + 2;
        size_t colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        answer.headers.emplace(Lower(line.substr(0, colon)), value);
    }
    // An interim answer (the final one follows), or one without a body.
    if (answer.status / 100 == 1 || answer.status == 204 || answer.status == 304 || to_head) {
        return answer;
    }
    if (Lower(answer.Header("transfer-encoding")) == "chunked") {
        for (;;) {
            size_t le;
            while ((le = buffer_.find("\r\n")) == std::string::npos) {
                if (!Fill(deadline)) return std::nullopt;
            }
            size_t size = std::strtoul(buffer_.c_str(), nullptr, 16);
            while (buffer_.size() < le + 2 + size + 2) {
                if (!Fill(deadline)) return std::nullopt;
            }
            answer.body.append(buffer_, le + 2, size);
            buffer_.erase(0, le + 2 + size + 2);
            if (size == 0) break;
        }
        return answer;
    }
    size_t length = std::strtoul(answer.Header("content-length").c_str(), nullptr, 10);
    while (buffer_.size() < length) {
        if (!Fill(deadline)) return std::nullopt;
    }
    answer.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return answer;
}

bool RawConnection::ClosedWithin(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (fd_ >= 0) {
        pollfd p{fd_, POLLIN, 0};
        int ready = poll(&p, 1, MillisLeft(deadline));
        if (ready <= 0) return false;  // the time ran out with the connection open
        char chunk[16384];
        ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) return true;
    }
    return true;
}

std::string RawRequest(std::string_view method, std::string_view target,
                       std::string_view extra_headers, std::string_view body) {
    std::string out;
    out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    out.append(extra_headers);
    if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    out += "\r\n";
    out.append(body);
    return out;
}

long PeakRssKib(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
    }
    return -1;
}

}  // namespace forgedb::testing
