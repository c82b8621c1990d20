// contrib::Service: saved queries, filters, results read from the mirror's `contribution` table,
// and the crawls a view queues for windows the mirror does not cover yet.

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/contrib/query_store.hpp"
#include "forgedb/contrib/store.hpp"
#include "forgedb/contrib/unicode.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::contrib {
namespace {

// The store's platform name ("gerrit", "phabricator", "github") as the view's enum.
Platform PlatformOf(std::string_view name) {
    if (name == "gerrit") return Platform::kGerrit;
    if (name == "phabricator") return Platform::kPhabricator;
    return Platform::kGithub;
}

using namespace std::chrono_literals;

constexpr auto kDay = std::chrono::hours(24);
constexpr auto kMaxWindow = 366 * kDay;
constexpr auto kMaxFuture = 366 * kDay;
constexpr size_t kMaxUsers = 5000;
constexpr size_t kMaxFullname = 100;
constexpr size_t kMaxUsername = 40;
constexpr int kCoverageRowsRead = 50;

constexpr char kQueryNotFound[] = "Not found.";
constexpr char kUserNotFound[] = "Not Found";

Unexpected Invalid(std::string message) {
    return Unexpected(ErrorCode::kInvalid, std::move(message));
}

std::string Trim(std::string_view s) {
    size_t b = s.find_first_not_of(" \t\r\n\v\f");
    if (b == std::string_view::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n\v\f");
    return std::string(s.substr(b, e - b + 1));
}

std::string TrimSlash(std::string s) {
    while (!s.empty() && s.back() == '/') s.pop_back();
    return s;
}

size_t CodePoints(std::string_view s) { return unicode::DecodeUtf8(s).size(); }

Timestamp Seconds(Timestamp t) { return std::chrono::time_point_cast<std::chrono::seconds>(t); }

// 64 characters of [A-Za-z0-9], the form of the original system's random hashes (CSV queries).
std::string RandomHash() {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::random_device rd;
    std::uniform_int_distribution<int> pick(0, 61);
    std::string out(64, ' ');
    for (auto& c : out) c = kAlphabet[pick(rd)];
    return out;
}

// Trims the fields, drops rows with four empty fields and checks the rest the way the original's
// serializer and view did (messages included).
Result<std::vector<QueryUser>> CleanUsers(const std::vector<QueryUser>& users,
                                          const std::string& none_message) {
    std::vector<QueryUser> out;
    std::set<std::string> names;
    for (const auto& raw : users) {
        QueryUser u{Trim(raw.fullname), Trim(raw.gerrit), Trim(raw.phabricator), Trim(raw.github)};
        if (u.fullname.empty() && u.gerrit.empty() && u.phabricator.empty() && u.github.empty()) {
            continue;
        }
        if (u.fullname.empty()) return Invalid("fullname, This field may not be blank.");
        if (CodePoints(u.fullname) > kMaxFullname) {
            return Invalid("fullname, Ensure this field has no more than 100 characters.");
        }
        const std::pair<const char*, const std::string*> fields[] = {
            {"gerrit_username", &u.gerrit},
            {"phabricator_username", &u.phabricator},
            {"github_username", &u.github}};
        for (const auto& [name, value] : fields) {
            if (CodePoints(*value) > kMaxUsername) {
                return Invalid(std::string(name) +
                               ", Ensure this field has no more than 40 characters.");
            }
            for (unsigned char c : *value) {
                if (c <= ' ' || c == 0x7F) {
                    return Invalid(std::string(name) + ", Enter a valid username.");
                }
            }
        }
        for (unsigned char c : u.fullname) {
            if (c < ' ' || c == 0x7F) return Invalid("fullname, Enter a valid name.");
        }
        if (!names.insert(u.fullname).second) return Invalid("Fullname's has to be unique!!");
        out.push_back(std::move(u));
    }
    if (out.empty()) return Invalid(none_message);
    if (out.size() > kMaxUsers) {
        return Invalid("A query can hold at most " + std::to_string(kMaxUsers) + " users");
    }
    return out;
}

std::vector<store::ContribQueryUserRow> ToRows(const std::vector<QueryUser>& users) {
    std::vector<store::ContribQueryUserRow> rows;
    rows.reserve(users.size());
    for (const auto& u : users) rows.push_back({u.fullname, u.gerrit, u.phabricator, u.github});
    return rows;
}

std::string JoinStatuses(const std::vector<std::string>& statuses) {
    std::string out;
    for (const auto& s : statuses) {
        if (!out.empty()) out += ',';
        out += s;
    }
    return out;
}

store::ContribQueryFilterRow ToRow(const Filter& f) {
    return {f.start, f.end, JoinStatuses(f.statuses)};
}

Status CheckWindow(Timestamp start, Timestamp end, Timestamp now) {
    if (start > end) return Invalid("start_time must not be after end_time");
    if (end - start > kMaxWindow) return Invalid("The time range can be at most 366 days");
    if (end > now + kMaxFuture) return Invalid("end_time is too far in the future");
    return Ok();
}

// Whether a contribution of `platform` with forge status `status` passes the filter's tokens.
bool StatusMatches(const std::string& platform, const std::string& status,
                   const std::vector<std::string>& tokens) {
    std::string s = AsciiLower(status);
    auto has = [&](const char* t) {
        return std::find(tokens.begin(), tokens.end(), t) != tokens.end();
    };
    if (platform == "gerrit") {
        if (s == "merged") return has("merged");
        if (s == "new") return has("open") || has("g-open");
        if (s == "abandoned") return has("abandoned");
        return false;
    }
    if (platform == "phabricator") {
        if (s == "open") return has("p-open");
        if (s == "resolved" || s == "declined" || s == "stalled" || s == "invalid") {
            return has(s.c_str());
        }
        return false;
    }
    if (s == "merged") return has("merged");
    if (s == "open") return has("open");
    if (s == "closed") return has("closed");
    return false;
}

Result<Filter> FilterFromRow(const store::ContribQueryFilterRow& row) {
    Filter f;
    f.start = row.start_time;
    f.end = row.end_time;
    FORGEDB_ASSIGN_OR_RETURN(f.statuses, ParseStatuses(row.statuses));
    return f;
}

Result<StoredQuery> LoadStored(store::Connection& conn, const std::string& hash, Timestamp now) {
    FORGEDB_ASSIGN_OR_RETURN(auto q, store::LoadContribQuery(conn, hash));
    if (!q) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    StoredQuery out;
    out.hash = q->hash;
    out.from_csv = q->from_csv;
    out.created_at = q->created_at;
    FORGEDB_ASSIGN_OR_RETURN(auto users, store::LoadContribQueryUsers(conn, hash));
    for (auto& u : users) {
        out.users.push_back({std::move(u.fullname), std::move(u.gerrit_username),
                             std::move(u.phabricator_username), std::move(u.github_username)});
    }
    FORGEDB_ASSIGN_OR_RETURN(auto filter, store::LoadContribQueryFilter(conn, hash));
    if (filter) {
        FORGEDB_ASSIGN_OR_RETURN(out.filter, FilterFromRow(*filter));
    } else {
        out.filter = DefaultFilter(now);
    }
    return out;
}

// Saves users under `hash`: a new query with the default filter, or new users for an existing
// one (whose filter is kept).
Status SaveQuery(store::Connection& conn, const std::string& hash,
                 const std::vector<QueryUser>& users, bool from_csv, Timestamp now) {
    FORGEDB_ASSIGN_OR_RETURN(auto existing, store::LoadContribQuery(conn, hash));
    if (existing) {
        FORGEDB_TRY(store::SetContribQueryFromCsv(conn, hash, from_csv));
    } else {
        FORGEDB_TRY(store::InsertContribQuery(conn, {hash, from_csv, now}));
    }
    FORGEDB_TRY(store::ReplaceContribQueryUsers(conn, hash, ToRows(users)));
    FORGEDB_ASSIGN_OR_RETURN(auto filter, store::LoadContribQueryFilter(conn, hash));
    if (!filter) FORGEDB_TRY(store::SaveContribQueryFilter(conn, hash, ToRow(DefaultFilter(now))));
    return Ok();
}

// Gives query `hash` these users under `new_hash` (a query already holding new_hash is
// replaced); the filter of `hash` is kept.
Status MoveQuery(store::Connection& conn, const std::string& hash, const std::string& new_hash,
                 const std::vector<QueryUser>& users, bool from_csv) {
    if (new_hash != hash) {
        FORGEDB_TRY(store::DeleteContribQuery(conn, new_hash));
        FORGEDB_TRY(store::RenameContribQuery(conn, hash, new_hash));
    }
    FORGEDB_TRY(store::SetContribQueryFromCsv(conn, new_hash, from_csv));
    FORGEDB_TRY(store::ReplaceContribQueryUsers(conn, new_hash, ToRows(users)));
    return Ok();
}

Result<std::string> ReplaceWithCsvUsers(store::Connection& conn, const std::string& hash,
                                        const std::vector<QueryUser>& users) {
    FORGEDB_ASSIGN_OR_RETURN(auto existing, store::LoadContribQuery(conn, hash));
    if (!existing) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    std::string new_hash = existing->from_csv ? hash : RandomHash();
    FORGEDB_TRY(MoveQuery(conn, hash, new_hash, users, true));
    return new_hash;
}

}  // namespace

const std::vector<std::string>& KnownStatuses() {
    static const std::vector<std::string> kTokens = {"merged",   "open",     "abandoned", "p-open",
                                                     "resolved", "declined", "stalled",   "invalid",
                                                     "closed",   "g-open"};
    return kTokens;
}

Result<std::vector<std::string>> ParseStatuses(std::string_view text) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        if (comma == std::string_view::npos) comma = text.size();
        std::string token = AsciiLower(Trim(text.substr(pos, comma - pos)));
        pos = comma + 1;
        if (token.empty()) continue;
        const auto& known = KnownStatuses();
        if (std::find(known.begin(), known.end(), token) == known.end()) {
            return Invalid("status, '" + token + "' is not a valid status");
        }
        if (std::find(out.begin(), out.end(), token) == out.end()) out.push_back(token);
    }
    return out;
}

Service::Service(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                 ContribConfig config, const forge::Forges* forges)
    : db_(db), clock_(clock), notifier_(notifier), config_(std::move(config)), forges_(forges) {
    config_.gerrit_url = TrimSlash(config_.gerrit_url);
    config_.phabricator_url = TrimSlash(config_.phabricator_url);
}

Result<std::string> Service::CreateQuery(const std::vector<QueryUser>& users) {
    FORGEDB_ASSIGN_OR_RETURN(auto clean, CleanUsers(users, "Please provide users data"));
    std::string hash = QueryHash(clean);
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_TRY(SaveQuery(*conn, hash, clean, false, Seconds(clock_.Now())));
    FORGEDB_TRY(tx.Commit());
    return hash;
}

Result<std::string> Service::CreateQueryFromCsv(std::string_view csv) {
    FORGEDB_ASSIGN_OR_RETURN(auto parsed, ParseUsersCsv(csv));
    FORGEDB_ASSIGN_OR_RETURN(auto clean, CleanUsers(parsed, "Please provide users data"));
    std::string hash = RandomHash();
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_TRY(SaveQuery(*conn, hash, clean, true, Seconds(clock_.Now())));
    FORGEDB_TRY(tx.Commit());
    return hash;
}

Result<StoredQuery> Service::GetQuery(const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    return LoadStored(*conn, hash, clock_.Now());
}

Result<std::string> Service::ReplaceUsers(const std::string& hash,
                                          const std::vector<QueryUser>& users) {
    FORGEDB_ASSIGN_OR_RETURN(auto clean, CleanUsers(users, "Cannot update with the empty fields"));
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_ASSIGN_OR_RETURN(auto existing, store::LoadContribQuery(*conn, hash));
    if (!existing) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    std::string new_hash = QueryHash(clean);
    FORGEDB_TRY(MoveQuery(*conn, hash, new_hash, clean, false));
    FORGEDB_TRY(tx.Commit());
    return new_hash;
}

Result<std::string> Service::ReplaceUsersFromCsv(const std::string& hash, std::string_view csv) {
    FORGEDB_ASSIGN_OR_RETURN(auto parsed, ParseUsersCsv(csv));
    FORGEDB_ASSIGN_OR_RETURN(auto clean, CleanUsers(parsed, "Cannot update with the empty fields"));
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_ASSIGN_OR_RETURN(auto new_hash, ReplaceWithCsvUsers(*conn, hash, clean));
    FORGEDB_TRY(tx.Commit());
    return new_hash;
}

Status Service::DeleteQuery(const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_ASSIGN_OR_RETURN(bool deleted, store::DeleteContribQuery(*conn, hash));
    if (!deleted) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    FORGEDB_TRY(tx.Commit());
    return Ok();
}

Result<Filter> Service::UpdateFilter(const std::string& hash, std::optional<Timestamp> start,
                                     std::optional<Timestamp> end,
                                     std::optional<std::vector<std::string>> statuses) {
    Timestamp now = clock_.Now();
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_ASSIGN_OR_RETURN(auto query, LoadStored(*conn, hash, now));
    Filter f = query.filter;
    if (start) f.start = Seconds(*start);
    if (end) f.end = Seconds(*end);
    if (statuses) {
        std::vector<std::string> checked;
        for (const auto& s : *statuses) {
            FORGEDB_ASSIGN_OR_RETURN(auto parsed, ParseStatuses(s));
            for (auto& t : parsed) {
                if (std::find(checked.begin(), checked.end(), t) == checked.end()) {
                    checked.push_back(std::move(t));
                }
            }
        }
        f.statuses = std::move(checked);
    }
    FORGEDB_TRY(CheckWindow(f.start, f.end, now));
    FORGEDB_TRY(store::SaveContribQueryFilter(*conn, hash, ToRow(f)));
    FORGEDB_TRY(tx.Commit());
    return f;
}

Result<Account> Service::LookupAccount(store::Connection& conn, Platform platform,
                                       const std::string& username,
                                       std::optional<std::string>* phid) {
    Account a;
    a.username = username;
    if (username.empty()) return a;
    switch (platform) {
        case Platform::kGerrit: {
            if (!config_.gerrit_url.empty()) a.url = config_.gerrit_url + "/q/owner:" + username;
            if (config_.gerrit_instance.empty()) break;
            FORGEDB_ASSIGN_OR_RETURN(
                a.real_name, store::GerritRealName(conn, config_.gerrit_instance, username));
            break;
        }
        case Platform::kPhabricator: {
            if (!config_.phabricator_url.empty()) {
                a.url = config_.phabricator_url + "/p/" + username + "/";
            }
            if (config_.phabricator_instance.empty()) break;
            FORGEDB_ASSIGN_OR_RETURN(
                auto id, store::PhabricatorPhid(conn, config_.phabricator_instance, username));
            if (!id) break;  // unknown to the mirror: no name, no items
            if (phid != nullptr) *phid = *id;
            FORGEDB_ASSIGN_OR_RETURN(auto name, store::PhabricatorRealName(
                                                    conn, config_.phabricator_instance, username));
            // A user the mirror knows has a name, possibly "" (none set on the forge).
            a.real_name = name.value_or("");
            break;
        }
        case Platform::kGithub: {
            a.url = "https://github.com/" + username;
            FORGEDB_ASSIGN_OR_RETURN(a.real_name, store::GithubRealName(conn, username));
            break;
        }
    }
    return a;
}

Result<std::vector<Item>> Service::ReadItems(store::Connection& conn, const QueryUser& user,
                                             const std::optional<std::string>& phid,
                                             const std::vector<std::string>& statuses,
                                             Timestamp start, Timestamp end) {
    store::ContributorAccounts who;
    if (!config_.gerrit_instance.empty() && !user.gerrit.empty()) {
        who.gerrit_instance = config_.gerrit_instance;
        who.gerrit_username = AsciiLower(user.gerrit);
    }
    if (!config_.phabricator_instance.empty() && phid) {
        who.phabricator_instance = config_.phabricator_instance;
        who.phabricator_phid = *phid;
    }
    if (!user.github.empty()) {
        who.github_login = AsciiLower(user.github);
        who.github_orgs = config_.github_orgs;
    }
    std::vector<Item> items;
    if (who.gerrit_username.empty() && who.phabricator_phid.empty() && who.github_login.empty()) {
        return items;
    }
    FORGEDB_ASSIGN_OR_RETURN(auto rows, store::ListContributions(conn, who, start, end));
    items.reserve(rows.size());
    for (auto& row : rows) {
        if (!StatusMatches(row.platform, row.status, statuses)) continue;
        Item it;
        it.kind = std::move(row.kind);
        it.source_id = std::move(row.source_id);
        it.time = row.time;
        it.status = std::move(row.status);
        it.title = std::move(row.title);
        it.authored = row.authored;
        it.assigned = row.assigned;
        it.url = std::move(row.url);
        it.platform = PlatformOf(row.platform);
        if (it.platform == Platform::kGerrit) {
            if (!config_.gerrit_url.empty()) {
                it.url = config_.gerrit_url + "/c/" +
                         (row.project.empty() ? "" : row.project + "/+/") + it.source_id;
            }
        } else if (it.platform == Platform::kPhabricator) {
            if (!config_.phabricator_url.empty()) {
                it.url = config_.phabricator_url + "/T" + it.source_id;
            }
        }
        items.push_back(std::move(it));
    }
    return items;
}

Coverage Service::EnsureCoverage(store::Connection& conn, const QueryUser& user,
                                 const Filter& filter) {
    Coverage cov;
    if (!config_.crawl_on_view) return cov;
    struct Part {
        std::string platform, instance, account, part;
        store::NewJob job;
        bool webhooks = false;
    };
    std::vector<Part> parts;
    // Each forge knows which of its instances the view reads and how to crawl one account.
    auto add = [&](const char* platform, const std::string& username, bool webhooks) {
        const forge::Forge* f = forges_ == nullptr ? nullptr : forges_->Find(platform);
        if (f == nullptr || username.empty()) return;
        for (auto& c : f->ContributorCrawls(username, filter.start, filter.end)) {
            parts.push_back({platform, std::move(c.instance), AsciiLower(username),
                             std::move(c.part), std::move(c.job), webhooks});
        }
    };
    add("gerrit", user.gerrit, config_.gerrit_webhooks);
    add("phabricator", user.phabricator, config_.phabricator_webhooks);
    add("github", user.github, config_.github_webhooks);
    Timestamp now = clock_.Now();
    for (const auto& part : parts) {
        Platform platform = PlatformOf(part.platform);
        if (cov.platforms.empty() || cov.platforms.back().platform != platform) {
            cov.platforms.push_back({platform});
        }
    }
    auto report = [&cov](const std::string& platform, const store::JobTree& tree) {
        if (tree.state == "queued" || tree.state == "running") {
            cov.complete = false;
            cov.job_ids.push_back(tree.job.id);
            cov.pages_done += tree.progress_done;
            cov.items += tree.items;
            for (auto& p : cov.platforms) {
                if (p.platform != PlatformOf(platform)) continue;
                p.complete = false;
                p.pages_done += tree.progress_done;
                p.items += tree.items;
            }
        } else if (tree.state == "failed" || tree.state == "dead") {
            cov.errors.push_back(tree.error.empty()
                                     ? "crawl " + std::to_string(tree.job.id) + " " + tree.state
                                     : tree.error);
        }
    };
    // Decides each part from its coverage rows: covered (a fresh success), in progress (a live
    // job), failed recently (not queued again until it is stale), or needing a crawl.
    std::vector<Part*> needed;
    for (auto& part : parts) {
        auto rows = store::CoverageFrom(conn, part.platform, part.instance, part.account, part.part,
                                        filter.start, kCoverageRowsRead);
        if (!rows) {
            cov.errors.push_back(rows.error().message);
            continue;
        }
        bool decided = false;
        for (const auto& row : *rows) {
            bool covers = row.window_end >= filter.end || row.window_end >= row.requested_at;
            if (!covers) continue;
            auto tree = store::LoadJobTree(conn, row.job_id);
            if (!tree || !*tree) continue;
            bool fresh = row.requested_at + config_.freshness >= now;
            const auto& state = (*tree)->state;
            if (state == "succeeded") {
                decided = fresh || part.webhooks;
                break;
            }
            if (state == "queued" || state == "running") {
                report(part.platform, **tree);
                decided = true;
                break;
            }
            if (fresh) {  // failed or dead, recently: report it, do not queue it again yet
                report(part.platform, **tree);
                decided = true;
                break;
            }
        }
        if (!decided) needed.push_back(&part);
    }
    if (needed.empty()) return cov;
    auto queued = [&]() -> Status {
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(conn));
        queue::JobQueue q(conn, clock_);
        std::vector<std::int64_t> ids;
        for (Part* part : needed) {
            FORGEDB_ASSIGN_OR_RETURN(auto inserted, q.Enqueue(part->job));
            store::CoverageRow row;
            row.platform = part->platform;
            row.instance = part->instance;
            row.account = part->account;
            row.part = part->part;
            row.window_start = filter.start;
            row.window_end = filter.end;
            row.job_id = inserted.id;
            row.requested_at = now;
            FORGEDB_TRY(store::InsertCoverage(conn, row));
            ids.push_back(inserted.id);
        }
        FORGEDB_TRY(tx.Commit());
        for (size_t i = 0; i < ids.size(); ++i) {
            auto tree = store::LoadJobTree(conn, ids[i]);
            if (tree && *tree) report(needed[i]->platform, **tree);
        }
        return Ok();
    }();
    if (!queued) {
        cov.errors.push_back("could not queue crawls: " + queued.error().message);
    } else {
        notifier_.Notify();
    }
    return cov;
}

Result<UserResult> Service::GetResult(const std::string& hash,
                                      std::optional<std::string> fullname) {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto query, LoadStored(*conn, hash, clock_.Now()));
    size_t index = 0;
    if (fullname) {
        auto it = std::find_if(query.users.begin(), query.users.end(),
                               [&](const QueryUser& u) { return u.fullname == *fullname; });
        if (it == query.users.end()) return Unexpected(ErrorCode::kNotFound, kUserNotFound);
        index = static_cast<size_t>(it - query.users.begin());
    } else if (query.users.empty()) {
        return Unexpected(ErrorCode::kNotFound, kUserNotFound);
    }
    UserResult r;
    r.hash = query.hash;
    r.user = query.users[index];
    if (index > 0) r.previous = query.users[index - 1].fullname;
    if (index + 1 < query.users.size()) r.next = query.users[index + 1].fullname;
    r.filter = query.filter;
    std::optional<std::string> phid;
    FORGEDB_ASSIGN_OR_RETURN(r.gerrit,
                             LookupAccount(*conn, Platform::kGerrit, r.user.gerrit, nullptr));
    FORGEDB_ASSIGN_OR_RETURN(
        r.phabricator, LookupAccount(*conn, Platform::kPhabricator, r.user.phabricator, &phid));
    FORGEDB_ASSIGN_OR_RETURN(r.github,
                             LookupAccount(*conn, Platform::kGithub, r.user.github, nullptr));
    r.coverage = EnsureCoverage(*conn, r.user, r.filter);
    // The filter's end is inclusive (to the second); ListContributions' end is exclusive.
    FORGEDB_ASSIGN_OR_RETURN(r.items, ReadItems(*conn, r.user, phid, r.filter.statuses,
                                                r.filter.start, r.filter.end + 1s));
    std::vector<std::optional<std::string>> names;
    for (const Account* a : {&r.gerrit, &r.phabricator, &r.github}) {
        if (!a->username.empty()) names.push_back(a->real_name);
    }
    r.match_percent = MatchPercent(r.user.fullname, names);
    return r;
}

Result<std::vector<Item>> Service::GetDay(const std::string& hash,
                                          std::optional<std::string> fullname,
                                          std::string_view day) {
    auto start = ParseDay(day);
    if (!start || FormatForgeTime(*start).substr(0, 10) != day) {
        return Invalid("day, Date has wrong format. Use one of these formats instead: YYYY-MM-DD.");
    }
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto query, LoadStored(*conn, hash, clock_.Now()));
    const QueryUser* user = nullptr;
    for (const auto& u : query.users) {
        if (!fullname || u.fullname == *fullname) {
            user = &u;
            break;
        }
    }
    if (user == nullptr) return Unexpected(ErrorCode::kNotFound, kUserNotFound);
    std::optional<std::string> phid;
    FORGEDB_TRY(LookupAccount(*conn, Platform::kPhabricator, user->phabricator, &phid));
    return ReadItems(*conn, *user, phid, query.filter.statuses, *start, *start + kDay);
}

Result<std::vector<UserTotals>> Service::GetTotals(const std::string& hash) {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    FORGEDB_ASSIGN_OR_RETURN(auto query, LoadStored(*conn, hash, clock_.Now()));
    std::vector<UserTotals> out;
    for (const auto& u : query.users) {
        std::optional<std::string> phid;
        FORGEDB_TRY(LookupAccount(*conn, Platform::kPhabricator, u.phabricator, &phid));
        FORGEDB_ASSIGN_OR_RETURN(auto items, ReadItems(*conn, u, phid, query.filter.statuses,
                                                       query.filter.start, query.filter.end + 1s));
        UserTotals t;
        t.user = u;
        for (const auto& it : items) {
            switch (it.platform) {
                case Platform::kGerrit:
                    ++t.gerrit;
                    break;
                case Platform::kPhabricator:
                    ++t.phabricator;
                    break;
                case Platform::kGithub:
                    ++t.github;
                    break;
            }
        }
        t.total = t.gerrit + t.phabricator + t.github;
        out.push_back(std::move(t));
    }
    return out;
}

Result<double> Service::MatchFullnames(const QueryUser& user) {
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    std::vector<std::optional<std::string>> names;
    QueryUser u{Trim(user.fullname), Trim(user.gerrit), Trim(user.phabricator), Trim(user.github)};
    const std::pair<Platform, const std::string*> accounts[] = {
        {Platform::kGerrit, &u.gerrit},
        {Platform::kPhabricator, &u.phabricator},
        {Platform::kGithub, &u.github}};
    for (const auto& [platform, name] : accounts) {
        if (name->empty()) continue;
        FORGEDB_ASSIGN_OR_RETURN(auto account, LookupAccount(*conn, platform, *name, nullptr));
        names.push_back(account.real_name);
    }
    return MatchPercent(u.fullname, names);
}

Result<Service::CsvStep> Service::AddCsvChunk(const CsvChunk& chunk) {
    if (chunk.number < 1 || chunk.number > kMaxCsvChunks) {
        return Invalid("chunk, Ensure this value is between 1 and " +
                       std::to_string(kMaxCsvChunks) + ".");
    }
    if (chunk.data.size() > kMaxCsvChunkBytes) {
        return Invalid("csv_file, A chunk can hold at most 1 MiB.");
    }
    Timestamp now = clock_.Now();
    FORGEDB_ASSIGN_OR_RETURN(auto conn, db_.Connect());
    if (chunk.replace) {
        FORGEDB_ASSIGN_OR_RETURN(auto existing, store::LoadContribQuery(*conn, *chunk.replace));
        if (!existing) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    }
    if (chunk.number == 1) {
        if (chunk.last) {
            FORGEDB_ASSIGN_OR_RETURN(auto hash,
                                     chunk.replace ? ReplaceUsersFromCsv(*chunk.replace, chunk.data)
                                                   : CreateQueryFromCsv(chunk.data));
            return CsvStep{hash, true};
        }
        // An upload that replaces a query's users is named by that query; a new one by a new
        // random hash.
        std::string upload = chunk.replace ? *chunk.replace : RandomHash();
        FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
        FORGEDB_TRY(store::DeleteUploadsBefore(*conn, now - kDay));
        FORGEDB_TRY(store::DeleteUpload(*conn, upload));
        FORGEDB_TRY(store::InsertUploadChunk(*conn, upload,
                                             {1, chunk.replace, std::string(chunk.data), now}));
        FORGEDB_TRY(tx.Commit());
        return CsvStep{upload, false};
    }
    std::string upload = chunk.replace ? *chunk.replace : chunk.hash.value_or("");
    if (upload.empty()) return Invalid("hash_code, This field is required.");
    FORGEDB_ASSIGN_OR_RETURN(auto tx, store::Transaction::Begin(*conn));
    FORGEDB_ASSIGN_OR_RETURN(auto chunks, store::LoadUploadChunks(*conn, upload));
    if (chunks.empty()) return Unexpected(ErrorCode::kNotFound, kQueryNotFound);
    if (chunks.back().chunk != chunk.number - 1) {
        return Invalid("chunk, expected chunk " + std::to_string(chunks.back().chunk + 1) +
                       ", not " + std::to_string(chunk.number));
    }
    if (!chunk.last) {
        FORGEDB_TRY(store::InsertUploadChunk(
            *conn, upload, {chunk.number, chunks[0].replace_hash, std::string(chunk.data), now}));
        FORGEDB_TRY(tx.Commit());
        return CsvStep{upload, false};
    }
    std::string text;
    for (const auto& c : chunks) text += c.data;
    text += chunk.data;
    FORGEDB_TRY(store::DeleteUpload(*conn, upload));
    auto users = ParseUsersCsv(text);
    Result<std::vector<QueryUser>> clean = users ? CleanUsers(*users, "Please provide users data")
                                                 : Result<std::vector<QueryUser>>(users.error());
    if (!clean) {
        FORGEDB_TRY(tx.Commit());  // the upload is discarded
        return Unexpected(clean.error());
    }
    std::string hash = upload;
    if (chunks[0].replace_hash) {
        FORGEDB_ASSIGN_OR_RETURN(hash, ReplaceWithCsvUsers(*conn, *chunks[0].replace_hash, *clean));
    } else {
        FORGEDB_TRY(SaveQuery(*conn, hash, *clean, true, Seconds(now)));
    }
    FORGEDB_TRY(tx.Commit());
    return CsvStep{hash, true};
}

}  // namespace forgedb::contrib
