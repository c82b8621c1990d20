#pragma once
// FakeGitlab: an in-memory imitation of GitLab's REST API (v4) for tests, benchmarks and the demo.
//
// It holds users, groups and projects (with merge requests, issues, notes on both and on commits,
// commits, labels and milestones) and per-user events as nlohmann::json objects shaped like the
// bodies GitLab sends (after the recorded bodies in tests/data/gitlab/rest: every key of those
// files is present, with the same JSON type or null), and serves them under /api/v4/ over
// forgedb::http on loopback:
//   GET /users?username=U                 a list of 0 or 1 users (without username: all users)
//   GET /users/:id                        GET /users/:id/events (after, before, action,
//                                                                target_type, sort)
//   GET /projects (order_by, sort, visibility, search, id_after, id_before)
//   GET /projects/:id                     GET /groups, /groups/:id
//   GET /groups/:id/projects (include_subgroups, and the filters of /projects)
//   GET /projects/:id/merge_requests      GET /projects/:id/merge_requests/:iid
//   GET /projects/:id/issues              GET /projects/:id/issues/:iid
//     (lists: state, updated_after, updated_before, created_after, created_before (inclusive),
//      author_username, author_id, labels, iids[], search, with_labels_details,
//      order_by=created_at|updated_at|id, sort=asc|desc; list items lack the single-object
//      keys of a merge request, as on GitLab)
//   GET /projects/:id/merge_requests/:iid/notes[/:note_id]   (order_by, sort)
//   GET /projects/:id/issues/:iid/notes[/:note_id]
//   GET /projects/:id/repository/commits (since, until)      GET .../commits/:sha
//   GET /projects/:id/repository/commits/:sha/comments     (GitLab's commit-comment shape)
//   GET /projects/:id/repository/commits/:sha/discussions  (the same notes in the note shape)
//   GET /projects/:id/labels              GET /projects/:id/milestones (state)
//   GET /projects/:id/events              (the filters of /users/:id/events)
// Errors have GitLab's bodies: {"message":"404 Project Not Found"} (also User, Group, Commit),
// {"message":"404 Not found"} for a merge request, issue or note, {"error":"404 Not Found"} for an
// unknown route, {"error":"<param> is invalid"} or "... does not have a valid value" (400).
//
// A project or group :id is its numeric id or its full path URL-encoded as one segment
// ("acme%2Fplatform%2Fweb"). forgedb::http decodes the path before a handler sees it, so the fake
// cannot tell "acme%2Fweb" from "acme/web" and accepts both (GitLab answers 404 to the second): it
// takes the longest run of segments that names a known project or group.
//
// Paging. Every list answers offset pages by default: page (from 1) and per_page (default 20, at
// most 100), with X-Page, X-Per-Page, X-Total, X-Total-Pages, X-Next-Page and X-Prev-Page (empty
// on the last / first page) and a Link header (prev, next, first, last) of absolute URLs built
// from the request's Host header (or options.public_url). X-Total, X-Total-Pages and rel="last"
// are left out for lists of more than totals_limit items (GitLab: 10,000) or always when
// send_totals is off. pagination=keyset is taken by the project lists (/projects and
// /groups/:id/projects, order_by=id, as GitLab documents) and by the merge request and issue lists
// (order_by=id, created_at or updated_at: an assumption of the fake, see fake_gitlab.cpp): the
// answer has no X-* paging headers, and the next page is named only by Link: <...>; rel="next",
// whose query carries the cursor: id_after (sort=asc) or id_before (desc) for order_by=id,
// cursor=<base64url JSON of the last item's sort key and id> for the other orders. Keyset
// elsewhere, or with another order, answers 405 {"error":"Keyset pagination is not yet available
// for this type of request"}, as GitLab does.
//
// Auth. PRIVATE-TOKEN: T or Authorization: Bearer T. Once a token has been set (options.tokens
// or AddToken), only the tokens set and not removed are accepted and any other answers 401
// {"message":"401 Unauthorized"}; before that, every token is accepted. Requests
// without a token are anonymous: they see public projects only, and a private project answers
// 404 {"message":"404 Project Not Found"} as if it did not exist. Every accepted token sees every
// project (the fake has no memberships).
//
// Rate limits, faults, statistics. Every API answer carries RateLimit-Name, RateLimit-Limit,
// RateLimit-Observed, RateLimit-Remaining, RateLimit-Reset (Unix seconds) and RateLimit-ResetTime
// (HTTP date) of the caller's budget (per token; "anonymous" for the rest), a window of
// rate_window from its first request. (GitLab itself may send them only on throttled answers, or
// not at all: a client must cope without them.) Every answer is charged, 304s and errors included,
// because GitLab's throttles count requests, not answers; when the budget is spent the answer is
// GitLab's 429 "Retry later" (plain text) with Retry-After. Injected faults (fake::Fault: 5xx with
// {"message":"500 Internal Server Error"}, 429, slow, truncated or malformed bodies, dropped
// connections; kSecondaryRateLimit is answered like kTooManyRequests, GitLab has one kind) are
// not charged. Stats() counts API requests by path (the decoded request path, without query).
//
// ETags. 200 answers to GETs carry a weak ETag of their body; If-None-Match with it answers 304
// without a body (paging headers kept). Real GitLab sends ETags on some endpoints only; the fake
// sends them everywhere a client may want to condition a request.
//
// A JSON control API lives under /_fake/ (see fake_gitlab.cpp); it is neither counted nor charged.
//
// Thread-safety: every public member but Start() and Stop() (which belong to the owner) may be
// called from any thread, also while serving. The data sits behind a reader/writer lock; tokens,
// budgets and paging settings behind a second mutex; statistics and faults in a FaultPipeline.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fake_forge/fake_server.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::fake {

struct FakeGitlabOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    int threads = 16;
    // Base of the absolute URLs in Link headers; "" = "http://" + the request's Host header.
    std::string public_url;
    // Base of web_url, avatar_url and _links in the data (GitLab's external URL).
    std::string web_url = "https://gitlab.example.com";
    // Requests per rate_window of a token, and of anonymous callers (GitLab.com: 2,000 and 500 a
    // minute). SetBudget() overrides them per caller.
    int rate_limit = 2000;
    int anonymous_rate_limit = 500;
    std::chrono::seconds rate_window{60};
    // Tokens accepted from the start (as no particular user); AddToken() adds more.
    std::vector<std::string> tokens;
    // X-Total, X-Total-Pages and rel="last" of offset pages: sent for lists of at most
    // totals_limit items, never when send_totals is false. SetTotals() changes both.
    bool send_totals = true;
    long long totals_limit = 10000;
    // Source of "now" for budgets and for data changes without a time; nullptr = system clock.
    // Must outlive the fake.
    const Clock* clock = nullptr;
    std::size_t max_logged_urls = 100000;
};

// What Generate() creates, the same for the same options. Users are named alice, bob, carol, ...,
// ivan, then user10, user11, ... (a name already taken gets a numeric suffix). Projects go in
// turn to the group `group`, its subgroup `group`/platform and a user's namespace (the user's
// projects are owned by them); the last `private_projects` are private, the others public. Per
// project: merge requests and issues with iids 1, 2, ... (ids global, one sequence per kind);
// merge request k is created about 2k `spacing`s after `start` and issue k about 2k+1, and each
// is updated up to 30 days later (merged_at / closed_at are that update). `notes_per_item` notes
// on every merge request and issue (one in three a system note) and on every other commit;
// `commits` commits on main, two `spacing`s apart; labels (a few on each item) and milestones.
// Merge requests are merged (about half), closed, locked (rarely) or opened, a quarter of the
// opened ones drafts; issues opened or closed. Each user's events (ids in time order) cover the
// merge requests and issues they opened, merged ("accepted") or closed, the notes they wrote
// ("commented on") and the commits they pushed ("pushed to", with push_data).
struct GitlabGenerateOptions {
    std::uint64_t seed = 1;
    int users = 6;
    int projects = 4;
    int private_projects = 1;
    int merge_requests = 30;  // per project
    int issues = 20;          // per project
    int notes_per_item = 2;
    int commits = 20;  // per project
    int labels = 6;    // per project
    int milestones = 2;
    std::string group = "acme";
    Timestamp start = Timestamp{std::chrono::seconds{1609459200}};  // 2021-01-01T00:00:00Z
    std::chrono::seconds spacing{3600};
};

struct GeneratedGitlab {
    std::vector<long long> user_ids;         // in creation order
    std::vector<std::string> usernames;      // the same order
    std::vector<long long> project_ids;      // in creation order
    std::vector<std::string> project_paths;  // path_with_namespace, the same order
    long long group_id = 0;
    long long subgroup_id = 0;
    std::vector<long long> private_project_ids;
    int merge_requests = 0;  // counts over all projects
    int issues = 0;
    int notes = 0;
    int commits = 0;
    int events = 0;
    Timestamp latest_update{};  // greatest updated_at of the merge requests and issues
};

// The kinds of project items that tests can read, change and delete by iid.
enum class GitlabItemKind { kMergeRequest, kIssue };

struct GitlabBudget {
    int limit = 0;
    int remaining = 0;
    long long reset_epoch = 0;  // Unix seconds
    int observed() const { return limit - remaining; }
};

class FakeGitlab : public FakeServer {
public:
    explicit FakeGitlab(FakeGitlabOptions options = {});
    ~FakeGitlab();
    FakeGitlab(const FakeGitlab&) = delete;
    FakeGitlab& operator=(const FakeGitlab&) = delete;

    // ---- data ----

    // Adds generated, deterministic data (see GitlabGenerateOptions); ids continue the fake's
    // sequences, so a second call adds to the first.
    GeneratedGitlab Generate(GitlabGenerateOptions options = {});

    // Adds a user (full GET /users/:id shape) created at `at`; returns its id, or kConflict when
    // the username (compared case-insensitively) is taken.
    Result<long long> AddUser(const std::string& username, const std::string& name, Timestamp at);
    // Accepts `token` from now on, as the user `username` ("" = no particular user); from the
    // first call on, tokens not set answer 401.
    void AddToken(const std::string& token, const std::string& username = "");
    // Revokes `token` (it answers 401 from now on).
    void RemoveToken(const std::string& token);

    // The merge request (single shape) or issue as GET answers it, whatever its visibility, or
    // kNotFound.
    Result<nlohmann::json> Get(long long project_id, GitlabItemKind kind, long long iid) const;
    // Every merge request or issue of the project, by iid.
    std::vector<nlohmann::json> Items(long long project_id, GitlabItemKind kind) const;
    // Applies `patch` (a JSON merge patch, RFC 7386) and sets updated_at to `at`. A state that
    // becomes merged sets merged_at (and merged_by, to the author unless the patch names one),
    // closed sets closed_at and closed_by, opened clears them; such changes add the event
    // (accepted, closed, reopened) to the acting user's events.
    Status Update(long long project_id, GitlabItemKind kind, long long iid,
                  const nlohmann::json& patch, Timestamp at);
    // Adds a note by `author_username` at `at` (the item's updated_at moves to `at`, its
    // user_notes_count grows) and a "commented on" event; returns the note.
    Result<nlohmann::json> AddNote(long long project_id, GitlabItemKind kind, long long iid,
                                   const std::string& author_username, const std::string& body,
                                   Timestamp at);
    // Removes the item, its notes and its events: every later read answers 404.
    Status Delete(long long project_id, GitlabItemKind kind, long long iid);
    // Removes a project with everything in it.
    Status DeleteProject(long long project_id);

    // ---- paging, rate limits ----

    void SetTotals(bool send_totals, long long totals_limit);
    // The budget of `caller` (a token, or "anonymous"); a new window starts once reset_epoch has
    // passed.
    void SetBudget(const std::string& caller, int limit, int remaining, long long reset_epoch);
    GitlabBudget Budget(const std::string& caller) const;

    // ---- serving ----

    Status Start();
    // "http://host:port" (or options.public_url); the API is under base_url() + "/api/v4".
    std::string base_url() const;

    // Answers one request without a network (what the server calls for every request).
    http::Response Handle(const http::Request& req);

    // Data of one project; public only so that the .cpp helpers can name it.
    struct Project;
    // What one API request may see and how it is answered; internal.
    struct Call;

private:
    http::Response HandleApi(const http::Request& req);
    http::Response Route(Call& call) const;
    http::Response ProjectRoute(Call& call, const Project& p, size_t at) const;
    http::Response ProjectsList(Call& call, std::vector<const Project*> projects) const;
    http::Response ItemList(Call& call, const Project& p, GitlabItemKind kind) const;
    http::Response UserEvents(Call& call, long long user_id, long long project_id) const;
    void AddControlRoutes();
    Timestamp Now() const;
    long long NextId(const char* kind);

    // Callers hold data_mu_.
    const Project* FindProject(const std::vector<std::string>& segments, size_t from,
                               size_t* used) const;
    Project* ProjectById(long long id) const;
    const nlohmann::json* GroupOf(const std::vector<std::string>& segments, size_t from,
                                  size_t* used) const;
    const nlohmann::json* UserByName(const std::string& username) const;
    nlohmann::json BasicUser(long long id) const;
    void AddEvent(nlohmann::json event);
    std::map<long long, nlohmann::json>* ItemsOf(Project& p, GitlabItemKind kind) const;

    FakeGitlabOptions options_;
    SystemClock system_clock_;
    const Clock* clock_;

    mutable std::shared_mutex data_mu_;
    std::map<long long, nlohmann::json> users_;   // by id, full shape
    std::map<long long, nlohmann::json> groups_;  // by id
    std::map<long long, std::unique_ptr<Project>> projects_;
    std::map<long long, nlohmann::json> events_;  // by id; each with author_id, project_id
    std::map<std::string, long long> id_counters_;

    mutable std::mutex state_mu_;
    std::map<std::string, std::string> tokens_;  // token -> username ("" = none)
    bool tokens_set_ = false;                    // a token was ever set: only tokens_ are accepted
    std::map<std::string, GitlabBudget> budgets_;  // by caller
    bool send_totals_;
    long long totals_limit_;
    long long request_seq_ = 0;

    http::Router control_;  // /_fake/...
    http::Router outer_;    // catch-all patterns that call Handle()
};

}  // namespace forgedb::fake
