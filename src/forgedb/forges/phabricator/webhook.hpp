#pragma once
// The Phabricator event surface: POST /replication/phabricator/{instance} takes Herald webhook
// calls ({"object": {"type", "phid"}, "triggers": [...], "action": {...}, "transactions":
// [...]}). The X-Phabricator-Webhook-Signature header must be the hex HMAC-SHA256 of the body
// with the hook's key (401 otherwise); a body that is not such an object is 400 and stores
// nothing. A call is logged durably (forge "phabricator", the instance, delivery id = SHA-256 of
// the body), answered 202, and processed by a job that refreshes the object it names.

#include <map>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::replication {

// Checks the hex HMAC-SHA256 of body with key, in constant time.
bool VerifyPhabricatorSignature(std::string_view key, std::string_view body,
                                std::string_view header_value);

class PhabricatorEvents {
public:
    // `hook_keys` maps each configured instance name to its Herald hook key. An instance without
    // a key accepts unsigned calls only when `insecure_unsigned` is set; unknown instances 404.
    PhabricatorEvents(DeliveryLog& log, const Clock& clock,
                      std::map<std::string, std::string> hook_keys, bool insecure_unsigned);

    std::vector<http::Route> Routes();
    http::Response Handle(const http::Request& req);

private:
    DeliveryLog& log_;
    const Clock& clock_;
    std::map<std::string, std::string> hook_keys_;
    bool insecure_unsigned_;
};

}  // namespace forgedb::replication
