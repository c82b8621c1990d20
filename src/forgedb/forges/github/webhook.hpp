#pragma once
// The GitHub webhook surface: POST /replication (dispatch on X-GitHub-Event) and the older
// per-event sub-routes. A delivery is checked (size, event, signature, JSON), logged durably,
// answered 202, and processed afterwards by a job.

#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::replication {

struct GithubWebhookOptions {
    // HMAC key of X-Hub-Signature-256. When empty, deliveries are accepted unsigned, which the
    // configuration allows only with an explicit --insecure-accept-unsigned.
    std::string secret;
};

// Checks "sha256=<hex>" against HMAC-SHA256(secret, body) in constant time.
bool VerifyGithubSignature(std::string_view secret, std::string_view body,
                           std::string_view header_value);

class GithubWebhook {
public:
    GithubWebhook(DeliveryLog& log, const Clock& clock, GithubWebhookOptions options);

    // The route table of this surface.
    std::vector<http::Route> Routes();

    // Handles one delivery; `forced_event` is set by the sub-routes that name their event.
    http::Response Handle(const http::Request& req, std::optional<std::string> forced_event);

private:
    DeliveryLog& log_;
    const Clock& clock_;
    GithubWebhookOptions options_;
};

}  // namespace forgedb::replication
