#include "forgedb/forges/phabricator/webhook.hpp"

#include <cctype>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/forge/intake.hpp"

namespace forgedb::replication {
namespace {

constexpr std::string_view kSignatureHeader = "X-Phabricator-Webhook-Signature";

}  // namespace

bool VerifyPhabricatorSignature(std::string_view key, std::string_view body,
                                std::string_view header_value) {
    while (!header_value.empty() && header_value.back() == ' ') header_value.remove_suffix(1);
    while (!header_value.empty() && header_value.front() == ' ') header_value.remove_prefix(1);
    return ConstantTimeEquals(HmacSha256Hex(key, body), AsciiLower(header_value));
}

PhabricatorEvents::PhabricatorEvents(DeliveryLog& log, const Clock& clock,
                                     std::map<std::string, std::string> hook_keys,
                                     bool insecure_unsigned)
    : log_(log),
      clock_(clock),
      hook_keys_(std::move(hook_keys)),
      insecure_unsigned_(insecure_unsigned) {}

std::vector<http::Route> PhabricatorEvents::Routes() {
    return {{"POST", "/replication/phabricator/{instance}",
             [this](const http::Request& r) { return Handle(r); }}};
}

http::Response PhabricatorEvents::Handle(const http::Request& req) {
    // 1. The instance must be configured.
    auto named = req.params.find("instance");
    if (named == req.params.end()) return http::Response::Error(404, "no instance in the path");
    const std::string& instance = named->second;
    auto key = hook_keys_.find(instance);
    if (key == hook_keys_.end()) {
        return http::Response::Error(404, "no Phabricator instance '" + instance + "'");
    }
    // 2. Signature (the size limit is the server's: 413).
    if (!key->second.empty()) {
        auto sig = req.Header(kSignatureHeader);
        if (!sig) return http::Response::Error(401, "missing X-Phabricator-Webhook-Signature");
        if (!VerifyPhabricatorSignature(key->second, req.body, *sig)) {
            return http::Response::Error(401, "bad signature");
        }
    } else if (!insecure_unsigned_) {
        return http::Response::Error(
            401, "no hook key is configured for '" + instance + "': unsigned calls are refused");
    }
    // 3. A Herald call: {"object": {"type", "phid"}, ...}.
    auto doc = ParseOnThisThread(req.body);
    if (!doc) return http::Response::Error(400, "no payload: " + doc.error().message);
    if (!doc->is_object()) return http::Response::Error(400, "payload is not a JSON object");
    auto object = JsonGet(*doc, "object");
    if (!object || !object->is_object()) {
        return http::Response::Error(400, "payload has no 'object' object");
    }
    auto phid = JsonGetString(*object, "phid");
    auto type = JsonGetString(*object, "type");
    if (!phid || phid->empty()) return http::Response::Error(400, "object.phid is missing");
    if (!type || type->empty()) return http::Response::Error(400, "object.type is missing");
    // 4. Log durably before answering. Herald sends no delivery id: a call is named by its body,
    // so a repeated identical call is a duplicate.
    store::Delivery d;
    d.forge = "phabricator";
    d.instance = instance;
    d.delivery_id = EventDeliveryId(d.instance, req.body);
    d.event = *type;
    d.received_at = clock_.Now();
    d.headers_json = KeptHeadersJson(req, {"x-phabricator-", "user-agent", "content-type"});
    d.body = std::string(req.body);
    return LogAndAnswer(log_, std::move(d));
}

}  // namespace forgedb::replication
