#include "forgedb/http/server.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <optional>
#include <thread>

#include "forgedb/core/text.hpp"

namespace forgedb::http {
namespace {

// Compression is done here rather than by the library, which picks brotli at its slowest quality
// whenever the client accepts "br" (about 1 MB/s: 100 ms for a 75 KB JSON page), and otherwise
// gzip at zlib's default level (14 ms for a 2 MB answer). forgedb answers gzip at a fast level
// (6 ms for the same answer, a quarter larger) and hides Accept-Encoding from the library. The
// library's Request object is not const (only the reference it hands out is), so taking its
// header out is well-defined.
constexpr int kGzipLevel = 3;
constexpr size_t kCompressFrom = 1024;  // smaller answers are sent as they are

// Whether an Accept-Encoding value accepts gzip ("gzip" or "*" without q=0).
bool AcceptsGzip(const std::string& value) {
    size_t pos = 0;
    while (pos <= value.size()) {
        size_t comma = value.find(',', pos);
        if (comma == std::string::npos) comma = value.size();
        std::string token = value.substr(pos, comma - pos);
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

// Takes Accept-Encoding away from the library; true when the client accepts gzip.
bool TakeAcceptEncoding(const httplib::Request& in) {
    auto it = in.headers.find("Accept-Encoding");
    if (it == in.headers.end()) return false;
    bool gzip = AcceptsGzip(it->second);
    const_cast<httplib::Request&>(in).headers.erase("Accept-Encoding");
    return gzip;
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

std::string QuoteParam(const std::string& v) {
    std::string out = "\"";
    for (char c : v) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

// The library parses multipart/form-data bodies itself (a handler cannot read them raw), so the
// parts are written out again with the request's boundary: surfaces see one body for every
// request and parse it with ParseMultipart. False when the library could not parse it.
bool ReadMultipart(const httplib::Request& in, const httplib::ContentReader& reader,
                   std::string& body) {
    const std::string boundary =
        HeaderParam(in.get_header_value("Content-Type"), "boundary").value_or("");
    bool first = true;
    bool ok = reader(
        [&](const httplib::MultipartFormData& part) {
            body += first ? "--" : "\r\n--";
            first = false;
            body += boundary + "\r\nContent-Disposition: form-data; name=" + QuoteParam(part.name);
            if (!part.filename.empty()) body += "; filename=" + QuoteParam(part.filename);
            body += "\r\n";
            if (!part.content_type.empty()) body += "Content-Type: " + part.content_type + "\r\n";
            body += "\r\n";
            return true;
        },
        [&](const char* data, size_t n) {
            body.append(data, n);
            return true;
        });
    body += (first ? "--" : "\r\n--") + boundary + "--\r\n";
    return ok;
}

}  // namespace

struct Server::Impl {
    httplib::Server server;
};

Server::Server(const Router& router, ServerOptions options)
    : router_(router), options_(std::move(options)), impl_(std::make_unique<Impl>()) {}

Server::~Server() { Stop(); }

Status Server::Start() {
    auto& s = impl_->server;
    s.set_tcp_nodelay(true);
    s.set_keep_alive_max_count(100000);
    s.set_keep_alive_timeout(5);
    s.set_read_timeout(10, 0);
    s.set_write_timeout(30, 0);
    s.set_payload_max_length(options_.max_body_bytes);
    int threads = options_.threads;
    s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    auto dispatch = [this](const httplib::Request& in, std::string_view body,
                           httplib::Response& out) {
        bool gzip = TakeAcceptEncoding(in);
        Request req;
        req.method = in.method;
        req.path = in.path;
        for (const auto& [k, v] : in.headers) req.headers.emplace(k, v);
        for (const auto& [k, v] : in.params) req.query.emplace(k, v);
        req.body = body;
        req.remote_addr = in.remote_addr;
        Response res;
        try {
            res = router_.Dispatch(req);
        } catch (const std::exception& e) {
            spdlog::error("{} {}: {}", in.method, in.path, e.what());
            res = Response::Error(500, "internal error");
        }
        out.status = res.status;
        for (auto& [k, v] : res.headers) out.set_header(k, v);
        if (gzip && res.body.size() >= kCompressFrom && Compressible(res.content_type) &&
            !out.has_header("Content-Encoding")) {
            if (auto packed = Gzip(res.body)) {
                res.body = std::move(*packed);
                out.set_header("Content-Encoding", "gzip");
            }
        }
        if (Compressible(res.content_type)) out.set_header("Vary", "Accept-Encoding");
        out.set_content(std::move(res.body), res.content_type);
    };
    auto without_body = [dispatch](const httplib::Request& in, httplib::Response& out) {
        dispatch(in, in.body, out);
    };
    // Bodies are read through a content reader: the library's own body reading refuses
    // form-encoded bodies over 8 KB, and GitHub may send its deliveries form-encoded.
    auto with_body = [dispatch](const httplib::Request& in, httplib::Response& out,
                                const httplib::ContentReader& reader) {
        std::string body;
        if (in.is_multipart_form_data()) {
            if (!ReadMultipart(in, reader, body)) {
                if (out.status == 413) {
                    out.set_content("{\"error\":\"payload too large\"}", "application/json");
                    return;
                }
                out.status = 200;
                body.clear();  // malformed: the surface sees an empty body and refuses it
            }
            dispatch(in, body, out);
            return;
        }
        bool complete = reader([&](const char* data, size_t n) {
            body.append(data, n);
            return true;
        });
        if (!complete) {  // too large (the library set 413) or cut short
            if (out.status < 400) out.status = 400;
            std::string msg = out.status == 413 ? "payload too large" : "could not read the body";
            out.set_content("{\"error\":\"" + msg + "\"}", "application/json");
            return;
        }
        dispatch(in, body, out);
    };
    s.Get(".*", without_body);
    s.Delete(".*", without_body);
    s.Post(".*", with_body);
    s.Put(".*", with_body);
    s.Patch(".*", with_body);
    s.Options(".*", without_body);  // CORS preflights, answered by the surfaces that allow them
    s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (res.body.empty()) {
            std::string msg =
                res.status == 413 ? "payload too large" : "HTTP " + std::to_string(res.status);
            res.set_content("{\"error\":\"" + msg + "\"}", "application/json");
        }
    });
    if (options_.port == 0) {
        port_ = s.bind_to_any_port(options_.host);
    } else {
        port_ = s.bind_to_port(options_.host, options_.port) ? options_.port : -1;
    }
    if (port_ <= 0) {
        return Unexpected(ErrorCode::kInvalid, "cannot listen on " + options_.host + ":" +
                                                   std::to_string(options_.port));
    }
    thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
    // stop() is ignored until the accept loop runs; wait for it so Stop() always works.
    while (!impl_->server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Ok();
}

void Server::Stop() {
    if (thread_.joinable()) {
        impl_->server.stop();
        thread_.join();
    }
}

}  // namespace forgedb::http
