#pragma once
// FakeConduit: an in-memory imitation of Phabricator's Conduit API for tests, benchmarks and the
// demo.
//
// It holds users, projects, Maniphest tasks and Differential revisions as nlohmann::json objects
// shaped like the items of the modern *.search methods (user.search, project.search,
// maniphest.search, differential.revision.search), and answers POST /api/<method> with a
// form-encoded body (api.token=...&constraints[authorPHIDs][0]=...) the way Phabricator does:
// always HTTP 200 with {"result", "error_code", "error_info"}, in-band errors (ERR-INVALID-AUTH
// for a wrong token, ERR-CONDUIT-CORE for an unknown method, constraint or order, or a limit over
// 100), epoch-second integer dates, cursor paging where result.cursor.after is a STRING (the id of
// the last item of the page, or null on the last page). Author and assignee constraints take
// usernames as well as PHIDs, project constraints slugs as well as PHIDs, as Phabricator's do.
// Orders: "newest" (the default), "oldest", "updated", "outdated" (least recently modified
// first). Tests can inject faults (fake::Fault of fault_pipeline.hpp: 5xx, 429, slow, truncated,
// dropped; kSecondaryRateLimit answers Conduit's in-band ERR-RATE-LIMIT) and in-band Conduit
// errors, change tasks while serving, and read request statistics. A small JSON control API lives
// under /_fake/ (see fake_conduit.cpp).
//
// Thread-safety: every public member but Start() and Stop() (which belong to the owner) may be
// called from any thread, also while serving. The data sits behind a reader/writer lock, tokens
// and in-band errors behind a second mutex, statistics and faults in a FaultPipeline.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <shared_mutex>
#include <string>
#include <vector>

#include "fake_forge/fake_server.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::fake {

struct FakeConduitOptions {
    std::string host = "127.0.0.1";
    int port = 0;  // 0: any free port (see port())
    int threads = 16;
    // The API tokens that api.token must name; empty: any token (or none) is accepted.
    std::vector<std::string> tokens;
    // Size of the request log kept by Stats() (older entries are dropped).
    std::size_t max_logged_urls = 100000;
};

// What Generate() creates for one user. Tasks get ids in creation order (created spread over
// time from `start`); each is open, resolved, declined or stalled, has a priority, 0 to 3
// projects and a dateModified some time after its creation (resolved and declined ones are
// closed then).
struct PhabricatorGenerateOptions {
    int assigned = -1;      // tasks whose owner is the user; -1: as many as authored
    int both_percent = 25;  // share of the authored tasks that the user owns too (counted in both)
    int others = 20;        // tasks by other users that the user neither authored nor owns
    int revisions = 0;      // Differential revisions authored by the user
    std::uint64_t seed = 1;
    Timestamp start = Timestamp{std::chrono::seconds{1609459200}};  // 2021-01-01T00:00:00Z
    std::chrono::seconds spacing{3 * 3600};  // between the creation of consecutive tasks
};

struct GeneratedPhabricatorUser {
    std::string username;
    std::string phid;
    long long id = 0;
    std::vector<long long> authored;   // task ids, ascending
    std::vector<long long> assigned;   // task ids owned by the user, ascending
    std::vector<long long> revisions;  // revision ids, ascending
    Timestamp latest_modified{};       // greatest dateModified of the user's tasks
};

// An in-band error (HTTP 200, result null) answered instead of the next `count` calls of
// `method` ("" = any method) that pass the token check.
struct ConduitErrorFault {
    std::string method;
    std::string code = "ERR-CONDUIT-CORE";
    std::string info = "Injected by the fake Conduit.";
    int count = 1;
};

class FakeConduit : public FakeServer {
public:
    explicit FakeConduit(FakeConduitOptions options = {});
    ~FakeConduit();
    FakeConduit(const FakeConduit&) = delete;
    FakeConduit& operator=(const FakeConduit&) = delete;

    // ---- data ----

    // Creates `username` (if new) with `tasks` authored tasks and the assigned tasks, other
    // users' tasks and revisions of `options`. Deterministic for a given seed and call order.
    GeneratedPhabricatorUser Generate(const std::string& username, int tasks,
                                      PhabricatorGenerateOptions options = {});
    // Adds a user (or returns the existing one) as user.search shows it.
    nlohmann::json AddUser(const std::string& username, const std::string& real_name);
    // Items as the *.search methods show them, attachments included.
    Result<nlohmann::json> GetUser(const std::string& username) const;
    Result<nlohmann::json> GetTask(long long id) const;
    Result<nlohmann::json> GetRevision(long long id) const;
    Result<nlohmann::json> GetProject(const std::string& slug) const;
    // Applies `patch` (a JSON merge patch, RFC 7386, over the item) and sets fields.dateModified
    // to `at`. A status patched to resolved or declined closes the task at `at`.
    Status UpdateTask(long long id, const nlohmann::json& patch, Timestamp at);
    void SetTokens(std::vector<std::string> tokens);

    // ---- faults, statistics ----

    // AddFault (FakeServer): a Fault's path_prefix matches "/api/<method>".
    void AddConduitError(ConduitErrorFault fault);
    void ClearFaults();  // the queued faults and Conduit errors
    std::vector<ConduitErrorFault> PendingConduitErrors() const;
    // Stats (FakeServer): per_path is keyed "/api/<method>"; urls holds
    // "/api/<method>?<params without the token>".

    // ---- serving ----

    Status Start();
    std::string base_url() const;  // "http://host:port": the Phabricator base URL

    // Answers one request without a network (what the server calls for every request).
    http::Response Handle(const http::Request& req);

    // A parsed call; public only so that the .cpp helpers can name it.
    struct Call;

private:
    http::Response HandleApi(const http::Request& req, const std::string& method);
    nlohmann::json Dispatch(const std::string& method, const Call& call) const;
    nlohmann::json UserSearch(const Call& call) const;
    nlohmann::json ProjectSearch(const Call& call) const;
    nlohmann::json TaskSearch(const Call& call) const;
    nlohmann::json RevisionSearch(const Call& call) const;
    void AddControlRoutes();

    // Callers hold data_mu_ (exclusively).
    std::string NewPhid(const std::string& type);
    nlohmann::json& EnsureUser(const std::string& username, const std::string& real_name,
                               Timestamp created);
    void EnsureProjects();
    // A user or project reference (PHID, username or slug) as a PHID; "" when unknown. Callers
    // hold data_mu_.
    std::string UserPhidOf(const std::string& ref) const;
    std::string ProjectPhidOf(const std::string& ref) const;

    FakeConduitOptions options_;

    mutable std::shared_mutex data_mu_;
    std::map<std::string, nlohmann::json> users_;     // by PHID
    std::map<std::string, std::string> usernames_;    // lower-case username -> PHID
    std::map<std::string, nlohmann::json> projects_;  // by PHID
    std::map<std::string, std::string> slugs_;        // slug -> PHID
    std::map<long long, nlohmann::json> tasks_;       // by id
    std::map<long long, nlohmann::json> revisions_;   // by id
    std::map<std::string, long long> next_id_;        // per object type
    std::uint64_t phid_state_ = 0x5eed5eed5eedULL;    // PHID generator (SplitMix64)
    std::string repository_phid_;

    mutable std::mutex state_mu_;
    std::vector<std::string> tokens_;
    std::deque<ConduitErrorFault> conduit_errors_;

    http::Router router_;
};

}  // namespace forgedb::fake
