#include "forgedb/forges/phabricator/tasks.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/forges/phabricator/objects.hpp"
#include "forgedb/forges/phabricator/store.hpp"
#include "forgedb/store/crawl_store.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {
namespace {

using sources::phabricator::ConduitClient;
using sources::phabricator::Params;
namespace proc = process::phabricator;

// Items per page; Conduit's maximum.
constexpr const char* kPageLimit = "100";
// How far back an incremental crawl looks before its watermark (clock skew, same-second edits).
constexpr auto kOverlap = std::chrono::minutes(5);

using Clients = std::map<std::string, ConduitClient*>;

// What the first page of a crawl works out and hands on to the next pages (in the job
// arguments, under "page").
struct PageState {
    std::int64_t root = 0;  // the crawl's first job, which carries the progress
    std::string phid;       // the author, assignee or project PHID the constraint names
    std::optional<Timestamp> modified_start;  // incremental: constraints[modifiedStart]
    std::optional<Timestamp> max_modified;    // the greatest dateModified seen so far
};

std::optional<std::string> TimeText(const std::optional<Timestamp>& t) {
    if (!t) return std::nullopt;
    return FormatForgeTime(*t);
}

nlohmann::json TimeJson(const std::optional<Timestamp>& t) {
    return t ? nlohmann::json(FormatForgeTime(*t)) : nlohmann::json(nullptr);
}

Result<std::optional<Timestamp>> ParseTimeField(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || j[key].is_null()) return std::optional<Timestamp>{};
    if (!j[key].is_string()) {
        return Unexpected(ErrorCode::kInvalid, std::string("'") + key + "' is not a time");
    }
    auto t = ParseTimestamp(j[key].get<std::string>());
    if (!t) {
        return Unexpected(ErrorCode::kInvalid,
                          std::string("'") + key + "' is not a time: " + j[key].get<std::string>());
    }
    return std::optional<Timestamp>{*t};
}

std::string Epoch(Timestamp t) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

bool ValidName(std::string_view s, size_t max) {
    if (s.empty() || s.size() > max) return false;
    for (char c : s) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    }
    return true;
}

// A username or slug as it names a target: Phabricator compares them case-insensitively. PHIDs
// are kept as they are.
std::string TargetName(const std::string& name) {
    return name.rfind("PHID-", 0) == 0 ? name : AsciiLower(name);
}

// "author=alice", "assigned=bob", "project=mediawiki" (plus the window when there is one): the
// target of a tasks or revisions crawl, used in unique keys and watermark scopes.
std::string Target(const PhabricatorCrawl& c) {
    std::string t;
    if (!c.author.empty()) t = "author=" + TargetName(c.author);
    if (!c.assigned.empty()) t = "assigned=" + TargetName(c.assigned);
    if (!c.project.empty()) t = "project=" + TargetName(c.project);
    if (c.created_start || c.created_end) {
        t += ":created=" + TimeText(c.created_start).value_or("") + ".." +
             TimeText(c.created_end).value_or("");
    }
    return t;
}

std::string WatermarkSource(const PhabricatorCrawl& c) { return "phabricator:" + c.instance; }

std::string WatermarkScope(const PhabricatorCrawl& c) {
    return std::string(c.kind == kPhabricatorRevisionsJob ? "revisions:" : "tasks:") + Target(c);
}

Result<ConduitClient*> ClientFor(const Clients& clients, const std::string& instance) {
    auto it = clients.find(instance);
    if (it == clients.end() || it->second == nullptr) {
        return Unexpected(ErrorCode::kInvalid,
                          "no Phabricator instance '" + instance + "' is configured here");
    }
    return it->second;
}

// Calls a *.search method and parses its answer. The document owns the parsed items.
struct SearchPage {
    JsonDocument doc;
    proc::SearchResult result;
};

Result<SearchPage> Search(ConduitClient& client, std::string_view method, const Params& params) {
    FORGEDB_ASSIGN_OR_RETURN(std::string body, client.Call(method, params));
    FORGEDB_ASSIGN_OR_RETURN(JsonDocument doc, JsonDocument::Parse(body));
    auto result = proc::ReadSearchResult(doc.root());
    if (!result) {
        Error e = result.error();
        e.message = "Phabricator '" + client.instance().name + "' " + std::string(method) + ": " +
                    e.message;
        return e;
    }
    return SearchPage{std::move(doc), std::move(*result)};
}

proc::Context ApiContext(store::Connection& conn, const std::string& instance, const Clock& clock) {
    return proc::Context{conn, instance, model::Via::kApi, clock.Now()};
}

// user.search by username; the user is stored and its PHID returned.
Result<std::string> FetchUser(store::Connection& conn, ConduitClient& client, const Clock& clock,
                              const std::string& username) {
    const std::string& instance = client.instance().name;
    FORGEDB_ASSIGN_OR_RETURN(auto page, Search(client, proc::kUserType.search_method,
                                               {{"constraints[usernames][0]", username}}));
    if (page.result.data.empty()) {
        return Unexpected(ErrorCode::kNotFound,
                          "no Phabricator user '" + username + "' on " + instance);
    }
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    FORGEDB_ASSIGN_OR_RETURN(auto p, proc::kUserType.process(page.result.data.front(),
                                                             ApiContext(conn, instance, clock)));
    FORGEDB_TRY(tx.Commit());
    return p.phid;
}

// The PHID of a username: from the mirror, or from user.search (which stores the user).
Result<std::string> ResolveUser(store::Connection& conn, ConduitClient& client, const Clock& clock,
                                const std::string& username) {
    if (proc::PhidType(username) == proc::kUserType.phid_type) return username;
    FORGEDB_ASSIGN_OR_RETURN(
        auto stored, store::phabricator::FindUserPhid(conn, client.instance().name, username));
    if (stored) return *stored;
    return FetchUser(conn, client, clock, username);
}

// The PHID of a project slug (project.search); PHIDs are taken as they are.
Result<std::string> ResolveProject(ConduitClient& client, const std::string& project) {
    if (project.rfind("PHID-", 0) == 0) return project;
    std::string slug = AsciiLower(project);
    if (!slug.empty() && slug.front() == '#') slug.erase(0, 1);
    FORGEDB_ASSIGN_OR_RETURN(auto page, Search(client, proc::kProjectType.search_method,
                                               {{"constraints[slugs][0]", slug}}));
    if (auto phid = JsonPath(page.doc.root(), {"result", "maps", "slugMap", slug, "projectPHID"})) {
        if (auto s = JsonString(*phid)) return *s;
    }
    if (!page.result.data.empty()) {
        if (auto phid = JsonGetString(page.result.data.front(), "phid")) return *phid;
    }
    return Unexpected(ErrorCode::kNotFound,
                      "no Phabricator project '" + project + "' on " + client.instance().name);
}

// The object type that a tasks or revisions crawl reads.
const proc::ObjectType& TypeOf(const PhabricatorCrawl& c) {
    return c.kind == kPhabricatorRevisionsJob ? proc::kRevisionType : proc::kTaskType;
}

// attachments[<name>]=1 for the attachment that `type` asks for, if any.
void AddAttachment(const proc::ObjectType& type, Params& params) {
    if (!type.attachment.empty()) {
        params.emplace_back("attachments[" + std::string(type.attachment) + "]", "1");
    }
}

// The form of one page of a tasks or revisions crawl.
Params SearchParams(const PhabricatorCrawl& c, const PageState& s) {
    Params p;
    if (c.kind == kPhabricatorRevisionsJob) {
        p.emplace_back("constraints[authorPHIDs][0]", s.phid);
    } else {
        if (!c.author.empty()) p.emplace_back("constraints[authorPHIDs][0]", s.phid);
        if (!c.assigned.empty()) p.emplace_back("constraints[assigned][0]", s.phid);
        if (!c.project.empty()) p.emplace_back("constraints[projects][0]", s.phid);
    }
    if (c.created_start) p.emplace_back("constraints[createdStart]", Epoch(*c.created_start));
    if (c.created_end) p.emplace_back("constraints[createdEnd]", Epoch(*c.created_end));
    if (c.incremental) {
        if (s.modified_start) {
            p.emplace_back("constraints[modifiedStart]", Epoch(*s.modified_start));
        }
        p.emplace_back("order", "outdated");  // least recently modified first
    }
    AddAttachment(TypeOf(c), p);
    p.emplace_back("limit", kPageLimit);
    if (!c.after.empty()) p.emplace_back("after", c.after);
    return p;
}

std::string PageArgsJson(const PhabricatorCrawl& c, const PageState& s) {
    auto j = nlohmann::json::parse(c.ArgsJson());
    j["page"] = {{"root", s.root},
                 {"phid", s.phid},
                 {"modified_start", TimeJson(s.modified_start)},
                 {"max_modified", TimeJson(s.max_modified)}};
    return j.dump();
}

// The page state of a job's arguments; nullopt for the first page of a crawl.
Result<std::optional<PageState>> ReadPageState(const std::string& args) {
    auto j = nlohmann::json::parse(args, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("page")) {
        return std::optional<PageState>{};
    }
    const auto& p = j["page"];
    if (!p.is_object() || !p.contains("root") || !p["root"].is_number_integer() ||
        !p.contains("phid") || !p["phid"].is_string()) {
        return Unexpected(ErrorCode::kInvalid, "bad page state in " + args);
    }
    PageState s;
    s.root = p["root"].get<std::int64_t>();
    s.phid = p["phid"].get<std::string>();
    FORGEDB_ASSIGN_OR_RETURN(s.modified_start, ParseTimeField(p, "modified_start"));
    FORGEDB_ASSIGN_OR_RETURN(s.max_modified, ParseTimeField(p, "max_modified"));
    return std::optional<PageState>{std::move(s)};
}

// One page of a tasks or revisions crawl: the rows, the root's progress, and either the next
// page (a child of the root) or, on the last page of an incremental crawl, the watermark, all
// committed with this job's completion.
Status RunSearchPage(queue::JobContext& ctx, const Clients& clients) {
    const Clock& clock = ctx.queue.clock();
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto c, PhabricatorCrawl::FromArgs(ctx.job.args));
    FORGEDB_ASSIGN_OR_RETURN(ConduitClient * client, ClientFor(clients, c.instance));
    FORGEDB_ASSIGN_OR_RETURN(auto stored_state, ReadPageState(ctx.job.args));
    PageState state;
    if (stored_state) {
        state = std::move(*stored_state);
    } else {
        state.root = ctx.job.id;
        if (!c.project.empty()) {
            FORGEDB_ASSIGN_OR_RETURN(state.phid, ResolveProject(*client, c.project));
        } else {
            const std::string& who = !c.author.empty() ? c.author : c.assigned;
            FORGEDB_ASSIGN_OR_RETURN(state.phid, ResolveUser(conn, *client, clock, who));
        }
        if (c.incremental) {
            FORGEDB_ASSIGN_OR_RETURN(
                auto mark, store::GetWatermark(conn, WatermarkSource(c), WatermarkScope(c)));
            if (mark) state.modified_start = *mark - kOverlap;
        }
    }
    const proc::ObjectType& type = TypeOf(c);
    FORGEDB_ASSIGN_OR_RETURN(auto page,
                             Search(*client, type.search_method, SearchParams(c, state)));

    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    auto pctx = ApiContext(conn, c.instance, clock);
    for (Json item : page.result.data) {
        auto p = type.process(item, pctx);
        if (!p) return Unexpected(p.error());
        if (p->modified && (!state.max_modified || *p->modified > *state.max_modified)) {
            state.max_modified = p->modified;
        }
    }
    FORGEDB_TRY(store::AddProgress(conn, state.root, 1,
                                   static_cast<long long>(page.result.data.size()), std::nullopt,
                                   clock.Now()));
    if (page.result.after) {
        PhabricatorCrawl next = c;
        next.after = *page.result.after;
        store::NewJob job;
        job.kind = c.kind;
        job.args = PageArgsJson(next, state);
        job.parent_id = state.root;
        FORGEDB_TRY(ctx.queue.Enqueue(std::move(job)));
    } else if (c.incremental && state.max_modified) {
        FORGEDB_TRY(store::RaiseWatermark(conn, WatermarkSource(c), WatermarkScope(c),
                                          *state.max_modified, clock.Now()));
    }
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

// phabricator.object: one object by PHID, through the *.search method of its type.
Status RunObject(queue::JobContext& ctx, const Clients& clients) {
    const Clock& clock = ctx.queue.clock();
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto c, PhabricatorCrawl::FromArgs(ctx.job.args));
    FORGEDB_ASSIGN_OR_RETURN(ConduitClient * client, ClientFor(clients, c.instance));
    const std::string_view phid_type = proc::PhidType(c.phid).value_or("");
    const proc::ObjectType* type = proc::FindObjectType(phid_type);
    if (type == nullptr || !type->mirrored()) {
        spdlog::info("Phabricator '{}': {} is a {} object, which is not mirrored", c.instance,
                     c.phid, phid_type);
        return Ok();
    }
    Params params{{"constraints[phids][0]", c.phid}};
    AddAttachment(*type, params);
    FORGEDB_ASSIGN_OR_RETURN(auto page, Search(*client, type->search_method, params));
    if (page.result.data.empty()) {
        return Unexpected(ErrorCode::kNotFound, "Phabricator '" + c.instance + "' has no " +
                                                    c.phid + " (or the token cannot see it)");
    }
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    auto pctx = ApiContext(conn, c.instance, clock);
    Json item = page.result.data.front();
    Result<proc::Processed> p = type->process(item, pctx);
    if (!p) return Unexpected(p.error());
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

Status RunUser(queue::JobContext& ctx, const Clients& clients) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, PhabricatorCrawl::FromArgs(ctx.job.args));
    FORGEDB_ASSIGN_OR_RETURN(ConduitClient * client, ClientFor(clients, c.instance));
    return RunPhabricatorUserNow(ctx.queue.connection(), *client, ctx.queue.clock(), c);
}

}  // namespace

std::string PhabricatorCrawl::ArgsJson() const {
    nlohmann::json j = {{"kind", kind},
                        {"instance", instance},
                        {"author", author},
                        {"assigned", assigned},
                        {"project", project},
                        {"username", username},
                        {"phid", phid},
                        {"incremental", incremental},
                        {"created_start", TimeJson(created_start)},
                        {"created_end", TimeJson(created_end)},
                        {"after", after}};
    return j.dump();
}

Result<PhabricatorCrawl> PhabricatorCrawl::FromArgs(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad crawl arguments: " + text);
    }
    PhabricatorCrawl c;
    auto str = [&](const char* key, std::string& out) -> Status {
        if (!j.contains(key) || j[key].is_null()) return Ok();
        if (!j[key].is_string()) {
            return Unexpected(ErrorCode::kInvalid, std::string("'") + key + "' is not a string");
        }
        out = j[key].get<std::string>();
        return Ok();
    };
    FORGEDB_TRY(str("kind", c.kind));
    FORGEDB_TRY(str("instance", c.instance));
    FORGEDB_TRY(str("author", c.author));
    FORGEDB_TRY(str("assigned", c.assigned));
    FORGEDB_TRY(str("project", c.project));
    FORGEDB_TRY(str("username", c.username));
    FORGEDB_TRY(str("phid", c.phid));
    FORGEDB_TRY(str("after", c.after));
    if (j.contains("incremental")) {
        if (!j["incremental"].is_boolean()) {
            return Unexpected(ErrorCode::kInvalid, "'incremental' is not a boolean");
        }
        c.incremental = j["incremental"].get<bool>();
    }
    FORGEDB_ASSIGN_OR_RETURN(c.created_start, ParseTimeField(j, "created_start"));
    FORGEDB_ASSIGN_OR_RETURN(c.created_end, ParseTimeField(j, "created_end"));
    FORGEDB_TRY(ValidateCrawl(c));
    return c;
}

std::string PhabricatorCrawl::UniqueKey() const {
    std::string key = kind + ":" + instance + ":";
    if (kind == kPhabricatorUserJob) return key + TargetName(username);
    if (kind == kPhabricatorObjectJob) return key + phid;
    return key + Target(*this);
}

store::NewJob PhabricatorCrawl::ToJob() const {
    store::NewJob job;
    job.kind = kind;
    job.args = ArgsJson();
    job.unique_key = UniqueKey();
    return job;
}

Status ValidateCrawl(const PhabricatorCrawl& c) {
    auto bad = [](const std::string& why) { return Status(Unexpected(ErrorCode::kInvalid, why)); };
    if (c.instance.empty() || c.instance.size() > 64)
        return bad("a Phabricator instance is required");
    for (char ch : c.instance) {
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok) return bad("bad Phabricator instance name '" + c.instance + "'");
    }
    for (const std::string* s :
         {&c.author, &c.assigned, &c.project, &c.username, &c.phid, &c.after}) {
        if (!s->empty() && !ValidName(*s, 255))
            return bad("a name is too long or has control characters");
    }
    if (c.created_start && c.created_end && *c.created_start > *c.created_end) {
        return bad("created_start is after created_end");
    }
    if (c.kind == kPhabricatorTasksJob) {
        int targets = !c.author.empty() + !c.assigned.empty() + !c.project.empty();
        if (targets != 1)
            return bad("a tasks crawl needs exactly one of author, assigned, project");
    } else if (c.kind == kPhabricatorRevisionsJob) {
        if (c.author.empty()) return bad("a revisions crawl needs an author");
        if (!c.assigned.empty() || !c.project.empty()) {
            return bad("a revisions crawl takes an author only");
        }
    } else if (c.kind == kPhabricatorUserJob) {
        if (c.username.empty()) return bad("a user lookup needs a username");
    } else if (c.kind == kPhabricatorObjectJob) {
        if (!proc::PhidType(c.phid)) {
            return bad("'" + c.phid + "' is not a PHID");
        }
    } else {
        return bad("unknown Phabricator crawl kind '" + c.kind + "'");
    }
    return Ok();
}

Status RunPhabricatorUserNow(store::Connection& conn, ConduitClient& client, const Clock& clock,
                             const PhabricatorCrawl& crawl) {
    if (crawl.username.empty()) {
        return Unexpected(ErrorCode::kInvalid, "a user lookup needs a username");
    }
    FORGEDB_TRY(FetchUser(conn, client, clock, crawl.username));
    return Ok();
}

Result<std::string> ProcessPhabricatorDelivery(queue::JobQueue& queue,
                                               const store::Delivery& delivery) {
    if (delivery.instance.empty()) {
        return Unexpected(ErrorCode::kInvalid, "the delivery names no Phabricator instance");
    }
    FORGEDB_ASSIGN_OR_RETURN(JsonDocument doc, JsonDocument::Parse(delivery.body));
    auto object = JsonGet(doc.root(), "object");
    if (!object || !object->is_object()) {
        return Unexpected(ErrorCode::kMissingData, "Herald call without an 'object'");
    }
    auto phid = JsonGetString(*object, "phid");
    auto type = JsonGetString(*object, "type");
    if (!phid || !type) {
        return Unexpected(ErrorCode::kMissingData,
                          "Herald call without a string object.phid and object.type");
    }
    std::string outcome = "ignored";
    if (const proc::ObjectType* known = proc::FindObjectType(*type); known && known->mirrored()) {
        PhabricatorCrawl c;
        c.kind = kPhabricatorObjectJob;
        c.instance = delivery.instance;
        c.phid = *phid;
        FORGEDB_TRY(ValidateCrawl(c));
        FORGEDB_TRY(queue.Enqueue(c.ToJob()));
        outcome = "processed";
    }
    return outcome;
}

void RegisterPhabricatorTasks(TaskRegistry& registry,
                              std::map<std::string, sources::phabricator::ConduitClient*> clients) {
    // Each runner keeps its own copy of the (small) map of non-owning client pointers.
    registry.Register(kPhabricatorTasksJob,
                      [clients](queue::JobContext& ctx) { return RunSearchPage(ctx, clients); });
    registry.Register(kPhabricatorRevisionsJob,
                      [clients](queue::JobContext& ctx) { return RunSearchPage(ctx, clients); });
    registry.Register(kPhabricatorUserJob,
                      [clients](queue::JobContext& ctx) { return RunUser(ctx, clients); });
    registry.Register(kPhabricatorObjectJob,
                      [clients](queue::JobContext& ctx) { return RunObject(ctx, clients); });
}

std::vector<store::NewJob> PhabricatorUserCrawls(const std::string& instance,
                                                 const std::string& username, Timestamp start,
                                                 Timestamp end) {
    std::vector<store::NewJob> jobs;
    for (bool authored : {true, false}) {
        PhabricatorCrawl c;
        c.kind = kPhabricatorTasksJob;
        c.instance = instance;
        (authored ? c.author : c.assigned) = username;
        c.created_start = start;
        c.created_end = end;
        jobs.push_back(c.ToJob());
    }
    return jobs;
}

}  // namespace forgedb::tasks
