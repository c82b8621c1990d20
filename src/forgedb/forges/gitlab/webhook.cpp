#include "forgedb/forges/gitlab/webhook.hpp"

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/intake.hpp"

namespace forgedb::gitlab {
namespace {

// A delivery id from a header: 1..128 of [A-Za-z0-9-_.:]; anything else is refused, so that no
// odd byte reaches the log.
bool ValidId(std::string_view v) {
    if (v.empty() || v.size() > 128) return false;
    for (char c : v) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

// An event name: printable ASCII, 1..64 bytes ("Merge Request Hook").
bool ValidEvent(std::string_view v) {
    if (v.empty() || v.size() > 64) return false;
    for (char c : v) {
        if (c < 0x20 || c > 0x7e) return false;
    }
    return true;
}

}  // namespace

GitlabWebhook::GitlabWebhook(replication::DeliveryLog& log, const Clock& clock,
                             std::map<std::string, std::string> secrets, bool accept_unsigned)
    : log_(log), clock_(clock), secrets_(std::move(secrets)), accept_unsigned_(accept_unsigned) {}

std::vector<http::Route> GitlabWebhook::Routes() {
    return {{"POST", "/replication/gitlab/{instance}",
             [this](const http::Request& r) { return Handle(r); }}};
}

http::Response GitlabWebhook::Handle(const http::Request& req) {
    // 1. The instance must be configured.
    const std::string& instance = req.params.at("instance");
    auto secret = secrets_.find(instance);
    if (secret == secrets_.end()) {
        return http::Response::Error(404, "no GitLab instance '" + instance + "'");
    }
    // 2. The secret token, compared in constant time (hashed first, so that the time does not
    // depend on the length either).
    if (!secret->second.empty()) {
        auto token = req.Header("X-Gitlab-Token");
        if (!token) return http::Response::Error(401, "missing X-Gitlab-Token");
        if (!ConstantTimeEquals(Sha256Hex(secret->second), Sha256Hex(*token))) {
            return http::Response::Error(401, "bad X-Gitlab-Token");
        }
    } else if (!accept_unsigned_) {
        return http::Response::Error(
            401, "no secret token is configured for '" + instance + "': deliveries are refused");
    }
    // 3. The event and the delivery's id.
    auto event = req.Header("X-Gitlab-Event");
    if (!event) return http::Response::Error(400, "missing X-Gitlab-Event");
    if (!ValidEvent(*event)) return http::Response::Error(400, "bad X-Gitlab-Event");
    std::string id;
    for (std::string_view header : {"Idempotency-Key", "X-Gitlab-Event-UUID"}) {
        if (auto v = req.Header(header)) {
            if (!ValidId(*v)) return http::Response::Error(400, "bad " + std::string(header));
            // Per instance: two instances may send the same key.
            id = instance + (header == "Idempotency-Key" ? ":key:" : ":uuid:") + std::string(*v);
            break;
        }
    }
    if (id.empty()) id = replication::EventDeliveryId(instance, req.body);
    // 4. A JSON object.
    auto doc = ParseOnThisThread(req.body);
    if (!doc) return http::Response::Error(400, "no payload: " + doc.error().message);
    if (!doc->is_object()) return http::Response::Error(400, "payload is not a JSON object");
    // 5. Log durably before answering.
    store::Delivery d;
    d.forge = "gitlab";
    d.instance = instance;
    d.delivery_id = std::move(id);
    d.event = std::string(*event);
    d.action = JsonGetString(*doc, "event_name").value_or("");
    if (auto attrs = JsonGet(*doc, "object_attributes"); attrs && attrs->is_object()) {
        d.action = JsonGetString(*attrs, "action").value_or("");
    }
    d.received_at = clock_.Now();
    // X-Gitlab-Token is the secret itself: never kept.
    d.headers_json = replication::KeptHeadersJson(
        req, {"x-gitlab-event", "x-gitlab-instance", "x-gitlab-webhook-uuid", "idempotency-key",
              "user-agent", "content-type"});
    d.body = std::string(req.body);
    return replication::LogAndAnswer(log_, std::move(d));
}

}  // namespace forgedb::gitlab
