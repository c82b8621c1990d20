#pragma once
// A raw HTTP/1.1 client over a TCP socket, for tests that must send what well-behaved clients
// never send: slow headers, pipelined requests, bad framing, oversized or endless bodies. It
// writes bytes as given and reads answers with a deadline. Not thread-safe; one per thread.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace forgedb::testing {

struct RawAnswer {
    int status = 0;
    std::multimap<std::string, std::string> headers;  // names in lower case
    std::string body;
    std::string Header(const std::string& lower_name) const;
};

class RawConnection {
public:
    // Connects to 127.0.0.1:port; connected() tells whether it worked.
    explicit RawConnection(int port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }
    // Sends every byte; false when the peer closed or reset the connection first.
    bool Send(std::string_view bytes);
    // Reads one answer (an interim 1xx answer, or status line, headers, a Content-Length or chunked
    // body) within `timeout`; nullopt when the connection closed or the time ran out first. Bytes
    // after the answer stay buffered for the next call (pipelining).
    // `to_head`: the answer to a HEAD request, whose Content-Length announces no body.
    std::optional<RawAnswer> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5),
                                  bool to_head = false);
    // Whether the peer closes the connection within `timeout` (bytes it sends meanwhile are
    // dropped).
    bool ClosedWithin(std::chrono::milliseconds timeout);
    // Shuts down the sending side (the peer then reads end of stream).
    void ShutdownSend();
    void Close();

private:
    // Reads more bytes into buffer_ until `deadline`; false on close, error or timeout.
    bool Fill(std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
};

// "GET /path HTTP/1.1" with Host and the given extra header lines (each ending in \r\n).
std::string RawRequest(std::string_view method, std::string_view target,
                       std::string_view extra_headers = "", std::string_view body = "");

// The peak resident memory of a process (VmHWM of /proc/PID/status), in KiB; -1 if unknown.
long PeakRssKib(int pid);

}  // namespace forgedb::testing
