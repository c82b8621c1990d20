// github.commits: one contributor's commits in the repositories of some organisations, committed
// in a window. HTTP happens outside transactions; every page commits its rows and the job's
// progress together, and rows are written with Via::kApi.

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/process/github/objects.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/tasks/contrib_crawls.hpp"
#include "forgedb/tasks/github_tasks.hpp"

namespace forgedb::tasks {
namespace {

using sources::github::GithubClient;
using sources::github::GithubPage;

std::string Lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

struct CommitsArgs {
    std::string login;
    std::vector<std::string> orgs;
    Timestamp start{};
    Timestamp end{};
};

Result<CommitsArgs> ParseCommitsArgs(const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Unexpected(ErrorCode::kInvalid, "bad github.commits arguments: " + text);
    }
    CommitsArgs a;
    try {
        a.login = j.at("login").get<std::string>();
        a.orgs = j.at("orgs").get<std::vector<std::string>>();
        auto start = ParseTimestamp(j.at("start").get<std::string>());
        auto end = ParseTimestamp(j.at("end").get<std::string>());
        if (!start || !end) return Unexpected(ErrorCode::kInvalid, "bad github.commits window");
        a.start = *start;
        a.end = *end;
    } catch (const nlohmann::json::exception& e) {
        return Unexpected(ErrorCode::kInvalid, std::string("bad github.commits arguments: ") +
                                                   e.what());
    }
    if (a.login.empty()) return Unexpected(ErrorCode::kInvalid, "github.commits needs a login");
    return a;
}

// Percent-encodes a query parameter value.
std::string Encode(std::string_view s) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

process::github::Context ApiContext(store::Connection& conn, const Clock& clock,
                                    std::unordered_set<std::string>* written) {
    return {conn, model::Via::kApi, clock.Now(), written};
}

struct Repo {
    std::int64_t id = 0;
    std::string full_name;
};

// Lists one organisation's repositories (a user's when it is no organisation), storing them.
Result<std::vector<Repo>> ListRepositories(queue::JobContext& ctx, GithubClient& client,
                                                  const Clock& clock, const std::string& org) {
    auto& conn = ctx.queue.connection();
    std::vector<Repo> names;
    std::string url = "/orgs/" + Encode(org) + "/repos?per_page=100&type=all";
    bool first = true;
    while (!url.empty()) {
        auto got = client.Get(url);
        if (!got && first && got.error().code == ErrorCode::kNotFound) {
            url = "/users/" + Encode(org) + "/repos?per_page=100&type=all";
            got = client.Get(url);
        }
        if (!got && got.error().code == ErrorCode::kNotFound) {
            spdlog::warn("github.commits: no organisation or user '{}'", org);
            return names;
        }
        if (!got) return Unexpected(got.error());
        first = false;
        GithubPage page = std::move(*got);
        FORGEDB_ASSIGN_OR_RETURN(Json items, ParseOnThisThread(page.body));
        simdjson::dom::array arr;
        if (items.get_array().get(arr)) {
            return Unexpected(ErrorCode::kInvalid, "repositories of " + org + ": not an array");
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        std::unordered_set<std::string> written;
        auto pctx = ApiContext(conn, clock, &written);
        for (Json repo : arr) {
            FORGEDB_ASSIGN_OR_RETURN(auto p, process::github::ProcessRepository(repo, pctx));
            if (auto full = JsonGetString(repo, "full_name")) names.push_back({p.id, *full});
        }
        FORGEDB_TRY(store::AddProgress(conn, ctx.job.id, 1, 0, std::nullopt, clock.Now()));
        FORGEDB_TRY(tx.Commit());
        auto next = page.links.find("next");
        url = next == page.links.end() ? "" : next->second;
    }
    return names;
}

// Walks the commits of `login` in one repository within the window. Returns the commits stored.
Result<long long> CrawlRepository(queue::JobContext& ctx, GithubClient& client,
                                  const Clock& clock, const CommitsArgs& a,
                                  const Repo& repo) {
    const std::string& full_name = repo.full_name;
    auto& conn = ctx.queue.connection();
    // `until` is inclusive on GitHub; the window's end is exclusive, which the view applies.
    std::string url = "/repos/" + full_name + "/commits?author=" + Encode(a.login) +
                      "&since=" + FormatForgeTime(a.start) +
                      "&until=" + FormatForgeTime(a.end) + "&per_page=100";
    long long total = 0;
    while (!url.empty()) {
        auto got = client.Get(url);
        if (!got && (got.error().code == ErrorCode::kNotFound ||
                     got.error().code == ErrorCode::kInvalid)) {
            // Gone since it was listed, or empty (409): nothing to read there.
            spdlog::info("github.commits: {}: {}", full_name, got.error().message);
            return total;
        }
        if (!got) return Unexpected(got.error());
        GithubPage page = std::move(*got);
        FORGEDB_ASSIGN_OR_RETURN(Json items, ParseOnThisThread(page.body));
        simdjson::dom::array arr;
        if (items.get_array().get(arr)) {
            return Unexpected(ErrorCode::kInvalid, "commits of " + full_name + ": not an array");
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        std::unordered_set<std::string> written;
        auto pctx = ApiContext(conn, clock, &written);
        long long n = 0;
        for (Json commit : arr) {
            FORGEDB_TRY(process::github::ProcessApiCommit(commit, repo.id, repo.full_name, pctx));
            ++n;
        }
        FORGEDB_TRY(store::AddProgress(conn, ctx.job.id, 1, n, std::nullopt, clock.Now()));
        FORGEDB_TRY(tx.Commit());
        total += n;
        auto next = page.links.find("next");
        url = next == page.links.end() ? "" : next->second;
    }
    return total;
}

Status RunCommits(queue::JobContext& ctx, GithubClient& client, const Clock& clock) {
    FORGEDB_ASSIGN_OR_RETURN(auto a, ParseCommitsArgs(ctx.job.args));
    for (const auto& org : a.orgs) {
        FORGEDB_ASSIGN_OR_RETURN(auto repos, ListRepositories(ctx, client, clock, org));
        for (const auto& repo : repos) {
            FORGEDB_TRY(CrawlRepository(ctx, client, clock, a, repo));
        }
    }
    auto& conn = ctx.queue.connection();
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
    FORGEDB_TRY(ctx.queue.Succeed(ctx.job.id));
    ctx.completed = true;
    return tx.Commit();
}

}  // namespace

store::NewJob GithubContributorCrawl(const std::string& login,
                                     const std::vector<std::string>& orgs, Timestamp start,
                                     Timestamp end) {
    std::vector<std::string> lower;
    for (const auto& o : orgs) lower.push_back(Lower(o));
    std::sort(lower.begin(), lower.end());
    lower.erase(std::unique(lower.begin(), lower.end()), lower.end());
    std::string key = std::string(kGithubCommitsJob) + ":" + Lower(login) + ":";
    for (size_t i = 0; i < lower.size(); ++i) key += (i ? "," : "") + lower[i];
    key += ":" + FormatForgeTime(start) + ".." + FormatForgeTime(end);
    store::NewJob job;
    job.kind = kGithubCommitsJob;
    job.args = nlohmann::json{{"login", login},
                              {"orgs", lower},
                              {"start", FormatForgeTime(start)},
                              {"end", FormatForgeTime(end)}}
                   .dump();
    job.unique_key = std::move(key);
    return job;
}

void RegisterGithubCommitsTask(TaskRegistry& registry, GithubClient& client) {
    registry.Register(kGithubCommitsJob, [&client](queue::JobContext& ctx) {
        return RunCommits(ctx, client, ctx.queue.clock());
    });
}

}  // namespace forgedb::tasks
