#include "forgedb/forges/phabricator/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "forgedb/core/json.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/sources/answer.hpp"

namespace forgedb::sources::phabricator {
namespace {

// The forms in which the token travels: as it is, and percent-encoded in the form body.
std::vector<std::string> Secrets(const Instance& instance) {
    return {instance.token, PercentEncode(instance.token)};
}

Error RateLimited(const Instance& instance, std::string_view method, std::string why,
                  const HttpResponse& response, Timestamp now) {
    std::chrono::seconds wait = kMinRateLimitWait;
    if (auto announced = RetryAfter(response)) wait = std::max(wait, *announced);
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
                                                 BodyExcerpt(response.body, Secrets(instance)));
        if (auto wait = RetryAfter(response)) e.retry_at = now + *wait;
        return e;
    }
    if (status == 401 || status == 403) {
        return Unexpected(ErrorCode::kUnauthorized,
                          what + ": HTTP " + std::to_string(status) +
                              " before Conduit answered: check --phabricator-token");
    }
    if (status < 200 || status >= 300) {
        return Unexpected(ErrorCode::kInvalid, what + ": HTTP " + std::to_string(status) + ": " +
                                                   BodyExcerpt(response.body, Secrets(instance)));
    }
    auto doc = ParseOnThisThread(response.body);
    if (!doc) {
        // Cut short on the way, or a proxy's page: retried.
        return Unexpected(ErrorCode::kTransient, what + ": the answer is not complete JSON: " +
                                                     BodyExcerpt(response.body, Secrets(instance)));
    }
    if (!doc->is_object() || !JsonGet(*doc, "error_code")) {
        return Unexpected(ErrorCode::kInvalid, what + ": not a Conduit response: " +
                                                   BodyExcerpt(response.body, Secrets(instance)));
    }
    auto code_value = *JsonGet(*doc, "error_code");
    if (code_value.is_null()) return Ok();
    std::string code = JsonString(code_value).value_or(JsonText(code_value));
    std::string info;
    if (auto v = JsonGet(*doc, "error_info"); v && !v->is_null()) {
        info = JsonString(*v).value_or(JsonText(*v));
    }
    info = MaskSecrets(info, Secrets(instance));
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
                        MaskSecrets(error.message, Secrets(instance_));
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
