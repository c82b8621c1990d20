#include "forgedb/app/config.hpp"

#include <cctype>
#include <charconv>
#include <fstream>

#include "forgedb/core/text.hpp"

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
        return Unexpected(ErrorCode::kInvalid,
                          "--listen port must be 0..65535, got '" + std::string(port) + "'");
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

namespace {

// "NAME=VALUE" -> {NAME, VALUE}, with NAME checked.
Result<std::pair<std::string, std::string>> SplitNamed(std::string_view flag,
                                                       std::string_view text) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
        return Unexpected(ErrorCode::kInvalid, std::string(flag) + " must be NAME=VALUE, got '" +
                                                   std::string(text) + "'");
    }
    std::string name(text.substr(0, eq));
    bool ok = name.size() <= 64;
    for (char c : name) {
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
    }
    if (!ok) {
        return Unexpected(ErrorCode::kInvalid, std::string(flag) + ": instance name '" + name +
                                                   "' must be 1-64 of a-z, 0-9, '-', '_'");
    }
    return std::pair{name, std::string(text.substr(eq + 1))};
}

Result<std::string> CheckUrl(std::string_view flag, std::string url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string(flag) + ": '" + url + "' is not an http(s) URL");
    }
    while (url.size() > 8 && url.back() == '/') url.pop_back();
    return url;
}

// Finds the instance called `name` in `list`, or says which flag named an unknown one.
template <typename T>
Result<T*> FindInstance(std::vector<T>& list, std::string_view flag, const std::string& name,
                        std::string_view forge_flag) {
    for (auto& i : list) {
        if (i.name == name) return &i;
    }
    return Unexpected(ErrorCode::kInvalid, std::string(flag) + " names '" + name + "', which no " +
                                               std::string(forge_flag) + " NAME=URL defines");
}

}  // namespace

Result<ForgesConfig> BuildForges(const ForgesFlags& flags) {
    ForgesConfig out;
    for (const auto& text : flags.gerrit) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gerrit", text));
        if (FindInstance(out.gerrit, "", named.first, "")) {
            return Unexpected(ErrorCode::kInvalid, "--gerrit " + named.first + " is given twice");
        }
        FORGEDB_ASSIGN_OR_RETURN(auto url, CheckUrl("--gerrit", named.second));
        out.gerrit.push_back({named.first, url, "", "", ""});
    }
    for (const auto& text : flags.gerrit_auth) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gerrit-auth", text));
        FORGEDB_ASSIGN_OR_RETURN(
            auto* inst, FindInstance(out.gerrit, "--gerrit-auth", named.first, "--gerrit"));
        auto colon = named.second.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == named.second.size()) {
            return Unexpected(ErrorCode::kInvalid, "--gerrit-auth must be NAME=USER:PASSWORD-FILE");
        }
        inst->username = named.second.substr(0, colon);
        FORGEDB_ASSIGN_OR_RETURN(inst->password, ReadSecretFile(named.second.substr(colon + 1)));
    }
    for (const auto& text : flags.gerrit_webhook_secret) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gerrit-webhook-secret", text));
        FORGEDB_ASSIGN_OR_RETURN(auto* inst, FindInstance(out.gerrit, "--gerrit-webhook-secret",
                                                          named.first, "--gerrit"));
        FORGEDB_ASSIGN_OR_RETURN(inst->webhook_secret, ReadSecretFile(named.second));
    }
    for (const auto& text : flags.phabricator) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--phabricator", text));
        if (FindInstance(out.phabricator, "", named.first, "")) {
            return Unexpected(ErrorCode::kInvalid,
                              "--phabricator " + named.first + " is given twice");
        }
        FORGEDB_ASSIGN_OR_RETURN(auto url, CheckUrl("--phabricator", named.second));
        out.phabricator.push_back({named.first, url, "", ""});
    }
    for (const auto& text : flags.phabricator_token) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--phabricator-token", text));
        FORGEDB_ASSIGN_OR_RETURN(auto* inst, FindInstance(out.phabricator, "--phabricator-token",
                                                          named.first, "--phabricator"));
        FORGEDB_ASSIGN_OR_RETURN(inst->token, ReadSecretFile(named.second));
    }
    for (const auto& text : flags.phabricator_hook_key) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--phabricator-hook-key", text));
        FORGEDB_ASSIGN_OR_RETURN(auto* inst, FindInstance(out.phabricator, "--phabricator-hook-key",
                                                          named.first, "--phabricator"));
        FORGEDB_ASSIGN_OR_RETURN(inst->hook_key, ReadSecretFile(named.second));
    }
    for (const auto& text : flags.gitlab) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gitlab", text));
        if (FindInstance(out.gitlab, "", named.first, "")) {
            return Unexpected(ErrorCode::kInvalid, "--gitlab " + named.first + " is given twice");
        }
        FORGEDB_ASSIGN_OR_RETURN(auto url, CheckUrl("--gitlab", named.second));
        out.gitlab.push_back({named.first, url, "", ""});
    }
    for (const auto& text : flags.gitlab_token) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gitlab-token", text));
        FORGEDB_ASSIGN_OR_RETURN(
            auto* inst, FindInstance(out.gitlab, "--gitlab-token", named.first, "--gitlab"));
        FORGEDB_ASSIGN_OR_RETURN(inst->token, ReadSecretFile(named.second));
    }
    for (const auto& text : flags.gitlab_webhook_secret) {
        FORGEDB_ASSIGN_OR_RETURN(auto named, SplitNamed("--gitlab-webhook-secret", text));
        FORGEDB_ASSIGN_OR_RETURN(auto* inst, FindInstance(out.gitlab, "--gitlab-webhook-secret",
                                                          named.first, "--gitlab"));
        FORGEDB_ASSIGN_OR_RETURN(inst->webhook_secret, ReadSecretFile(named.second));
    }
    return out;
}

Result<contrib::ContribConfig> BuildContrib(const ContribFlags& flags, const ForgesConfig& forges) {
    contrib::ContribConfig out;
    if (!forges.gerrit.empty()) {
        const GerritInstanceConfig* chosen = &forges.gerrit.front();
        if (!flags.gerrit.empty()) {
            chosen = nullptr;
            for (const auto& g : forges.gerrit) {
                if (g.name == flags.gerrit) chosen = &g;
            }
        }
        if (chosen != nullptr) {
            out.gerrit_instance = chosen->name;
            out.gerrit_url = chosen->url;
        }
    }
    if (!flags.gerrit.empty() && out.gerrit_instance.empty()) {
        return Unexpected(ErrorCode::kInvalid, "--contrib-gerrit names '" + flags.gerrit +
                                                   "', which no --gerrit NAME=URL defines");
    }
    if (!forges.phabricator.empty()) {
        const PhabricatorInstanceConfig* chosen = &forges.phabricator.front();
        if (!flags.phabricator.empty()) {
            chosen = nullptr;
            for (const auto& p : forges.phabricator) {
                if (p.name == flags.phabricator) chosen = &p;
            }
        }
        if (chosen != nullptr) {
            out.phabricator_instance = chosen->name;
            out.phabricator_url = chosen->url;
        }
    }
    if (!flags.phabricator.empty() && out.phabricator_instance.empty()) {
        return Unexpected(ErrorCode::kInvalid, "--contrib-phabricator names '" + flags.phabricator +
                                                   "', which no --phabricator NAME=URL defines");
    }
    for (const auto& given : flags.github_orgs) {
        std::string org = AsciiLower(given);
        bool ok = !org.empty() && org.size() <= 39;
        for (char c : org) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
        if (!ok) {
            return Unexpected(ErrorCode::kInvalid,
                              "--contrib-github-org '" + org + "' is not a GitHub login");
        }
        out.github_orgs.push_back(org);
    }
    auto freshness = ParseDuration(flags.freshness, "--contrib-freshness");
    if (!freshness) return freshness.error();
    out.freshness = std::chrono::duration_cast<std::chrono::seconds>(*freshness);
    for (const auto& forge : flags.webhooks_current) {
        if (forge == "gerrit") {
            out.gerrit_webhooks = true;
        } else if (forge == "phabricator") {
            out.phabricator_webhooks = true;
        } else if (forge == "github") {
            out.github_webhooks = true;
        } else {
            return Unexpected(ErrorCode::kInvalid,
                              "--contrib-webhooks-current takes gerrit, "
                              "phabricator and github, not '" +
                                  forge + "'");
        }
    }
    out.crawl_on_view = !flags.no_crawl;
    return out;
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text, std::string_view flag) {
    size_t digits = 0;
    while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
        ++digits;
    }
    std::string_view unit = text.substr(digits);
    long long scale = unit.empty() || unit == "s" ? 1000
                      : unit == "ms"              ? 1
                      : unit == "m"               ? 60'000
                      : unit == "h"               ? 3'600'000
                      : unit == "d"               ? 86'400'000
                                                  : 0;
    if (digits == 0 || digits > 9 || scale == 0) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string(flag) + " must be like 500ms, 90s, 30m, 6h or 1d, not '" +
                              std::string(text) + "'");
    }
    return std::chrono::milliseconds(std::stoll(std::string(text.substr(0, digits))) * scale);
}

Result<http::ServerOptions> BuildHttp(const HttpFlags& f, const ListenAddress& listen) {
    auto in_range = [](long long v, long long lo, long long hi, const char* flag) -> Status {
        if (v < lo || v > hi) {
            return Unexpected(ErrorCode::kInvalid,
                              std::string(flag) + " must be " + std::to_string(lo) + ".." +
                                  std::to_string(hi) + ", got " + std::to_string(v));
        }
        return Ok();
    };
    FORGEDB_TRY(in_range(f.io_threads, 1, 64, "--http-io-threads"));
    FORGEDB_TRY(in_range(f.handler_threads, 1, 4096, "--http-threads"));
    FORGEDB_TRY(in_range(f.max_body_bytes, 1024, 1LL << 32, "--http-max-body-bytes"));
    FORGEDB_TRY(in_range(f.max_header_bytes, 1024, 1 << 20, "--http-max-header-bytes"));
    FORGEDB_TRY(in_range(f.max_headers, 8, 10000, "--http-max-headers"));
    FORGEDB_TRY(in_range(f.max_connections, 1, 1'000'000, "--http-max-connections"));
    FORGEDB_TRY(
        in_range(f.max_connections_per_client, 1, 1'000'000, "--http-max-connections-per-client"));
    http::ServerOptions o;
    o.host = listen.host;
    o.port = listen.port;
    o.io_threads = f.io_threads;
    o.handler_threads = f.handler_threads;
    o.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
    o.max_header_bytes = static_cast<size_t>(f.max_header_bytes);
    o.max_header_count = static_cast<size_t>(f.max_headers);
    o.max_connections = f.max_connections;
    o.max_connections_per_client = f.max_connections_per_client;
    struct Timeout {
        const std::string& text;
        const char* flag;
        std::chrono::milliseconds* out;
    };
    for (const Timeout& t :
         {Timeout{f.header_timeout, "--http-header-timeout", &o.header_timeout},
          Timeout{f.request_timeout, "--http-request-timeout", &o.request_timeout},
          Timeout{f.idle_timeout, "--http-idle-timeout", &o.idle_timeout}}) {
        auto d = ParseDuration(t.text, t.flag);
        if (!d) return d.error();
        if (d->count() < 100 || *d > std::chrono::hours(1)) {
            return Unexpected(
                ErrorCode::kInvalid,
                std::string(t.flag) + " must be between 100ms and 1h, not '" + t.text + "'");
        }
        *t.out = *d;
    }
    if (o.request_timeout < o.header_timeout) {
        return Unexpected(ErrorCode::kInvalid,
                          "--http-request-timeout must not be shorter than --http-header-timeout");
    }
    if (o.max_connections_per_client > o.max_connections) {
        o.max_connections_per_client = o.max_connections;
    }
    return o;
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
    return Ok();
}

}  // namespace forgedb::app
