#include "forgedb/app/config.hpp"

#include <charconv>
#include <fstream>

namespace forgedb::app {

Result<ListenAddress> ParseListen(std::string_view text) {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return Unexpected(ErrorCode::kInvalid,
                          "--listen must be HOST:PORT, got '" + std::string(text) + "'");
    }
    ListenAddress a;
    a.host = std::string(text.substr(0, colon));
    if (a.host.empty()) a.host = "127.0.0.1";
    if (a.host.size() > 2 && a.host.front() == '[' && a.host.back() == ']') {
        a.host = a.host.substr(1, a.host.size() - 2);
    }
    auto port = text.substr(colon + 1);
    int value = -1;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 0 ||
        value > 65535) {
        return Unexpected(ErrorCode::kInvalid, "--listen port must be 0..65535, got '" +
                                                   std::string(port) + "'");
    }
    a.port = value;
    return a;
}

Result<std::string> ReadSecretFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Unexpected(ErrorCode::kInvalid, "cannot read secret file " + path);
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) return Unexpected(ErrorCode::kInvalid, "secret file " + path + " is empty");
    return line;
}

Result<std::vector<std::string>> ReadTokenFile(const std::string& path) {
    std::ifstream in(path);
    if (!in) return Unexpected(ErrorCode::kInvalid, "cannot read token file " + path);
    std::vector<std::string> tokens;
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        tokens.push_back(line);
    }
    if (tokens.empty()) return Unexpected(ErrorCode::kInvalid, "token file " + path + " is empty");
    return tokens;
}

Status Validate(const GithubConfig& c) {
    if (!c.api_url.starts_with("http://") && !c.api_url.starts_with("https://")) {
        return Unexpected(ErrorCode::kInvalid, "--github-api-url must be an http(s) URL");
    }
    for (const auto& t : c.tokens) {
        if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos) {
            return Unexpected(ErrorCode::kInvalid, "a GitHub token is empty or contains spaces");
        }
    }
    if (c.lease_seconds < 2 || c.lease_seconds > 3600) {
        return Unexpected(ErrorCode::kInvalid, "--lease-seconds must be 2..3600");
    }
    if (c.max_concurrency < 1 || c.max_concurrency > 100) {
        return Unexpected(ErrorCode::kInvalid, "--github-max-concurrency must be 1..100");
    }
    return Ok();
}

Status Validate(const ServeConfig& c) {
    FORGEDB_TRY(Validate(c.github));
    if (c.github_webhook_secret.empty() && !c.insecure_accept_unsigned) {
        return Unexpected(ErrorCode::kInvalid,
                          "no GitHub webhook secret: pass --github-webhook-secret(-file), or "
                          "--insecure-accept-unsigned to accept unsigned deliveries");
    }
    if (c.workers < 0 || c.workers > 256) {
        return Unexpected(ErrorCode::kInvalid, "--workers must be 0..256");
    }
    if (c.http_threads < 1 || c.http_threads > 4096) {
        return Unexpected(ErrorCode::kInvalid, "--http-threads must be 1..4096");
    }
    return Ok();
}

}  // namespace forgedb::app
