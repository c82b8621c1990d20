#include "forgedb/http/server.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "forgedb/core/text.hpp"

namespace forgedb::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Compression: gzip at a fast level (6 ms for a 2 MB JSON answer, a quarter larger than zlib's
// default level, which takes 14 ms); brotli is never offered.
constexpr int kGzipLevel = 3;
constexpr size_t kCompressFrom = 1024;  // smaller answers are sent as they are

// How much a body reserves before its bytes arrive: a client announcing a large Content-Length
// gets memory as it sends, not on its word.
constexpr size_t kInitialBodyReserve = 64 * 1024;
constexpr size_t kReadChunk = 16 * 1024;
// After a refusal that leaves request bytes unread, the server reads and drops what the client
// still sends for a little while before closing, so that closing does not reset the connection
// (a reset can destroy the refusal before the client reads it).
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kLingerBytes = 4 * 1024 * 1024;
constexpr auto kRefusalWriteTime = std::chrono::seconds(5);

// A std::string body that grows as bytes arrive (Beast's string_body reserves the announced
// Content-Length at once).
struct GrowingBody {
    using value_type = std::string;
    static std::uint64_t size(const value_type& body) { return body.size(); }

    class reader {
    public:
        template <bool isRequest, class Fields>
        reader(bhttp::header<isRequest, Fields>&, value_type& body) : body_(body) {}
        void init(const boost::optional<std::uint64_t>& length, beast::error_code& ec) {
            if (length) body_.reserve(std::min<std::uint64_t>(*length, kInitialBodyReserve));
            ec = {};
        }
        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, beast::error_code& ec) {
            for (auto b : beast::buffers_range_ref(buffers)) {
                body_.append(static_cast<const char*>(b.data()), b.size());
            }
            ec = {};
            return beast::buffer_bytes(buffers);
        }
        void finish(beast::error_code& ec) { ec = {}; }

    private:
        value_type& body_;
    };
};

using RequestParser = bhttp::request_parser<GrowingBody>;
using RequestMessage = bhttp::request<GrowingBody>;

// Whether an Accept-Encoding value accepts gzip ("gzip" or "*" without q=0).
bool AcceptsGzip(std::string_view value) {
    size_t pos = 0;
    while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string_view::npos) comma = value.size();
        std::string token(value.substr(pos, comma - pos));
        pos = comma + 1;
        size_t b = token.find_first_not_of(" \t");
        if (b == std::string::npos) continue;
        size_t e = token.find_first_of(" \t;", b);
        std::string_view coding =
            std::string_view(token).substr(b, e == std::string::npos ? e : e - b);
        if (!EqualsIgnoreCase(coding, "gzip") && coding != "*") continue;
        size_t q = token.find("q=");
        if (q != std::string::npos && std::strtod(token.c_str() + q + 2, nullptr) <= 0) continue;
        return true;
    }
    return false;
}

bool Compressible(std::string_view content_type) {
    return content_type.starts_with("text/") || content_type.starts_with("application/json") ||
           content_type.starts_with("application/javascript") ||
           content_type.starts_with("image/svg+xml");
}

// `data` as a gzip member, or nullopt if zlib fails.
std::optional<std::string> Gzip(std::string_view data) {
    z_stream z{};
    // 15 + 16: a 32 KB window with a gzip header and trailer.
    if (deflateInit2(&z, kGzipLevel, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        return std::nullopt;
    }
    std::string out;
    out.resize(deflateBound(&z, static_cast<uLong>(data.size())));
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return std::nullopt;
    return out;
}

std::string_view TrimmedValue(beast::string_view v) {
    std::string_view s(v.data(), v.size());
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// A refusal by the server itself, before or instead of a handler.
struct Refusal {
    int status;
    std::string message;
};

// What a failed read of a request means for its client; nullopt: nothing to answer (the
// client went away or timed out, and the connection is closed).
std::optional<Refusal> RefusalForReadError(const beast::error_code& ec) {
    if (ec == bhttp::error::body_limit) return Refusal{413, "payload too large"};
    if (ec == bhttp::error::header_limit) {
        return Refusal{431, "request header fields too large"};
    }
    if (ec == bhttp::error::buffer_overflow) return Refusal{400, "request framing too large"};
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
        ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::connection_reset || ec == asio::error::operation_aborted ||
        ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor) {
        return std::nullopt;
    }
    if (ec == bhttp::error::bad_content_length || ec == bhttp::error::multiple_content_length) {
        return Refusal{400, "invalid or repeated Content-Length"};
    }
    if (ec == bhttp::error::bad_transfer_encoding) {
        return Refusal{400, "invalid Transfer-Encoding, or Transfer-Encoding with Content-Length"};
    }
    if (ec == bhttp::error::bad_chunk || ec == bhttp::error::bad_chunk_extension) {
        return Refusal{400, "invalid chunk"};
    }
    return Refusal{400, "malformed request: " + ec.message()};
}

// Checks the framing of a request whose header was read; nullopt when it is acceptable.
std::optional<Refusal> CheckHeader(const RequestMessage& msg, size_t max_count) {
    size_t count = 0, content_length = 0, transfer_encoding = 0;
    for (const auto& f : msg) {
        ++count;
        if (f.name() == bhttp::field::content_length) {
            ++content_length;
            if (f.value().find(',') != beast::string_view::npos) ++content_length;
        } else if (f.name() == bhttp::field::transfer_encoding) {
            ++transfer_encoding;
            if (!EqualsIgnoreCase(TrimmedValue(f.value()), "chunked")) {
                return Refusal{501, "only the chunked transfer coding is accepted"};
            }
        } else if (f.name() == bhttp::field::content_encoding) {
            if (!EqualsIgnoreCase(TrimmedValue(f.value()), "identity")) {
                return Refusal{415, "request bodies must not be compressed (Content-Encoding)"};
            }
        }
    }
    if (count > max_count) return Refusal{431, "too many request header fields"};
    if (content_length > 1) return Refusal{400, "repeated Content-Length"};
    if (transfer_encoding > 1) return Refusal{400, "repeated Transfer-Encoding"};
    if (content_length > 0 && transfer_encoding > 0) {
        return Refusal{400, "Content-Length together with Transfer-Encoding"};
    }
    auto target = msg.target();
    if (target.empty() || target.front() != '/') {
        return Refusal{400, "the request target must be an absolute path"};
    }
    return std::nullopt;
}

bhttp::response<bhttp::string_body> ErrorMessage(int status, std::string_view message,
                                                 unsigned version) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(status),
                                            version == 10 ? 10u : 11u};
    out.set(bhttp::field::content_type, "application/json");
    out.set(bhttp::field::connection, "close");
    out.body() = Response::Error(status, message).body;
    out.prepare_payload();
    return out;
}

std::string ClientAddress(const tcp::socket& socket) {
    beast::error_code ec;
    auto ep = socket.remote_endpoint(ec);
    if (ec) return "";
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        return asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string();
    }
    return addr.to_string();
}

}  // namespace

struct Server::Impl {
    Impl(const Router& r, ServerOptions o) : router(r), options(std::move(o)) {}

    const Router& router;
    ServerOptions options;
    std::unique_ptr<asio::io_context> io;
    std::unique_ptr<asio::thread_pool> handlers;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::vector<std::thread> io_threads;
    bool started = false;

    std::mutex mu;  // guards per_client and open
    std::unordered_map<std::string, int> per_client;
    long long open = 0;
    std::atomic<bool> stopping{false};
    std::atomic<int> busy{0};  // requests read and not yet answered
    std::atomic<long long> accepted{0}, refused{0}, requests{0}, rejected{0};

    // Takes a connection slot for `client`; false when a cap is reached.
    bool Admit(const std::string& client) {
        std::lock_guard lock(mu);
        int& n = per_client[client];
        if (open >= options.max_connections || n >= options.max_connections_per_client) {
            if (n == 0) per_client.erase(client);
            return false;
        }
        ++n;
        ++open;
        return true;
    }
    void Release(const std::string& client) {
        std::lock_guard lock(mu);
        auto it = per_client.find(client);
        if (it != per_client.end() && --it->second <= 0) per_client.erase(it);
        --open;
    }

    // One connection slot, given back when the connection's coroutine ends (or is destroyed).
    class SlotGuard {
    public:
        SlotGuard(Impl& impl, std::string client) : impl_(impl), client_(std::move(client)) {}
        ~SlotGuard() { impl_.Release(client_); }
        SlotGuard(const SlotGuard&) = delete;
        SlotGuard& operator=(const SlotGuard&) = delete;

    private:
        Impl& impl_;
        std::string client_;
    };

    asio::awaitable<void> Accept();
    asio::awaitable<void> Serve(tcp::socket socket, std::string client);
    asio::awaitable<void> RefuseConnection(tcp::socket socket);
    asio::awaitable<void> SendRefusal(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                      const Refusal& refusal, unsigned version);
    Response Run(const Route& route, Request& request);
    bhttp::response<bhttp::string_body> Encode(Response res, const RequestMessage& msg, bool head,
                                               bool keep_alive);
};

// Counts a request as busy from when it was read until it was answered.
class BusyGuard {
public:
    explicit BusyGuard(std::atomic<int>& busy) : busy_(busy) { ++busy_; }
    ~BusyGuard() { --busy_; }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;

private:
    std::atomic<int>& busy_;
};

asio::awaitable<void> Server::Impl::Accept() {
    for (;;) {
        tcp::socket socket(asio::make_strand(*io));
        auto [ec] = co_await acceptor->async_accept(socket, kNoThrow);
        if (ec) {
            if (stopping || ec == asio::error::operation_aborted) co_return;
            // Out of file descriptors or a transient failure: wait rather than spin.
            spdlog::warn("HTTP accept failed: {}", ec.message());
            asio::steady_timer pause(co_await asio::this_coro::executor,
                                     std::chrono::milliseconds(50));
            co_await pause.async_wait(kNoThrow);
            continue;
        }
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        std::string client = ClientAddress(socket);
        auto ex = socket.get_executor();
        if (!Admit(client)) {
            ++refused;
            asio::co_spawn(ex, RefuseConnection(std::move(socket)), asio::detached);
            continue;
        }
        ++accepted;
        asio::co_spawn(ex, Serve(std::move(socket), std::move(client)), [](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& what) {
                spdlog::error("HTTP connection: {}", what.what());
            }
        });
    }
}

asio::awaitable<void> Server::Impl::RefuseConnection(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    auto out = ErrorMessage(503, "too many connections", 11);
    out.set(bhttp::field::retry_after, "1");
    stream.expires_after(std::chrono::seconds(1));
    co_await bhttp::async_write(stream, out, kNoThrow);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<void> Server::Impl::SendRefusal(beast::tcp_stream& stream,
                                                beast::flat_buffer& buffer, const Refusal& refusal,
                                                unsigned version) {
    ++rejected;
    auto out = ErrorMessage(refusal.status, refusal.message, version);
    stream.expires_after(kRefusalWriteTime);
    auto [ec, n] = co_await bhttp::async_write(stream, out, kNoThrow);
    if (ec) co_return;
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    // Linger: drop what the client still sends, until it closes or for a little while.
    stream.expires_after(kLingerTime);
    size_t dropped = 0;
    while (dropped < kLingerBytes) {
        buffer.clear();
        auto [rec, got] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
        if (rec) break;
        dropped += got;
    }
}

Response Server::Impl::Run(const Route& route, Request& request) {
    try {
        return route.handler(request);
    } catch (const std::exception& e) {
        spdlog::error("{} {}: {}", request.method, request.path, e.what());
        return Response::Error(500, "internal error");
    }
}

bhttp::response<bhttp::string_body> Server::Impl::Encode(Response res, const RequestMessage& msg,
                                                         bool head, bool keep_alive) {
    bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(res.status), msg.version()};
    out.set(bhttp::field::content_type, res.content_type);
    bool encoded = false;
    for (auto& [k, v] : res.headers) {
        if (EqualsIgnoreCase(k, "Content-Encoding")) encoded = true;
        out.insert(k, v);
    }
    if (Compressible(res.content_type)) {
        auto accept = msg.find(bhttp::field::accept_encoding);
        if (!encoded && res.body.size() >= kCompressFrom && accept != msg.end() &&
            AcceptsGzip(std::string_view(accept->value().data(), accept->value().size()))) {
            if (auto packed = Gzip(res.body)) {
                res.body = std::move(*packed);
                out.set(bhttp::field::content_encoding, "gzip");
            }
        }
        out.set(bhttp::field::vary, "Accept-Encoding");
    }
    out.keep_alive(keep_alive);
    size_t length = res.body.size();
    if (!head) out.body() = std::move(res.body);
    out.content_length(length);
    return out;
}

asio::awaitable<void> Server::Impl::Serve(tcp::socket socket, std::string client) {
    SlotGuard slot(*this, client);
    beast::tcp_stream stream(std::move(socket));
    // One buffer per connection, so that pipelined bytes carry over to the next request. Its cap
    // bounds what a framing line (a chunk header, say) may take.
    beast::flat_buffer buffer(options.max_header_bytes + 2 * kReadChunk);
    bool first = true;
    for (;;) {
        // Wait for the first byte of the next request, unless pipelined bytes are here already.
        if (buffer.size() == 0) {
            stream.expires_after(first ? options.header_timeout : options.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kNoThrow);
            if (ec) co_return;
            buffer.commit(n);
        }
        first = false;
        const auto started = SteadyClock::now();
        RequestParser parser;
        parser.header_limit(
            static_cast<std::uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
        parser.body_limit(options.max_body_bytes);
        stream.expires_at(started + options.header_timeout);
        {
            auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, parser, kNoThrow);
            if (ec) {
                if (auto refusal = RefusalForReadError(ec)) {
                    co_await SendRefusal(stream, buffer, *refusal, 11);
                }
                co_return;
            }
        }
        const unsigned version = parser.get().version();
        if (auto refusal = CheckHeader(parser.get(), options.max_header_count)) {
            co_await SendRefusal(stream, buffer, *refusal, version);
            co_return;
        }
        if (!parser.is_done()) {
            auto expect = parser.get().find(bhttp::field::expect);
            if (expect != parser.get().end() &&
                EqualsIgnoreCase(std::string_view(expect->value().data(), expect->value().size()),
                                 "100-continue")) {
                static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
                stream.expires_after(options.write_timeout);
                auto [ec, n] = co_await asio::async_write(
                    stream, asio::buffer(kContinue.data(), kContinue.size()), kNoThrow);
                if (ec) co_return;
            }
            stream.expires_at(started + options.request_timeout);
            auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow);
            if (ec) {
                if (auto refusal = RefusalForReadError(ec)) {
                    co_await SendRefusal(stream, buffer, *refusal, version);
                }
                co_return;
            }
        }
        BusyGuard busy_guard(busy);
        RequestMessage msg = parser.release();
        const bool head = msg.method() == bhttp::verb::head;
        Request request;
        request.method = head ? "GET" : std::string(msg.method_string());
        std::string_view target(msg.target().data(), msg.target().size());
        size_t qmark = target.find('?');
        auto path = PercentDecode(target.substr(0, qmark), /*plus_is_space=*/false);
        std::optional<std::multimap<std::string, std::string>> query;
        if (qmark == std::string_view::npos) {
            query.emplace();
        } else {
            query = ParseForm(target.substr(qmark + 1));
        }
        if (!path || !query) {
            // Named: GCC 12 destroys a temporary of a co_await expression twice.
            const Refusal bad_escape{400, "bad percent-encoding in the target"};
            co_await SendRefusal(stream, buffer, bad_escape, version);
            co_return;
        }
        request.path = std::move(*path);
        request.query = std::move(*query);
        for (const auto& f : msg) {
            request.headers.emplace(std::string(f.name_string()), std::string(f.value()));
        }
        request.body = msg.body();
        request.remote_addr = client;

        Response res;
        if (const Route* route = router.Find(request, &res)) {
            if (route->nonblocking) {
                res = Run(*route, request);
            } else {
                res = co_await asio::co_spawn(
                    handlers->get_executor(),
                    [this, route, &request]() -> asio::awaitable<Response> {
                        co_return Run(*route, request);
                    },
                    asio::use_awaitable);
            }
        }
        ++requests;
        if (res.raw_then_close) {
            stream.expires_after(options.write_timeout);
            co_await asio::async_write(stream, asio::buffer(*res.raw_then_close), kNoThrow);
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
            co_return;
        }
        const bool keep_alive = msg.keep_alive() && !stopping;
        auto out = Encode(std::move(res), msg, head, keep_alive);
        stream.expires_after(options.write_timeout);
        auto [ec, n] = co_await bhttp::async_write(stream, out, kNoThrow);
        if (ec || !keep_alive) {
            beast::error_code ignored;
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            co_return;
        }
    }
}

Server::Server(const Router& router, ServerOptions options)
    : impl_(std::make_unique<Impl>(router, std::move(options))) {}

Server::~Server() { Stop(); }

namespace {

// Raises the soft limit of open files to the hard one; the limit, or 0 when unknown.
rlim_t RaiseOpenFileLimit() {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
    if (lim.rlim_cur < lim.rlim_max) {
        rlimit raised = lim;
        raised.rlim_cur = lim.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) lim = raised;
    }
    return lim.rlim_cur;
}

}  // namespace

Status Server::Start() {
    auto& s = *impl_;
    if (s.started) return Unexpected(ErrorCode::kInternal, "the HTTP server was started twice");
    const auto& o = s.options;
    if (o.io_threads < 1 || o.handler_threads < 1 || o.max_connections < 1 ||
        o.max_connections_per_client < 1 || o.max_header_count < 1 || o.max_header_bytes < 1024) {
        return Unexpected(ErrorCode::kInvalid, "HTTP server options out of range");
    }
    if (rlim_t files = RaiseOpenFileLimit();
        files != 0 && static_cast<rlim_t>(o.max_connections) + 256 > files) {
        spdlog::warn(
            "HTTP: {} connections allowed but only {} open files: connections beyond about {} "
            "will wait in the listen queue (raise `ulimit -n`)",
            o.max_connections, files, files > 256 ? files - 256 : 0);
    }
    s.io = std::make_unique<asio::io_context>(o.io_threads);
    s.acceptor = std::make_unique<tcp::acceptor>(*s.io);
    beast::error_code ec;
    auto address = asio::ip::make_address(o.host == "localhost" ? "127.0.0.1" : o.host, ec);
    if (ec) {
        return Unexpected(ErrorCode::kInvalid, "cannot listen on " + o.host + ": not an address");
    }
    tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
    s.acceptor->open(endpoint.protocol(), ec);
    if (!ec) s.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor->bind(endpoint, ec);
    if (!ec) s.acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return Unexpected(ErrorCode::kInvalid, "cannot listen on " + o.host + ":" +
                                                   std::to_string(o.port) + ": " + ec.message());
    }
    port_ = s.acceptor->local_endpoint().port();
    s.handlers = std::make_unique<asio::thread_pool>(o.handler_threads);
    asio::co_spawn(*s.io, s.Accept(), asio::detached);
    for (int i = 0; i < o.io_threads; ++i) {
        s.io_threads.emplace_back([&s] { s.io->run(); });
    }
    s.started = true;
    return Ok();
}

void Server::Stop() {
    auto& s = *impl_;
    if (!s.started) return;
    s.started = false;
    s.stopping = true;
    asio::post(*s.io, [&s] {
        beast::error_code ignored;
        s.acceptor->close(ignored);
    });
    // Requests already read get their answers, for a while.
    const auto deadline = SteadyClock::now() + s.options.stop_grace;
    while (s.busy > 0 && SteadyClock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    s.io->stop();
    for (auto& t : s.io_threads) t.join();
    s.io_threads.clear();
    s.handlers->join();
    // Destroying the context destroys every connection's coroutine, which closes its socket.
    s.acceptor.reset();
    s.io.reset();
    s.handlers.reset();
}

ServerStats Server::Stats() const {
    const auto& s = *impl_;
    ServerStats out;
    {
        std::lock_guard lock(impl_->mu);
        out.connections_open = s.open;
    }
    out.connections_accepted = s.accepted;
    out.connections_refused = s.refused;
    out.requests = s.requests;
    out.rejected = s.rejected;
    return out;
}

}  // namespace forgedb::http
