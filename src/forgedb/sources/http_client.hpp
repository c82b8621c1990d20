#pragma once
// The outbound HTTP interface that forge clients use, so tests can swap the transport. An
// implementation must be safe to call from several threads at once.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forgedb/core/result.hpp"

namespace forgedb::sources {

struct HttpRequest {
    std::string method = "GET";
    std::string url;  // absolute
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

struct HttpResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;  // names as received
    std::string body;

    // The first header with this name, compared case-insensitively.
    std::optional<std::string_view> Header(std::string_view name) const;
};

class HttpClient {
public:
    virtual ~HttpClient() = default;
    // Any HTTP status is a response; only transport failures (connect, timeout, reset, truncated
    // body) are errors, with code kTransient.
    virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

struct CurlOptions {
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds total_timeout{60000};
    std::string user_agent = "forgedb";
    // Asks for compressed answers (Accept-Encoding) and decodes them. Off, nothing is asked for
    // that the request's own headers do not ask, and bodies are returned as received.
    bool decode_content = true;
};

// libcurl implementation.
std::unique_ptr<HttpClient> MakeCurlHttpClient(CurlOptions options = {});

}  // namespace forgedb::sources
