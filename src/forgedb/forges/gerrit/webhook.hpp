#pragma once
// The Gerrit event surface: POST /replication/gerrit/{instance} takes the JSON events that
// Gerrit's webhooks plugin posts (patchset-created, change-merged, change-abandoned,
// change-restored, comment-added, ref-updated, and any other type, which is logged and ignored).
// The body must be one JSON object with a string "type"; anything else is 400 and stores nothing.
// An event is logged durably (forge "gerrit", the instance, delivery id = SHA-256 of the body, so
// a redelivered identical event is answered 200 "duplicate"), answered 202, and processed by a
// job that refreshes the change it names. The webhooks plugin cannot sign its posts: the endpoint
// is protected with a shared secret in the URL query (?secret=...). An instance without a secret
// refuses every event (401): each event makes forgedb call Gerrit, so an open endpoint lets anyone
// make it do so at will. `accept_unsigned` (--insecure-accept-unsigned) lifts that.

#include <map>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::replication {

class GerritEvents {
public:
    // `secrets` maps each configured instance name to its shared secret ("" = none: events are
    // refused unless `accept_unsigned`). Unknown instances answer 404.
    GerritEvents(DeliveryLog& log, const Clock& clock, std::map<std::string, std::string> secrets,
                 bool accept_unsigned);

    std::vector<http::Route> Routes();
    http::Response Handle(const http::Request& req);

private:
    DeliveryLog& log_;
    const Clock& clock_;
    std::map<std::string, std::string> secrets_;
    bool accept_unsigned_;
};

}  // namespace forgedb::replication
