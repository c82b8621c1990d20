#pragma once
// The webhook surface (GitHub at /replication, Gerrit events at /replication/gerrit/wikimedia,
// unsigned, and GitLab at /replication/gitlab/wikimedia with kGitlabToken) served over real HTTP on
// loopback from a test database, with the worker pool driven by the test (Drain) so that processing
// is deterministic.

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/delivery_log.hpp"
#include "forgedb/forges/gerrit/webhook.hpp"
#include "forgedb/forges/github/webhook.hpp"
#include "forgedb/forges/gitlab/webhook.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/task_registry.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {

inline constexpr const char* kSecret = "It's a Secret to Everybody";
inline constexpr const char* kGitlabToken = "gitlab-hook-token-7c41";

class WebhookHarness {
public:
    // secret "" = unsigned deliveries accepted.
    explicit WebhookHarness(TestDatabase& tdb, std::string secret = kSecret);
    ~WebhookHarness();

    // POSTs `body` to `path` as a GitHub delivery; signs it unless `sign` is false.
    std::optional<TestReply> Post(const std::string& event, const std::string& body,
                                  const std::string& delivery_id, bool sign = true,
                                  const std::string& path = "/replication",
                                  const std::string& content_type = "application/json");
    // POSTs a Gerrit event to /replication/gerrit/wikimedia.
    std::optional<TestReply> PostGerrit(const std::string& body);
    // POSTs a GitLab delivery to /replication/gitlab/wikimedia with X-Gitlab-Event `event`, the
    // right X-Gitlab-Token, and `headers` besides.
    std::optional<TestReply> PostGitlab(const std::string& event, const std::string& body,
                                        const HttpHeaders& headers = {});
    std::optional<TestReply> PostRaw(const std::string& path, const HttpHeaders& headers,
                                     const std::string& body, const std::string& content_type);
    // Runs every runnable job; returns how many ran.
    int Drain();
    // Posts a fixture file (path relative to tests/data) and processes it; returns the status.
    int Deliver(const std::string& event, const std::string& fixture, const std::string& id);

    std::string Signature(const std::string& body) const;
    int port() const { return server_->port(); }

private:
    TestDatabase& tdb_;
    std::string secret_;
    SystemClock clock_;
    queue::Notifier notifier_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
    std::unique_ptr<replication::DeliveryLog> log_;
    std::unique_ptr<replication::GithubWebhook> webhook_;
    std::unique_ptr<replication::GerritEvents> gerrit_;
    std::unique_ptr<gitlab::GitlabWebhook> gitlab_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::unique_ptr<TestClient> client_;
};

}  // namespace forgedb::testing
