#include "support/webhook_harness.hpp"

#include "forgedb/core/crypto.hpp"
#include "forgedb/forge/process_delivery.hpp"
#include "support/forges.hpp"

namespace forgedb::testing {

WebhookHarness::WebhookHarness(TestDatabase& tdb, std::string secret)
    : tdb_(tdb), secret_(std::move(secret)) {
    tasks::RegisterDeliveryTasks(registry_, testing::OfflineForges());
    queue::WorkerOptions wopts;
    wopts.threads = 0;
    workers_ = std::make_unique<queue::WorkerPool>(
        tdb_.db(), clock_, notifier_, [this](queue::JobContext& c) { return registry_.Run(c); },
        wopts);
    log_ = std::make_unique<replication::DeliveryLog>(tdb_.db(), clock_, notifier_,
                                                      &tasks::DeliveriesJob);
    auto st = log_->Start();
    if (!st) throw std::runtime_error(st.error().ToString());
    webhook_ = std::make_unique<replication::GithubWebhook>(
        *log_, clock_, replication::GithubWebhookOptions{secret_});
    router_.AddAll(webhook_->Routes());
    gerrit_ = std::make_unique<replication::GerritEvents>(
        *log_, clock_, std::map<std::string, std::string>{{"wikimedia", ""}},
        /*accept_unsigned=*/true);
    router_.AddAll(gerrit_->Routes());
    gitlab_ = std::make_unique<gitlab::GitlabWebhook>(
        *log_, clock_, std::map<std::string, std::string>{{"wikimedia", kGitlabToken}},
        /*accept_unsigned=*/false);
    router_.AddAll(gitlab_->Routes());
    http::ServerOptions sopts;
    sopts.port = 0;
    sopts.handler_threads = 8;
    server_ = std::make_unique<http::Server>(router_, sopts);
    st = server_->Start();
    if (!st) throw std::runtime_error(st.error().ToString());
    client_ = std::make_unique<TestClient>("127.0.0.1", server_->port(),
                                           TestClientOptions{.timeout = std::chrono::seconds(30)});
}

WebhookHarness::~WebhookHarness() {
    server_->Stop();
    log_->Stop();
}

std::string WebhookHarness::Signature(const std::string& body) const {
    return "sha256=" + HmacSha256Hex(secret_, body);
}

std::optional<TestReply> WebhookHarness::Post(const std::string& event, const std::string& body,
                                              const std::string& delivery_id, bool sign,
                                              const std::string& path,
                                              const std::string& content_type) {
    HttpHeaders headers{{"X-GitHub-Event", event},
                        {"X-GitHub-Delivery", delivery_id},
                        {"User-Agent", "GitHub-Hookshot/test"}};
    if (sign) headers.emplace_back("X-Hub-Signature-256", Signature(body));
    return PostRaw(path, headers, body, content_type);
}

std::optional<TestReply> WebhookHarness::PostGerrit(const std::string& body) {
    return client_->Post("/replication/gerrit/wikimedia", body, "application/json");
}

std::optional<TestReply> WebhookHarness::PostGitlab(const std::string& event,
                                                    const std::string& body,
                                                    const HttpHeaders& headers) {
    HttpHeaders all{{"X-Gitlab-Event", event}, {"X-Gitlab-Token", kGitlabToken}};
    all.insert(all.end(), headers.begin(), headers.end());
    return PostRaw("/replication/gitlab/wikimedia", all, body, "application/json");
}

std::optional<TestReply> WebhookHarness::PostRaw(const std::string& path,
                                                 const HttpHeaders& headers,
                                                 const std::string& body,
                                                 const std::string& content_type) {
    return client_->Post(path, body, content_type, headers);
}

int WebhookHarness::Drain() {
    auto ran = workers_->Drain();
    if (!ran) throw std::runtime_error(ran.error().ToString());
    return *ran;
}

int WebhookHarness::Deliver(const std::string& event, const std::string& fixture,
                            const std::string& id) {
    auto res = Post(event, ReadFile(DataPath(fixture)), id);
    if (!res) throw std::runtime_error("POST failed: " + client_->last_error());
    Drain();
    return res->status;
}

}  // namespace forgedb::testing
