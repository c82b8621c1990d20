#include "forgedb/forges/gerrit/tasks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/forges/gerrit/changes.hpp"
#include "forgedb/forges/gerrit/model.hpp"
#include "forgedb/forges/gerrit/store.hpp"
#include "forgedb/store/crawl_store.hpp"
#include "forgedb/store/delivery_store.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::tasks {
namespace {

using sources::gerrit::GerritClient;
using Clients = std::map<std::string, GerritClient*>;

constexpr const char* kForge = "gerrit";
// How far back an incremental crawl looks before its watermark (clock skew, late indexing).
constexpr auto kOverlap = std::chrono::minutes(5);

// Where a page of a change crawl stands, carried from page to page in the job arguments (key
// "page"); absent on the first page, which works it out.
struct PageState {
    std::int64_t root = 0;                // the job of the first page
    std::optional<Timestamp> after;       // lower bound in effect (window or watermark)
    std::optional<Timestamp> seen_until;  // greatest `updated` seen so far
    bool raise_watermark = false;         // the crawl has no lower bound of its own
};

std::string WatermarkSource(const std::string& instance) {
    return std::string(kForge) + ":" + instance;
}

// "YYYY-MM-DD hh:mm:ss" for after:/before: operators (Gerrit reads it as UTC). Lower bounds
// round down and upper bounds up, so a window never loses the edge second (both are inclusive).
std::string QueryTime(Timestamp t, bool round_up) {
    auto s = std::chrono::floor<std::chrono::seconds>(t);
    if (round_up && s < t) s += std::chrono::seconds(1);
    return FormatGerritTime(s).substr(0, 19);
}

// True when `query` has an OR at its top level, so that an added bound needs parentheses.
bool HasTopLevelOr(const std::string& query) {
    int depth = 0;
    bool quoted = false;
    for (size_t i = 0; i < query.size(); ++i) {
        char c = query[i];
        if (c == '"') quoted = !quoted;
        if (quoted) continue;
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (depth == 0 && query.compare(i, 4, " OR ") == 0) return true;
    }
    return false;
}

std::string EffectiveQuery(const GerritCrawl& c, const PageState& state) {
    std::string q = c.query;
    if (!state.after && !c.before) return q;
    if (HasTopLevelOr(q)) q = "(" + q + ")";
    if (state.after) q += " after:\"" + QueryTime(*state.after, false) + "\"";
    if (c.before) q += " before:\"" + QueryTime(*c.before, true) + "\"";
    return q;
}

nlohmann::json PageStateJson(const PageState& s) {
    nlohmann::json j = {{"root", s.root}, {"raise_watermark", s.raise_watermark}};
    if (s.after) j["after"] = FormatLocalTime(*s.after);
    if (s.seen_until) j["seen_until"] = FormatLocalTime(*s.seen_until);
    return j;
}

Result<std::optional<PageState>> ParsePageState(const std::string& args) {
    auto j = nlohmann::json::parse(args, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad crawl arguments: " + args);
    }
    auto it = j.find("page");
    if (it == j.end()) return std::optional<PageState>{};
    const auto& p = *it;
    if (!p.is_object() || !p.contains("root") || !p["root"].is_number_integer()) {
        return Unexpected(ErrorCode::kInvalid, "bad page state: " + p.dump());
    }
    PageState s;
    s.root = p["root"].get<std::int64_t>();
    s.raise_watermark = p.value("raise_watermark", false);
    for (auto [key, field] : {std::pair{"after", &s.after}, {"seen_until", &s.seen_until}}) {
        if (!p.contains(key)) continue;
        if (!p[key].is_string()) return Unexpected(ErrorCode::kInvalid, "bad page state time");
        *field = ParseTimestamp(p[key].get<std::string>());
        if (!*field) return Unexpected(ErrorCode::kInvalid, "bad page state time");
    }
    return std::optional<PageState>{s};
}

Result<GerritClient*> ClientFor(const Clients& clients, const std::string& instance) {
    auto it = clients.find(instance);
    if (it == clients.end() || it->second == nullptr) {
        return Unexpected(ErrorCode::kInvalid, "unknown Gerrit instance '" + instance +
                                                   "' (not configured with --gerrit)");
    }
    return it->second;
}

Result<GerritCrawl> ArgsOf(const queue::JobContext& ctx, const char* kind) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, GerritCrawl::FromArgs(ctx.job.args));
    if (c.kind != kind) {
        return Unexpected(ErrorCode::kInvalid,
                          "job " + ctx.job.kind + " carries a " + c.kind + " crawl");
    }
    return c;
}

// The first page decides the window: the requested one, or (incremental) the watermark minus the
// overlap, whichever starts later.
Result<PageState> FirstPageState(store::Connection& conn, const GerritCrawl& c,
                                 std::int64_t job_id) {
    PageState s;
    s.root = job_id;
    s.after = c.after;
    s.raise_watermark = !c.after;
    if (c.incremental) {
        FORGEDB_ASSIGN_OR_RETURN(auto mark,
                                 store::GetWatermark(conn, WatermarkSource(c.instance), c.query));
        if (mark) {
            Timestamp from = *mark - kOverlap;
            s.after = s.after ? std::max(*s.after, from) : from;
        }
    }
    return s;
}

Status RunChangesPage(queue::JobContext& ctx, const Clients& clients) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, ArgsOf(ctx, kGerritChangesJob));
    FORGEDB_ASSIGN_OR_RETURN(GerritClient * client, ClientFor(clients, c.instance));
    auto& conn = ctx.queue.connection();
    const Clock& clock = ctx.queue.clock();
    FORGEDB_ASSIGN_OR_RETURN(auto carried, ParsePageState(ctx.job.args));
    PageState state;
    if (carried) {
        state = *carried;
    } else {
        FORGEDB_ASSIGN_OR_RETURN(state, FirstPageState(conn, c, ctx.job.id));
    }
    const std::string query = EffectiveQuery(c, state);

    // HTTP outside the transaction.
    FORGEDB_ASSIGN_OR_RETURN(auto page, client->QueryChanges(query, c.start));
    FORGEDB_ASSIGN_OR_RETURN(Json items, ParseOnThisThread(page.json));
    simdjson::dom::array changes;
    if (items.get_array().get(changes)) {
        return Unexpected(ErrorCode::kInvalid, "Gerrit change list is not an array");
    }

    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    std::unordered_set<std::string> written;
    process::gerrit::Context pctx{conn, c.instance, model::Via::kApi, clock.Now(), &written};
    for (Json change : changes) {
        FORGEDB_TRY(process::gerrit::ProcessChange(change, pctx));
        if (auto updated = ParseTimestamp(JsonGetString(change, "updated").value_or(""))) {
            if (!state.seen_until || *updated > *state.seen_until) state.seen_until = *updated;
        }
    }
    FORGEDB_TRY(store::AddProgress(conn, state.root, 1, page.count, std::nullopt, clock.Now()));
    if (page.more && page.count > 0) {
        // The next page, queued with this page's rows so that a retry never queues it twice.
        GerritCrawl next = c;
        next.start = c.start + page.count;
        store::NewJob job = next.ToJob();
        auto args = nlohmann::json::parse(job.args);
        args["page"] = PageStateJson(state);
        job.args = args.dump();
        job.parent_id = state.root;
        FORGEDB_TRY(ctx.queue.Enqueue(std::move(job)));
    } else if (state.raise_watermark && state.seen_until) {
        FORGEDB_TRY(store::RaiseWatermark(conn, WatermarkSource(c.instance), c.query,
                                          *state.seen_until, clock.Now()));
    }
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

// What a 404 for a mirrored change means. Gerrit answers 404 alike for a deleted change and for
// one the reader may not see (private, a draft, a permission lost), so the change counts as
// deleted only when an authenticated reader still sees its project; otherwise it is unreadable
// and its data is kept.
enum class Missing { kNotMirrored, kDeleted, kUnreadable };

Result<Missing> ClassifyMissing(store::Connection& conn, GerritClient& client,
                                const GerritCrawl& c) {
    FORGEDB_ASSIGN_OR_RETURN(auto project,
                             store::gerrit::ChangeProject(conn, c.instance, c.number));
    if (!project) return Missing::kNotMirrored;
    if (!client.authenticated() || project->empty()) return Missing::kUnreadable;
    FORGEDB_ASSIGN_OR_RETURN(bool visible, client.ProjectVisible(*project));
    return visible ? Missing::kDeleted : Missing::kUnreadable;
}

Status RunChangeRefresh(queue::JobContext& ctx, const Clients& clients) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, ArgsOf(ctx, kGerritChangeJob));
    FORGEDB_ASSIGN_OR_RETURN(GerritClient * client, ClientFor(clients, c.instance));
    auto& conn = ctx.queue.connection();
    const Clock& clock = ctx.queue.clock();
    auto fetched = client->GetChange(c.number);
    if (!fetched && fetched.error().code != ErrorCode::kNotFound)
        return Unexpected(fetched.error());
    // HTTP outside the transaction: the project check of a change that is not found.
    Missing missing = Missing::kNotMirrored;
    if (!fetched) {
        FORGEDB_ASSIGN_OR_RETURN(missing, ClassifyMissing(conn, *client, c));
    }
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    if (!fetched && missing != Missing::kNotMirrored) {
        // Both marks keep the time they were first set.
        model::Row key;
        key.Set("instance", c.instance).Set("number", static_cast<std::int64_t>(c.number));
        model::Row set;
        const char* column = missing == Missing::kDeleted ? "deleted_at" : "unreadable_at";
        set.Set(column, FormatLocalTime(clock.Now()), model::Merge::kFillNull);
        FORGEDB_TRY(store::Update(conn, model::gerrit::kChange, key, set));
        if (missing == Missing::kDeleted) {
            spdlog::info("Gerrit {} change {} is deleted upstream (its project is visible)",
                         c.instance, c.number);
        } else {
            spdlog::info(
                "Gerrit {} change {} is not readable (deleted, or hidden from the "
                "reader); its data is kept",
                c.instance, c.number);
        }
    } else if (fetched) {
        FORGEDB_ASSIGN_OR_RETURN(Json change, ParseOnThisThread(*fetched));
        process::gerrit::Context pctx{conn, c.instance, model::Via::kApi, clock.Now(), nullptr};
        FORGEDB_TRY(process::gerrit::ProcessChange(change, pctx));
        FORGEDB_TRY(store::AddProgress(conn, ctx.job.id, 1, 1, 1, clock.Now()));
    }
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

std::string OptionalTime(const std::optional<Timestamp>& t) {
    return t ? FormatLocalTime(*t) : std::string();
}

}  // namespace

std::string GerritCrawl::ArgsJson() const {
    nlohmann::json j = {{"kind", kind}, {"instance", instance}};
    if (kind == kGerritChangesJob) {
        j["query"] = query;
        j["incremental"] = incremental;
        j["start"] = start;
        if (after) j["after"] = FormatLocalTime(*after);
        if (before) j["before"] = FormatLocalTime(*before);
    } else if (kind == kGerritAccountJob) {
        j["account"] = account;
    } else {
        j["number"] = number;
    }
    return j.dump();
}

Result<GerritCrawl> GerritCrawl::FromArgs(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad crawl arguments: " + text);
    }
    GerritCrawl c;
    auto bad = [&](const std::string& key) {
        return Unexpected(ErrorCode::kInvalid, "bad crawl argument '" + key + "': " + text);
    };
    auto string_of = [&](const char* key, std::string& out) -> bool {
        if (!j.contains(key)) return true;
        if (!j[key].is_string()) return false;
        out = j[key].get<std::string>();
        return true;
    };
    for (auto [key, out] : {std::pair{"kind", &c.kind},
                            {"instance", &c.instance},
                            {"query", &c.query},
                            {"account", &c.account}}) {
        if (!string_of(key, *out)) return bad(key);
    }
    if (j.contains("number")) {
        if (!j["number"].is_number_integer()) return bad("number");
        c.number = j["number"].get<long long>();
    }
    if (j.contains("start")) {
        if (!j["start"].is_number_integer()) return bad("start");
        c.start = j["start"].get<int>();
    }
    if (j.contains("incremental")) {
        if (!j["incremental"].is_boolean()) return bad("incremental");
        c.incremental = j["incremental"].get<bool>();
    }
    for (auto [key, out] : {std::pair{"after", &c.after}, {"before", &c.before}}) {
        if (!j.contains(key) || j[key].is_null()) continue;
        if (!j[key].is_string()) return bad(key);
        *out = ParseTimestamp(j[key].get<std::string>());
        if (!*out) return bad(key);
    }
    FORGEDB_TRY(ValidateCrawl(c));
    return c;
}

std::string GerritCrawl::UniqueKey() const {
    std::string key = kind + ":" + instance + ":";
    if (kind == kGerritChangesJob) {
        key += query;
        if (after) key += " after:" + FormatForgeTime(*after);
        if (before) key += " before:" + FormatForgeTime(*before);
        if (start > 0) key += " S=" + std::to_string(start);
    } else if (kind == kGerritAccountJob) {
        key += account;
    } else {
        key += std::to_string(number);
    }
    return key;
}

store::NewJob GerritCrawl::ToJob() const {
    store::NewJob job;
    job.kind = kind;
    job.args = ArgsJson();
    job.unique_key = UniqueKey();
    return job;
}

Status ValidateCrawl(const GerritCrawl& c) {
    auto bad = [](const std::string& why) { return Status(Unexpected(ErrorCode::kInvalid, why)); };
    if (c.kind != kGerritChangesJob && c.kind != kGerritAccountJob && c.kind != kGerritChangeJob) {
        return bad("unknown Gerrit crawl kind '" + c.kind + "'");
    }
    if (c.instance.empty()) return bad("a Gerrit instance name is required");
    auto blank = [](const std::string& s) {
        return std::all_of(s.begin(), s.end(), [](char ch) { return ch == ' ' || ch == '\t'; });
    };
    if (c.kind == kGerritChangesJob) {
        if (blank(c.query)) return bad("a change query is required (e.g. owner:alice)");
        if (c.start < 0) return bad("the page start must not be negative");
        if (c.after && c.before && *c.after > *c.before) {
            return bad("the window's start (" + OptionalTime(c.after) + ") is after its end (" +
                       OptionalTime(c.before) + ")");
        }
    } else if (c.kind == kGerritAccountJob) {
        if (blank(c.account)) return bad("a Gerrit username is required");
    } else if (c.number <= 0) {
        return bad("a change number is required");
    }
    return Ok();
}

Status RunGerritAccountNow(store::Connection& conn, GerritClient& client, const Clock& clock,
                           const GerritCrawl& crawl) {
    if (crawl.kind != kGerritAccountJob) {
        return Unexpected(ErrorCode::kInvalid, "not an account crawl: " + crawl.kind);
    }
    FORGEDB_ASSIGN_OR_RETURN(std::string text, client.FindAccount(crawl.account));
    FORGEDB_ASSIGN_OR_RETURN(Json account, ParseOnThisThread(text));
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    process::gerrit::Context pctx{conn, crawl.instance, model::Via::kApi, clock.Now(), nullptr};
    FORGEDB_TRY(process::gerrit::ProcessAccount(account, pctx));
    return tx.Commit();
}

Result<std::string> ProcessGerritDelivery(queue::JobQueue& queue, const store::Delivery& d) {
    auto& conn = queue.connection();
    if (d.instance.empty()) {
        return Unexpected(ErrorCode::kInvalid,
                          "Gerrit delivery " + d.delivery_id + " names no instance");
    }
    FORGEDB_ASSIGN_OR_RETURN(Json event, ParseOnThisThread(d.body));
    if (!event.is_object()) return Unexpected(ErrorCode::kInvalid, "event is not a JSON object");
    std::string type = d.event.empty() ? JsonGetString(event, "type").value_or("") : d.event;
    std::optional<std::int64_t> refresh;
    std::string outcome = "ignored";
    if (JsonGet(event, "change")) {
        process::gerrit::Context pctx{conn, d.instance, model::Via::kWebhook, d.received_at,
                                      nullptr};
        FORGEDB_ASSIGN_OR_RETURN(auto p, process::gerrit::ProcessChangeEvent(type, event, pctx));
        outcome = p.stale ? "stale" : "processed";
        // A deleted change has nothing left to fetch; a stale event asks for nothing.
        if (!p.stale && type != "change-deleted") refresh = p.number;
    } else if (type == "ref-updated") {
        // Patch-set and NoteDb refs name their change; other refs (branches, refs/meta/config)
        // are not mirrored.
        auto ref = JsonPath(event, {"refUpdate", "refName"});
        auto name = ref ? JsonString(*ref) : std::nullopt;
        if (name) refresh = process::gerrit::ChangeNumberOfRef(*name);
        if (refresh) outcome = "processed";
    }
    if (refresh) {
        GerritCrawl c;
        c.kind = kGerritChangeJob;
        c.instance = d.instance;
        c.number = *refresh;
        FORGEDB_TRY(queue.Enqueue(c.ToJob()));
    }
    return outcome;  // the delivery job records it on the log row
}

void RegisterGerritTasks(TaskRegistry& registry, std::map<std::string, GerritClient*> clients) {
    auto shared = std::make_shared<const Clients>(std::move(clients));
    registry.Register(kGerritChangesJob,
                      [shared](queue::JobContext& ctx) { return RunChangesPage(ctx, *shared); });
    registry.Register(kGerritChangeJob,
                      [shared](queue::JobContext& ctx) { return RunChangeRefresh(ctx, *shared); });
    registry.Register(kGerritAccountJob, [shared](queue::JobContext& ctx) -> Status {
        FORGEDB_ASSIGN_OR_RETURN(auto c, ArgsOf(ctx, kGerritAccountJob));
        FORGEDB_ASSIGN_OR_RETURN(GerritClient * client, ClientFor(*shared, c.instance));
        return RunGerritAccountNow(ctx.queue.connection(), *client, ctx.queue.clock(), c);
    });
}

store::NewJob GerritOwnerCrawl(const std::string& instance, const std::string& username,
                               Timestamp start, Timestamp end) {
    GerritCrawl c;
    c.kind = kGerritChangesJob;
    c.instance = instance;
    c.query = "owner:" + username;
    // Gerrit's after:/before: bound the last update, the view dates a change by its creation: a
    // change created in the window may have been updated after it, so only the start bounds the
    // query (a change is always updated after it was created).
    c.after = start;
    (void)end;
    return c.ToJob();
}

}  // namespace forgedb::tasks
