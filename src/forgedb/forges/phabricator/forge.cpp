#include "forgedb/forges/phabricator/forge.hpp"

#include "forgedb/forge/load_params.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"

namespace forgedb::phabricator {

PhabricatorForge::PhabricatorForge(PhabricatorForgeOptions options, const Clock& clock,
                                   std::unique_ptr<sources::HttpClient> http)
    : options_(std::move(options)), http_(std::move(http)) {
    for (const auto& i : options_.instances) {
        clients_.push_back(
            std::make_unique<sources::phabricator::ConduitClient>(*http_, clock, i.instance));
    }
}

PhabricatorForge::~PhabricatorForge() = default;

std::map<std::string, sources::phabricator::ConduitClient*> PhabricatorForge::Clients() const {
    std::map<std::string, sources::phabricator::ConduitClient*> out;
    for (const auto& c : clients_) out[c->instance().name] = c.get();
    return out;
}

std::vector<http::Route> PhabricatorForge::WebhookRoutes(replication::DeliveryLog& log,
                                                         const Clock& clock) {
    std::map<std::string, std::string> keys;
    for (const auto& i : options_.instances) keys[i.instance.name] = i.hook_key;
    events_ = std::make_unique<replication::PhabricatorEvents>(log, clock, std::move(keys),
                                                               options_.accept_unsigned);
    return events_->Routes();
}

Result<std::string> PhabricatorForge::ProcessDelivery(queue::JobQueue& queue,
                                                      const tasks::TaskRegistry& registry,
                                                      const store::Delivery& delivery) const {
    (void)registry;  // the refresh job is queued for whichever process has the instance
    return tasks::ProcessPhabricatorDelivery(queue, delivery);
}

void PhabricatorForge::RegisterTasks(tasks::TaskRegistry& registry) {
    tasks::RegisterPhabricatorTasks(registry, Clients());
}

std::vector<forge::LoadRoute> PhabricatorForge::LoadRoutes() {
    return {
        {"/load/phabricator/{instance}/tasks",
         [this](const forge::PathParams& p, const forge::Query& q) { return PlanTasks(p, q); }},
        {"/load/phabricator/{instance}/revisions",
         [this](const forge::PathParams& p, const forge::Query& q) { return PlanRevisions(p, q); }},
        {"/load/phabricator/{instance}/users/{username}",
         [this](const forge::PathParams& p, const forge::Query& q) { return PlanUser(p, q); }},
    };
}

Result<sources::phabricator::ConduitClient*> PhabricatorForge::ClientFor(
    const std::string& instance) const {
    for (const auto& c : clients_) {
        if (c->instance().name == instance) return c.get();
    }
    return Unexpected(ErrorCode::kNotFound, "no Phabricator instance '" + instance +
                                                "' is configured (--phabricator NAME=URL)");
}

Result<forge::LoadPlan> PhabricatorForge::PlanTasks(const forge::PathParams& p,
                                                    const forge::Query& q) const {
    FORGEDB_TRY(ClientFor(p.at("instance")));
    FORGEDB_TRY(forge::OnlyKnown(
        q, {"author", "assigned", "project", "incremental", "created_start", "created_end"}));
    tasks::PhabricatorCrawl c;
    c.instance = p.at("instance");
    c.kind = tasks::kPhabricatorTasksJob;
    c.author = forge::QueryText(q, "author");
    c.assigned = forge::QueryText(q, "assigned");
    c.project = forge::QueryText(q, "project");
    FORGEDB_ASSIGN_OR_RETURN(
        c.incremental, forge::ParseFlag("incremental", forge::QueryValue(q, "incremental"), false));
    FORGEDB_ASSIGN_OR_RETURN(c.created_start, forge::TimeParam(q, "created_start"));
    FORGEDB_ASSIGN_OR_RETURN(c.created_end, forge::TimeParam(q, "created_end"));
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    forge::LoadPlan plan;
    plan.job = c.ToJob();
    return plan;
}

Result<forge::LoadPlan> PhabricatorForge::PlanRevisions(const forge::PathParams& p,
                                                        const forge::Query& q) const {
    FORGEDB_TRY(ClientFor(p.at("instance")));
    FORGEDB_TRY(forge::OnlyKnown(q, {"author", "created_start", "created_end"}));
    tasks::PhabricatorCrawl c;
    c.instance = p.at("instance");
    c.kind = tasks::kPhabricatorRevisionsJob;
    c.author = forge::QueryText(q, "author");
    FORGEDB_ASSIGN_OR_RETURN(c.created_start, forge::TimeParam(q, "created_start"));
    FORGEDB_ASSIGN_OR_RETURN(c.created_end, forge::TimeParam(q, "created_end"));
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    forge::LoadPlan plan;
    plan.job = c.ToJob();
    return plan;
}

Result<forge::LoadPlan> PhabricatorForge::PlanUser(const forge::PathParams& p,
                                                   const forge::Query& q) const {
    FORGEDB_ASSIGN_OR_RETURN(auto* client, ClientFor(p.at("instance")));
    FORGEDB_TRY(forge::OnlyKnown(q, {}));
    tasks::PhabricatorCrawl c;
    c.instance = p.at("instance");
    c.kind = tasks::kPhabricatorUserJob;
    c.username = p.at("username");
    FORGEDB_TRY(tasks::ValidateCrawl(c));
    forge::LoadPlan plan;
    plan.single = true;
    plan.run_now = [client, c](store::Connection& conn, const Clock& clock) {
        return tasks::RunPhabricatorUserNow(conn, *client, clock, c);
    };
    plan.job = c.ToJob();
    return plan;
}

std::vector<forge::ContributorCrawl> PhabricatorForge::ContributorCrawls(
    const std::string& username, Timestamp start, Timestamp end) const {
    if (options_.contributor_instance.empty() || username.empty()) return {};
    std::vector<forge::ContributorCrawl> out;
    auto jobs = tasks::PhabricatorUserCrawls(options_.contributor_instance, username, start, end);
    const char* parts[] = {"authored", "assigned"};
    for (size_t i = 0; i < jobs.size() && i < 2; ++i) {
        out.push_back({options_.contributor_instance, parts[i], std::move(jobs[i])});
    }
    return out;
}

}  // namespace forgedb::phabricator
