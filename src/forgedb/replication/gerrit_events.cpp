#include "forgedb/replication/gerrit_events.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"

namespace forgedb::replication {
namespace {

constexpr std::size_t kMaxEventType = 100;

// Headers kept on the log row (the ones that describe the sender, not the connection).
bool KeepHeader(std::string_view name) {
    std::string lower(name);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return lower == "user-agent" || lower == "content-type" || lower.starts_with("x-gerrit") ||
           lower.starts_with("x-origin-url");
}

// Compares digests, so that neither the content nor the length of the secret leaks in timing.
bool SecretMatches(std::string_view expected, std::string_view got) {
    return ConstantTimeEquals(Sha256Hex(expected), Sha256Hex(got));
}

}  // namespace

GerritEvents::GerritEvents(DeliveryLog& log, const Clock& clock,
                           std::map<std::string, std::string> secrets)
    : log_(log), clock_(clock), secrets_(std::move(secrets)) {}

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
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : req.headers) {
        if (KeepHeader(k)) headers[k] = v;
    }
    d.headers_json = headers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    d.body = std::string(req.body);
    auto logged = log_.Log(std::move(d));
    if (!logged) {
        auto res = http::Response::Error(503, "could not log the event; please send it again");
        res.headers.emplace_back("Retry-After", "5");
        return res;
    }
    if (*logged == LogOutcome::kDuplicate) return http::Response::Message(200, "duplicate");
    // 4. Processing happens in a job, after this answer.
    return http::Response::Message(202, "queued");
}

}  // namespace forgedb::replication
