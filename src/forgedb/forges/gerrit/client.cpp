#include "forgedb/forges/gerrit/client.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "forgedb/core/base64.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/sources/answer.hpp"

namespace forgedb::sources::gerrit {
namespace {

constexpr std::string_view kXssiPrefix = ")]}'";
constexpr std::chrono::seconds kDefaultRetryAfter{60};

// The first element of a JSON array answer, as text; kNotFound when the array is empty.
Result<std::string> FirstElement(std::string_view body, std::string_view what) {
    FORGEDB_ASSIGN_OR_RETURN(Json root, ParseAnswer(StripXssiPrefix(body), what));
    simdjson::dom::array arr;
    if (root.get_array().get(arr)) {
        return Unexpected(ErrorCode::kInvalid, std::string(what) + ": the answer is not a list");
    }
    for (Json first : arr) {
        if (!first.is_object()) {
            return Unexpected(ErrorCode::kInvalid,
                              std::string(what) + ": the list holds a non-object");
        }
        return JsonText(first);
    }
    return Unexpected(ErrorCode::kNotFound, std::string(what) + ": no such object");
}

}  // namespace

std::string_view StripXssiPrefix(std::string_view body) {
    size_t i = 0;
    // A UTF-8 byte order mark or leading blanks never come from Gerrit, but cost nothing.
    if (body.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
    if (body.substr(i, kXssiPrefix.size()) != kXssiPrefix) return body;
    i += kXssiPrefix.size();
    if (i < body.size() && body[i] == '\r') ++i;
    if (i < body.size() && body[i] == '\n') ++i;
    return body.substr(i);
}

std::string EncodeQueryValue(std::string_view value) { return PercentEncode(value, ":"); }

Result<ChangesPage> ParseChangesPage(std::string_view body) {
    std::string_view json = StripXssiPrefix(body);
    auto root = ParseAnswer(json, "Gerrit change list");
    if (!root) return Unexpected(std::move(root.error()));
    simdjson::dom::array arr;
    if (root->get_array().get(arr)) {
        return Unexpected(ErrorCode::kInvalid, "Gerrit change list is not a JSON array");
    }
    ChangesPage page;
    std::optional<Json> last;
    for (Json change : arr) {
        if (!change.is_object()) {
            return Unexpected(ErrorCode::kInvalid, "Gerrit change list holds a non-object");
        }
        ++page.count;
        last = change;
    }
    if (last) {
        if (auto more = JsonGet(*last, "_more_changes")) {
            bool b = false;
            page.more = !more->get_bool().get(b) && b;
        }
    }
    page.json = std::string(json);
    return page;
}

GerritClient::GerritClient(HttpClient& http, const Clock& clock, Instance instance,
                           GerritClientOptions options)
    : http_(http), clock_(clock), instance_(std::move(instance)), options_(std::move(options)) {
    while (!instance_.base_url.empty() && instance_.base_url.back() == '/') {
        instance_.base_url.pop_back();
    }
    options_.page_size = std::clamp(options_.page_size, 1, 1000);
    if (!instance_.password.empty()) {
        secrets_ = {instance_.password,
                    Base64Encode(instance_.username + ":" + instance_.password)};
    }
}

std::string GerritClient::ApiUrl(const std::string& path) const {
    // Authenticated requests go to the /a/ endpoints.
    return instance_.base_url + (instance_.username.empty() ? "" : "/a") + path;
}

std::string GerritClient::ChangesUrl(std::string_view query, int start) const {
    std::string url = ApiUrl("/changes/?q=" + EncodeQueryValue(query)) +
                      "&n=" + std::to_string(options_.page_size) + "&S=" + std::to_string(start);
    for (const auto& o : options_.change_options) url += "&o=" + EncodeQueryValue(o);
    return url;
}

Result<ChangesPage> GerritClient::QueryChanges(std::string_view query, int start) {
    std::string url = ChangesUrl(query, start);
    FORGEDB_ASSIGN_OR_RETURN(std::string body, Get(url));
    auto page = ParseChangesPage(body);
    if (!page) {
        return Unexpected(page.error().code,  // kTransient for what is not JSON: retried
                          "Gerrit " + instance_.name + " GET " + url + ": " + page.error().message);
    }
    return page;
}

Result<std::string> GerritClient::GetChange(long long number) {
    std::string url = ApiUrl("/changes/?q=change:" + std::to_string(number));
    for (const auto& o : options_.change_options) url += "&o=" + EncodeQueryValue(o);
    FORGEDB_ASSIGN_OR_RETURN(std::string body, Get(url));
    return FirstElement(body, "Gerrit " + instance_.name + " change " + std::to_string(number));
}

Result<std::string> GerritClient::FindAccount(std::string_view username) {
    std::string url = ApiUrl(
        "/accounts/?q=" + EncodeQueryValue("username:" + std::string(username)) + "&o=DETAILS");
    FORGEDB_ASSIGN_OR_RETURN(std::string body, Get(url));
    return FirstElement(body,
                        "Gerrit " + instance_.name + " account '" + std::string(username) + "'");
}

Result<bool> GerritClient::ProjectVisible(std::string_view project) {
    auto body = Get(ApiUrl("/projects/" + EncodeQueryValue(project)));
    if (body) return true;
    if (body.error().code == ErrorCode::kNotFound) return false;
    return Unexpected(std::move(body.error()));
}

Result<std::string> GerritClient::Get(const std::string& url) {
    HttpRequest request;
    request.method = "GET";
    request.url = url;
    request.headers.emplace_back("Accept", "application/json");
    if (!instance_.username.empty()) {
        request.headers.emplace_back(
            "Authorization",
            "Basic " + Base64Encode(instance_.username + ":" + instance_.password));
    }
    const std::string what = "Gerrit " + instance_.name + " GET " + url;
    auto sent = http_.Send(request);
    if (!sent) {
        Error error = std::move(sent.error());
        error.message = MaskSecrets(what + ": " + error.message, secrets_);
        error.code = ErrorCode::kTransient;
        spdlog::debug("{}", error.message);
        return error;
    }
    HttpResponse& response = *sent;
    const int status = response.status;
    spdlog::debug("{} -> {}", what, status);
    if (status >= 200 && status < 300) return std::move(response.body);
    if (status == 404) {
        return Unexpected(ErrorCode::kNotFound, what + ": not found (404)");
    }
    if (status == 401 || status == 403) {
        std::string message =
            instance_.username.empty()
                ? what + ": HTTP " + std::to_string(status) +
                      " (authentication required): configure --gerrit-auth for '" + instance_.name +
                      "'"
                : what + ": HTTP " + std::to_string(status) + ": Gerrit refused user '" +
                      instance_.username + "' (check the HTTP password given with --gerrit-auth)";
        spdlog::warn("{}", message);
        return Unexpected(ErrorCode::kUnauthorized, message);
    }
    if (status == 429) {
        const std::chrono::seconds wait = RetryAfter(response).value_or(kDefaultRetryAfter);
        Error error =
            MakeError(ErrorCode::kRateLimited, what + ": HTTP 429 (rate limited), retry after " +
                                                   std::to_string(wait.count()) + " s");
        error.retry_at = clock_.Now() + wait;
        spdlog::warn("{}", error.message);
        return error;
    }
    if (status >= 500) {
        Error error =
            MakeError(ErrorCode::kTransient, what + ": HTTP " + std::to_string(status) + ": " +
                                                 BodyExcerpt(response.body, secrets_));
        if (auto wait = RetryAfter(response)) error.retry_at = clock_.Now() + *wait;
        return error;
    }
    return Unexpected(ErrorCode::kInvalid, what + ": HTTP " + std::to_string(status) + ": " +
                                               BodyExcerpt(response.body, secrets_));
}

}  // namespace forgedb::sources::gerrit
