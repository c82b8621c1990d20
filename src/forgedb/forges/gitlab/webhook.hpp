#pragma once
// The GitLab webhook surface: POST /replication/gitlab/{instance}. GitLab sends the hook's secret
// token as plain text in X-Gitlab-Token, compared here in constant time: an instance with a secret
// refuses a delivery without the right token (401); one without a secret refuses every delivery
// unless `accept_unsigned` (--insecure-accept-unsigned). X-Gitlab-Event names the event (400
// without it). A delivery is logged durably (forge "gitlab", the instance) and answered 202, or 200
// for a duplicate: deliveries are told apart by Idempotency-Key (the same across GitLab's retries
// of one event), else X-Gitlab-Event-UUID, else the SHA-256 of the instance and the body. Its
// processing (events.hpp) happens in a job, after the answer. Thread-safe.

#include <map>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::gitlab {

class GitlabWebhook {
public:
    // `secrets` maps each configured instance to its secret token ("" = none).
    GitlabWebhook(replication::DeliveryLog& log, const Clock& clock,
                  std::map<std::string, std::string> secrets, bool accept_unsigned);

    std::vector<http::Route> Routes();
    http::Response Handle(const http::Request& req);

private:
    replication::DeliveryLog& log_;
    const Clock& clock_;
    std::map<std::string, std::string> secrets_;
    bool accept_unsigned_;
};

}  // namespace forgedb::gitlab
