#pragma once
// A blocking HTTP/1.1 client for tests, on the project's libcurl transport. It sends the request
// target as given (nothing is percent-encoded: '+' stays '+', and a target with a space is
// refused), follows no redirects and decodes nothing: an answer's body is returned as received,
// and compression is only asked for by an Accept-Encoding header of the test's own. Unless
// keep_alive is set, every request asks for "Connection: close" and so gets a connection of its
// own. Safe to use from several threads at once.

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "forgedb/sources/http_client.hpp"

namespace forgedb::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct TestReply {
    int status = 0;
    HttpHeaders headers;  // in the order received, names as received
    std::string body;

    // The value of the first header named `name` (compared case-insensitively); "" without one.
    std::string Header(std::string_view name) const;
    bool HasHeader(std::string_view name) const;
};

struct TestClientOptions {
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{60000};  // for the whole exchange
    bool keep_alive = false;
};

class TestClient {
public:
    TestClient(std::string host, int port, TestClientOptions options = {});

    // nullopt when no complete answer came (refused, reset, timed out, body cut short);
    // last_error() says why.
    std::optional<TestReply> Get(std::string_view path, const HttpHeaders& headers = {});
    std::optional<TestReply> Delete(std::string_view path, const HttpHeaders& headers = {});
    std::optional<TestReply> Options(std::string_view path, const HttpHeaders& headers = {});
    std::optional<TestReply> Post(std::string_view path, std::string body,
                                  std::string_view content_type, const HttpHeaders& headers = {});
    std::optional<TestReply> Put(std::string_view path, std::string body,
                                 std::string_view content_type, const HttpHeaders& headers = {});
    std::optional<TestReply> Patch(std::string_view path, std::string body,
                                   std::string_view content_type, const HttpHeaders& headers = {});
    // Any method. A Content-Type header is added when `content_type` is not empty.
    std::optional<TestReply> Send(std::string method, std::string_view path,
                                  const HttpHeaders& headers, std::string body = "",
                                  std::string_view content_type = "");

    // The transport error of the latest request that got no answer; "" if none has failed.
    std::string last_error() const;

private:
    std::string base_url_;
    bool keep_alive_;
    std::unique_ptr<sources::HttpClient> http_;
    mutable std::mutex mu_;
    std::string last_error_;
};

// One part of a multipart/form-data body; filename and content_type are sent when not empty.
struct FormPart {
    std::string name;
    std::string content;
    std::string filename;
    std::string content_type;
};

struct MultipartBody {
    std::string body;
    std::string content_type;  // multipart/form-data with the boundary
};

// The parts as a multipart/form-data body.
MultipartBody MultipartForm(const std::vector<FormPart>& parts);

}  // namespace forgedb::testing
