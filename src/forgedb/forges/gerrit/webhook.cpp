#include "forgedb/forges/gerrit/webhook.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forge/intake.hpp"

namespace forgedb::replication {
namespace {

constexpr std::size_t kMaxEventType = 100;

// Compares digests, so that neither the content nor the length of the secret leaks in timing.
bool SecretMatches(std::string_view expected, std::string_view got) {
    return ConstantTimeEquals(Sha256Hex(expected), Sha256Hex(got));
}

}  // namespace

GerritEvents::GerritEvents(DeliveryLog& log, const Clock& clock,
                           std::map<std::string, std::string> secrets, bool accept_unsigned)
    : log_(log), clock_(clock), secrets_(std::move(secrets)), accept_unsigned_(accept_unsigned) {}

std::vector<http::Route> GerritEvents::Routes() {
    return {{"POST", "/replication/gerrit/{instance}",
             [this](const http::Request& r) { return Handle(r); }}};
}

http::Response GerritEvents::Handle(const http::Request& req) {
    // 1. A configured instance; its shared secret when it has one. (The server answers 413 for
    // bodies over its limit before this runs.)
    auto name = req.params.find("instance");
    auto instance = name == req.params.end() ? secrets_.end() : secrets_.find(name->second);
    if (instance == secrets_.end()) {
        return http::Response::Error(404, "unknown Gerrit instance");
    }
    if (!instance->second.empty()) {
        auto given = req.Query("secret");
        if (!given || !SecretMatches(instance->second, *given)) {
            return http::Response::Error(401, "missing or wrong ?secret=");
        }
    } else if (!accept_unsigned_) {
        return http::Response::Error(401, "no --gerrit-webhook-secret is configured for '" +
                                              instance->first + "': events are refused");
    }
    // 2. One JSON object with a string "type".
    auto doc = ParseOnThisThread(req.body);
    if (!doc) return http::Response::Error(400, "body is not JSON: " + doc.error().message);
    if (!doc->is_object()) return http::Response::Error(400, "event is not a JSON object");
    auto type = JsonGetString(*doc, "type");
    if (!type || type->empty() || type->size() > kMaxEventType) {
        return http::Response::Error(400, "event has no string \"type\"");
    }
    // 3. Log durably before answering. Gerrit sends no delivery id: identical bodies are one
    // event redelivered.
    store::Delivery d;
    d.forge = "gerrit";
    d.instance = instance->first;
    d.delivery_id = EventDeliveryId(d.instance, req.body);
    d.event = *type;
    d.received_at = clock_.Now();
    d.headers_json =
        KeptHeadersJson(req, {"x-gerrit", "x-origin-url", "user-agent", "content-type"});
    d.body = std::string(req.body);
    return LogAndAnswer(log_, std::move(d));
}

}  // namespace forgedb::replication
