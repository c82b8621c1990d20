#include "support/http_client.hpp"

#include <stdexcept>

#include "forgedb/core/text.hpp"

namespace forgedb::testing {

std::string TestReply::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (EqualsIgnoreCase(k, name)) return v;
    }
    return "";
}

bool TestReply::HasHeader(std::string_view name) const {
    for (const auto& header : headers) {
        if (EqualsIgnoreCase(header.first, name)) return true;
    }
    return false;
}

TestClient::TestClient(std::string host, int port, TestClientOptions options)
    : base_url_("http://" + std::move(host) + ":" + std::to_string(port)),
      keep_alive_(options.keep_alive) {
    sources::CurlOptions curl;
    curl.connect_timeout = options.connect_timeout;
    curl.total_timeout = options.timeout;
    curl.user_agent = "forgedb-tests";
    curl.decode_content = false;
    http_ = sources::MakeCurlHttpClient(std::move(curl));
}

std::optional<TestReply> TestClient::Get(std::string_view path, const HttpHeaders& headers) {
    return Send("GET", path, headers);
}

std::optional<TestReply> TestClient::Delete(std::string_view path, const HttpHeaders& headers) {
    return Send("DELETE", path, headers);
}

std::optional<TestReply> TestClient::Options(std::string_view path, const HttpHeaders& headers) {
    return Send("OPTIONS", path, headers);
}

std::optional<TestReply> TestClient::Post(std::string_view path, std::string body,
                                          std::string_view content_type,
                                          const HttpHeaders& headers) {
    return Send("POST", path, headers, std::move(body), content_type);
}

std::optional<TestReply> TestClient::Put(std::string_view path, std::string body,
                                         std::string_view content_type,
                                         const HttpHeaders& headers) {
    return Send("PUT", path, headers, std::move(body), content_type);
}

std::optional<TestReply> TestClient::Patch(std::string_view path, std::string body,
                                           std::string_view content_type,
                                           const HttpHeaders& headers) {
    return Send("PATCH", path, headers, std::move(body), content_type);
}

std::optional<TestReply> TestClient::Send(std::string method, std::string_view path,
                                          const HttpHeaders& headers, std::string body,
                                          std::string_view content_type) {
    sources::HttpRequest request;
    request.method = std::move(method);
    request.url = base_url_ + std::string(path);
    request.headers = headers;
    if (!content_type.empty()) request.headers.emplace_back("Content-Type", content_type);
    if (!keep_alive_) request.headers.emplace_back("Connection", "close");
    request.body = std::move(body);
    auto response = http_->Send(request);
    if (!response) {
        std::lock_guard lock(mu_);
        last_error_ = response.error().message;
        return std::nullopt;
    }
    return TestReply{response->status, std::move(response->headers), std::move(response->body)};
}

std::string TestClient::last_error() const {
    std::lock_guard lock(mu_);
    return last_error_;
}

MultipartBody MultipartForm(const std::vector<FormPart>& parts) {
    static constexpr std::string_view kBoundary = "forgedb-test-boundary-7MA4YWxkTrZu0gW";
    MultipartBody out;
    for (const auto& part : parts) {
        if (part.content.find(kBoundary) != std::string::npos) {
            throw std::invalid_argument("form part " + part.name + " contains the boundary");
        }
        out.body += "--" + std::string(kBoundary) + "\r\n";
        out.body += "Content-Disposition: form-data; name=\"" + part.name + "\"";
        if (!part.filename.empty()) out.body += "; filename=\"" + part.filename + "\"";
        out.body += "\r\n";
        if (!part.content_type.empty()) out.body += "Content-Type: " + part.content_type + "\r\n";
        out.body += "\r\n" + part.content + "\r\n";
    }
    out.body += "--" + std::string(kBoundary) + "--\r\n";
    out.content_type = "multipart/form-data; boundary=" + std::string(kBoundary);
    return out;
}

}  // namespace forgedb::testing
