#include "forgedb/forges/gerrit/forge.hpp"

#include "forgedb/forge/load_params.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"

namespace forgedb::gerrit {

GerritForge::GerritForge(GerritForgeOptions options, const Clock& clock,
                         std::unique_ptr<sources::HttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {
    for (const auto& i : options_.instances) {
        clients_.push_back(
            std::make_unique<sources::gerrit::GerritClient>(*http_, clock, i.instance));
    }
}

GerritForge::~GerritForge() = default;

std::map<std::string, sources::gerrit::GerritClient*> GerritForge::Clients() const {
    std::map<std::string, sources::gerrit::GerritClient*> out;
    for (const auto& c : clients_) out[c->instance().name] = c.get();
    return out;
}

std::vector<http::Route> GerritForge::WebhookRoutes(replication::DeliveryLog& log,
                                                    const Clock& clock) {
    std::map<std::string, std::string> secrets;
    for (const auto& i : options_.instances) secrets[i.instance.name] = i.webhook_secret;
    events_ = std::make_unique<replication::GerritEvents>(log, clock, std::move(secrets),
                                                          options_.accept_unsigned);
    return events_->Routes();
}

Result<std::string> GerritForge::ProcessDelivery(queue::JobQueue& queue,
                                                 const tasks::TaskRegistry& registry,
                                                 const store::Delivery& delivery) const {
    (void)registry;  // the refresh job is queued for whichever process has the instance
    return tasks::ProcessGerritDelivery(queue, delivery);
}

void GerritForge::RegisterTasks(tasks::TaskRegistry& registry) {
    tasks::RegisterGerritTasks(registry, Clients());
}

std::vector<forge::LoadRoute> GerritForge::LoadRoutes() {
    return {
        {"/load/gerrit/{instance}/changes",
         [this](const forge::PathParams& p, const forge::Query& q) { return PlanChanges(p, q); }},
        {"/load/gerrit/{instance}/accounts/{username}",
         [this](const forge::PathParams& p, const forge::Query& q) { return PlanAccount(p, q); }},
    };
}

Result<sources::gerrit::GerritClient*> GerritForge::ClientFor(const std::string& instance) const {
    for (const auto& c : clients_) {
        if (c->instance().name == instance) return c.get();
    }
    return Unexpected(ErrorCode::kNotFound,
                      "no Gerrit instance '" + instance + "' is configured (--gerrit NAME=URL)");
}

Result<forge::LoadPlan> GerritForge::PlanChanges(const forge::PathParams& p,
                                                 const forge::Query& q) const {
    FORGEDB_TRY(ClientFor(p.at("instance")));
    FORGEDB_TRY(forge::OnlyKnown(q, {"q", "incremental", "after", "before"}));
    tasks::GerritCrawl c;
    c.instance = p.at("instance");
    c.kind = tasks::kGerritChangesJob;
    c.query = forge::QueryText(q, "q");
    FORGEDB_ASSIGN_OR_RETURN(
        c.incremental, forge::ParseFlag("incremental", forge::QueryValue(q, "incremental"), false));
    FORGEDB_ASSIGN_OR_RETURN(c.after, forge::TimeParam(q, "after"));
    FORGEDB_ASSIGN_OR_RETURN(c.before, forge::TimeParam(q, "before"));
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    forge::LoadPlan plan;
    plan.job = c.ToJob();
    return plan;
}

Result<forge::LoadPlan> GerritForge::PlanAccount(const forge::PathParams& p,
                                                 const forge::Query& q) const {
    FORGEDB_ASSIGN_OR_RETURN(auto* client, ClientFor(p.at("instance")));
    FORGEDB_TRY(forge::OnlyKnown(q, {}));
    tasks::GerritCrawl c;
    c.instance = p.at("instance");
    c.kind = tasks::kGerritAccountJob;
    c.account = p.at("username");
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    forge::LoadPlan plan;
    plan.single = true;
    plan.run_now = [client, c](store::Connection& conn, const Clock& clock) {
        return tasks::RunGerritAccountNow(conn, *client, clock, c);
    };
    plan.job = c.ToJob();
    return plan;
}

std::vector<forge::ContributorCrawl> GerritForge::ContributorCrawls(const std::string& username,
                                                                    Timestamp start,
                                                                    Timestamp end) const {
    if (options_.contributor_instance.empty() || username.empty()) return {};
    return {{options_.contributor_instance, "owner",
             tasks::GerritOwnerCrawl(options_.contributor_instance, username, start, end)}};
}

}  // namespace forgedb::gerrit
