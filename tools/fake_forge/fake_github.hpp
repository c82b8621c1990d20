#pragma once
// FakeGithub: an in-memory imitation of GitHub's REST API (v3) for tests, benchmarks and the demo.
//
// It holds users and repositories (with pull requests, issues, labels, milestones, hooks, issue
// comments, releases, branches and tags, and per pull request its files and reviews) as
// nlohmann::json objects shaped like the bodies GitHub sends, and serves them over forgedb::http on
// loopback the way GitHub does: pagination with Link headers, state/sort/direction/since filters,
// strong ETags with 304 answers to If-None-Match (free of charge, Link header kept), per-token
// primary rate limits with the x-ratelimit-* headers (the search API with its own budget per
// minute), GET /search/issues with a subset of GitHub's query grammar and its 1,000-result cap, and
// GitHub's error bodies. Tests can inject faults (5xx, secondary rate limits, 429, slow answers,
// truncated or malformed bodies, dropped connections), change the data while serving, and read
// request statistics. Everything is also reachable over a small JSON control API under /_fake/ (see
// fake_github.cpp).
//
// Thread-safety: every public member but Start() and Stop() (which belong to the owner) may be
// called from any thread, also while serving. The data sits behind a reader/writer lock, budgets
// behind a second mutex, statistics and faults in a FaultPipeline.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fake_forge/fake_server.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::fake {

struct FakeGithubOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    int threads = 16;
    // Base of the absolute URLs in Link headers; "" = "http://host:port" of the server.
    std::string public_url;
    // Primary rate limit of a token seen for the first time, and of requests without a token
    // (GitHub: 5,000 and 60 an hour). SetBudget() overrides both per token.
    int default_limit = 5000;
    int anonymous_limit = 60;
    // The same for the search API (GET /search/...), per minute (GitHub: 30 and 10 a minute).
    int search_limit = 30;
    int anonymous_search_limit = 10;
    // Source of "now" for budget resets; nullptr = the system clock. Must outlive the fake.
    const Clock* clock = nullptr;
    // Size of the request log kept by Stats() (older URLs are dropped).
    std::size_t max_logged_urls = 100000;
};

// What Generate() creates. Numbers are shared by pulls and issues, as on GitHub, and are
// assigned 1..pulls+issues in a seeded shuffle; created_at grows with the number.
struct GenerateOptions {
    int pulls = 100;
    int issues = 50;  // plain issues; every pull is listed under /issues as well
    int labels = 8;
    int milestones = 3;
    int hooks = 2;
    // Releases, each with its tag (v1.0.0, v1.1.0, ...; one a week from `start`, the latest a
    // prerelease), and branches: the default branch "main" (protected), then feature/1, ...
    int releases = 3;
    int branches = 2;
    int comments_per_item = 1;  // issue comments on every pull and issue
    int files_per_pull = 3;
    int reviews_per_pull = 1;
    int closed_percent = 40;  // share of closed pulls and issues; 3 of 4 closed pulls are merged
    std::uint64_t seed = 1;
    Timestamp start = Timestamp{std::chrono::seconds{1609459200}};  // 2021-01-01T00:00:00Z
    std::chrono::seconds spacing{3600};  // between the created_at of consecutive numbers
    // Commits on the default branch (GET /repos/{o}/{r}/commits), one every `spacing` from
    // `start`, authored in turn by `commit_authors` (empty: the generated developers); every
    // third carries a "Change-Id: I..." trailer, as commits mirrored from Gerrit do.
    int commits = 0;
    std::vector<std::string> commit_authors;
    // The owner is an organization (GET /orgs/{owner}/repos answers for it).
    bool organization = false;
    // Authors of the pulls and issues, in turn by number (empty: the generated developers, at
    // random).
    std::vector<std::string> item_authors;
    // Share of the closed pulls that are merged (merged_at = closed_at); unset: 3 of 4.
    std::optional<int> merged_percent;
};

struct GeneratedRepo {
    std::string owner;
    std::string name;
    long long id = 0;
    std::vector<long long> pull_numbers;   // ascending
    std::vector<long long> issue_numbers;  // plain issues, ascending
    int open_pulls = 0;
    int open_issues = 0;  // plain issues only
    int labels = 0;
    int milestones = 0;
    int hooks = 0;
    int releases = 0;
    int branches = 0;
    int tags = 0;
    int comments = 0;
    int files = 0;
    int reviews = 0;
    int commits = 0;
    Timestamp latest_update{};  // greatest updated_at of the pulls and issues
};

// The kinds of items tests can add, change and delete. Items are named by number (pulls, issues,
// milestones), by name (labels, branches, tags) or by id (hooks, issue comments, reviews,
// releases).
enum class ItemKind {
    kPull,
    kIssue,
    kLabel,
    kMilestone,
    kHook,
    kIssueComment,
    kReview,
    kRelease,
    kBranch,
    kTag
};

const char* ItemKindName(ItemKind kind);  // "pull", "issue", "label", ..., "issue_comment", "tag"
std::optional<ItemKind> ParseItemKind(std::string_view name);

struct ItemRef {
    std::string owner;
    std::string repo;
    ItemKind kind = ItemKind::kPull;
    std::string key;  // number, label name or id as text
};

struct RateBudget {
    int limit = 0;
    int remaining = 0;
    long long reset_epoch = 0;  // seconds since the Unix epoch
    int used() const { return limit - remaining; }
};

class FakeGithub : public FakeServer {
public:
    explicit FakeGithub(FakeGithubOptions options = {});
    ~FakeGithub();
    FakeGithub(const FakeGithub&) = delete;
    FakeGithub& operator=(const FakeGithub&) = delete;

    // ---- data ----

    // Loads recorded GitHub bodies from `dir` as one repository (the first repo*.json), by file
    // name prefix: repo, user, pulls-list, pull (single), pull-files, issues-list,
    // issue-comments-list, labels-list, milestones-list, hooks-list, hook. The recorded file list
    // of pull-files is served for every recorded pull. Throws std::runtime_error when the folder
    // has no repo*.json or a file is not JSON.
    void AddRecordedFixtures(const std::string& dir);

    // Creates (or replaces) owner/name with generated, deterministic content; see GenerateOptions.
    GeneratedRepo Generate(std::string owner, std::string name, GenerateOptions options = {});

    // Adds or replaces a user (full /users/{login} shape; missing fields are filled in).
    void AddUser(const nlohmann::json& user);
    // The user that GET /user answers for `token`; tokens not set here get the first user added.
    void SetTokenUser(const std::string& token, const std::string& login);

    // The item as GET would answer it (pulls in the single-pull shape), or kNotFound.
    Result<nlohmann::json> Get(const ItemRef& ref) const;
    // Applies `patch` (a JSON merge patch, RFC 7386) and sets updated_at to `at` (items that have
    // one). Closing sets closed_at to `at`, reopening clears it. A pull's issue entry follows it.
    Status UpdateItem(const ItemRef& ref, const nlohmann::json& patch, Timestamp at);
    // Removes the item (a pull or issue with its comments, files and reviews).
    Status DeleteItem(const ItemRef& ref);
    // Adds an item created at `at`, shaped like generated ones, with `fields` merge-patched over
    // it. Pulls and issues take the next number; comments need `parent` (the issue or pull
    // number), reviews the pull number. Comments and reviews bump their parent's updated_at.
    // Returns the item as served.
    Result<nlohmann::json> AddItem(const std::string& owner, const std::string& repo, ItemKind kind,
                                   const nlohmann::json& fields, Timestamp at,
                                   long long parent = 0);

    // ---- rate limits, faults, statistics ----

    // Budget of `token` ("anonymous" for requests without one) for `resource`: "core" (every
    // path but the search API) or "search" (GET /search/...). When the reset time has passed, the
    // next request starts a new window (core: an hour, search: a minute) with `limit` requests.
    void SetBudget(const std::string& token, int limit, int remaining, long long reset_epoch,
                   const std::string& resource = "core");
    RateBudget Budget(const std::string& token, const std::string& resource = "core") const;

    // The next `count` answers of GET /search/issues report incomplete_results (and leave out
    // the second half of their page's items), as GitHub does when a search times out.
    void SetIncompleteSearches(int count);

    // ---- serving ----

    // Serves on options.host:options.port on background threads.
    Status Start();
    std::string base_url() const;  // "http://host:port", or options.public_url

    // Answers one request without a network (what the server calls for every request).
    http::Response Handle(const http::Request& req);

    // Repository data; public only so that the .cpp helpers can name it.
    struct Repo;

private:
    http::Response HandleApi(http::Request& req);
    // GET /search/issues; called under a shared lock of data_mu_.
    http::Response SearchIssues(const http::Request& req);
    http::Response HandleControl(http::Request& req);
    void AddApiRoutes();
    void AddControlRoutes();
    Timestamp Now() const;
    long long NextId(const char* counter);

    // Lookups; callers hold data_mu_.
    Repo* FindRepo(const std::string& owner, const std::string& name) const;

    FakeGithubOptions options_;
    SystemClock system_clock_;
    const Clock* clock_;

    mutable std::shared_mutex data_mu_;
    std::map<std::string, nlohmann::json> users_;         // by lower-case login
    std::vector<std::string> user_order_;                 // lower-case logins, first added first
    std::map<std::string, std::unique_ptr<Repo>> repos_;  // by lower-case "owner/name"
    std::map<std::string, long long> id_counters_;

    mutable std::mutex state_mu_;
    std::map<std::string, std::string> token_users_;                    // token -> lower-case login
    std::map<std::string, std::map<std::string, RateBudget>> budgets_;  // by resource, token
    int incomplete_searches_ = 0;
    long long request_seq_ = 0;

    http::Router api_;      // GitHub's routes
    http::Router control_;  // /_fake/...
    http::Router outer_;    // catch-all patterns that call Handle()
};

}  // namespace forgedb::fake
