#include "forgedb/forges/github/webhook.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/forge/intake.hpp"

namespace forgedb::replication {
bool VerifyGithubSignature(std::string_view secret, std::string_view body,
                           std::string_view header_value) {
    constexpr std::string_view kPrefix = "sha256=";
    if (!header_value.starts_with(kPrefix)) return false;
    std::string expected = HmacSha256Hex(secret, body);
    return ConstantTimeEquals(expected, AsciiLower(header_value.substr(kPrefix.size())));
}

GithubWebhook::GithubWebhook(DeliveryLog& log, const Clock& clock, GithubWebhookOptions options)
    : log_(log), clock_(clock), options_(std::move(options)) {}

std::vector<http::Route> GithubWebhook::Routes() {
    auto fixed = [this](std::string event) {
        return [this, event](const http::Request& r) { return Handle(r, event); };
    };
    return {
        {"POST", "/replication", [this](const http::Request& r) { return Handle(r, {}); }},
        {"POST", "/replication/pull_request", fixed("pull_request")},
        {"POST", "/replication/issue", fixed("issues")},
        {"POST", "/replication/repository", fixed("repository")},
    };
}

http::Response GithubWebhook::Handle(const http::Request& req,
                                     std::optional<std::string> forced_event) {
    // 1. Size is enforced by the server (413). The event must be named.
    std::string event;
    if (forced_event) {
        event = *forced_event;
    } else if (auto h = req.Header("X-GitHub-Event"); h && !h->empty()) {
        event = AsciiLower(*h);
    } else {
        return http::Response::Error(400, "missing X-GitHub-Event header");
    }
    // 2. Signature.
    if (!options_.secret.empty()) {
        auto sig = req.Header("X-Hub-Signature-256");
        if (!sig) return http::Response::Error(401, "missing X-Hub-Signature-256");
        if (!VerifyGithubSignature(options_.secret, req.body, *sig)) {
            return http::Response::Error(401, "bad signature");
        }
    }
    // 3. JSON: the body itself, or the "payload" field of a form-encoded delivery.
    std::string_view json_text = req.body;
    std::string form_payload;
    if (auto ct = req.Header("Content-Type");
        ct && ct->starts_with("application/x-www-form-urlencoded")) {
        auto v = http::FormValue(req.body, "payload");
        if (!v) return http::Response::Error(400, "no payload: form body without 'payload'");
        form_payload = std::move(*v);
        json_text = form_payload;
    }
    auto doc = ParseOnThisThread(json_text);
    if (!doc) return http::Response::Error(400, "no payload: " + doc.error().message);
    if (!doc->is_object()) return http::Response::Error(400, "payload is not a JSON object");
    if (event == "ping") return http::Response::Message(200, "pong");
    // 4. Log durably before answering.
    // GitHub's delivery ids are GUIDs. Header values arrive as bytes; the id is written into the
    // processing job's JSON arguments, which must be text, so anything but printable ASCII is
    // refused here rather than failing the log's writer.
    auto printable = [](char c) { return c >= 0x20 && c < 0x7f; };
    auto delivery_id = req.Header("X-GitHub-Delivery");
    if (!delivery_id || delivery_id->empty() || delivery_id->size() > 200 ||
        !std::all_of(delivery_id->begin(), delivery_id->end(), printable)) {
        return http::Response::Error(400, "missing or bad X-GitHub-Delivery header");
    }
    store::Delivery d;
    d.forge = "github";
    d.delivery_id = std::string(*delivery_id);
    d.event = event;
    d.action = JsonGetString(*doc, "action").value_or("");
    d.received_at = clock_.Now();
    d.headers_json =
        KeptHeadersJson(req, {"x-github-", "x-hub-signature", "user-agent", "content-type"});
    d.body = std::string(json_text);
    return LogAndAnswer(log_, std::move(d));
}

}  // namespace forgedb::replication
