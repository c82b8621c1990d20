#pragma once
// FakeGerrit: an in-memory imitation of Gerrit's REST API for tests, benchmarks and the demo.
//
// It holds accounts and changes as nlohmann::json objects shaped like Gerrit's AccountInfo and
// ChangeInfo (after the recorded bodies in tests/data/gerrit: monocle, mylyn, haiku-format-bot)
// and serves them over forgedb::http on loopback the way Gerrit does:
//   GET <base>/changes/?q=<query>&n=<limit>&S=<skip>&o=<option>...   (also start= for S=)
//   GET <base>/changes/<number | Change-Id | project~branch~Change-Id>
//   GET <base>/accounts/?q=username:<u>&o=DETAILS
// and the same under <base>/a/... with HTTP basic auth against the users set with SetPassword
// (401 otherwise). <base> is "http://host:port" plus options.path_prefix ("/r" by default, as on
// gerrit.wikimedia.org/r); see base_url().
//
// Every JSON body starts with the XSSI guard ")]}'" and a newline. Results are sorted by
// `updated` descending, then by number descending; with n= and more results left, the last
// element carries "_more_changes": true. Queries are space-separated terms, all of which must
// hold (AND): owner:, project:, branch:, topic:, change:, status: (open, new, merged, abandoned,
// closed), is: (open, merged, abandoned, closed, wip), after:/since: and before:/until: (a date
// or a "YYYY-MM-DD hh:mm:ss[.fff]" UTC time, quoted or not; both bounds inclusive). Anything
// else (OR, negation, other operators) answers 400, as an unsupported query would; '+' in q=
// reads as a space. Options: DETAILED_ACCOUNTS (owner and uploaders with name, email and
// username; otherwise only _account_id), CURRENT_REVISION, ALL_REVISIONS, CURRENT_COMMIT /
// ALL_COMMITS (a revision's `commit`).
//
// Tests can inject faults (fake::Fault of fault_pipeline.hpp: 5xx, 429 + Retry-After, slow answers,
// truncated bodies, dropped connections; kSecondaryRateLimit is answered like kTooManyRequests,
// Gerrit has no other kind), change the data while serving, and read request statistics. A small
// JSON control API lives under /_fake/ (see fake_gerrit.cpp); it is not counted.
//
// Thread-safety: every public member but Start() and Stop() (which belong to the owner) may be
// called from any thread, also while serving. The data sits behind a reader/writer lock;
// statistics and faults in a FaultPipeline.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fake_forge/fake_server.hpp"
#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::fake {

struct FakeGerritOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    int threads = 16;
    // Path of the Gerrit root under the server, "" or e.g. "/r" (no trailing slash).
    std::string path_prefix = "/r";
    // Page size when a query gives no n= (Gerrit's default depends on its configuration).
    int default_limit = 500;
    // Source of "now" for added accounts and changes; nullptr = the system clock.
    const Clock* clock = nullptr;
    std::size_t max_logged_urls = 100000;
};

// What Generate() creates for one owner.
struct GerritGenerateOptions {
    std::uint64_t seed = 1;
    std::vector<std::string> projects = {"mediawiki/core", "operations/puppet",
                                         "integration/config", "mediawiki/extensions/Echo"};
    Timestamp start = Timestamp{std::chrono::seconds{1609459200}};  // 2021-01-01T00:00:00Z
    std::chrono::seconds spacing{3600};  // between the `created` of consecutive changes
    int merged_percent = 55;
    int abandoned_percent = 15;  // the rest is NEW
    int max_patch_sets = 4;
};

struct GeneratedGerritOwner {
    std::string username;
    long long account_id = 0;
    std::vector<long long> numbers;  // the owner's generated changes, ascending
    Timestamp latest_update{};       // greatest `updated` among them
};

class FakeGerrit : public FakeServer {
public:
    explicit FakeGerrit(FakeGerritOptions options = {});
    ~FakeGerrit();
    FakeGerrit(const FakeGerrit&) = delete;
    FakeGerrit& operator=(const FakeGerrit&) = delete;

    // ---- data ----

    // Adds or replaces an account (AccountInfo with at least _account_id); returns its id.
    long long AddAccount(const nlohmann::json& account);
    // HTTP credentials accepted by the /a/ endpoints.
    void SetPassword(const std::string& username, const std::string& password);
    // Adds or replaces a change (ChangeInfo with at least _number and an owner with
    // _account_id). Owners and uploaders that carry more than an id are added as accounts.
    void AddChange(const nlohmann::json& change);
    // Loads the recorded REST bodies (*.json, XSSI prefix optional) of `dir`: a ChangeInfo list
    // or a single ChangeInfo per file; other files (events) are skipped. Throws
    // std::runtime_error when the folder cannot be read or a file is not JSON.
    void AddRecordedFixtures(const std::string& dir);

    // Creates `count` changes owned by `owner_username` (the account is created when new),
    // deterministic for a seed: projects, statuses, created/updated spread over time, 1 to
    // max_patch_sets patch sets each. Numbers continue the fake's sequence.
    GeneratedGerritOwner Generate(const std::string& owner_username, int count,
                                  GerritGenerateOptions options = {});

    // The change as stored (all revisions, details and commits), or kNotFound.
    Result<nlohmann::json> GetChange(long long number) const;
    // Every change, sorted by number.
    std::vector<nlohmann::json> Changes() const;
    // Applies `patch` (a JSON merge patch, RFC 7386) to the change and sets `updated` to `at`;
    // a status that becomes MERGED sets `submitted` to `at`.
    Status UpdateChange(long long number, const nlohmann::json& patch, Timestamp at);
    // Adds a patch set uploaded at `at` by the owner; it becomes the current revision and
    // `updated` moves to `at`. Returns the new revision's SHA-1.
    Result<std::string> AddPatchSet(long long number, Timestamp at);
    // Deletes a change upstream: every later read answers as for a change that never was.
    Status DeleteChange(long long number);
    // Hides a change from every reader (as a private change or a lost permission does), or shows
    // it again: a hidden change answers as a deleted one. kNotFound for an unknown number.
    Status SetChangeVisible(long long number, bool visible);
    // Hides a project (GET /projects/<name> answers 404 and its changes are hidden), or shows it.
    void SetProjectVisible(const std::string& project, bool visible);

    // ---- faults, statistics (FakeServer) ----
    // Fault::path_prefix is matched against the API path: the request path without the base
    // prefix and without "/a", e.g. "/changes/" or "/accounts/". Stats' per_path is keyed by the
    // API path as above ("/changes/"); its urls hold what was requested.

    // ---- serving ----

    Status Start();
    std::string base_url() const;  // "http://host:port" + path_prefix

    // Answers one request without a network (what the server calls for every request).
    http::Response Handle(const http::Request& req);

private:
    http::Response HandleApi(const http::Request& req, const std::string& api_path, bool auth);
    http::Response HandleControl(const http::Request& req);
    void AddControlRoutes();
    http::Response QueryChanges(const http::Request& req) const;
    http::Response OneChange(const http::Request& req, const std::string& id) const;
    http::Response QueryAccounts(const http::Request& req) const;
    http::Response Project(const std::string& raw_name) const;
    bool Visible(const nlohmann::json& change) const;  // caller holds data_mu_
    bool Authorized(const http::Request& req) const;
    Timestamp Now() const;

    // Callers hold data_mu_.
    const nlohmann::json* FindChange(const std::string& id) const;
    long long AddAccountLocked(const nlohmann::json& account);
    void AddChangeLocked(nlohmann::json change);

    FakeGerritOptions options_;
    SystemClock system_clock_;
    const Clock* clock_;

    mutable std::shared_mutex data_mu_;
    std::map<long long, nlohmann::json> accounts_;  // by _account_id (full AccountInfo)
    std::map<long long, nlohmann::json> changes_;   // by _number (stored ChangeInfo)
    std::map<std::string, std::string> passwords_;  // username -> HTTP password
    std::set<std::string> projects_;  // of every change ever added; deletions keep them
    std::set<long long> hidden_changes_;
    std::set<std::string> hidden_projects_;
    long long next_account_id_ = 1000000;
    long long next_number_ = 10000;

    http::Router control_;  // /_fake/...
    http::Router outer_;    // catch-all patterns that call Handle()
};

}  // namespace forgedb::fake
