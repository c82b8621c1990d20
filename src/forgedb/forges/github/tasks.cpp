#include "forgedb/forges/github/tasks.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/forges/github/model.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/forges/github/refs.hpp"
#include "forgedb/forges/github/refs_store.hpp"
#include "forgedb/forges/github/store.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/store/row_writer.hpp"

namespace forgedb::tasks {
namespace {

namespace gh = model::github;
using sources::github::GithubClient;
using sources::github::GithubPage;

// How far back an incremental refresh looks before its watermark (clock skew, late indexing).
constexpr auto kOverlap = std::chrono::minutes(5);

enum class Parent { kRepo, kPull, kUser };

// A paginated GitHub list and where its rows go.
struct ListResource {
    std::string_view name;
    std::string_view path;  // {o}, {r}, {n}, {u} are replaced
    bool has_state;
    const model::Table* table;
    std::string_view parent_column;  // column of `table` naming the parent
    Parent parent;
    std::string_view scanned_column;  // *_last_scanned_at of the parent row ("" = none)
};

const ListResource kLists[] = {
    {"pulls", "/repos/{o}/{r}/pulls", true, &gh::kPullRequest, "base_repo_id", Parent::kRepo,
     "pull_requests_last_scanned_at"},
    {"issues", "/repos/{o}/{r}/issues", true, &gh::kIssue, "repo_id", Parent::kRepo,
     "issues_last_scanned_at"},
    {"labels", "/repos/{o}/{r}/labels", false, &gh::kIssueLabel, "repo_id", Parent::kRepo,
     "labels_last_scanned_at"},
    {"milestones", "/repos/{o}/{r}/milestones", true, &gh::kMilestone, "repo_id", Parent::kRepo,
     "milestones_last_scanned_at"},
    {"hooks", "/repos/{o}/{r}/hooks", false, &gh::kRepositoryHook, "repo_id", Parent::kRepo,
     "hooks_last_scanned_at"},
    {"releases", "/repos/{o}/{r}/releases", false, &gh::kRelease, "repo_id", Parent::kRepo,
     "releases_last_scanned_at"},
    // Branches and tags share github_ref; their sweeps keep to their own ref_type (RefTypeOf).
    {"branches", "/repos/{o}/{r}/branches", false, &gh::kRef, "repo_id", Parent::kRepo,
     "branches_last_scanned_at"},
    {"tags", "/repos/{o}/{r}/tags", false, &gh::kRef, "repo_id", Parent::kRepo,
     "tags_last_scanned_at"},
    {"issue_comments", "/repos/{o}/{r}/issues/comments", false, &gh::kIssueComment, "repo_id",
     Parent::kRepo, ""},
    {"pull_files", "/repos/{o}/{r}/pulls/{n}/files", false, &gh::kPullRequestFile,
     "pull_request_id", Parent::kPull, "files_last_scanned_at"},
    {"pull_reviews", "/repos/{o}/{r}/pulls/{n}/reviews", false, &gh::kPullRequestReview,
     "pull_request_id", Parent::kPull, ""},
    {"user_repos", "/users/{u}/repos", false, &gh::kRepository, "owner_id", Parent::kUser,
     "repos_last_scanned_at"},
    // The token's own user: every repository it can reach, with its permissions on each.
    {"my_repos", "/user/repos", false, &gh::kRepository, "owner_id", Parent::kUser,
     "repos_last_scanned_at"},
};

// The github_ref type of the branches and tags lists.
std::string_view RefTypeOf(const ListResource& list) {
    return list.name == "tags" ? "tag" : "branch";
}

const ListResource* FindList(std::string_view name) {
    for (const auto& l : kLists) {
        if (l.name == name) return &l;
    }
    return nullptr;
}

std::string_view ParentTable(Parent p) {
    switch (p) {
        case Parent::kRepo:
            return "github_repository";
        case Parent::kPull:
            return "github_pull_request";
        case Parent::kUser:
            return "github_user";
    }
    return "";
}

std::string Replace(std::string s, std::string_view from, const std::string& to) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
        s.replace(pos, from.size(), to);
    }
    return s;
}

std::string PathFor(std::string_view pattern, const GithubCrawl& c) {
    std::string p(pattern);
    p = Replace(p, "{o}", c.owner);
    p = Replace(p, "{r}", c.repo);
    p = Replace(p, "{u}", c.username);
    p = Replace(p, "{n}", c.number ? std::to_string(*c.number) : "");
    return p;
}

// `url` with its page query parameter set to `page`.
std::string WithPage(const std::string& url, int page) {
    auto q = url.find('?');
    std::string base = q == std::string::npos ? url : url.substr(0, q);
    std::string query = q == std::string::npos ? "" : url.substr(q + 1);
    std::string out;
    size_t i = 0;
    bool replaced = false;
    while (i <= query.size() && !query.empty()) {
        size_t amp = query.find('&', i);
        if (amp == std::string::npos) amp = query.size();
        std::string part = query.substr(i, amp - i);
        if (part.rfind("page=", 0) == 0) {
            part = "page=" + std::to_string(page);
            replaced = true;
        }
        if (!part.empty()) out += (out.empty() ? "" : "&") + part;
        i = amp + 1;
    }
    if (!replaced) out += (out.empty() ? "" : "&") + std::string("page=") + std::to_string(page);
    return base + "?" + out;
}

process::github::Context ApiContext(store::Connection& conn, const Clock& clock) {
    return {conn, gh::Via::kApi, clock.Now(), nullptr};
}

// Marks a row the API listed as seen even when its payload was older than the stored row, so
// that the sweep does not take it for gone.
Status TouchSeen(store::Connection& conn, const model::Table& table, const model::Row& key,
                 Timestamp at) {
    model::Row set;
    set.Set(gh::StampColumn(gh::Via::kApi), FormatLocalTime(at));
    FORGEDB_TRY(store::Update(conn, table, key, set));
    return Ok();
}

struct ParentIds {
    std::int64_t id = 0;       // the row named by parent_column
    std::int64_t repo_id = 0;  // the repository (for pulls' children too)
};

// Processes the items of one page. Returns the number of items.
Result<long long> ProcessItems(const ListResource& list, const ParentIds& parent, Json items,
                               const process::github::Context& ctx) {
    simdjson::dom::array arr;
    if (items.get_array().get(arr)) {
        return Unexpected(ErrorCode::kInvalid, std::string(list.name) + ": page is not an array");
    }
    long long n = 0;
    for (Json item : arr) {
        ++n;
        Result<process::github::Processed> p = process::github::Processed{};
        if (list.name == "pulls") {
            p = process::github::ProcessPullRequest(item, ctx);
        } else if (list.name == "issues") {
            p = process::github::ProcessIssue(item, parent.repo_id, ctx);
        } else if (list.name == "labels") {
            p = process::github::ProcessLabel(item, parent.repo_id, ctx);
        } else if (list.name == "milestones") {
            p = process::github::ProcessMilestone(item, parent.repo_id, ctx);
        } else if (list.name == "hooks") {
            p = process::github::ProcessRepositoryHook(item, parent.repo_id, ctx);
        } else if (list.name == "releases") {
            p = process::github::ProcessRelease(item, parent.repo_id,
                                                process::github::ReleaseAction::kChanged, ctx);
        } else if (list.name == "branches") {
            p = process::github::ProcessBranch(item, parent.repo_id, ctx);
        } else if (list.name == "tags") {
            p = process::github::ProcessTag(item, parent.repo_id, ctx);
        } else if (list.name == "issue_comments") {
            // The comment names its issue by URL: .../issues/<number>.
            auto url = JsonGetString(item, "issue_url").value_or("");
            auto slash = url.rfind('/');
            long long number = slash == std::string::npos ? 0 : std::atoll(url.c_str() + slash + 1);
            FORGEDB_ASSIGN_OR_RETURN(
                auto issue_id, store::github::FindByNumber(ctx.conn, "github_issue", "repo_id",
                                                           parent.repo_id, number));
            if (!issue_id) continue;  // the issue is not mirrored (yet): skip its comment
            p = process::github::ProcessIssueComment(item, *issue_id, number, parent.repo_id, ctx);
        } else if (list.name == "pull_files") {
            p = process::github::ProcessPullRequestFile(item, parent.id, ctx);
        } else if (list.name == "pull_reviews") {
            p = process::github::ProcessPullRequestReview(item, parent.id, parent.repo_id, ctx);
        } else if (list.name == "user_repos" || list.name == "my_repos") {
            p = process::github::ProcessRepository(item, ctx);
            auto permissions = JsonGet(item, "permissions");
            if (p && list.name == "my_repos" && permissions) {
                FORGEDB_TRY(process::github::ProcessCollaborator(parent.id, p->id, permissions,
                                                                 std::nullopt, ctx));
            }
        }
        if (!p) return Unexpected(p.error());
        // A stale ref is one a newer webhook wrote or deleted: its stamps are newer than the scan,
        // or it has a tombstone, so the sweep passes it by without a touch.
        if (p->stale && list.table != &gh::kRef) {
            model::Row key;
            if (list.name == "pull_files") {
                key.Set("pull_request_id", parent.id)
                    .Set("filename", JsonGetString(item, "filename").value_or(""));
            } else {
                key.Set("id", p->id);
            }
            FORGEDB_TRY(TouchSeen(ctx.conn, *list.table, key, ctx.fetched_at));
        }
    }
    return n;
}

// Fetches one object and processes it; returns its id.
Result<std::int64_t> SyncObject(store::Connection& conn, GithubClient& client, const Clock& clock,
                                const GithubCrawl& c);

// `stored` when the row is mirrored already; otherwise the id of `resource` fetched and stored now.
Result<std::int64_t> StoredOrSynced(std::optional<std::int64_t> stored, store::Connection& conn,
                                    GithubClient& client, const Clock& clock, GithubCrawl c,
                                    std::string resource) {
    if (stored) return *stored;
    c.resource = std::move(resource);
    return SyncObject(conn, client, clock, c);
}

// The parent rows of a list, fetched first when they are not mirrored yet.
Result<ParentIds> ResolveParent(store::Connection& conn, GithubClient& client, const Clock& clock,
                                const ListResource& list, const GithubCrawl& c) {
    ParentIds ids;
    if (list.parent == Parent::kUser && c.username.empty()) {  // the token's own user
        FORGEDB_ASSIGN_OR_RETURN(GithubPage me, client.Get("/user"));
        FORGEDB_ASSIGN_OR_RETURN(Json obj, ParseAnswer(me.body, "GitHub answer"));
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        FORGEDB_ASSIGN_OR_RETURN(auto p,
                                 process::github::ProcessUser(obj, ApiContext(conn, clock)));
        FORGEDB_TRY(tx.Commit());
        ids.id = p.id;
        return ids;
    }
    if (list.parent == Parent::kUser) {
        FORGEDB_ASSIGN_OR_RETURN(auto uid, store::github::FindUserId(conn, c.username));
        FORGEDB_ASSIGN_OR_RETURN(ids.id, StoredOrSynced(uid, conn, client, clock, c, "user"));
        return ids;
    }
    FORGEDB_ASSIGN_OR_RETURN(auto rid, store::github::FindRepositoryId(conn, c.owner, c.repo));
    FORGEDB_ASSIGN_OR_RETURN(ids.repo_id, StoredOrSynced(rid, conn, client, clock, c, "repo"));
    ids.id = ids.repo_id;
    if (list.parent == Parent::kPull) {
        FORGEDB_ASSIGN_OR_RETURN(
            auto pid, store::github::FindByNumber(conn, "github_pull_request", "base_repo_id",
                                                  ids.repo_id, c.number.value_or(0)));
        FORGEDB_ASSIGN_OR_RETURN(ids.id, StoredOrSynced(pid, conn, client, clock, c, "pull"));
    }
    return ids;
}

Result<std::int64_t> SyncObject(store::Connection& conn, GithubClient& client, const Clock& clock,
                                const GithubCrawl& c) {
    std::string num = c.number ? std::to_string(*c.number) : "";
    std::string path;
    if (c.resource == "user") path = "/users/" + c.username;
    if (c.resource == "repo") path = "/repos/" + c.owner + "/" + c.repo;
    if (c.resource == "pull") path = "/repos/" + c.owner + "/" + c.repo + "/pulls/" + num;
    if (c.resource == "issue") path = "/repos/" + c.owner + "/" + c.repo + "/issues/" + num;
    if (c.resource == "milestone") path = "/repos/" + c.owner + "/" + c.repo + "/milestones/" + num;
    if (c.resource == "label") path = "/repos/" + c.owner + "/" + c.repo + "/labels/" + c.name;
    if (c.resource == "hook") path = "/repos/" + c.owner + "/" + c.repo + "/hooks/" + num;
    if (path.empty()) return Unexpected(ErrorCode::kInvalid, "unknown object " + c.resource);
    // Objects under a repository need its id: mirror the repository first.
    std::int64_t repo_id = 0;
    if (c.resource != "user" && c.resource != "repo") {
        FORGEDB_ASSIGN_OR_RETURN(auto rid, store::github::FindRepositoryId(conn, c.owner, c.repo));
        FORGEDB_ASSIGN_OR_RETURN(repo_id, StoredOrSynced(rid, conn, client, clock, c, "repo"));
    }
    FORGEDB_ASSIGN_OR_RETURN(GithubPage page, client.Get(path));
    FORGEDB_ASSIGN_OR_RETURN(Json obj, ParseAnswer(page.body, "GitHub answer"));
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    auto ctx = ApiContext(conn, clock);
    Result<process::github::Processed> p = process::github::Processed{};
    if (c.resource == "user") p = process::github::ProcessUser(obj, ctx);
    if (c.resource == "repo") p = process::github::ProcessRepository(obj, ctx);
    if (c.resource == "pull") p = process::github::ProcessPullRequest(obj, ctx);
    if (c.resource == "issue") p = process::github::ProcessIssue(obj, repo_id, ctx);
    if (c.resource == "milestone") p = process::github::ProcessMilestone(obj, repo_id, ctx);
    if (c.resource == "label") p = process::github::ProcessLabel(obj, repo_id, ctx);
    if (c.resource == "hook") p = process::github::ProcessRepositoryHook(obj, repo_id, ctx);
    if (!p) return Unexpected(p.error());
    FORGEDB_TRY(tx.Commit());
    return p->id;
}

// The crawls that `children` adds below an object or a list page.
std::vector<GithubCrawl> ChildrenOf(const GithubCrawl& c) {
    std::vector<GithubCrawl> out;
    auto list = [&](std::string resource) {
        GithubCrawl l = c;
        l.kind = kGithubListJob;
        l.resource = std::move(resource);
        l.children = false;
        l.state = "all";
        return l;
    };
    if (c.resource == "repo") {
        for (auto r :
             {"issues", "labels", "milestones", "pulls", "hooks", "releases", "branches", "tags"}) {
            out.push_back(list(r));
        }
    } else if (c.resource == "pull") {
        out.push_back(list("pull_files"));
    } else if (c.resource == "user") {
        out.push_back(list("user_repos"));
    }
    return out;
}

Status EnqueueCrawl(queue::JobQueue& queue, const GithubCrawl& c,
                    std::optional<std::int64_t> parent) {
    store::NewJob job;
    job.kind = c.kind;
    job.args = c.ArgsJson();
    job.parent_id = parent;
    job.unique_key = c.UniqueKey();
    FORGEDB_TRY(queue.Enqueue(std::move(job)));
    return Ok();
}

Result<GithubCrawl> Args(const queue::JobContext& ctx) {
    return GithubCrawl::FromArgs(ctx.job.args);
}

// Ends a scan: the sweep (full scans only) and the parent's *_last_scanned_at.
Status FinishScan(store::Connection& conn, const ListResource& list, const ParentIds& parent,
                  bool full, Timestamp scan_started, Timestamp now) {
    if (full) {
        FORGEDB_ASSIGN_OR_RETURN(
            auto swept, list.table == &gh::kRef
                            ? store::github::SweepUnseenRefs(conn, parent.id, RefTypeOf(list),
                                                             scan_started, now)
                            : store::github::SweepUnseen(conn, list.table->name, list.parent_column,
                                                         parent.id, scan_started, now));
        if (swept > 0) {
            spdlog::info("{} of {} {}: {} rows gone upstream, tombstoned", list.name,
                         ParentTable(list.parent), parent.id, swept);
        }
        if (!list.scanned_column.empty()) {
            FORGEDB_TRY(store::github::SetScannedAt(conn, ParentTable(list.parent),
                                                    list.scanned_column, parent.id, scan_started));
        }
    }
    return Ok();
}

struct PageArgs {
    std::string resource;
    std::string url;
    ParentIds parent;
    bool full = false;
    Timestamp scan_started;
    std::int64_t list_job = 0;
    GithubCrawl crawl;  // for children
};

std::string PageArgsJson(const PageArgs& a) {
    return nlohmann::json{
        {"resource", a.resource},   {"url", a.url},
        {"parent_id", a.parent.id}, {"repo_id", a.parent.repo_id},
        {"full", a.full},           {"scan_started", FormatLocalTime(a.scan_started)},
        {"list_job", a.list_job},   {"crawl", nlohmann::json::parse(a.crawl.ArgsJson())}}
        .dump();
}

Result<PageArgs> ParsePageArgs(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad page arguments");
    }
    PageArgs a;
    try {
        a.resource = j.at("resource").get<std::string>();
        a.url = j.at("url").get<std::string>();
        a.parent.id = j.at("parent_id").get<std::int64_t>();
        a.parent.repo_id = j.at("repo_id").get<std::int64_t>();
        a.full = j.at("full").get<bool>();
        a.scan_started =
            ParseTimestamp(j.at("scan_started").get<std::string>()).value_or(Timestamp{});
        a.list_job = j.at("list_job").get<std::int64_t>();
        FORGEDB_ASSIGN_OR_RETURN(a.crawl, GithubCrawl::FromArgs(j.at("crawl").dump()));
    } catch (const nlohmann::json::exception& e) {
        return Unexpected(ErrorCode::kInvalid, std::string("bad page arguments: ") + e.what());
    }
    return a;
}

// Writes one fetched page: rows, children, the list job's progress, this job's completion, and
// (when it is the last page of the scan to finish) the end of the scan, in one transaction.
Status CommitPage(queue::JobContext& ctx, const ListResource& list, const PageArgs& a,
                  const GithubPage& page, std::optional<long long> total_pages, bool is_list_job,
                  const std::vector<std::string>& more_pages, const Clock& clock) {
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(Json items, ParseAnswer(page.body, "GitHub answer"));
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    // Serializes the pages of one scan as they finish, so exactly one of them ends it.
    FORGEDB_TRY(store::LockJob(conn, a.list_job));
    std::unordered_set<std::string> written;
    auto pctx = ApiContext(conn, clock);
    pctx.written = &written;
    FORGEDB_ASSIGN_OR_RETURN(auto n, ProcessItems(list, a.parent, items, pctx));
    // The other pages of the scan, queued with page 1's rows so a retry never queues them twice.
    for (const auto& url : more_pages) {
        PageArgs pa = a;
        pa.url = url;
        store::NewJob job;
        job.kind = kGithubPageJob;
        job.args = PageArgsJson(pa);
        job.parent_id = a.list_job;
        FORGEDB_TRY(ctx.queue.Enqueue(std::move(job)));
    }
    if (a.crawl.children && list.name == "pulls") {
        simdjson::dom::array arr;
        if (!items.get_array().get(arr)) {
            for (Json pr : arr) {
                GithubCrawl files = a.crawl;
                files.kind = kGithubListJob;
                files.resource = "pull_files";
                files.children = false;
                files.number = JsonGetInt(pr, "number");
                if (files.number) FORGEDB_TRY(EnqueueCrawl(ctx.queue, files, a.list_job));
            }
        }
    }
    FORGEDB_TRY(store::AddProgress(conn, a.list_job, 1, n, total_pages, clock.Now()));
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    FORGEDB_ASSIGN_OR_RETURN(auto open,
                             store::CountUnfinishedChildren(conn, a.list_job, kGithubPageJob));
    FORGEDB_ASSIGN_OR_RETURN(auto list_state, store::JobState(conn, a.list_job));
    bool list_done = is_list_job || list_state == "succeeded";
    if (open == 0 && list_done) {
        FORGEDB_TRY(FinishScan(conn, list, a.parent, a.full, a.scan_started, clock.Now()));
    }
    return tx.Commit();
}

Status RunList(queue::JobContext& ctx, GithubClient& client, const Clock& clock) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, Args(ctx));
    const ListResource* list = FindList(c.resource);
    if (list == nullptr) return Unexpected(ErrorCode::kInvalid, "unknown list " + c.resource);
    auto& conn = ctx.queue.connection();
    Timestamp scan_started = clock.Now();
    FORGEDB_ASSIGN_OR_RETURN(auto parent, ResolveParent(conn, client, clock, *list, c));
    std::string url = PathFor(list->path, c) + "?per_page=100";
    if (list->has_state) url += "&state=" + c.state;
    if (list->name == "user_repos") url += "&type=all";
    FORGEDB_ASSIGN_OR_RETURN(GithubPage first, client.Get(url));
    int last = first.last_page.value_or(1);
    PageArgs a{c.resource,   first.url,  parent, !list->has_state || c.state == "all",
               scan_started, ctx.job.id, c};
    // Pages 2..last, from the rel="last" URL with its page number changed.
    std::vector<std::string> more;
    if (last > 1) {
        auto it = first.links.find("last");
        std::string last_url = it != first.links.end() ? it->second : first.url;
        for (int p = 2; p <= last; ++p) more.push_back(WithPage(last_url, p));
    }
    return CommitPage(ctx, *list, a, first, last, /*is_list_job=*/true, more, clock);
}

Status RunPage(queue::JobContext& ctx, GithubClient& client, const Clock& clock) {
    FORGEDB_ASSIGN_OR_RETURN(auto a, ParsePageArgs(ctx.job.args));
    const ListResource* list = FindList(a.resource);
    if (list == nullptr) return Unexpected(ErrorCode::kInvalid, "unknown list " + a.resource);
    FORGEDB_ASSIGN_OR_RETURN(GithubPage page, client.Get(a.url));
    return CommitPage(ctx, *list, a, page, std::nullopt, /*is_list_job=*/false, {}, clock);
}

Status RunSync(queue::JobContext& ctx, GithubClient& client, const Clock& clock) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, Args(ctx));
    FORGEDB_TRY(RunGithubSyncNow(ctx.queue.connection(), client, clock, c));
    if (c.children) {
        auto& conn = ctx.queue.connection();
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        for (const auto& child : ChildrenOf(c))
            FORGEDB_TRY(EnqueueCrawl(ctx.queue, child, ctx.job.id));
        FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
        ctx.completed = true;
        FORGEDB_TRY(tx.Commit());
    }
    return Ok();
}

// Incremental refresh of issues (since) or pulls (updated desc until the watermark).
Status RunRefresh(queue::JobContext& ctx, GithubClient& client, const Clock& clock) {
    FORGEDB_ASSIGN_OR_RETURN(auto c, Args(ctx));
    if (c.resource != "issues" && c.resource != "pulls") {
        return Unexpected(ErrorCode::kInvalid, "refresh supports issues and pulls");
    }
    const ListResource* list = FindList(c.resource);
    auto& conn = ctx.queue.connection();
    Timestamp started = clock.Now();
    FORGEDB_ASSIGN_OR_RETURN(auto parent, ResolveParent(conn, client, clock, *list, c));
    std::string column = c.resource == "issues" ? "issues_refreshed_at" : "pulls_refreshed_at";
    FORGEDB_ASSIGN_OR_RETURN(
        auto mark, store::github::GetScannedAt(conn, "github_repository", column, parent.repo_id));
    std::optional<Timestamp> since;
    if (mark) since = *mark - kOverlap;
    std::string url = PathFor(list->path, c) + "?per_page=100&state=all";
    if (c.resource == "issues") {
        url += "&sort=updated&direction=asc";
        if (since) url += "&since=" + FormatForgeTime(*since);
    } else {
        url += "&sort=updated&direction=desc";
    }
    long long pages = 0;
    while (!url.empty()) {
        FORGEDB_ASSIGN_OR_RETURN(GithubPage page, client.Get(url));
        FORGEDB_ASSIGN_OR_RETURN(Json items, ParseAnswer(page.body, "GitHub answer"));
        bool reached_mark = false;
        if (c.resource == "pulls" && since) {
            simdjson::dom::array arr;
            if (!items.get_array().get(arr)) {
                for (Json pr : arr) {
                    auto updated = ParseTimestamp(JsonGetString(pr, "updated_at").value_or(""));
                    if (updated && *updated < *since) reached_mark = true;
                }
            }
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        std::unordered_set<std::string> written;
        auto pctx = ApiContext(conn, clock);
        pctx.written = &written;
        FORGEDB_ASSIGN_OR_RETURN(auto n, ProcessItems(*list, parent, items, pctx));
        FORGEDB_TRY(store::AddProgress(conn, ctx.job.id, 1, n, std::nullopt, clock.Now()));
        FORGEDB_TRY(tx.Commit());
        ++pages;
        auto next = page.links.find("next");
        url = (reached_mark || next == page.links.end()) ? "" : next->second;
    }
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    FORGEDB_TRY(
        store::github::SetScannedAt(conn, "github_repository", column, parent.repo_id, started));
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

}  // namespace

std::string GithubCrawl::ArgsJson() const {
    nlohmann::json j = {{"kind", kind},   {"resource", resource}, {"owner", owner},
                        {"repo", repo},   {"username", username}, {"name", name},
                        {"state", state}, {"children", children}};
    if (number) j["number"] = *number;
    return j.dump();
}

std::string GithubCrawl::UniqueKey() const {
    std::string key = kind + ":" + resource + ":";
    key += resource == "my_repos" ? std::string("(token user)")
           : username.empty()     ? owner + "/" + repo
                                  : username;
    if (number) key += "#" + std::to_string(*number);
    if (!name.empty()) key += ":" + name;
    return key;
}

Result<GithubCrawl> GithubCrawl::FromArgs(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad crawl arguments: " + text);
    }
    GithubCrawl c;
    c.kind = j.value("kind", "");
    c.resource = j.value("resource", "");
    c.owner = j.value("owner", "");
    c.repo = j.value("repo", "");
    c.username = j.value("username", "");
    c.name = j.value("name", "");
    c.state = j.value("state", "all");
    c.children = j.value("children", false);
    if (j.contains("number") && j["number"].is_number_integer())
        c.number = j["number"].get<long long>();
    FORGEDB_TRY(ValidateCrawl(c));
    return c;
}

Status ValidateCrawl(const GithubCrawl& c) {
    auto bad = [&](const std::string& why) { return Status(Unexpected(ErrorCode::kInvalid, why)); };
    if (c.state != "open" && c.state != "closed" && c.state != "all") {
        return bad("state must be open, closed or all");
    }
    bool is_object = c.kind == kGithubSyncJob;
    static const std::vector<std::string> kObjects = {"user",      "repo",  "pull", "issue",
                                                      "milestone", "label", "hook"};
    if (is_object) {
        if (std::find(kObjects.begin(), kObjects.end(), c.resource) == kObjects.end()) {
            return bad("unknown object " + c.resource);
        }
    } else if (c.kind == kGithubListJob || c.kind == kGithubRefreshJob) {
        if (FindList(c.resource) == nullptr) return bad("unknown list " + c.resource);
    } else {
        return bad("unknown crawl kind " + c.kind);
    }
    bool needs_user = c.resource == "user" || c.resource == "user_repos";
    bool own = c.resource == "my_repos";
    if (needs_user && c.username.empty()) return bad("a user name is required");
    if (!needs_user && !own && (c.owner.empty() || c.repo.empty())) {
        return bad("owner and repo are required");
    }
    bool needs_number = c.resource == "pull" || c.resource == "issue" ||
                        c.resource == "milestone" || c.resource == "hook" ||
                        c.resource == "pull_files" || c.resource == "pull_reviews";
    if (needs_number && !c.number) return bad("a number is required");
    if (c.resource == "label" && c.name.empty()) return bad("a label name is required");
    return Ok();
}

Status RunGithubSyncNow(store::Connection& conn, GithubClient& client, const Clock& clock,
                        const GithubCrawl& crawl) {
    FORGEDB_TRY(SyncObject(conn, client, clock, crawl));
    return Ok();
}

void RegisterGithubTasks(TaskRegistry& registry, GithubClient& client) {
    registry.Register(kGithubSyncJob, [&client](queue::JobContext& ctx) {
        return RunSync(ctx, client, ctx.queue.clock());
    });
    registry.Register(kGithubListJob, [&client](queue::JobContext& ctx) {
        return RunList(ctx, client, ctx.queue.clock());
    });
    registry.Register(kGithubPageJob, [&client](queue::JobContext& ctx) {
        return RunPage(ctx, client, ctx.queue.clock());
    });
    registry.Register(kGithubRefreshJob, [&client](queue::JobContext& ctx) {
        return RunRefresh(ctx, client, ctx.queue.clock());
    });
    RegisterGithubContributorTask(registry, client);
}

}  // namespace forgedb::tasks
