// github.contributor: one contributor's work in the repositories of some organisations within a
// window, for the contributor view. For each organisation, in turn:
//   1. commits: the organisation's repositories (GET /orgs/{org}/repos, or /users/{org}/repos
//      for a user account), then each repository's commits by the login, committed in the window
//      (GET /repos/{o}/{r}/commits?author=&since=&until=);
// then, for each organisation found:
//   2. merged pull requests: GET /search/issues?q=is:pr is:merged author:LOGIN org:ORG
//      merged:START..END, and for each hit the pull request itself (GET /repos/{o}/{r}/pulls/{n}),
//      unless the mirror already holds it merged and at least as recent as the hit;
//   3. opened issues: GET /search/issues?q=is:issue author:LOGIN org:ORG created:START..END, each
//      stored under its repository (from the mirror, else GET /repos/{o}/{r}, once per job).
// A search reaches at most its first 1,000 results: a window with more is split in two halves,
// recursively, the earlier half first. An answer with incomplete_results, or a body that is not
// JSON, fails the attempt as transient (the queue retries) and stores nothing of that page. Each
// search (organisation and kind) records in crawl_watermark the end of the last part of its window
// that it has stored, in that part's last page's transaction, so that a retry (after the search
// rate limit, 30 requests a minute) resumes there instead of searching again from the start.
// HTTP happens outside transactions; every page commits its rows and the job's progress together,
// and rows are written with Via::kApi.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "forgedb/core/json.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/forges/github/store.hpp"
#include "forgedb/forges/github/tasks.hpp"
#include "forgedb/store/crawl_store.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::tasks {
namespace {

using sources::github::GetOptions;
using sources::github::GithubClient;
using sources::github::GithubPage;
using std::chrono::seconds;

// The crawl_watermark source of the searches' progress; the scope names the job.
constexpr const char* kProgressSource = "github.contributor";
// GitHub answers at most this many results of one search.
constexpr long long kSearchCap = 1000;

Timestamp WholeSeconds(Timestamp t) { return std::chrono::floor<seconds>(t); }

struct ContributorArgs {
    std::string login;
    std::vector<std::string> orgs;
    Timestamp start{};
    Timestamp end{};
};

Result<ContributorArgs> ParseContributorArgs(const std::string& text) {
    const std::string what = std::string("bad ") + kGithubContributorJob + " arguments";
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return Unexpected(ErrorCode::kInvalid, what + ": " + text);
    ContributorArgs a;
    try {
        a.login = j.at("login").get<std::string>();
        a.orgs = j.at("orgs").get<std::vector<std::string>>();
        auto start = ParseTimestamp(j.at("start").get<std::string>());
        auto end = ParseTimestamp(j.at("end").get<std::string>());
        if (!start || !end) return Unexpected(ErrorCode::kInvalid, what + ": bad window");
        a.start = WholeSeconds(*start);
        a.end = WholeSeconds(*end);
    } catch (const nlohmann::json::exception& e) {
        return Unexpected(ErrorCode::kInvalid, what + ": " + e.what());
    }
    if (a.login.empty()) return Unexpected(ErrorCode::kInvalid, what + ": no login");
    return a;
}

process::github::Context ApiContext(store::Connection& conn, const Clock& clock,
                                    std::unordered_set<std::string>* written) {
    return {conn, model::Via::kApi, clock.Now(), written};
}

struct Repo {
    std::int64_t id = 0;
    std::string full_name;
};

// An organisation's (or a user's) repositories, and the search qualifier that names the owner.
struct Owner {
    std::string qualifier;  // "org" or "user"; empty: no such account
    std::vector<Repo> repos;
};

enum class SearchKind { kMergedPulls, kOpenedIssues };

const char* KindName(SearchKind kind) {
    return kind == SearchKind::kMergedPulls ? "merged-pulls" : "opened-issues";
}

// "OWNER/NAME" of an issue's repository_url (https://api.github.com/repos/OWNER/NAME); the host
// is not used, requests go to the client's base URL.
std::optional<std::pair<std::string, std::string>> RepositoryOf(Json item) {
    auto url = JsonGetString(item, "repository_url");
    if (!url) return std::nullopt;
    size_t at = url->rfind("/repos/");
    if (at == std::string::npos) return std::nullopt;
    std::string rest = url->substr(at + 7);
    size_t slash = rest.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == rest.size()) return std::nullopt;
    std::string name = rest.substr(slash + 1);
    if (name.find('/') != std::string::npos) return std::nullopt;
    return std::make_pair(rest.substr(0, slash), name);
}

// A hit of a pull request search, as much of it as the crawl needs.
struct PullHit {
    std::string owner, name;
    std::int64_t number = 0;
    std::optional<Timestamp> updated_at;
};

// A search answer: {"total_count", "incomplete_results", "items"}.
struct SearchAnswer {
    JsonDocument doc;
    long long total = 0;
    simdjson::dom::array items;
};

Result<SearchAnswer> ReadSearchAnswer(const GithubPage& page, const std::string& query) {
    // A body that does not parse is most likely cut short on the way: worth another attempt.
    auto doc = JsonDocument::Parse(page.body);
    if (!doc) {
        return Unexpected(ErrorCode::kTransient, "search '" + query + "': " + doc.error().message);
    }
    SearchAnswer answer{std::move(*doc), 0, {}};
    Json root = answer.doc.root();
    auto total = JsonGetInt(root, "total_count");
    auto items = JsonGet(root, "items");
    if (!total || !items || items->get_array().get(answer.items)) {
        return Unexpected(ErrorCode::kTransient,
                          "search '" + query + "': no total_count or items in the answer");
    }
    answer.total = *total;
    bool incomplete = false;
    if (auto flag = JsonGet(root, "incomplete_results"); flag && flag->is_bool()) {
        incomplete = flag->get_bool().value_unsafe();
    }
    if (incomplete) {
        // GitHub timed out and answered part of the results: storing them would pass for the
        // whole window. Retried later instead.
        return Unexpected(ErrorCode::kTransient,
                          "search '" + query + "': GitHub answered incomplete_results");
    }
    return answer;
}

class ContributorCrawl {
public:
    ContributorCrawl(queue::JobContext& ctx, GithubClient& client, const Clock& clock,
                     ContributorArgs args)
        : ctx_(ctx), client_(client), clock_(clock), a_(std::move(args)) {}

    Status Run() {
        std::vector<std::pair<std::string, std::string>> owners;  // org, qualifier
        for (const auto& org : a_.orgs) {
            FORGEDB_ASSIGN_OR_RETURN(auto owner, ListRepositories(org));
            for (const auto& repo : owner.repos) FORGEDB_TRY(CrawlCommits(repo));
            if (!owner.qualifier.empty()) owners.emplace_back(org, owner.qualifier);
        }
        for (const auto& [org, qualifier] : owners) {
            FORGEDB_TRY(Search(SearchKind::kMergedPulls, org, qualifier));
            FORGEDB_TRY(Search(SearchKind::kOpenedIssues, org, qualifier));
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn()));
        FORGEDB_TRY(ctx_.queue.Succeed(ctx_.job.id));
        ctx_.completed = true;
        return tx.Commit();
    }

private:
    store::Connection& conn() { return ctx_.queue.connection(); }

    // Lists one organisation's repositories (a user's when it is no organisation), storing them.
    Result<Owner> ListRepositories(const std::string& org) {
        Owner owner;
        owner.qualifier = "org";
        std::string url = "/orgs/" + PercentEncode(org) + "/repos?per_page=100&type=all";
        bool first = true;
        while (!url.empty()) {
            auto got = client_.Get(url);
            if (!got && first && got.error().code == ErrorCode::kNotFound) {
                owner.qualifier = "user";
                url = "/users/" + PercentEncode(org) + "/repos?per_page=100&type=all";
                got = client_.Get(url);
            }
            if (!got && got.error().code == ErrorCode::kNotFound) {
                spdlog::warn("{}: no organisation or user '{}'", kGithubContributorJob, org);
                return Owner{};
            }
            if (!got) return Unexpected(got.error());
            first = false;
            GithubPage page = std::move(*got);
            FORGEDB_ASSIGN_OR_RETURN(Json items, ParseOnThisThread(page.body));
            simdjson::dom::array arr;
            if (items.get_array().get(arr)) {
                return Unexpected(ErrorCode::kInvalid, "repositories of " + org + ": not an array");
            }
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn()));
            std::unordered_set<std::string> written;
            auto pctx = ApiContext(conn(), clock_, &written);
            for (Json repo : arr) {
                FORGEDB_ASSIGN_OR_RETURN(auto p, process::github::ProcessRepository(repo, pctx));
                if (auto full = JsonGetString(repo, "full_name")) {
                    owner.repos.push_back({p.id, *full});
                    repo_ids_[AsciiLower(*full)] = p.id;
                }
            }
            FORGEDB_TRY(store::AddProgress(conn(), ctx_.job.id, 1, 0, std::nullopt, clock_.Now()));
            FORGEDB_TRY(tx.Commit());
            auto next = page.links.find("next");
            url = next == page.links.end() ? "" : next->second;
        }
        return owner;
    }

    // Walks the commits of the login in one repository within the window.
    Status CrawlCommits(const Repo& repo) {
        // `until` is inclusive on GitHub; the window's end is exclusive, which the view applies.
        std::string url = "/repos/" + repo.full_name +
                          "/commits?author=" + PercentEncode(a_.login) +
                          "&since=" + FormatForgeTime(a_.start) +
                          "&until=" + FormatForgeTime(a_.end) + "&per_page=100";
        while (!url.empty()) {
            auto got = client_.Get(url);
            if (!got && (got.error().code == ErrorCode::kNotFound ||
                         got.error().code == ErrorCode::kInvalid)) {
                // Gone since it was listed, or empty (409): nothing to read there.
                spdlog::info("{}: {}: {}", kGithubContributorJob, repo.full_name,
                             got.error().message);
                return Ok();
            }
            if (!got) return Unexpected(got.error());
            GithubPage page = std::move(*got);
            FORGEDB_ASSIGN_OR_RETURN(Json items, ParseOnThisThread(page.body));
            simdjson::dom::array arr;
            if (items.get_array().get(arr)) {
                return Unexpected(ErrorCode::kInvalid,
                                  "commits of " + repo.full_name + ": not an array");
            }
            FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn()));
            std::unordered_set<std::string> written;
            auto pctx = ApiContext(conn(), clock_, &written);
            long long n = 0;
            for (Json commit : arr) {
                FORGEDB_TRY(
                    process::github::ProcessApiCommit(commit, repo.id, repo.full_name, pctx));
                ++n;
            }
            FORGEDB_TRY(store::AddProgress(conn(), ctx_.job.id, 1, n, std::nullopt, clock_.Now()));
            FORGEDB_TRY(tx.Commit());
            auto next = page.links.find("next");
            url = next == page.links.end() ? "" : next->second;
        }
        return Ok();
    }

    // One search over the job's window, resumed after the part an earlier attempt stored.
    Status Search(SearchKind kind, const std::string& org, const std::string& qualifier) {
        const std::string scope =
            std::to_string(ctx_.job.id) + ":" + AsciiLower(org) + ":" + KindName(kind);
        FORGEDB_ASSIGN_OR_RETURN(auto done, store::GetWatermark(conn(), kProgressSource, scope));
        Timestamp from = a_.start;
        if (done) {
            if (*done >= a_.end) return Ok();
            from = std::max(from, WholeSeconds(*done) + seconds(1));
        }
        return SearchWindow(kind, org, qualifier, from, a_.end, scope);
    }

    std::string Query(SearchKind kind, const std::string& org, const std::string& qualifier,
                      Timestamp from, Timestamp to) const {
        std::string range = FormatForgeTime(from) + ".." + FormatForgeTime(to);
        std::string who = "author:" + a_.login + " " + qualifier + ":" + org + " ";
        return kind == SearchKind::kMergedPulls ? "is:pr is:merged " + who + "merged:" + range
                                                : "is:issue " + who + "created:" + range;
    }

    // Searches [from, to] (both inclusive, whole seconds), split in halves while GitHub counts
    // more results than it returns.
    Status SearchWindow(SearchKind kind, const std::string& org, const std::string& qualifier,
                        Timestamp from, Timestamp to, const std::string& scope) {
        const std::string query = Query(kind, org, qualifier, from, to);
        // Ascending creation order keeps the pages stable while they are read; search answers
        // carry no ETag, so the requests are not conditional.
        std::string url =
            "/search/issues?q=" + PercentEncode(query) + "&sort=created&order=asc&per_page=100";
        GetOptions options;
        options.conditional = false;
        bool first = true;
        while (!url.empty()) {
            FORGEDB_ASSIGN_OR_RETURN(GithubPage page, client_.Get(url, options));
            FORGEDB_ASSIGN_OR_RETURN(SearchAnswer answer, ReadSearchAnswer(page, query));
            if (first && answer.total > kSearchCap) {
                if (to > from) {
                    Timestamp mid = from + std::chrono::floor<seconds>((to - from) / 2);
                    spdlog::debug("{}: '{}' counts {} results; split at {}", kGithubContributorJob,
                                  query, answer.total, FormatForgeTime(mid));
                    FORGEDB_TRY(SearchWindow(kind, org, qualifier, from, mid, scope));
                    return SearchWindow(kind, org, qualifier, mid + seconds(1), to, scope);
                }
                spdlog::warn(
                    "{}: '{}' counts {} results within one second; only the first {} "
                    "can be read",
                    kGithubContributorJob, query, answer.total, kSearchCap);
            }
            first = false;
            auto next = page.links.find("next");
            url = next == page.links.end() ? "" : next->second;
            if (kind == SearchKind::kMergedPulls) {
                FORGEDB_TRY(StorePulls(answer, scope, to, url.empty()));
            } else {
                FORGEDB_TRY(StoreIssues(answer, scope, to, url.empty()));
            }
        }
        return Ok();
    }

    // The id of a stored repository, from this job's cache or the mirror.
    Result<std::optional<std::int64_t>> MirroredRepository(const std::string& owner,
                                                           const std::string& name) {
        const std::string key = AsciiLower(owner + "/" + name);
        if (auto it = repo_ids_.find(key); it != repo_ids_.end()) return it->second;
        FORGEDB_ASSIGN_OR_RETURN(auto id, store::github::FindRepositoryId(conn(), owner, name));
        if (id) repo_ids_[key] = *id;
        return id;
    }

    // Writes the page's progress and, on the last page of [.., to], the search's progress mark.
    Status FinishPage(const std::string& scope, Timestamp to, bool last, long long items) {
        const Timestamp now = clock_.Now();
        FORGEDB_TRY(store::AddProgress(conn(), ctx_.job.id, 1, items, std::nullopt, now));
        if (last) FORGEDB_TRY(store::RaiseWatermark(conn(), kProgressSource, scope, to, now));
        return Ok();
    }

    // Fetches each merged pull request of a search page that the mirror lacks (or holds older),
    // then stores them in one transaction.
    Status StorePulls(const SearchAnswer& answer, const std::string& scope, Timestamp to,
                      bool last) {
        std::vector<PullHit> hits;
        for (Json item : answer.items) {
            if (!JsonGet(item, "pull_request")) continue;  // an issue: not asked for
            auto repo = RepositoryOf(item);
            auto number = JsonGetInt(item, "number");
            if (!repo || !number) {
                return Unexpected(ErrorCode::kInvalid,
                                  "search hit without repository_url or number: " +
                                      JsonText(item).substr(0, 200));
            }
            PullHit hit{repo->first, repo->second, *number, std::nullopt};
            if (auto updated = JsonGetString(item, "updated_at")) {
                hit.updated_at = ParseTimestamp(*updated);
            }
            hits.push_back(std::move(hit));
        }
        long long count = 0;
        std::vector<std::string> bodies;
        for (const auto& hit : hits) {
            FORGEDB_ASSIGN_OR_RETURN(bool current, MirroredAndCurrent(hit));
            if (current) {
                ++count;
                continue;
            }
            auto got = client_.Get("/repos/" + hit.owner + "/" + hit.name + "/pulls/" +
                                   std::to_string(hit.number));
            if (!got && got.error().code == ErrorCode::kNotFound) {
                // Deleted, or no longer visible, since the search index saw it.
                spdlog::info("{}: {}", kGithubContributorJob, got.error().message);
                continue;
            }
            if (!got) return Unexpected(got.error());
            bodies.push_back(std::move(got->body));
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn()));
        std::unordered_set<std::string> written;
        auto pctx = ApiContext(conn(), clock_, &written);
        for (const auto& body : bodies) {
            FORGEDB_ASSIGN_OR_RETURN(Json pr, ParseOnThisThread(body));
            if (!pr.is_object())
                return Unexpected(ErrorCode::kInvalid, "pull request: not an object");
            // The base repository first: the pull request's contribution reads its full name.
            if (auto base = JsonPath(pr, {"base", "repo"}); base && base->is_object()) {
                FORGEDB_TRY(process::github::ProcessRepository(*base, pctx));
            }
            FORGEDB_TRY(process::github::ProcessPullRequest(pr, pctx));
            ++count;
        }
        FORGEDB_TRY(FinishPage(scope, to, last, count));
        return tx.Commit();
    }

    // True when the mirror holds the pull request merged and updated no earlier than the hit.
    Result<bool> MirroredAndCurrent(const PullHit& hit) {
        if (!hit.updated_at) return false;
        FORGEDB_ASSIGN_OR_RETURN(auto repo_id, MirroredRepository(hit.owner, hit.name));
        if (!repo_id) return false;
        FORGEDB_ASSIGN_OR_RETURN(auto stored,
                                 store::github::FindPullRequestTimes(conn(), *repo_id, hit.number));
        return stored && stored->merged_at && stored->updated_at &&
               *stored->updated_at >= *hit.updated_at;
    }

    // Stores the issues of a search page under their repositories, fetching the repositories the
    // mirror lacks first.
    Status StoreIssues(const SearchAnswer& answer, const std::string& scope, Timestamp to,
                       bool last) {
        struct Fetched {
            std::string key;
            std::string body;
        };
        std::vector<Fetched> fetched;
        std::vector<std::pair<Json, std::string>> issues;  // item, repository key
        for (Json item : answer.items) {
            if (JsonGet(item, "pull_request")) continue;  // a pull request: counted when merged
            auto repo = RepositoryOf(item);
            if (!repo) {
                return Unexpected(ErrorCode::kInvalid, "search hit without repository_url: " +
                                                           JsonText(item).substr(0, 200));
            }
            const std::string key = AsciiLower(repo->first + "/" + repo->second);
            issues.emplace_back(item, key);
            if (fetched_repos_.count(key)) continue;
            FORGEDB_ASSIGN_OR_RETURN(auto id, MirroredRepository(repo->first, repo->second));
            if (id) continue;
            fetched_repos_.insert(key);  // once per job, found or not
            auto got = client_.Get("/repos/" + repo->first + "/" + repo->second);
            if (!got && got.error().code == ErrorCode::kNotFound) {
                spdlog::info("{}: {}", kGithubContributorJob, got.error().message);
                continue;
            }
            if (!got) {
                fetched_repos_.erase(key);
                return Unexpected(got.error());
            }
            fetched.push_back({key, std::move(got->body)});
        }
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn()));
        std::unordered_set<std::string> written;
        auto pctx = ApiContext(conn(), clock_, &written);
        std::map<std::string, std::int64_t> new_ids;
        for (const auto& f : fetched) {
            FORGEDB_ASSIGN_OR_RETURN(Json repo, ParseOnThisThread(f.body));
            FORGEDB_ASSIGN_OR_RETURN(auto p, process::github::ProcessRepository(repo, pctx));
            new_ids[f.key] = p.id;
        }
        long long count = 0;
        for (const auto& [item, key] : issues) {
            std::optional<std::int64_t> repo_id;
            if (auto it = new_ids.find(key); it != new_ids.end()) {
                repo_id = it->second;
            } else if (auto known = repo_ids_.find(key); known != repo_ids_.end()) {
                repo_id = known->second;
            }
            if (!repo_id) continue;  // its repository is gone
            FORGEDB_TRY(process::github::ProcessIssue(item, repo_id, pctx));
            ++count;
        }
        FORGEDB_TRY(FinishPage(scope, to, last, count));
        FORGEDB_TRY(tx.Commit());
        // Known only once committed.
        for (const auto& [key, id] : new_ids) repo_ids_[key] = id;
        return Ok();
    }

    queue::JobContext& ctx_;
    GithubClient& client_;
    const Clock& clock_;
    ContributorArgs a_;
    std::map<std::string, std::optional<std::int64_t>> repo_ids_;  // lower-case full name
    std::unordered_set<std::string> fetched_repos_;                // GET /repos/... sent
};

}  // namespace

store::NewJob GithubContributorCrawl(const std::string& login, const std::vector<std::string>& orgs,
                                     Timestamp start, Timestamp end) {
    std::vector<std::string> lower;
    for (const auto& o : orgs) lower.push_back(AsciiLower(o));
    std::sort(lower.begin(), lower.end());
    lower.erase(std::unique(lower.begin(), lower.end()), lower.end());
    std::string key = std::string(kGithubContributorJob) + ":" + AsciiLower(login) + ":";
    for (size_t i = 0; i < lower.size(); ++i) key += (i ? "," : "") + lower[i];
    key += ":" + FormatForgeTime(start) + ".." + FormatForgeTime(end);
    store::NewJob job;
    job.kind = kGithubContributorJob;
    job.args = nlohmann::json{{"login", login},
                              {"orgs", lower},
                              {"start", FormatForgeTime(start)},
                              {"end", FormatForgeTime(end)}}
                   .dump();
    job.unique_key = std::move(key);
    return job;
}

void RegisterGithubContributorTask(TaskRegistry& registry, GithubClient& client) {
    registry.Register(kGithubContributorJob, [&client](queue::JobContext& ctx) -> Status {
        FORGEDB_ASSIGN_OR_RETURN(auto args, ParseContributorArgs(ctx.job.args));
        return ContributorCrawl(ctx, client, ctx.queue.clock(), std::move(args)).Run();
    });
}

}  // namespace forgedb::tasks
