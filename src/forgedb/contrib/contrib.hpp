#pragma once
// The contributor-activity view over the mirror, shared by the WikiContrib-compatible API
// (src/forgedb/api) and forgedb's own pages (src/forgedb/ui).
//
// A query names one or more people: a full name and their Gerrit, Phabricator and GitHub usernames.
// Its hash is the permalink (the original system's rule, see QueryHash). Results are read from the
// mirror's `contribution` table only; when a person's account and window are not covered yet (or
// their coverage is older than the freshness setting, unless webhooks keep that forge current),
// the view queues crawl jobs for them and reports their progress, and a later view reads the
// filled mirror. No page view ever calls a forge.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::contrib {

// One person of a query; "" = no account on that platform.
struct QueryUser {
    std::string fullname;
    std::string gerrit;
    std::string phabricator;
    std::string github;
};

// The view's filter. Status tokens are lower case: merged, open (Gerrit NEW, GitHub open
// issues), abandoned, p-open (Phabricator Open), resolved, declined, stalled, invalid.
struct Filter {
    Timestamp start{};
    Timestamp end{};
    std::vector<std::string> statuses;
};

// end = now (whole seconds), start = end - 365 days, statuses merged, open, resolved, p-open.
Filter DefaultFilter(Timestamp now);

// The permalink hash. One user: slugify(lower(fullname)) + "-" + the first 9 hex digits of the
// SHA-256 of lower(fullname + gerrit + phabricator + github); several users: the 64 hex digits of
// the SHA-256 of all those concatenations in order.
std::string QueryHash(const std::vector<QueryUser>& users);
// Django's slugify (without allow_unicode): NFKD, non-ASCII dropped, lower case, characters other
// than letters, digits, '_', '-' and white space dropped, runs of '-' and white space turned into
// one '-', '-' and '_' stripped from both ends. (QueryHash applies it to Python's lower() of the
// full name.)
std::string Slugify(std::string_view text);

// The status tokens a filter may hold, lower case (see Filter).
const std::vector<std::string>& KnownStatuses();
// A comma-separated token list ("merged,open"), trimmed and lower-cased, duplicates dropped;
// kInvalid naming an unknown token. "" gives an empty list (which matches nothing).
Result<std::vector<std::string>> ParseStatuses(std::string_view text);
// Users of CSV text with the header fullname, Gerrit, Phabricator, Github (any order, any case,
// extra columns ignored; UTF-8, or Latin-1 when the text is not valid UTF-8). Rows without a full
// name or without any username are skipped, as the original system did. kInvalid when the header
// lacks a column, a quoted field is not closed, or no row is usable.
Result<std::vector<QueryUser>> ParseUsersCsv(std::string_view csv);

struct StoredQuery {
    std::string hash;
    bool from_csv = false;
    std::vector<QueryUser> users;  // in the order given
    Filter filter;
    Timestamp created_at{};
};

enum class Platform { kGerrit, kPhabricator, kGithub };
// "Gerrit", "Phabricator", "Github": the original system's spelling, kept for its clients.
const char* PlatformLabel(Platform p);

// One contribution as the view shows it.
struct Item {
    Platform platform = Platform::kGerrit;
    std::string kind;       // change, task, commit, pull_request, issue
    std::string source_id;  // change number, task id, commit SHA, pull request / issue number
    Timestamp time{};       // UTC
    std::string status;  // as the forge says: MERGED, NEW, ABANDONED, Open, Resolved, merged, open
    std::string title;
    std::string url;  // the item on its forge
    bool authored = false;
    bool assigned = false;
};

// One platform account of the person in view.
struct Account {
    std::string username;                  // as given; "" = none
    std::optional<std::string> real_name;  // from the mirror; nullopt when the account is unknown
    std::string url;                       // profile link; "" when there is no username
};

// The crawls of one forge for the person in view.
struct PlatformCoverage {
    Platform platform = Platform::kGerrit;
    bool complete = true;  // nothing queued or running on this forge
    long long pages_done = 0;
    long long items = 0;
};

// The crawls a view queued for windows the mirror did not cover yet.
struct Coverage {
    bool complete = true;               // nothing queued or running for this person and window
    std::vector<std::int64_t> job_ids;  // the root jobs (GET /tasks/status/<id> reports each)
    long long pages_done = 0;
    long long items = 0;
    std::vector<std::string> errors;  // crawls that failed (e.g. "no Phabricator user 'x'")
    // Each forge the person has an account on that forgedb crawls, Gerrit, Phabricator, GitHub.
    std::vector<PlatformCoverage> platforms;
};

struct UserResult {
    std::string hash;
    QueryUser user;
    std::optional<std::string> previous;  // full name of the previous / next person of the query
    std::optional<std::string> next;
    Filter filter;
    std::vector<Item> items;  // in the filter's window and statuses, oldest first
    Account gerrit;
    Account phabricator;
    Account github;
    double match_percent = 0;  // MatchPercent of the user against the mirror's real names
    Coverage coverage;
};

// One row of the table view of a multi-user query.
struct UserTotals {
    QueryUser user;
    long long gerrit = 0;
    long long phabricator = 0;
    long long github = 0;
    long long total = 0;
};

struct ContribConfig {
    std::string gerrit_instance;  // "" = no Gerrit
    std::string gerrit_url;       // base URL, for links
    std::string phabricator_instance;
    std::string phabricator_url;
    std::vector<std::string> github_orgs;  // --contrib-github-org, lower case
    std::chrono::seconds freshness{std::chrono::hours(24)};
    // Forges whose webhooks keep the mirror current: a window once covered never goes stale.
    bool gerrit_webhooks = false;
    bool phabricator_webhooks = false;
    bool github_webhooks = false;
    // false: views never queue crawls (a mirror filled by webhooks and /load only).
    bool crawl_on_view = true;
};

// Fuzzy "same person?" score in 0..100 of a full name against the real names found (empty
// strings are skipped; any nullopt, an account not found, gives 0), as the original system's
// match-fullnames: the mean of a WRatio-like similarity per platform.
double MatchPercent(std::string_view fullname,
                    const std::vector<std::optional<std::string>>& real_names);
// The similarity in 0..100 of two names (0 below the cutoff of 60), as used by MatchPercent.
double WRatio(std::string_view a, std::string_view b);

// The view's operations. Thread-safe: every call opens its own connection from `db`.
// Errors: kInvalid with the original system's message ("Fill the form completely!", "Please
// provide users data", "Fullname's has to be unique!!", ...), kNotFound for an unknown hash or
// user ("Not Found").
class Service {
public:
    // `forges` (may be null: views never crawl) gives each forge's contributor crawls.
    // REQUIRES: db, clock, notifier and forges outlive the service.
    Service(store::Database& db, const Clock& clock, queue::Notifier& notifier,
            ContribConfig config, const forge::Forges* forges = nullptr);

    const ContribConfig& config() const { return config_; }
    const Clock& clock() const { return clock_; }

    // Saves a query of these users (rows with four empty fields are skipped) and returns its
    // hash. Re-submitting the same users keeps the query's filter (the original reset it).
    Result<std::string> CreateQuery(const std::vector<QueryUser>& users);
    // A query from CSV text (header fullname, Gerrit, Phabricator, Github); random hash.
    Result<std::string> CreateQueryFromCsv(std::string_view csv);
    Result<StoredQuery> GetQuery(const std::string& hash);
    // Replaces the users; returns the (possibly new) hash, keeping the filter.
    Result<std::string> ReplaceUsers(const std::string& hash, const std::vector<QueryUser>& users);
    Status DeleteQuery(const std::string& hash);
    // Sets the filter (fields absent keep their value); checks start <= end and a window of at
    // most 366 days (kInvalid otherwise).
    Result<Filter> UpdateFilter(const std::string& hash, std::optional<Timestamp> start,
                                std::optional<Timestamp> end,
                                std::optional<std::vector<std::string>> statuses);

    // The result of one person (the first usable one when `fullname` is absent). Queues crawls
    // for uncovered windows and reports them in `coverage`.
    Result<UserResult> GetResult(const std::string& hash, std::optional<std::string> fullname);
    // The items of one UTC day (YYYY-MM-DD) of one person, within the filter's statuses.
    Result<std::vector<Item>> GetDay(const std::string& hash, std::optional<std::string> fullname,
                                     std::string_view day);
    // Per-platform totals of every person of the query, in the filter's window and statuses.
    Result<std::vector<UserTotals>> GetTotals(const std::string& hash);
    // The real names the mirror knows for these accounts, and the score.
    Result<double> MatchFullnames(const QueryUser& user);

    // Replaces the users with those of CSV text. A CSV query keeps its hash; a query of typed
    // users gets a new random one (as the original). Returns the hash; the filter is kept.
    Result<std::string> ReplaceUsersFromCsv(const std::string& hash, std::string_view csv);

    // One slice of a chunked CSV upload (the original's protocol: chunks numbered from 1, each at
    // most kMaxCsvChunkBytes; the last one completes the upload). Chunk 1 starts an upload and
    // names it with a new random hash (`hash` ignored) unless `replace` is set; later chunks
    // name it. The last chunk parses the whole text and saves the query under that hash (or, with
    // `replace`, replaces the users of query `replace`, see ReplaceUsersFromCsv); an upload that
    // fails there is discarded. Chunks must arrive in order.
    struct CsvChunk {
        std::optional<std::string> hash;     // the upload (chunks after the first)
        std::optional<std::string> replace;  // an existing query whose users the CSV replaces
        int number = 1;
        bool last = true;
        std::string_view data;
    };
    struct CsvStep {
        std::string hash;  // the upload's (and, when done, the query's) hash
        bool done = false;
    };
    static constexpr std::size_t kMaxCsvChunkBytes = 1024 * 1024;
    static constexpr int kMaxCsvChunks = 16;
    Result<CsvStep> AddCsvChunk(const CsvChunk& chunk);

private:
    // The account's profile link and the mirror's name for it; for Phabricator also its PHID.
    Result<Account> LookupAccount(store::Connection& conn, Platform platform,
                                  const std::string& username, std::optional<std::string>* phid);
    // The user's contributions with time in [start, end) whose status passes `statuses`.
    Result<std::vector<Item>> ReadItems(store::Connection& conn, const QueryUser& user,
                                        const std::optional<std::string>& phid,
                                        const std::vector<std::string>& statuses, Timestamp start,
                                        Timestamp end);
    // Queues crawls for the user's accounts the filter's window is not covered for.
    Coverage EnsureCoverage(store::Connection& conn, const QueryUser& user, const Filter& filter);

    store::Database& db_;
    const Clock& clock_;
    queue::Notifier& notifier_;
    ContribConfig config_;
    const forge::Forges* forges_;
};

}  // namespace forgedb::contrib
