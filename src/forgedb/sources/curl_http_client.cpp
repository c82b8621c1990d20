// libcurl implementation of HttpClient. Easy handles are kept in a small pool so that connections
// (and TLS sessions) are reused; each handle serves one call at a time. Redirects are not
// followed: every status is handed to the caller. Proxies come from the environment (http_proxy,
// https_proxy, no_proxy), as libcurl reads them by default.

#include <curl/curl.h>

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources {
namespace {

constexpr size_t kMaxIdleHandles = 16;

void GlobalInit() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            throw std::runtime_error("curl_global_init failed");
        }
    });
}

struct EasyDeleter {
    void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
using EasyHandle = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

std::string Trim(std::string s) {
    size_t b = 0;
    while (b < s.size() && (s[b] == ' ' || s[b] == '\t')) ++b;
    size_t e = s.size();
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
        --e;
    }
    return s.substr(b, e - b);
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

// Called once per header line, status lines included. A new status line (an interim 1xx
// response) starts the header list over, so only the final response's headers are kept.
size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
    std::string line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();
        return size * n;
    }
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {  // obsolete line folding
        if (!headers->empty()) {
            headers->back().second += ' ';
            headers->back().second += Trim(line);
        }
        return size * n;
    }
    size_t colon = line.find(':');
    if (colon != std::string::npos && colon > 0) {
        headers->emplace_back(line.substr(0, colon), Trim(line.substr(colon + 1)));
    }
    return size * n;
}

class CurlHttpClient final : public HttpClient {
public:
    explicit CurlHttpClient(CurlOptions options) : options_(std::move(options)) { GlobalInit(); }

    Result<HttpResponse> Send(const HttpRequest& request) override {
        EasyHandle handle = Acquire();
        if (!handle) return Unexpected(ErrorCode::kInternal, "curl_easy_init failed");
        auto result = Perform(handle.get(), request);
        Release(std::move(handle));
        return result;
    }

private:
    EasyHandle Acquire() {
        {
            std::lock_guard lock(mu_);
            if (!idle_.empty()) {
                EasyHandle h = std::move(idle_.back());
                idle_.pop_back();
                return h;
            }
        }
        return EasyHandle(curl_easy_init());
    }

    void Release(EasyHandle handle) {
        curl_easy_reset(handle.get());  // keeps the connection and DNS caches
        std::lock_guard lock(mu_);
        if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
    }

    Result<HttpResponse> Perform(CURL* h, const HttpRequest& request) {
        HttpResponse response;
        char errbuf[CURL_ERROR_SIZE] = {0};
        bool has_user_agent = false;
        Slist headers;
        auto append = [&headers](const std::string& line) {
            curl_slist* next = curl_slist_append(headers.get(), line.c_str());
            if (next) {
                headers.release();
                headers.reset(next);
            }
            return next != nullptr;
        };
        for (const auto& [name, value] : request.headers) {
            if (curl_strequal(name.c_str(), "User-Agent")) has_user_agent = true;
            // "Name;" is curl's way to send a header with an empty value.
            if (!append(value.empty() ? name + ";" : name + ": " + value)) {
                return Unexpected(ErrorCode::kInternal, "out of memory building headers");
            }
        }
        // No "Expect: 100-continue" round trip before bodies.
        if (!append("Expect:")) return Unexpected(ErrorCode::kInternal, "out of memory");

        curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // required with several threads
        curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options_.connect_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.total_timeout.count()));
        curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
        if (options_.decode_content) {
            curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");  // gzip etc., decoded transparently
        }
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
        if (!has_user_agent) curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &response.body);
        curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
        curl_easy_setopt(h, CURLOPT_HEADERDATA, &response.headers);

        const std::string& method = request.method;
        if (method == "GET") {
            curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        } else if (method == "HEAD") {
            curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
        } else {
            if (method != "POST") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
            bool sends_body = method == "POST" || method == "PUT" || method == "PATCH";
            if (sends_body || !request.body.empty()) {
                curl_easy_setopt(h, CURLOPT_POST, 1L);
                curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                                 static_cast<curl_off_t>(request.body.size()));
                curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
            }
        }

        CURLcode rc = curl_easy_perform(h);
        if (rc != CURLE_OK) {
            std::string detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
            std::string message = method + " " + request.url + ": " + detail;
            // A request that can never be sent is not a transport failure.
            bool hopeless = rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL ||
                            rc == CURLE_BAD_FUNCTION_ARGUMENT;
            return Unexpected(hopeless ? ErrorCode::kInvalid : ErrorCode::kTransient, message);
        }
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        response.status = static_cast<int>(status);
        return response;
    }

    CurlOptions options_;
    std::mutex mu_;
    std::vector<EasyHandle> idle_;
};

}  // namespace

std::unique_ptr<HttpClient> MakeCurlHttpClient(CurlOptions options) {
    return std::make_unique<CurlHttpClient>(std::move(options));
}

}  // namespace forgedb::sources
