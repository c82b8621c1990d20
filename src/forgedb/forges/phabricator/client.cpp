#include "forgedb/forges/phabricator/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "forgedb/core/json.hpp"
#include "forgedb/core/url.hpp"

namespace forgedb::sources::phabricator {
namespace {

// Replaces every occurrence of the token (as it is, and as it is encoded in the form) so that no
// message carries it.
std::string Mask(std::string text, const std::string& token) {
    if (token.empty()) return text;
    const std::string encoded = PercentEncode(token);
    for (const std::string& t : {token, encoded}) {
        for (size_t p; (p = text.find(t)) != std::string::npos;) {
            text.replace(p, t.size(), "***");
        }
    }
    return text;
}

// The start of a body that is not what was expected, printable, for error messages.
std::string Snippet(std::string_view body) {
    std::string s(body.substr(0, 200));
    for (char& c : s) {
        if (static_cast<unsigned char>(c) < 0x20) c = ' ';
    }
    return s.empty() ? "(empty body)" : s;
}

std::optional<long long> RetryAfterSeconds(const HttpResponse& response) {
    auto v = response.Header("retry-after");
    if (!v) return std::nullopt;
    std::string_view t = *v;
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    long long out = 0;
    auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    if (ec != std::errc() || end != t.data() + t.size() || out < 0) return std::nullopt;
    return out;
}

Error RateLimited(const Instance& instance, std::string_view method, std::string why,
                  const HttpResponse& response, Timestamp now) {
    std::chrono::seconds wait = kMinRateLimitWait;
    if (auto ra = RetryAfterSeconds(response)) wait = std::max(wait, std::chrono::seconds(*ra));
    Timestamp at = now + wait;
    Error e = MakeError(ErrorCode::kRateLimited, "Phabricator '" + instance.name + "' " +
                                                     std::string(method) + ": rate limited (" +
                                                     why + "); retry at " + FormatForgeTime(at));
    e.retry_at = at;
    return e;
}

bool IsAuthError(std::string_view code) {
    return code == "ERR-INVALID-AUTH" || code == "ERR-INVALID-SESSION" ||
           code == "ERR-CONDUIT-CALL-AUTH";
}

}  // namespace

std::string EncodeForm(const Params& params) {
    std::string out;
    for (const auto& [name, value] : params) {
        if (!out.empty()) out += '&';
        out += PercentEncode(name);
        out += '=';
        out += PercentEncode(value);
    }
    return out;
}

Status CheckConduitResponse(const Instance& instance, std::string_view method,
                            const HttpResponse& response, Timestamp now) {
    const std::string what = "Phabricator '" + instance.name + "' " + std::string(method);
    const int status = response.status;
    if (status == 429) return RateLimited(instance, method, "HTTP 429", response, now);
    if (status == 404) {
        return Unexpected(ErrorCode::kNotFound,
                          what + ": HTTP 404 (is " + instance.base_url + " a Phabricator?)");
    }
    if (status >= 500) {
        Error e =
            MakeError(ErrorCode::kTransient, what + ": HTTP " + std::to_string(status) + ": " +
                                                 Mask(Snippet(response.body), instance.token));
        if (auto ra = RetryAfterSeconds(response)) e.retry_at = now + std::chrono::seconds(*ra);
        return e;
    }
    if (status == 401 || status == 403) {
        return Unexpected(ErrorCode::kUnauthorized,
                          what + ": HTTP " + std::to_string(status) +
                              " before Conduit answered: check --phabricator-token");
    }
    if (status < 200 || status >= 300) {
        return Unexpected(ErrorCode::kInvalid, what + ": HTTP " + std::to_string(status) + ": " +
                                                   Mask(Snippet(response.body), instance.token));
    }
    auto doc = ParseOnThisThread(response.body);
    if (!doc) {
        // Cut short on the way, or a proxy's page: retried.
        return Unexpected(ErrorCode::kTransient, what + ": the answer is not complete JSON: " +
                                                     Mask(Snippet(response.body), instance.token));
    }
    if (!doc->is_object() || !JsonGet(*doc, "error_code")) {
        return Unexpected(ErrorCode::kInvalid, what + ": not a Conduit response: " +
                                                   Mask(Snippet(response.body), instance.token));
    }
    auto code_value = *JsonGet(*doc, "error_code");
    if (code_value.is_null()) return Ok();
    std::string code = JsonString(code_value).value_or(JsonText(code_value));
    std::string info;
    if (auto v = JsonGet(*doc, "error_info"); v && !v->is_null()) {
        info = JsonString(*v).value_or(JsonText(*v));
    }
    info = Mask(std::move(info), instance.token);
    if (IsAuthError(code)) {
        return Unexpected(ErrorCode::kUnauthorized, what + ": the API token was refused (" + code +
                                                        ": " + info +
                                                        "): check --phabricator-token");
    }
    if (code == "ERR-RATE-LIMIT") return RateLimited(instance, method, code, response, now);
    return Unexpected(ErrorCode::kInvalid, what + ": " + code + ": " + info);
}

ConduitClient::ConduitClient(HttpClient& http, const Clock& clock, Instance instance)
    : http_(http), clock_(clock), instance_(std::move(instance)) {
    while (!instance_.base_url.empty() && instance_.base_url.back() == '/') {
        instance_.base_url.pop_back();
    }
}

Result<std::string> ConduitClient::Call(std::string_view method, const Params& params) {
    HttpRequest request;
    request.method = "POST";
    request.url = instance_.base_url + "/api/" + std::string(method);
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                       {"Accept", "application/json"}};
    Params all;
    all.reserve(params.size() + 1);
    if (!instance_.token.empty()) all.emplace_back("api.token", instance_.token);
    all.insert(all.end(), params.begin(), params.end());
    request.body = EncodeForm(all);

    auto sent = http_.Send(request);
    if (!sent) {
        Error error = std::move(sent.error());
        error.message = "Phabricator '" + instance_.name + "' " + std::string(method) + ": " +
                        Mask(std::move(error.message), instance_.token);
        spdlog::debug("{}", error.message);
        return error;
    }
    HttpResponse response = std::move(sent.value());
    spdlog::debug("Phabricator '{}' {} -> HTTP {} ({} bytes)", instance_.name, method,
                  response.status, response.body.size());
    Status checked = CheckConduitResponse(instance_, method, response, clock_.Now());
    if (!checked) {
        if (checked.error().code == ErrorCode::kUnauthorized ||
            checked.error().code == ErrorCode::kRateLimited) {
            spdlog::warn("{}", checked.error().message);
        }
        return Unexpected(checked.error());
    }
    return std::move(response.body);
}

}  // namespace forgedb::sources::phabricator
