// FakeGithub: data model, GitHub's routes, and the request pipeline (statistics, faults, rate
// limits, ETags). Control API, all JSON, not counted and never rate limited:
//   GET    /_fake/health                          {"ok":true}
//   GET    /_fake/stats            DELETE /_fake/stats (reset)
//   GET    /_fake/faults           POST /_fake/faults {kind,status,retry_after,delay_ms,
//                                                      path_prefix,count}    DELETE (clear)
//   GET    /_fake/budgets/{token}[?resource=search]
//   PUT    /_fake/budgets/{token}  {limit,remaining,reset,resource}   (resource: core, search)
//   POST   /_fake/search/incomplete {count}      (the next searches answer incomplete_results)
//   PUT    /_fake/tokens/{token}   {login}        (the user GET /user answers for the token)
//   POST   /_fake/generate         {owner,name,pulls,issues,labels,milestones,hooks,releases,
//                                   branches,
//                                   comments_per_item,files_per_pull,reviews_per_pull,
//                                   closed_percent,seed,commits,commit_authors,organization,
//                                   item_authors,merged_percent,start,spacing_seconds}
//   POST   /_fake/fixtures         {dir}
//   GET|PATCH|DELETE /_fake/repos/{owner}/{repo}/{kind}/{key}   PATCH body {patch,at}
//   POST   /_fake/repos/{owner}/{repo}/{kind}  {fields,at,parent}
// {token} "anonymous" names requests without a token; {kind} is an ItemKindName; "at" is an
// ISO 8601 time (default: now).

#include "fake_github.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/core/url.hpp"
#include "objects.hpp"

namespace forgedb::fake {

using nlohmann::json;
namespace obj = objects;

namespace {

constexpr const char* kDocs = "https://docs.github.com/rest";
constexpr const char* kRateLimitDocs =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
constexpr int kMaxSegments = 12;

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::optional<long long> ParseNumber(std::string_view s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string Time(Timestamp t) { return FormatForgeTime(t); }

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::Response JsonResponse(int status, const json& body) {
    return http::Response::Json(status, Dump(body));
}

http::Response NotFound(std::string_view doc = kDocs) {
    return JsonResponse(404, obj::ErrorBody(404, "Not Found", doc));
}

http::Response Invalid(std::string_view message) {
    return JsonResponse(422, obj::ErrorBody(422, message, kDocs));
}

// The query string of `query` with `page` replaced (page <= 0: left as is).
std::string QueryString(const std::multimap<std::string, std::string>& query, long long page) {
    std::string out;
    bool page_done = false;
    auto add = [&](const std::string& k, const std::string& v) {
        if (!out.empty()) out += '&';
        out += PercentEncode(k, ":") + "=" + PercentEncode(v, ":");
    };
    for (const auto& [k, v] : query) {
        if (k == "page" && page > 0) {
            if (!page_done) add(k, std::to_string(page));
            page_done = true;
        } else {
            add(k, v);
        }
    }
    if (!page_done && page > 0) add("page", std::to_string(page));
    return out;
}

// The token of "Authorization: token X" / "Bearer X"; "" for none (anonymous).
std::string TokenOf(const http::Request& req) {
    auto h = req.Header("Authorization");
    if (!h) return "";
    std::string_view v = *h;
    for (std::string_view scheme : {"token ", "bearer "}) {
        if (v.size() > scheme.size() &&
            AsciiLower(std::string(v.substr(0, scheme.size()))) == scheme) {
            std::string_view t = v.substr(scheme.size());
            while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
            return std::string(t);
        }
    }
    return "";
}

std::string BudgetKey(const std::string& token) { return token.empty() ? "anonymous" : token; }

// "open" / "closed" / "all"; nullopt when invalid.
std::optional<std::string> StateFilter(const http::Request& req, const char* fallback) {
    std::string s(req.Query("state").value_or(fallback));
    if (s != "open" && s != "closed" && s != "all") return std::nullopt;
    return s;
}

// Orders two JSON scalars of the same kind (strings, numbers); -1, 0 or 1.
int CompareScalars(const json& a, const json& b) {
    if (a.is_string() && b.is_string()) {
        int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
        return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    if (a.is_number() && b.is_number()) {
        double x = a.get<double>(), y = b.get<double>();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    return 0;
}

long long IntField(const json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_number_integer() ? it->get<long long>() : 0;
}

// Sorts `items` by the value under `key` of object(item) (strings or numbers; missing first),
// ties by number then id; descending when `desc`. Keys are looked up once per item.
template <typename T, typename Object>
void SortBy(std::vector<T>& items, const std::string& key, bool desc, Object object) {
    struct Entry {
        const json* key;
        long long number;
        long long id;
        T item;
    };
    std::vector<Entry> entries;
    entries.reserve(items.size());
    for (const T& item : items) {
        const json& o = object(item);
        auto k = o.find(key);
        entries.push_back({k == o.end() || k->is_null() ? nullptr : &*k, IntField(o, "number"),
                           IntField(o, "id"), item});
    }
    auto less = [](const Entry& a, const Entry& b) {
        if ((a.key == nullptr) != (b.key == nullptr)) return a.key == nullptr;
        if (a.key) {
            int c = CompareScalars(*a.key, *b.key);
            if (c != 0) return c < 0;
        }
        if (a.number != b.number) return a.number < b.number;
        return a.id < b.id;
    };
    std::sort(entries.begin(), entries.end(),
              [&](const Entry& a, const Entry& b) { return desc ? less(b, a) : less(a, b); });
    for (size_t i = 0; i < entries.size(); ++i) items[i] = entries[i].item;
}

// The value of a string field, "" when missing or not a string (no copy).
const std::string& StringField(const json& o, const char* key) {
    static const std::string kEmpty;
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get_ref<const std::string&>() : kEmpty;
}

bool StateMatches(const json& item, const std::string& filter) {
    if (filter == "all") return true;
    const std::string& state = StringField(item, "state");
    return state == filter || (state.empty() && filter == "open");
}

bool IfNoneMatchHits(std::string_view header, const std::string& etag) {
    size_t pos = 0;
    while (pos <= header.size()) {
        size_t comma = header.find(',', pos);
        if (comma == std::string_view::npos) comma = header.size();
        std::string_view tag = header.substr(pos, comma - pos);
        while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
        while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
        if (StartsWith(tag, "W/")) tag.remove_prefix(2);
        if (tag == "*" || tag == etag) return true;
        pos = comma + 1;
    }
    return false;
}

std::string FaultMessage(int status) {
    switch (status) {
        case 502:
            return "Server Error";
        case 503:
            return "Service Unavailable";
        default:
            return status >= 500 ? "Server Error" : ReasonPhrase(status);
    }
}

json BudgetJson(const RateBudget& b, const std::string& resource = "core") {
    return {{"limit", b.limit},
            {"remaining", b.remaining},
            {"used", b.used()},
            {"reset", b.reset_epoch},
            {"resource", resource}};
}

std::string ReadWholeFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("fake forge: cannot read " + p.string());
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// The trailing number of a URL such as ".../issues/12".
long long TrailingNumber(const std::string& url) {
    size_t slash = url.rfind('/');
    return ParseNumber(std::string_view(url).substr(slash == std::string::npos ? 0 : slash + 1))
        .value_or(0);
}

void ApplyState(json& item, const json& patch, const std::string& at) {
    if (!patch.contains("state") || !item.contains("closed_at")) return;
    if (item.value("state", "") == "closed" && !patch.contains("closed_at")) {
        if (item["closed_at"].is_null()) item["closed_at"] = at;
    } else if (item.value("state", "") == "open" && !patch.contains("closed_at")) {
        item["closed_at"] = nullptr;
    }
}

const char* const kLabelNames[] = {
    "bug",      "enhancement", "documentation", "good first issue", "help wanted",
    "question", "duplicate",   "wontfix",       "invalid"};
const char* const kLabelColors[] = {"d73a4a", "a2eeef", "0075ca", "7057ff", "008672",
                                    "d876e3", "cfd3d7", "ffffff", "e4e669"};
const char* const kDevelopers[] = {"dev-alice", "dev-bob",   "dev-carol", "dev-dave",
                                   "dev-erin",  "dev-frank", "dev-grace", "dev-heidi"};
const char* const kVerbs[] = {"Fix",      "Add",  "Refactor", "Speed up",
                              "Document", "Test", "Remove",   "Simplify"};
const char* const kNouns[] = {"pagination", "the parser", "retries", "rate limits", "the cache",
                              "webhooks",   "logging",    "the CLI", "migrations",  "timeouts"};
const char* const kDirs[] = {"src/core/", "src/http/", "src/store/", "docs/", "tests/"};
const char* const kFiles[] = {"client.cpp", "server.cpp", "README.md", "config.hpp",
                              "util.cpp",   "main.cpp",   "json.cpp",  "time.cpp"};
const char* const kReviewStates[] = {"APPROVED", "COMMENTED", "CHANGES_REQUESTED"};

template <typename T, size_t N>
constexpr size_t Count(const T (&)[N]) {
    return N;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names

const char* ItemKindName(ItemKind kind) {
    switch (kind) {
        case ItemKind::kPull:
            return "pull";
        case ItemKind::kIssue:
            return "issue";
        case ItemKind::kLabel:
            return "label";
        case ItemKind::kMilestone:
            return "milestone";
        case ItemKind::kHook:
            return "hook";
        case ItemKind::kIssueComment:
            return "issue_comment";
        case ItemKind::kReview:
            return "review";
        case ItemKind::kRelease:
            return "release";
        case ItemKind::kBranch:
            return "branch";
        case ItemKind::kTag:
            return "tag";
    }
    return "?";
}

std::optional<ItemKind> ParseItemKind(std::string_view name) {
    for (ItemKind k : {ItemKind::kPull, ItemKind::kIssue, ItemKind::kLabel, ItemKind::kMilestone,
                       ItemKind::kHook, ItemKind::kIssueComment, ItemKind::kReview,
                       ItemKind::kRelease, ItemKind::kBranch, ItemKind::kTag}) {
        if (name == ItemKindName(k)) return k;
    }
    return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Data model

namespace detail {

// An issue or a pull request; they share the number space of a repository.
struct Numbered {
    json obj;  // the pull (single-pull shape, without head/base repo) or the issue
    bool is_pull = false;
    long long issue_id = 0;  // pulls: the id of the issue that carries the pull request
    std::vector<json> files;
    std::vector<json> reviews;
};

struct Comment {
    long long number = 0;  // of the issue or pull
    json obj;
};

}  // namespace detail

using detail::Comment;
using detail::Numbered;

struct FakeGithub::Repo {
    json full;                // GET /repos/{owner}/{repo}
    json nested;              // in pulls' head.repo and base.repo
    std::string nested_text;  // nested, serialized once
    std::string owner_login;  // lower-case
    std::string api_url;
    std::string web_url;
    std::map<long long, Numbered> items;    // by number
    std::vector<json> labels;               // in creation order
    std::map<long long, json> milestones;   // by number
    std::map<long long, json> hooks;        // by id
    std::map<long long, Comment> comments;  // by id
    std::vector<json> commits;              // newest first, as GitHub lists them
    std::vector<json> releases;             // newest first, as GitHub lists them
    std::vector<json> branches;             // by name, as GitHub lists them
    std::vector<json> tags;                 // newest first
    long long next_number = 1;

    // A branch or tag of `refs` by name (exact, as git compares), or null.
    static json* FindNamed(std::vector<json>& refs, const std::string& name) {
        for (auto& r : refs) {
            if (r.value("name", "") == name) return &r;
        }
        return nullptr;
    }
    json* FindRelease(long long id) {
        for (auto& r : releases) {
            if (r.value("id", 0LL) == id) return &r;
        }
        return nullptr;
    }
    void SortBranches() {
        std::sort(branches.begin(), branches.end(), [](const json& a, const json& b) {
            return a.value("name", "") < b.value("name", "");
        });
    }

    json* FindLabel(const std::string& name) {
        std::string want = AsciiLower(name);
        for (auto& l : labels) {
            if (AsciiLower(l.value("name", "")) == want) return &l;
        }
        return nullptr;
    }

    void SetRepository(json repository) {
        full = std::move(repository);
        nested = obj::NestedRepository(full);
        nested_text = Dump(nested);
    }

    // A pull in the list shape, serialized without copying it: the single-pull keys are left
    // out and the repository is spliced into head and base (unless recorded there, maybe null).
    std::string PullListText(const Numbered& n) const {
        static const std::set<std::string, std::less<>> kDetail(obj::PullDetailKeys().begin(),
                                                                obj::PullDetailKeys().end());
        std::string out = "{";
        for (auto it = n.obj.begin(); it != n.obj.end(); ++it) {
            if (kDetail.count(it.key())) continue;
            if (out.size() > 1) out += ',';
            out += http::JsonQuote(it.key()) + ':';
            const bool side = it.key() == "head" || it.key() == "base";
            if (side && it->is_object() && !it->contains("repo")) {
                std::string inner = Dump(*it);
                inner.pop_back();  // '}'
                out += inner + (inner.size() > 1 ? "," : "") + "\"repo\":" + nested_text + "}";
            } else {
                out += Dump(*it);
            }
        }
        return out + "}";
    }

    // A pull as served: head/base repositories added, list or single shape.
    json RenderPull(const Numbered& n, bool single) const {
        json p = n.obj;
        for (const char* side : {"head", "base"}) {
            auto it = p.find(side);
            if (it != p.end() && it->is_object() && !it->contains("repo")) (*it)["repo"] = nested;
        }
        if (single) {
            obj::CompletePullDetails(p);
            if (p.value("changed_files", 0) == 0) p["changed_files"] = n.files.size();
        } else {
            for (const auto& k : obj::PullDetailKeys()) p.erase(k);
        }
        return p;
    }

    json RenderIssue(const Numbered& n) const {
        return n.is_pull ? obj::IssueOfPull(n.obj, api_url, n.issue_id) : n.obj;
    }

    json RenderRepo() const {
        json r = full;
        long long open = 0;
        for (const auto& [num, n] : items) open += n.obj.value("state", "open") == "open";
        if (!items.empty()) {
            r["open_issues_count"] = open;
            r["open_issues"] = open;
        }
        return r;
    }

    void BumpUpdated(long long number, const std::string& at) {
        auto it = items.find(number);
        if (it != items.end() && at > it->second.obj.value("updated_at", "")) {
            it->second.obj["updated_at"] = at;
        }
    }

    void AddCommentCount(long long number, int delta) {
        auto it = items.find(number);
        if (it == items.end()) return;
        json& o = it->second.obj;
        o["comments"] = std::max(0, o.value("comments", 0) + delta);
    }
};

FakeGithub::FakeGithub(FakeGithubOptions options)
    : FakeServer(options.max_logged_urls),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_) {
    // IDs start at realistic magnitudes, one sequence per kind.
    id_counters_ = {{"user", 1000},        {"repo", 300000000},     {"pull", 1100000000},
                    {"issue", 1500000000}, {"label", 4000000000},   {"milestone", 8000000},
                    {"hook", 400000000},   {"comment", 1200000000}, {"review", 1900000000},
                    {"release", 17000000}};
    AddApiRoutes();
    AddControlRoutes();
    for (int n = 0; n <= kMaxSegments; ++n) {
        std::string pattern;
        for (int i = 0; i < n; ++i) pattern += "/{s" + std::to_string(i) + "}";
        if (pattern.empty()) pattern = "/";
        for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}) {
            outer_.Add({method, pattern, [this](const http::Request& r) { return Handle(r); }});
        }
    }
}

FakeGithub::~FakeGithub() { Stop(); }

Timestamp FakeGithub::Now() const { return clock_->Now(); }

long long FakeGithub::NextId(const char* counter) { return ++id_counters_[counter]; }

FakeGithub::Repo* FakeGithub::FindRepo(const std::string& owner, const std::string& name) const {
    auto it = repos_.find(AsciiLower(owner + "/" + name));
    return it == repos_.end() ? nullptr : it->second.get();
}

void FakeGithub::AddUser(const json& user) {
    std::unique_lock lock(data_mu_);
    std::string key = AsciiLower(user.value("login", ""));
    if (key.empty()) return;
    if (!users_.count(key)) user_order_.push_back(key);
    users_[key] = obj::FullUser(user, Time(Now()));
}

void FakeGithub::SetTokenUser(const std::string& token, const std::string& login) {
    std::lock_guard lock(state_mu_);
    token_users_[token] = AsciiLower(login);
}

GeneratedRepo FakeGithub::Generate(std::string owner, std::string name, GenerateOptions o) {
    obj::Rng rng(o.seed * 0x9e3779b97f4a7c15ULL + 12345);
    std::unique_lock lock(data_mu_);
    const std::string start_time = Time(o.start);

    auto ensure_user = [&](const std::string& login, bool organization = false) -> json {
        std::string key = AsciiLower(login);
        auto it = users_.find(key);
        if (it == users_.end()) {
            json full =
                obj::FullUser(obj::SimpleUser(login, NextId("user"), organization), start_time);
            if (organization) full["type"] = "Organization";
            user_order_.push_back(key);
            it = users_.emplace(key, std::move(full)).first;
        }
        return obj::SimpleUserOf(it->second);
    };
    const json owner_user = ensure_user(owner, o.organization);
    std::vector<json> devs;
    for (const char* d : kDevelopers) devs.push_back(ensure_user(d));
    std::vector<json> item_authors;
    for (const auto& a : o.item_authors) item_authors.push_back(ensure_user(a));

    auto repo = std::make_unique<Repo>();
    GeneratedRepo out;
    out.owner = owner;
    out.name = name;
    out.id = NextId("repo");
    const int total = std::max(0, o.pulls) + std::max(0, o.issues);
    const Timestamp last_created = o.start + o.spacing * std::max(0, total - 1);
    obj::RepoSpec spec{owner_user,
                       name,
                       out.id,
                       "Generated by forgedb's fake forge (seed " + std::to_string(o.seed) + ")",
                       start_time,
                       Time(last_created),
                       Time(last_created)};
    repo->SetRepository(obj::Repository(spec));
    repo->owner_login = AsciiLower(owner);
    repo->api_url = repo->full["url"];
    repo->web_url = repo->full["html_url"];
    const std::string& api = repo->api_url;
    const std::string& web = repo->web_url;

    for (int i = 0; i < o.labels; ++i) {
        size_t k = static_cast<size_t>(i);
        std::string lname = k < Count(kLabelNames) ? kLabelNames[k] : "area-" + std::to_string(i);
        std::string color = k < Count(kLabelColors) ? kLabelColors[k] : rng.Hex(6);
        repo->labels.push_back(obj::Label(api, NextId("label"), lname, color, "Label " + lname,
                                          k < Count(kLabelNames)));
    }
    for (int i = 1; i <= o.milestones; ++i) {
        // The older half is closed.
        std::string state = i <= o.milestones / 2 ? "closed" : "open";
        repo->milestones[i] =
            obj::Milestone(api, web, NextId("milestone"), i, "v1." + std::to_string(i - 1),
                           owner_user, state, start_time, start_time);
    }
    for (int i = 0; i < o.hooks; ++i) {
        long long id = NextId("hook");
        repo->hooks[id] = obj::Hook(
            api, id, "https://hooks.example.com/forgedb/" + std::to_string(i + 1), start_time);
    }

    {
        // Releases, tags and branches draw from their own sequence, so that the pulls and issues
        // of a seed stay what they were before the fake had them.
        obj::Rng refs_rng(o.seed * 0x9e3779b97f4a7c15ULL + 777);
        for (int i = 0; i < o.releases; ++i) {
            const std::string tag = "v1." + std::to_string(i) + ".0";
            const std::string at = Time(o.start + std::chrono::hours{24 * 7} * i);
            const bool prerelease = i == o.releases - 1 && o.releases > 1;
            const std::string sha = refs_rng.Hex(40);
            repo->releases.push_back(obj::Release(api, web, NextId("release"), tag, "main",
                                                  owner_user, false, prerelease, at));
            repo->tags.push_back(obj::Tag(api, tag, sha));
        }
        std::reverse(repo->releases.begin(), repo->releases.end());
        std::reverse(repo->tags.begin(), repo->tags.end());
        for (int i = 0; i < o.branches; ++i) {
            const std::string bname = i == 0 ? "main" : "feature/" + std::to_string(i);
            repo->branches.push_back(obj::Branch(api, bname, refs_rng.Hex(40), i == 0));
        }
        repo->SortBranches();
    }

    // Which numbers are pulls: a seeded Fisher-Yates shuffle.
    std::vector<char> is_pull(static_cast<size_t>(total), 0);
    for (int i = 0; i < std::max(0, o.pulls); ++i) is_pull[static_cast<size_t>(i)] = 1;
    for (size_t i = is_pull.size(); i > 1; --i) std::swap(is_pull[i - 1], is_pull[rng.Below(i)]);

    const auto kMonth = std::chrono::seconds{30 * 24 * 3600};
    for (int n = 1; n <= total; ++n) {
        const bool pull = is_pull[static_cast<size_t>(n - 1)];
        const Timestamp created = o.start + o.spacing * (n - 1);
        const Timestamp updated =
            created + std::chrono::seconds{static_cast<long long>(rng.Below(kMonth.count()))};
        const bool closed = static_cast<int>(rng.Below(100)) < o.closed_percent;
        obj::ItemSpec s;
        s.number = n;
        s.id = NextId(pull ? "pull" : "issue");
        s.title = std::string(kVerbs[rng.Below(Count(kVerbs))]) + " " +
                  kNouns[rng.Below(Count(kNouns))] + " (#" + std::to_string(n) + ")";
        s.body = "Generated " + std::string(pull ? "pull request" : "issue") + " " +
                 std::to_string(n) + " of " + owner + "/" + name + ".";
        s.user = devs[rng.Below(devs.size())];
        if (!item_authors.empty())
            s.user = item_authors[static_cast<size_t>(n - 1) % item_authors.size()];
        s.state = closed ? "closed" : "open";
        s.created_at = Time(created);
        s.updated_at = Time(updated);
        if (closed) s.closed_at = s.updated_at;
        if (!repo->labels.empty()) {
            size_t count = rng.Below(3);
            for (size_t i = 0; i < count; ++i) {
                const json& l = repo->labels[rng.Below(repo->labels.size())];
                if (std::find(s.labels.begin(), s.labels.end(), l) == s.labels.end()) {
                    s.labels.push_back(l);
                }
            }
        }
        if (!repo->milestones.empty() && rng.Below(3) == 0) {
            long long m = 1 + static_cast<long long>(rng.Below(repo->milestones.size()));
            json& ms = repo->milestones[m];
            ms[closed ? "closed_issues" : "open_issues"] =
                ms.value(closed ? "closed_issues" : "open_issues", 0) + 1;
            s.milestone = ms;
        }
        if (rng.Below(4) == 0) s.assignees.push_back(devs[rng.Below(devs.size())]);
        s.comments = std::max(0, o.comments_per_item);

        Numbered item;
        item.is_pull = pull;
        if (pull) {
            obj::PullExtra e;
            e.owner = owner_user;
            e.head_ref = "feature/" + std::to_string(n);
            e.head_sha = rng.Hex(40);
            e.base_sha = rng.Hex(40);
            e.merge_commit_sha = rng.Hex(40);
            const bool merged =
                closed && (o.merged_percent ? static_cast<int>(rng.Below(100)) < *o.merged_percent
                                            : rng.Below(4) < 3);
            if (merged) e.merged_at = s.closed_at;
            e.draft = !closed && rng.Below(10) == 0;
            e.commits = 1 + static_cast<int>(rng.Below(5));
            for (int f = 0; f < o.files_per_pull; ++f) {
                std::string filename = std::string(kDirs[rng.Below(Count(kDirs))]) +
                                       std::to_string(f) + "_" + kFiles[rng.Below(Count(kFiles))];
                int add = static_cast<int>(rng.Below(20)), del = static_cast<int>(rng.Below(10));
                const char* status = f == 0 && rng.Below(3) == 0 ? "added" : "modified";
                item.files.push_back(
                    obj::PullFile(api, web, rng.Hex(40), e.head_sha, filename, status, add, del));
                e.additions += add;
                e.deletions += del;
            }
            e.changed_files = static_cast<int>(item.files.size());
            for (int r = 0; r < o.reviews_per_pull; ++r) {
                const Timestamp at =
                    created + (updated - created) * (r + 1) / (o.reviews_per_pull + 1);
                item.reviews.push_back(obj::Review(api, web, NextId("review"), n,
                                                   devs[rng.Below(devs.size())],
                                                   kReviewStates[rng.Below(Count(kReviewStates))],
                                                   "Looks reasonable.", e.head_sha, Time(at)));
            }
            item.obj = obj::Pull(api, web, s, e);
            item.issue_id = NextId("issue");
            out.open_pulls += !closed;
            out.pull_numbers.push_back(n);
            out.files += static_cast<int>(item.files.size());
            out.reviews += static_cast<int>(item.reviews.size());
        } else {
            item.obj = obj::Issue(api, web, s);
            out.open_issues += !closed;
            out.issue_numbers.push_back(n);
        }
        for (int c = 0; c < s.comments; ++c) {
            const Timestamp at = created + (updated - created) * (c + 1) / (s.comments + 1);
            long long id = NextId("comment");
            repo->comments[id] =
                Comment{n, obj::IssueComment(api, web, id, n, pull, devs[rng.Below(devs.size())],
                                             "Comment " + std::to_string(c + 1) + " on #" +
                                                 std::to_string(n) + ".",
                                             Time(at))};
            ++out.comments;
        }
        out.latest_update = std::max(out.latest_update, updated);
        repo->items.emplace(n, std::move(item));
    }
    // Commits, oldest first here, served newest first.
    std::vector<json> authors;
    for (const auto& a : o.commit_authors) authors.push_back(ensure_user(a));
    if (authors.empty()) authors = devs;
    for (int i = 0; i < o.commits; ++i) {
        const json& author = authors[static_cast<size_t>(i) % authors.size()];
        const std::string at = Time(o.start + o.spacing * i + std::chrono::seconds{1800});
        const std::string sha = rng.Hex(40);
        const std::string login = author.value("login", "");
        std::string message = std::string(kVerbs[rng.Below(Count(kVerbs))]) + " part " +
                              std::to_string(i + 1) + " of " + name + "\n\nGenerated commit.";
        if (i % 3 == 0) message += "\n\nChange-Id: I" + rng.Hex(40);
        json person = {
            {"name", "Developer " + login}, {"email", login + "@example.org"}, {"date", at}};
        repo->commits.push_back(
            {{"sha", sha},
             {"node_id", obj::NodeId("Commit", out.id * 100000 + i)},
             {"commit",
              {{"author", person},
               {"committer", person},
               {"message", message},
               {"tree", {{"sha", rng.Hex(40)}, {"url", api + "/git/trees/" + sha}}},
               {"url", api + "/git/commits/" + sha},
               {"comment_count", 0}}},
             {"url", api + "/commits/" + sha},
             {"html_url", web + "/commit/" + sha},
             {"comments_url", api + "/commits/" + sha + "/comments"},
             {"author", author},
             {"committer", author},
             {"parents", json::array()}});
    }
    std::reverse(repo->commits.begin(), repo->commits.end());
    out.commits = static_cast<int>(repo->commits.size());
    repo->next_number = total + 1;
    out.labels = static_cast<int>(repo->labels.size());
    out.milestones = static_cast<int>(repo->milestones.size());
    out.hooks = static_cast<int>(repo->hooks.size());
    out.releases = static_cast<int>(repo->releases.size());
    out.branches = static_cast<int>(repo->branches.size());
    out.tags = static_cast<int>(repo->tags.size());
    repos_[AsciiLower(owner + "/" + name)] = std::move(repo);
    return out;
}

void FakeGithub::AddRecordedFixtures(const std::string& dir) {
    namespace fs = std::filesystem;
    std::vector<fs::path> files;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
    if (ec) throw std::runtime_error("fake forge: cannot list " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    std::map<std::string, std::vector<json>> by_kind;  // prefix -> parsed bodies, in name order
    for (const auto& f : files) {
        std::string fname = f.filename().string();
        std::string kind = fname.substr(0, fname.find('.'));
        json body = json::parse(ReadWholeFile(f), nullptr, false);
        if (body.is_discarded()) throw std::runtime_error("fake forge: not JSON: " + f.string());
        by_kind[kind].push_back(std::move(body));
    }
    auto each = [&](const std::string& kind, auto&& fn) {
        for (const auto& body : by_kind[kind]) {
            if (body.is_array()) {
                for (const auto& x : body) fn(x);
            } else if (body.is_object()) {
                fn(body);
            }
        }
    };
    if (by_kind["repo"].empty() || !by_kind["repo"][0].is_object()) {
        throw std::runtime_error("fake forge: no repo*.json in " + dir);
    }

    for (const auto& body : by_kind["user"]) {
        if (body.is_object()) AddUser(body);
    }
    std::unique_lock lock(data_mu_);
    const json& full = by_kind["repo"][0];
    auto repo = std::make_unique<Repo>();
    repo->SetRepository(full);
    const json owner = full.value("owner", json::object());
    repo->owner_login = AsciiLower(owner.value("login", ""));
    repo->api_url = full.value("url", "");
    repo->web_url = full.value("html_url", "");
    if (!repo->owner_login.empty() && !users_.count(repo->owner_login)) {
        users_[repo->owner_login] = obj::FullUser(owner, full.value("created_at", ""));
        user_order_.push_back(repo->owner_login);
    }

    std::vector<json> pull_files;
    if (!by_kind["pull-files"].empty() && by_kind["pull-files"][0].is_array()) {
        pull_files = by_kind["pull-files"][0].get<std::vector<json>>();
    }
    auto add_pull = [&](const json& p) {
        long long number = p.value("number", 0LL);
        if (number <= 0 || repo->items.count(number)) return;
        Numbered n;
        n.obj = p;
        n.is_pull = true;
        n.issue_id = NextId("issue");
        n.files = pull_files;
        repo->items.emplace(number, std::move(n));
    };
    each("pull", add_pull);
    each("pulls-list", add_pull);
    each("issues-list", [&](const json& i) {
        long long number = i.value("number", 0LL);
        if (number <= 0 || repo->items.count(number)) return;
        repo->items.emplace(number, Numbered{i, false, 0, {}, {}});
    });
    each("labels-list", [&](const json& l) {
        if (!repo->FindLabel(l.value("name", ""))) repo->labels.push_back(l);
    });
    each("milestones-list", [&](const json& m) {
        long long number = m.value("number", 0LL);
        if (number > 0 && !repo->milestones.count(number)) repo->milestones[number] = m;
    });
    auto add_hook = [&](const json& h) {
        long long id = h.value("id", 0LL);
        if (id > 0 && !repo->hooks.count(id)) repo->hooks[id] = h;
    };
    each("hooks-list", add_hook);
    each("releases-list", [&](const json& r) {
        if (!repo->FindRelease(r.value("id", 0LL))) repo->releases.push_back(r);
    });
    each("branches-list", [&](const json& b) {
        if (!Repo::FindNamed(repo->branches, b.value("name", ""))) repo->branches.push_back(b);
    });
    each("tags-list", [&](const json& t) {
        if (!Repo::FindNamed(repo->tags, t.value("name", ""))) repo->tags.push_back(t);
    });
    repo->SortBranches();
    each("hook", add_hook);
    each("issue-comments-list", [&](const json& c) {
        long long id = c.value("id", 0LL);
        if (id > 0) repo->comments[id] = Comment{TrailingNumber(c.value("issue_url", "")), c};
    });
    repo->next_number = repo->items.empty() ? 1 : repo->items.rbegin()->first + 1;
    std::string key = AsciiLower(repo->owner_login + "/" + full.value("name", ""));
    repos_[key] = std::move(repo);
}

// ---------------------------------------------------------------------------------------------
// Mutations

Result<json> FakeGithub::Get(const ItemRef& ref) const {
    std::shared_lock lock(data_mu_);
    Repo* repo = FindRepo(ref.owner, ref.repo);
    if (!repo)
        return Unexpected(ErrorCode::kNotFound, "no repository " + ref.owner + "/" + ref.repo);
    auto id = ParseNumber(ref.key);
    auto missing = [&] {
        return Unexpected(ErrorCode::kNotFound,
                          std::string(ItemKindName(ref.kind)) + " " + ref.key + " not found");
    };
    switch (ref.kind) {
        case ItemKind::kPull: {
            auto it = id ? repo->items.find(*id) : repo->items.end();
            if (it == repo->items.end() || !it->second.is_pull) return missing();
            return repo->RenderPull(it->second, true);
        }
        case ItemKind::kIssue: {
            auto it = id ? repo->items.find(*id) : repo->items.end();
            if (it == repo->items.end()) return missing();
            return repo->RenderIssue(it->second);
        }
        case ItemKind::kLabel: {
            json* l = repo->FindLabel(ref.key);
            if (!l) return missing();
            return *l;
        }
        case ItemKind::kMilestone: {
            auto it = id ? repo->milestones.find(*id) : repo->milestones.end();
            if (it == repo->milestones.end()) return missing();
            return it->second;
        }
        case ItemKind::kHook: {
            auto it = id ? repo->hooks.find(*id) : repo->hooks.end();
            if (it == repo->hooks.end()) return missing();
            return it->second;
        }
        case ItemKind::kIssueComment: {
            auto it = id ? repo->comments.find(*id) : repo->comments.end();
            if (it == repo->comments.end()) return missing();
            return it->second.obj;
        }
        case ItemKind::kReview:
            for (const auto& [num, n] : repo->items) {
                for (const auto& r : n.reviews) {
                    if (id && r.value("id", 0LL) == *id) return r;
                }
            }
            return missing();
        case ItemKind::kRelease: {
            json* r = id ? repo->FindRelease(*id) : nullptr;
            if (!r) return missing();
            return *r;
        }
        case ItemKind::kBranch:
        case ItemKind::kTag: {
            json* r = Repo::FindNamed(ref.kind == ItemKind::kBranch ? repo->branches : repo->tags,
                                      ref.key);
            if (!r) return missing();
            return *r;
        }
    }
    return missing();
}

Status FakeGithub::UpdateItem(const ItemRef& ref, const json& patch, Timestamp at) {
    if (!patch.is_object()) return Unexpected(ErrorCode::kInvalid, "patch must be an object");
    std::unique_lock lock(data_mu_);
    Repo* repo = FindRepo(ref.owner, ref.repo);
    if (!repo)
        return Unexpected(ErrorCode::kNotFound, "no repository " + ref.owner + "/" + ref.repo);
    const std::string when = Time(at);
    auto id = ParseNumber(ref.key);
    auto apply = [&](json& item) {
        item.merge_patch(patch);
        ApplyState(item, patch, when);
        if (item.contains("updated_at") && !patch.contains("updated_at")) item["updated_at"] = when;
        return Ok();
    };
    auto missing = [&] {
        return Unexpected(ErrorCode::kNotFound,
                          std::string(ItemKindName(ref.kind)) + " " + ref.key + " not found");
    };
    switch (ref.kind) {
        case ItemKind::kPull:
        case ItemKind::kIssue: {
            auto it = id ? repo->items.find(*id) : repo->items.end();
            if (it == repo->items.end() || (ref.kind == ItemKind::kPull && !it->second.is_pull)) {
                return missing();
            }
            return apply(it->second.obj);
        }
        case ItemKind::kLabel: {
            json* l = repo->FindLabel(ref.key);
            if (!l) return missing();
            l->merge_patch(patch);
            (*l)["url"] = repo->api_url + "/labels/" + obj::PathSegment(l->value("name", ""));
            return Ok();
        }
        case ItemKind::kMilestone: {
            auto it = id ? repo->milestones.find(*id) : repo->milestones.end();
            if (it == repo->milestones.end()) return missing();
            return apply(it->second);
        }
        case ItemKind::kHook: {
            auto it = id ? repo->hooks.find(*id) : repo->hooks.end();
            if (it == repo->hooks.end()) return missing();
            return apply(it->second);
        }
        case ItemKind::kIssueComment: {
            auto it = id ? repo->comments.find(*id) : repo->comments.end();
            if (it == repo->comments.end()) return missing();
            return apply(it->second.obj);
        }
        case ItemKind::kReview:
            for (auto& [num, n] : repo->items) {
                for (auto& r : n.reviews) {
                    if (id && r.value("id", 0LL) == *id) return apply(r);
                }
            }
            return missing();
        case ItemKind::kRelease: {
            json* r = id ? repo->FindRelease(*id) : nullptr;
            if (!r) return missing();
            return apply(*r);
        }
        case ItemKind::kBranch:
        case ItemKind::kTag: {
            json* r = Repo::FindNamed(ref.kind == ItemKind::kBranch ? repo->branches : repo->tags,
                                      ref.key);
            if (!r) return missing();
            r->merge_patch(patch);
            return Ok();
        }
    }
    return missing();
}

Status FakeGithub::DeleteItem(const ItemRef& ref) {
    std::unique_lock lock(data_mu_);
    Repo* repo = FindRepo(ref.owner, ref.repo);
    if (!repo)
        return Unexpected(ErrorCode::kNotFound, "no repository " + ref.owner + "/" + ref.repo);
    auto id = ParseNumber(ref.key);
    auto missing = [&] {
        return Unexpected(ErrorCode::kNotFound,
                          std::string(ItemKindName(ref.kind)) + " " + ref.key + " not found");
    };
    switch (ref.kind) {
        case ItemKind::kPull:
        case ItemKind::kIssue: {
            auto it = id ? repo->items.find(*id) : repo->items.end();
            if (it == repo->items.end() || (ref.kind == ItemKind::kPull && !it->second.is_pull)) {
                return missing();
            }
            repo->items.erase(it);
            std::erase_if(repo->comments, [&](const auto& c) { return c.second.number == *id; });
            return Ok();
        }
        case ItemKind::kLabel: {
            json* l = repo->FindLabel(ref.key);
            if (!l) return missing();
            repo->labels.erase(repo->labels.begin() + (l - repo->labels.data()));
            return Ok();
        }
        case ItemKind::kMilestone:
            return id && repo->milestones.erase(*id) ? Ok() : Status(missing());
        case ItemKind::kHook:
            return id && repo->hooks.erase(*id) ? Ok() : Status(missing());
        case ItemKind::kIssueComment: {
            auto it = id ? repo->comments.find(*id) : repo->comments.end();
            if (it == repo->comments.end()) return missing();
            repo->AddCommentCount(it->second.number, -1);
            repo->comments.erase(it);
            return Ok();
        }
        case ItemKind::kReview:
            for (auto& [num, n] : repo->items) {
                auto r = std::find_if(n.reviews.begin(), n.reviews.end(), [&](const json& x) {
                    return id && x.value("id", 0LL) == *id;
                });
                if (r != n.reviews.end()) {
                    n.reviews.erase(r);
                    return Ok();
                }
            }
            return missing();
        case ItemKind::kRelease: {
            json* r = id ? repo->FindRelease(*id) : nullptr;
            if (!r) return missing();
            repo->releases.erase(repo->releases.begin() + (r - repo->releases.data()));
            return Ok();
        }
        case ItemKind::kBranch:
        case ItemKind::kTag: {
            auto& refs = ref.kind == ItemKind::kBranch ? repo->branches : repo->tags;
            json* r = Repo::FindNamed(refs, ref.key);
            if (!r) return missing();
            refs.erase(refs.begin() + (r - refs.data()));
            return Ok();
        }
    }
    return missing();
}

Result<json> FakeGithub::AddItem(const std::string& owner, const std::string& repo_name,
                                 ItemKind kind, const json& fields, Timestamp at,
                                 long long parent) {
    if (!fields.is_object() && !fields.is_null()) {
        return Unexpected(ErrorCode::kInvalid, "fields must be an object");
    }
    const json patch = fields.is_null() ? json::object() : fields;
    std::unique_lock lock(data_mu_);
    Repo* repo = FindRepo(owner, repo_name);
    if (!repo) return Unexpected(ErrorCode::kNotFound, "no repository " + owner + "/" + repo_name);
    const std::string when = Time(at);
    const std::string& api = repo->api_url;
    const std::string& web = repo->web_url;
    json owner_user = obj::SimpleUserOf(repo->full.value("owner", json::object()));
    obj::Rng rng(static_cast<std::uint64_t>(at.time_since_epoch().count()) ^
                 static_cast<std::uint64_t>(repo->next_number));

    switch (kind) {
        case ItemKind::kPull:
        case ItemKind::kIssue: {
            obj::ItemSpec s;
            s.number = repo->next_number++;
            s.id = NextId(kind == ItemKind::kPull ? "pull" : "issue");
            s.title = std::string(kind == ItemKind::kPull ? "Pull request" : "Issue") + " #" +
                      std::to_string(s.number);
            s.body = "Added by a test.";
            s.user = owner_user;
            s.created_at = s.updated_at = when;
            Numbered n;
            n.is_pull = kind == ItemKind::kPull;
            if (n.is_pull) {
                obj::PullExtra e;
                e.owner = owner_user;
                e.head_ref = "feature/" + std::to_string(s.number);
                e.head_sha = rng.Hex(40);
                e.base_sha = rng.Hex(40);
                e.merge_commit_sha = rng.Hex(40);
                n.obj = obj::Pull(api, web, s, e);
                n.issue_id = NextId("issue");
            } else {
                n.obj = obj::Issue(api, web, s);
            }
            n.obj.merge_patch(patch);
            ApplyState(n.obj, patch, when);
            auto& stored = repo->items[s.number] = std::move(n);
            return stored.is_pull ? repo->RenderPull(stored, true) : repo->RenderIssue(stored);
        }
        case ItemKind::kLabel: {
            std::string name = patch.value("name", "label-" + std::to_string(rng.Below(100000)));
            if (repo->FindLabel(name)) {
                return Unexpected(ErrorCode::kConflict, "label " + name + " exists");
            }
            json l = obj::Label(api, NextId("label"), name, "ededed", "", false);
            l.merge_patch(patch);
            repo->labels.push_back(l);
            return l;
        }
        case ItemKind::kMilestone: {
            long long number = repo->milestones.empty() ? 1 : repo->milestones.rbegin()->first + 1;
            json m = obj::Milestone(api, web, NextId("milestone"), number,
                                    "milestone " + std::to_string(number), owner_user, "open", when,
                                    when);
            m.merge_patch(patch);
            ApplyState(m, patch, when);
            return repo->milestones[number] = m;
        }
        case ItemKind::kHook: {
            long long id = NextId("hook");
            json h = obj::Hook(api, id, "https://hooks.example.com/forgedb/added", when);
            h.merge_patch(patch);
            return repo->hooks[id] = h;
        }
        case ItemKind::kIssueComment: {
            auto it = repo->items.find(parent);
            if (it == repo->items.end()) {
                return Unexpected(ErrorCode::kNotFound, "no issue " + std::to_string(parent));
            }
            long long id = NextId("comment");
            json c = obj::IssueComment(api, web, id, parent, it->second.is_pull, owner_user,
                                       "Comment added by a test.", when);
            c.merge_patch(patch);
            repo->comments[id] = Comment{parent, c};
            repo->AddCommentCount(parent, 1);
            repo->BumpUpdated(parent, when);
            return c;
        }
        case ItemKind::kReview: {
            auto it = repo->items.find(parent);
            if (it == repo->items.end() || !it->second.is_pull) {
                return Unexpected(ErrorCode::kNotFound, "no pull " + std::to_string(parent));
            }
            json head = it->second.obj.value("head", json::object());
            json r = obj::Review(api, web, NextId("review"), parent, owner_user, "COMMENTED",
                                 "Review added by a test.", head.value("sha", ""), when);
            r.merge_patch(patch);
            it->second.reviews.push_back(r);
            repo->BumpUpdated(parent, when);
            return r;
        }
        case ItemKind::kRelease: {
            std::string tag = patch.value("tag_name", "v0." + std::to_string(rng.Below(100000)));
            json r = obj::Release(api, web, NextId("release"), tag, "main", owner_user, false,
                                  false, when);
            r.merge_patch(patch);
            repo->releases.insert(repo->releases.begin(), r);
            return r;
        }
        case ItemKind::kBranch:
        case ItemKind::kTag: {
            const bool branch = kind == ItemKind::kBranch;
            auto& refs = branch ? repo->branches : repo->tags;
            std::string name = patch.value(
                "name", std::string(branch ? "topic-" : "t-") + std::to_string(rng.Below(100000)));
            if (Repo::FindNamed(refs, name)) {
                return Unexpected(ErrorCode::kConflict, name + " exists");
            }
            json r = branch ? obj::Branch(api, name, rng.Hex(40), false)
                            : obj::Tag(api, name, rng.Hex(40));
            r.merge_patch(patch);
            if (branch) {
                refs.push_back(r);
                repo->SortBranches();
            } else {
                refs.insert(refs.begin(), r);
            }
            return r;
        }
    }
    return Unexpected(ErrorCode::kInvalid, "unknown kind");
}

// ---------------------------------------------------------------------------------------------
// Rate limits, faults, statistics

namespace {

// The rate-limit window of a resource, in seconds: an hour, a minute for the search API.
long long WindowOf(const std::string& resource) { return resource == "search" ? 60 : 3600; }

// Starts a new window when the reset time has passed.
void Refresh(RateBudget& b, long long now, const std::string& resource) {
    if (now >= b.reset_epoch) {
        b.remaining = b.limit;
        b.reset_epoch = now + WindowOf(resource);
    }
}

}  // namespace

void FakeGithub::SetBudget(const std::string& token, int limit, int remaining,
                           long long reset_epoch, const std::string& resource) {
    std::lock_guard lock(state_mu_);
    budgets_[resource][token.empty() ? "anonymous" : token] =
        RateBudget{limit, remaining, reset_epoch};
}

RateBudget FakeGithub::Budget(const std::string& token, const std::string& resource) const {
    std::lock_guard lock(state_mu_);
    if (auto r = budgets_.find(resource); r != budgets_.end()) {
        auto it = r->second.find(token.empty() ? "anonymous" : token);
        if (it != r->second.end()) return it->second;
    }
    const bool anonymous = token.empty() || token == "anonymous";
    int limit = resource == "search"
                    ? (anonymous ? options_.anonymous_search_limit : options_.search_limit)
                    : (anonymous ? options_.anonymous_limit : options_.default_limit);
    long long now =
        std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
    return RateBudget{limit, limit, now + WindowOf(resource)};
}

void FakeGithub::SetIncompleteSearches(int count) {
    std::lock_guard lock(state_mu_);
    incomplete_searches_ = std::max(0, count);
}

// ---------------------------------------------------------------------------------------------
// Serving

Status FakeGithub::Start() {
    return listener_.Start(outer_, options_.host, options_.port, options_.threads);
}

std::string FakeGithub::base_url() const {
    if (!options_.public_url.empty()) return options_.public_url;
    return "http://" + options_.host + ":" + std::to_string(port());
}

http::Response FakeGithub::Handle(const http::Request& in) {
    http::Request req = in;
    if (req.path == "/_fake" || StartsWith(req.path, "/_fake/")) return HandleControl(req);
    if (req.method == "HEAD") req.method = "GET";
    return HandleApi(req);
}

http::Response FakeGithub::HandleControl(http::Request& req) {
    http::Response res = control_.Dispatch(req);
    if (res.status == 404 && StartsWith(res.body, "{\"error\"")) return NotFound();
    return res;
}

http::Response FakeGithub::HandleApi(http::Request& req) {
    const std::string token = TokenOf(req);
    const std::string key = BudgetKey(token);
    // The search API has its own budget, per minute, and answers without ETags.
    const bool search = StartsWith(req.path, "/search/");
    const std::string resource = search ? "search" : "core";
    const long long now =
        std::chrono::duration_cast<std::chrono::seconds>(Now().time_since_epoch()).count();
    std::optional<Fault> fault = pipeline_.Match(req.path, LoggedUrl(req));
    RateBudget budget;
    long long seq = 0;
    auto budget_of = [&](const std::string& res) -> RateBudget& {  // callers hold state_mu_
        auto& by_token = budgets_[res];
        auto b = by_token.find(key);
        if (b == by_token.end()) {
            int limit =
                res == "search"
                    ? (token.empty() ? options_.anonymous_search_limit : options_.search_limit)
                    : (token.empty() ? options_.anonymous_limit : options_.default_limit);
            b = by_token.emplace(key, RateBudget{limit, limit, now + WindowOf(res)}).first;
        }
        Refresh(b->second, now, res);
        return b->second;
    };
    {
        std::lock_guard lock(state_mu_);
        seq = ++request_seq_;
        budget = budget_of(resource);
    }

    auto add_common = [&](http::Response& r, const RateBudget& b) {
        r.content_type = "application/json; charset=utf-8";
        r.headers.emplace_back("x-ratelimit-limit", std::to_string(b.limit));
        r.headers.emplace_back("x-ratelimit-remaining", std::to_string(b.remaining));
        r.headers.emplace_back("x-ratelimit-used", std::to_string(b.used()));
        r.headers.emplace_back("x-ratelimit-reset", std::to_string(b.reset_epoch));
        r.headers.emplace_back("x-ratelimit-resource", resource);
        r.headers.emplace_back("x-github-api-version-selected", "2022-11-28");
        r.headers.emplace_back("x-github-media-type", "github.v3; format=json");
        r.headers.emplace_back("x-github-request-id", "FAKE:" + std::to_string(seq));
    };

    if (fault) {
        FaultAnswers answers;
        answers.error = [&](const Fault& f) {
            if (f.kind == FaultKind::kStatus) {
                auto r =
                    JsonResponse(f.status, obj::ErrorBody(f.status, FaultMessage(f.status), kDocs));
                add_common(r, budget);
                return r;
            }
            const int status = f.kind == FaultKind::kTooManyRequests ? 429 : 403;
            auto r = JsonResponse(
                status,
                obj::ErrorBody(status,
                               "You have exceeded a secondary rate limit. Please wait a few "
                               "minutes before you try again. If you reach out to GitHub "
                               "Support for help, please include the request ID FAKE:" +
                                   std::to_string(seq) + ".",
                               std::string(kRateLimitDocs) + "#about-secondary-rate-limits"));
            add_common(r, budget);
            r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
            return r;
        };
        answers.normal = [&] {
            http::Response full;
            {
                std::shared_lock lock(data_mu_);
                full = api_.Dispatch(req);
            }
            add_common(full, budget);
            return full;
        };
        if (auto r = FaultPipeline::Apply(*fault, answers)) return *r;
    }

    auto rate_limited = [&](const RateBudget& b) {
        std::string who = token.empty() ? req.remote_addr : "user ID 1";
        std::string msg = "API rate limit exceeded for " + who + ".";
        if (token.empty()) {
            msg +=
                " (But here's the good news: Authenticated requests get a higher rate limit. "
                "Check out the documentation for more details.)";
        }
        auto r = JsonResponse(
            403,
            obj::ErrorBody(403, msg, kRateLimitDocs + std::string("#about-primary-rate-limits")));
        add_common(r, b);
        return r;
    };
    http::Response res;
    if (req.path == "/rate_limit") {
        // Always answered and never charged, as on GitHub.
        RateBudget search_budget;
        {
            std::lock_guard lock(state_mu_);
            search_budget = budget_of("search");
        }
        json core = BudgetJson(budget);
        res = JsonResponse(
            200, {{"resources", {{"core", core}, {"search", BudgetJson(search_budget, "search")}}},
                  {"rate", core}});
        add_common(res, budget);
        return res;
    }
    const auto inm = search ? std::nullopt : req.Header("If-None-Match");
    if (budget.remaining <= 0 && !inm) {
        pipeline_.CountRateLimited();
        return rate_limited(budget);
    }
    {
        std::shared_lock lock(data_mu_);
        res = api_.Dispatch(req);
    }
    if ((res.status == 404 || res.status == 405) && StartsWith(res.body, "{\"error\"")) {
        res = NotFound();
    }
    if (res.status == 200 && search) {
        res.headers.emplace_back("Cache-Control", "no-cache");
        res.headers.emplace_back("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
    } else if (res.status == 200) {
        std::string etag = "\"" + HmacSha256Hex("forgedb-fake-forge", res.body) + "\"";
        if (inm && IfNoneMatchHits(*inm, etag)) {
            pipeline_.CountNotModified();
            http::Response nm;
            nm.status = 304;
            add_common(nm, budget);
            nm.headers.emplace_back("ETag", etag);
            // Pagination survives a 304 so that a client can walk on with its cached pages.
            for (const auto& [k, v] : res.headers) {
                if (k == "Link") nm.headers.emplace_back(k, v);
            }
            nm.headers.emplace_back("Cache-Control", "private, max-age=60, s-maxage=60");
            nm.headers.emplace_back("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
            return nm;
        }
        res.headers.emplace_back("ETag", etag);
        res.headers.emplace_back("Cache-Control", "private, max-age=60, s-maxage=60");
        res.headers.emplace_back("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
    }
    {
        std::lock_guard lock(state_mu_);
        RateBudget& b = budget_of(resource);
        if (b.remaining <= 0) {
            pipeline_.CountRateLimited();
            return rate_limited(b);
        }
        --b.remaining;
        budget = b;
    }
    add_common(res, budget);
    return res;
}

// ---------------------------------------------------------------------------------------------
// GitHub's routes. Handlers run under a shared lock of data_mu_ (taken by HandleApi).

namespace {

struct Paging {
    long long page = 1;
    long long per_page = 30;
};

// GitHub's Link header (prev, next, last, first) for page `page` of `last`; none when the answer
// is the one and only page.
void AddPageLinks(http::Response& res, const std::string& base_url, const http::Request& req,
                  long long page, long long last) {
    if (last <= 1 && page <= 1) return;
    auto link = [&](long long to, const char* rel) {
        return "<" + base_url + req.path + "?" + QueryString(req.query, to) + ">; rel=\"" + rel +
               "\"";
    };
    std::vector<std::string> links;
    if (page > 1) links.push_back(link(std::min(page - 1, last), "prev"));
    if (page < last) {
        links.push_back(link(page + 1, "next"));
        links.push_back(link(last, "last"));
    }
    if (page > 1) links.push_back(link(1, "first"));
    std::string header;
    for (const auto& l : links) header += (header.empty() ? "" : ", ") + l;
    res.headers.emplace_back("Link", header);
}

Paging ReadPaging(const http::Request& req) {
    Paging p;
    if (auto v = req.Query("per_page")) {
        auto n = ParseNumber(*v);
        if (n && *n > 0) p.per_page = std::min<long long>(*n, 100);
    }
    if (auto v = req.Query("page")) {
        auto n = ParseNumber(*v);
        if (n && *n > 0) p.page = std::min<long long>(*n, 1000000000);
    }
    return p;
}

// One page of `items` (rendered by `render`) with GitHub's Link header.
template <typename T, typename Render>
http::Response PageOf(const http::Request& req, const std::string& base_url,
                      const std::vector<T>& items, Render render) {
    Paging p = ReadPaging(req);
    const long long total = static_cast<long long>(items.size());
    const long long last = std::max<long long>(1, (total + p.per_page - 1) / p.per_page);
    std::string body = "[";
    const long long first_index = (p.page - 1) * p.per_page;
    for (long long i = first_index; i < std::min(total, first_index + p.per_page); ++i) {
        if (body.size() > 1) body += ',';
        auto rendered = render(items[static_cast<size_t>(i)]);
        if constexpr (std::is_same_v<decltype(rendered), std::string>) {
            body += rendered;  // already JSON text
        } else {
            body += Dump(rendered);
        }
    }
    body += ']';
    http::Response res = http::Response::Json(200, std::move(body));
    AddPageLinks(res, base_url, req, p.page, last);
    return res;
}

// Sorting of pulls and issues: sort=created|updated|comments, direction=asc|desc (default desc).
std::optional<std::pair<std::string, bool>> SortOrder(const http::Request& req,
                                                      bool allow_comments) {
    std::string sort(req.Query("sort").value_or("created"));
    std::string key;
    if (sort == "created") {
        key = "created_at";
    } else if (sort == "updated") {
        key = "updated_at";
    } else if (sort == "comments" && allow_comments) {
        key = "comments";
    } else if (sort == "popularity" || sort == "long-running") {
        key = "created_at";  // approximations
    } else {
        return std::nullopt;
    }
    std::string dir(req.Query("direction").value_or("desc"));
    if (dir != "asc" && dir != "desc") return std::nullopt;
    return std::make_pair(key, dir == "desc");
}

std::optional<std::string> Since(const http::Request& req, bool& invalid) {
    invalid = false;
    auto v = req.Query("since");
    if (!v) return std::nullopt;
    auto t = ParseTimestamp(*v);
    if (!t) {
        invalid = true;
        return std::nullopt;
    }
    return FormatForgeTime(std::chrono::time_point_cast<std::chrono::seconds>(*t));
}

// ---- Search (GET /search/issues): the subset of GitHub's query grammar that forgedb uses.

// An inclusive time range of a search qualifier; an open end is nullopt.
struct TimeRange {
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
    bool Contains(const json& value) const {
        if (!value.is_string()) return false;
        auto t = ParseTimestamp(value.get_ref<const std::string&>());
        return t && (!from || *t >= *from) && (!to || *t <= *to);
    }
};

// One bound of a range: "*" (open), "YYYY-MM-DD" (the whole day: its first second, or with
// `upper` its last) or an ISO 8601 time (whole seconds). False when it is none of these.
bool ParseBound(std::string_view text, bool upper, std::optional<Timestamp>& out) {
    out.reset();
    if (text == "*") return true;
    if (text.size() == 10 && text[4] == '-' && text[7] == '-') {
        auto day = ParseTimestamp(std::string(text) + "T00:00:00Z");
        if (!day) return false;
        out = upper ? *day + std::chrono::hours(24) - std::chrono::seconds(1) : *day;
        return true;
    }
    auto t = ParseTimestamp(text);
    if (!t) return false;
    out = std::chrono::floor<std::chrono::seconds>(*t);
    return true;
}

// "A..B", ">=A", ">A", "<=A", "<A" or "A".
std::optional<TimeRange> ParseRange(std::string_view v) {
    TimeRange r;
    const auto second = std::chrono::seconds(1);
    bool ok = false;
    if (size_t dots = v.find(".."); dots != std::string_view::npos) {
        ok = ParseBound(v.substr(0, dots), false, r.from) &&
             ParseBound(v.substr(dots + 2), true, r.to);
    } else if (StartsWith(v, ">=")) {
        ok = ParseBound(v.substr(2), false, r.from) && r.from;
    } else if (StartsWith(v, "<=")) {
        ok = ParseBound(v.substr(2), true, r.to) && r.to;
    } else if (StartsWith(v, ">")) {
        ok = ParseBound(v.substr(1), true, r.from) && r.from;
        if (ok) *r.from += second;
    } else if (StartsWith(v, "<")) {
        ok = ParseBound(v.substr(1), false, r.to) && r.to;
        if (ok) *r.to -= second;
    } else {
        ok = ParseBound(v, false, r.from) && ParseBound(v, true, r.to) && r.from;
    }
    if (!ok) return std::nullopt;
    return r;
}

struct SearchQuery {
    std::optional<bool> pulls;                // is:pr (true) or is:issue (false)
    bool merged = false;                      // is:merged
    bool unmerged = false;                    // is:unmerged
    std::optional<std::string> state;         // is:open, is:closed, state:...
    std::vector<std::string> authors;         // author:, lower-case (any of them)
    std::vector<std::string> owners;          // org: and user:, lower-case (any of them)
    std::vector<std::string> repos;           // repo:OWNER/NAME, lower-case (any of them)
    std::map<std::string, TimeRange> ranges;  // created_at, merged_at, updated_at, closed_at
    std::vector<std::string> words;           // other terms: in the title or the body
};

// Terms are separated by spaces or by '+' (a space in a URL query; the server does not decode
// it), except a '+' between digits, which is a time zone ("...T10:00:00+02:00"). Unknown
// qualifiers are taken as words, as GitHub does.
Result<SearchQuery> ParseSearchQuery(std::string_view text) {
    SearchQuery q;
    std::string spaced(text);
    for (size_t i = 0; i < spaced.size(); ++i) {
        auto digit = [&](size_t k) {
            return k < spaced.size() && std::isdigit(static_cast<unsigned char>(spaced[k]));
        };
        if (spaced[i] == '+' && !(i > 0 && digit(i - 1) && digit(i + 1))) spaced[i] = ' ';
    }
    std::stringstream ss{spaced};
    for (std::string term; ss >> term;) {
        size_t colon = term.find(':');
        std::string key = colon == std::string::npos ? "" : AsciiLower(term.substr(0, colon));
        std::string value = colon == std::string::npos ? "" : term.substr(colon + 1);
        std::string lvalue = AsciiLower(value);
        static const std::map<std::string, std::string> kRanges = {{"created", "created_at"},
                                                                   {"merged", "merged_at"},
                                                                   {"updated", "updated_at"},
                                                                   {"closed", "closed_at"}};
        if ((key == "is" || key == "type") && (lvalue == "pr" || lvalue == "pull-request")) {
            q.pulls = true;
        } else if ((key == "is" || key == "type") && lvalue == "issue") {
            q.pulls = false;
        } else if (key == "is" && lvalue == "merged") {
            q.merged = true;
        } else if (key == "is" && lvalue == "unmerged") {
            q.unmerged = true;
        } else if ((key == "is" || key == "state") && (lvalue == "open" || lvalue == "closed")) {
            q.state = lvalue;
        } else if (key == "author" && !value.empty()) {
            q.authors.push_back(lvalue);
        } else if ((key == "org" || key == "user") && !value.empty()) {
            q.owners.push_back(lvalue);
        } else if (key == "repo" && value.find('/') != std::string::npos) {
            q.repos.push_back(lvalue);
        } else if (auto r = kRanges.find(key); r != kRanges.end()) {
            auto range = ParseRange(value);
            if (!range) {
                return Unexpected(ErrorCode::kInvalid, "Invalid date range in '" + term +
                                                           "' (use YYYY-MM-DD or ISO "
                                                           "8601 times, A..B, >=A, <A)");
            }
            q.ranges[r->second] = *range;
        } else {
            q.words.push_back(AsciiLower(term));
        }
    }
    return q;
}

bool Matches(const SearchQuery& q, const json& o, bool is_pull) {
    if (q.pulls && *q.pulls != is_pull) return false;
    const bool merged = is_pull && o.contains("merged_at") && !o["merged_at"].is_null();
    if (q.merged && !merged) return false;
    if (q.unmerged && (!is_pull || merged)) return false;
    if (q.state && StringField(o, "state") != *q.state) return false;
    if (!q.authors.empty()) {
        auto user = o.find("user");
        std::string login =
            user != o.end() && user->is_object() ? AsciiLower(user->value("login", "")) : "";
        if (std::find(q.authors.begin(), q.authors.end(), login) == q.authors.end()) return false;
    }
    for (const auto& [field, range] : q.ranges) {
        auto v = o.find(field);
        if (v == o.end() || !range.Contains(*v)) return false;
    }
    for (const auto& word : q.words) {
        if (AsciiLower(StringField(o, "title")).find(word) == std::string::npos &&
            AsciiLower(StringField(o, "body")).find(word) == std::string::npos) {
            return false;
        }
    }
    return true;
}

// GitHub's 422 for a search query it refuses.
http::Response SearchInvalid(std::string_view message, std::string_view code = "invalid") {
    json body = obj::ErrorBody(422, "Validation Failed",
                               "https://docs.github.com/rest/search/search#search-issues-and-"
                               "pull-requests");
    json error = {{"resource", "Search"}, {"field", "q"}, {"code", code}};
    if (!message.empty()) error["message"] = message;
    body["errors"] = json::array({error});
    return JsonResponse(422, body);
}

}  // namespace

void FakeGithub::AddApiRoutes() {
    const std::string kPullDocs = "https://docs.github.com/rest/pulls/pulls";
    const std::string kIssueDocs = "https://docs.github.com/rest/issues/issues";
    const std::string kRepoDocs = "https://docs.github.com/rest/repos/repos#get-a-repository";
    const std::string kUserDocs = "https://docs.github.com/rest/users/users";

    auto repo_of = [this](const http::Request& r) {
        return FindRepo(r.params.at("owner"), r.params.at("repo"));
    };
    auto number_of = [](const http::Request& r, const char* name) {
        return ParseNumber(r.params.at(name));
    };
    const std::string R = "/repos/{owner}/{repo}";

    // Users.
    auto user_login = [this](const http::Request& r) -> std::optional<std::string> {
        std::string token = TokenOf(r);
        if (token.empty()) return std::nullopt;
        std::lock_guard lock(state_mu_);
        auto it = token_users_.find(token);
        if (it != token_users_.end()) return it->second;
        return std::string();
    };
    auto resolve_login = [this](std::optional<std::string> mapped) -> std::string {
        if (!mapped) return "";
        if (!mapped->empty()) return *mapped;
        return user_order_.empty() ? "" : user_order_.front();
    };
    api_.Add({"GET", "/user", [=, this](const http::Request& r) {
                  std::string login = resolve_login(user_login(r));
                  auto it = users_.find(login);
                  if (login.empty() || it == users_.end()) {
                      return JsonResponse(
                          401, obj::ErrorBody(401, "Requires authentication",
                                              kUserDocs + "#get-the-authenticated-user"));
                  }
                  return JsonResponse(200, it->second);
              }});
    api_.Add({"GET", "/users/{user}", [=, this](const http::Request& r) {
                  auto it = users_.find(AsciiLower(r.params.at("user")));
                  if (it == users_.end()) return NotFound(kUserDocs + "#get-a-user");
                  return JsonResponse(200, it->second);
              }});
    auto repos_of = [this](const http::Request& r, const std::string& login) {
        std::vector<const Repo*> list;
        for (const auto& [key, repo] : repos_) {
            if (repo->owner_login == login) list.push_back(repo.get());
        }
        return PageOf(r, base_url(), list, [](const Repo* repo) { return repo->RenderRepo(); });
    };
    api_.Add({"GET", "/users/{user}/repos", [=, this](const http::Request& r) {
                  std::string login = AsciiLower(r.params.at("user"));
                  if (!users_.count(login)) return NotFound(kUserDocs);
                  return repos_of(r, login);
              }});
    api_.Add({"GET", "/user/repos", [=, this](const http::Request& r) {
                  std::string login = resolve_login(user_login(r));
                  if (login.empty()) {
                      return JsonResponse(401,
                                          obj::ErrorBody(401, "Requires authentication", kDocs));
                  }
                  return repos_of(r, login);
              }});

    api_.Add({"GET", "/orgs/{org}/repos", [=, this](const http::Request& r) {
                  std::string login = AsciiLower(r.params.at("org"));
                  auto it = users_.find(login);
                  if (it == users_.end() || it->second.value("type", "") != "Organization") {
                      return NotFound("https://docs.github.com/rest/repos/repos");
                  }
                  return repos_of(r, login);
              }});

    // Search.
    api_.Add({"GET", "/search/issues", [this](const http::Request& r) { return SearchIssues(r); }});

    // Repository.
    api_.Add({"GET", R, [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound(kRepoDocs);
                  return JsonResponse(200, repo->RenderRepo());
              }});

    // Commits of the default branch, newest first: author (login or e-mail), since and until
    // (inclusive, on the committer date).
    api_.Add({"GET", R + "/commits", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound("https://docs.github.com/rest/commits/commits");
                  std::string author = AsciiLower(std::string(r.Query("author").value_or("")));
                  std::optional<std::string> bounds[2];
                  const char* names[2] = {"since", "until"};
                  for (int b = 0; b < 2; ++b) {
                      auto v = r.Query(names[b]);
                      if (!v) continue;
                      auto t = ParseTimestamp(*v);
                      if (!t) return Invalid("Invalid value for '" + std::string(names[b]) + "'");
                      bounds[b] = FormatForgeTime(*t);
                  }
                  std::vector<const json*> list;
                  for (const auto& c : repo->commits) {
                      const std::string date = c["commit"]["committer"].value("date", "");
                      if (bounds[0] && date < *bounds[0]) continue;
                      if (bounds[1] && date > *bounds[1]) continue;
                      if (!author.empty()) {
                          const json& a = c["author"];
                          bool login = a.is_object() && AsciiLower(a.value("login", "")) == author;
                          bool email =
                              AsciiLower(c["commit"]["author"].value("email", "")) == author;
                          if (!login && !email) continue;
                      }
                      list.push_back(&c);
                  }
                  return PageOf(r, base_url(), list, [](const json* c) { return *c; });
              }});

    // Pulls.
    api_.Add({"GET", R + "/pulls", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound(kPullDocs + "#list-pull-requests");
                  auto state = StateFilter(r, "open");
                  auto order = SortOrder(r, false);
                  if (!state || !order) return Invalid("Validation Failed");
                  // GitHub: direction defaults to asc unless sorting by created.
                  if (!r.Query("direction") && order->first != "created_at") order->second = false;
                  std::vector<const Numbered*> list;
                  for (const auto& [num, n] : repo->items) {
                      if (n.is_pull && StateMatches(n.obj, *state)) list.push_back(&n);
                  }
                  const auto& [key, desc] = *order;
                  SortBy(list, key, desc, [](const Numbered* n) -> const json& { return n->obj; });
                  return PageOf(r, base_url(), list,
                                [&](const Numbered* n) { return repo->PullListText(*n); });
              }});
    auto find_pull = [=](const http::Request& r) -> const Numbered* {
        Repo* repo = repo_of(r);
        auto number = number_of(r, "number");
        if (!repo || !number) return nullptr;
        auto it = repo->items.find(*number);
        return it == repo->items.end() || !it->second.is_pull ? nullptr : &it->second;
    };
    api_.Add({"GET", R + "/pulls/{number}", [=](const http::Request& r) {
                  const Numbered* n = find_pull(r);
                  if (!n) return NotFound(kPullDocs + "#get-a-pull-request");
                  return JsonResponse(200, repo_of(r)->RenderPull(*n, true));
              }});
    api_.Add({"GET", R + "/pulls/{number}/files", [=, this](const http::Request& r) {
                  const Numbered* n = find_pull(r);
                  if (!n) return NotFound(kPullDocs + "#list-pull-requests-files");
                  return PageOf(r, base_url(), n->files, [](const json& f) { return f; });
              }});
    api_.Add(
        {"GET", R + "/pulls/{number}/reviews", [=, this](const http::Request& r) {
             const Numbered* n = find_pull(r);
             if (!n) {
                 return NotFound(
                     "https://docs.github.com/rest/pulls/reviews#list-reviews-for-a-pull-request");
             }
             return PageOf(r, base_url(), n->reviews, [](const json& x) { return x; });
         }});

    // Issues (pull requests included, as on GitHub).
    api_.Add({"GET", R + "/issues", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound(kIssueDocs + "#list-repository-issues");
                  auto state = StateFilter(r, "open");
                  auto order = SortOrder(r, true);
                  bool bad_since = false;
                  auto since = Since(r, bad_since);
                  if (!state || !order || bad_since) return Invalid("Validation Failed");
                  std::vector<std::string> label_filter;
                  if (auto l = r.Query("labels")) {
                      std::stringstream ss{std::string(*l)};
                      for (std::string part; std::getline(ss, part, ',');) {
                          if (!part.empty()) label_filter.push_back(AsciiLower(part));
                      }
                  }
                  std::vector<const Numbered*> list;
                  for (const auto& [num, n] : repo->items) {
                      if (!StateMatches(n.obj, *state)) continue;
                      if (since && StringField(n.obj, "updated_at") < *since) continue;
                      bool labels_ok = true;
                      for (const auto& want : label_filter) {
                          bool found = false;
                          for (const auto& l : n.obj.value("labels", json::array())) {
                              found = found || AsciiLower(l.value("name", "")) == want;
                          }
                          labels_ok = labels_ok && found;
                      }
                      if (labels_ok) list.push_back(&n);
                  }
                  const auto& [key, desc] = *order;
                  SortBy(list, key, desc, [](const Numbered* n) -> const json& { return n->obj; });
                  return PageOf(r, base_url(), list,
                                [&](const Numbered* n) { return repo->RenderIssue(*n); });
              }});
    auto comments_page = [this](const http::Request& r, Repo& repo,
                                std::optional<long long> number) {
        bool bad_since = false;
        auto since = Since(r, bad_since);
        if (bad_since) return Invalid("Validation Failed");
        std::vector<const json*> list;
        for (const auto& [id, c] : repo.comments) {
            if (number && c.number != *number) continue;
            if (since && StringField(c.obj, "updated_at") < *since) continue;
            list.push_back(&c.obj);
        }
        // Repository-wide lists sort by created (default) or updated; ascending unless told.
        if (!number && r.Query("sort")) {
            std::string key = r.Query("sort") == "updated" ? "updated_at" : "created_at";
            bool desc = r.Query("direction") == "desc";
            SortBy(list, key, desc, [](const json* c) -> const json& { return *c; });
        }
        return PageOf(r, base_url(), list, [](const json* c) { return *c; });
    };
    api_.Add({"GET", R + "/issues/comments", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) {
                      return NotFound(
                          "https://docs.github.com/rest/issues/"
                          "comments#list-issue-comments-for-a-repository");
                  }
                  return comments_page(r, *repo, std::nullopt);
              }});
    api_.Add({"GET", R + "/issues/comments/{id}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto id = number_of(r, "id");
                  if (!repo || !id || !repo->comments.count(*id)) {
                      return NotFound(
                          "https://docs.github.com/rest/issues/comments#get-an-issue-comment");
                  }
                  return JsonResponse(200, repo->comments.at(*id).obj);
              }});
    api_.Add({"GET", R + "/issues/{number}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto number = number_of(r, "number");
                  if (!repo || !number || !repo->items.count(*number)) {
                      return NotFound(kIssueDocs + "#get-an-issue");
                  }
                  return JsonResponse(200, repo->RenderIssue(repo->items.at(*number)));
              }});
    api_.Add({"GET", R + "/issues/{number}/comments", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto number = number_of(r, "number");
                  if (!repo || !number || !repo->items.count(*number)) {
                      return NotFound(
                          "https://docs.github.com/rest/issues/comments#list-issue-comments");
                  }
                  return comments_page(r, *repo, number);
              }});

    // Labels, milestones, hooks.
    api_.Add({"GET", R + "/labels", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  return PageOf(r, base_url(), repo->labels, [](const json& l) { return l; });
              }});
    api_.Add({"GET", R + "/labels/{name}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  json* l = repo ? repo->FindLabel(r.params.at("name")) : nullptr;
                  if (!l) return NotFound("https://docs.github.com/rest/issues/labels#get-a-label");
                  return JsonResponse(200, *l);
              }});
    api_.Add({"GET", R + "/milestones", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  auto state = StateFilter(r, "open");
                  if (!state) return Invalid("Validation Failed");
                  std::vector<const json*> list;
                  for (const auto& [num, m] : repo->milestones) {
                      if (StateMatches(m, *state)) list.push_back(&m);
                  }
                  if (r.Query("direction") == "desc") std::reverse(list.begin(), list.end());
                  return PageOf(r, base_url(), list, [](const json* m) { return *m; });
              }});
    api_.Add({"GET", R + "/milestones/{number}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto number = number_of(r, "number");
                  if (!repo || !number || !repo->milestones.count(*number)) {
                      return NotFound(
                          "https://docs.github.com/rest/issues/milestones#get-a-milestone");
                  }
                  return JsonResponse(200, repo->milestones.at(*number));
              }});
    api_.Add({"GET", R + "/hooks", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  std::vector<const json*> list;
                  for (const auto& [id, h] : repo->hooks) list.push_back(&h);
                  return PageOf(r, base_url(), list, [](const json* h) { return *h; });
              }});
    api_.Add({"GET", R + "/hooks/{id}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto id = number_of(r, "id");
                  if (!repo || !id || !repo->hooks.count(*id)) {
                      return NotFound(
                          "https://docs.github.com/rest/repos/webhooks#get-a-repository-webhook");
                  }
                  return JsonResponse(200, repo->hooks.at(*id));
              }});

    // Releases, branches and tags.
    api_.Add({"GET", R + "/releases", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  return PageOf(r, base_url(), repo->releases, [](const json& x) { return x; });
              }});
    api_.Add({"GET", R + "/releases/{id}", [=](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  auto id = number_of(r, "id");
                  json* rel = repo && id ? repo->FindRelease(*id) : nullptr;
                  if (!rel)
                      return NotFound(
                          "https://docs.github.com/rest/releases/releases#get-a-release");
                  return JsonResponse(200, *rel);
              }});
    api_.Add({"GET", R + "/branches", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  return PageOf(r, base_url(), repo->branches, [](const json& x) { return x; });
              }});
    api_.Add({"GET", R + "/tags", [=, this](const http::Request& r) {
                  Repo* repo = repo_of(r);
                  if (!repo) return NotFound();
                  return PageOf(r, base_url(), repo->tags, [](const json& x) { return x; });
              }});
}

// GitHub answers at most this many results of one search; total_count still counts them all.
constexpr long long kSearchResultCap = 1000;

http::Response FakeGithub::SearchIssues(const http::Request& req) {
    auto text = req.Query("q");
    if (!text || text->find_first_not_of(' ') == std::string_view::npos) {
        return SearchInvalid("", "missing");
    }
    auto q = ParseSearchQuery(*text);
    if (!q) return SearchInvalid(q.error().message);
    const char* kHidden =
        "The listed users and repositories cannot be searched either because the resources do "
        "not exist or you do not have permission to view them.";
    for (const auto& owner : q->owners) {
        if (!users_.count(owner)) return SearchInvalid(kHidden);
    }
    for (const auto& repo : q->repos) {
        if (!repos_.count(repo)) return SearchInvalid(kHidden);
    }
    std::string sort(req.Query("sort").value_or(""));
    std::string order(req.Query("order").value_or("desc"));
    static const std::map<std::string, std::string> kSortKeys = {
        {"", "created_at"},  // best match; the fake approximates it by creation
        {"created", "created_at"},
        {"updated", "updated_at"},
        {"comments", "comments"}};
    auto sort_key = kSortKeys.find(sort);
    if (sort_key == kSortKeys.end() || (order != "asc" && order != "desc")) {
        return JsonResponse(422, obj::ErrorBody(422, "Validation Failed", kDocs));
    }

    struct Hit {
        const Repo* repo;
        const Numbered* item;
    };
    std::vector<Hit> hits;
    for (const auto& [key, repo] : repos_) {
        if (!q->owners.empty() &&
            std::find(q->owners.begin(), q->owners.end(), repo->owner_login) == q->owners.end()) {
            continue;
        }
        if (!q->repos.empty() &&
            std::find(q->repos.begin(), q->repos.end(), key) == q->repos.end()) {
            continue;
        }
        for (const auto& [number, n] : repo->items) {
            if (Matches(*q, n.obj, n.is_pull)) hits.push_back({repo.get(), &n});
        }
    }
    SortBy(hits, sort_key->second, order == "desc",
           [](const Hit& h) -> const json& { return h.item->obj; });

    const Paging p = ReadPaging(req);
    const long long total = static_cast<long long>(hits.size());
    const long long reachable = std::min(total, kSearchResultCap);
    const long long first = (p.page - 1) * p.per_page;
    if (first >= kSearchResultCap) {
        return JsonResponse(422,
                            obj::ErrorBody(422, "Only the first 1000 search results are available",
                                           "https://docs.github.com/v3/search/"));
    }
    long long end = std::max(first, std::min(reachable, first + p.per_page));
    bool incomplete = false;
    {
        std::lock_guard lock(state_mu_);
        if (incomplete_searches_ > 0) {
            --incomplete_searches_;
            incomplete = true;
        }
    }
    if (incomplete && end > first) end = first + (end - first) / 2;
    std::string body = "{\"total_count\":" + std::to_string(total) +
                       ",\"incomplete_results\":" + (incomplete ? "true" : "false") +
                       ",\"items\":[";
    for (long long i = first; i < end; ++i) {
        const Hit& h = hits[static_cast<size_t>(i)];
        json item = h.repo->RenderIssue(*h.item);
        item["score"] = 1.0;
        if (i > first) body += ',';
        body += Dump(item);
    }
    body += "]}";
    http::Response res = http::Response::Json(200, std::move(body));
    const long long last = std::max<long long>(1, (reachable + p.per_page - 1) / p.per_page);
    AddPageLinks(res, base_url(), req, p.page, last);
    return res;
}

// ---------------------------------------------------------------------------------------------
// Control API

void FakeGithub::AddControlRoutes() {
    auto body_of = [](const http::Request& r) -> std::optional<json> {
        if (r.body.empty()) return json::object();
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return std::nullopt;
        return j;
    };
    auto bad = [](std::string_view msg) { return http::Response::Error(400, msg); };
    auto from_status = [](const Status& st) {
        if (st) return JsonResponse(200, {{"ok", true}});
        int code = st.error().code == ErrorCode::kNotFound ? 404 : 400;
        return http::Response::Error(code, st.error().message);
    };
    auto time_of = [this](const json& j) -> std::optional<Timestamp> {
        if (!j.contains("at")) return Now();
        if (!j["at"].is_string()) return std::nullopt;
        return ParseTimestamp(j["at"].get<std::string>());
    };
    auto ref_of = [](const http::Request& r) -> std::optional<ItemRef> {
        auto kind = ParseItemKind(r.params.at("kind"));
        if (!kind) return std::nullopt;
        return ItemRef{r.params.at("owner"), r.params.at("repo"), *kind,
                       r.params.count("key") ? r.params.at("key") : ""};
    };

    control_.Add({"GET", "/_fake/health", [](const http::Request&) {
                      return JsonResponse(200, {{"ok", true}});
                  }});
    pipeline_.AddRoutes(control_, {.json = JsonResponse});
    auto resource_ok = [](const std::string& resource) {
        return resource == "core" || resource == "search";
    };
    control_.Add({"GET", "/_fake/budgets/{token}", [=, this](const http::Request& r) {
                      std::string resource(r.Query("resource").value_or("core"));
                      if (!resource_ok(resource)) return bad("resource: core or search");
                      return JsonResponse(
                          200, BudgetJson(Budget(r.params.at("token"), resource), resource));
                  }});
    control_.Add({"PUT", "/_fake/budgets/{token}", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j) return bad("body must be a JSON object");
                      std::string resource = j->value("resource", "core");
                      if (!resource_ok(resource)) return bad("resource: core or search");
                      const std::string& token = r.params.at("token");
                      RateBudget cur = Budget(token, resource);
                      SetBudget(token, j->value("limit", cur.limit),
                                j->value("remaining", cur.remaining),
                                j->value("reset", cur.reset_epoch), resource);
                      return JsonResponse(200, BudgetJson(Budget(token, resource), resource));
                  }});
    control_.Add({"POST", "/_fake/search/incomplete", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j) return bad("expected {\"count\": N}");
                      SetIncompleteSearches(j->value("count", 1));
                      return JsonResponse(200, {{"ok", true}});
                  }});
    control_.Add({"PUT", "/_fake/tokens/{token}", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j || !j->contains("login")) return bad("expected {\"login\": ...}");
                      SetTokenUser(r.params.at("token"), j->value("login", ""));
                      return JsonResponse(200, {{"ok", true}});
                  }});
    control_.Add({"POST", "/_fake/generate", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j || !j->contains("owner") || !j->contains("name")) {
                          return bad("expected {\"owner\": ..., \"name\": ...}");
                      }
                      GenerateOptions o;
                      o.pulls = j->value("pulls", o.pulls);
                      o.issues = j->value("issues", o.issues);
                      o.labels = j->value("labels", o.labels);
                      o.milestones = j->value("milestones", o.milestones);
                      o.hooks = j->value("hooks", o.hooks);
                      o.releases = j->value("releases", o.releases);
                      o.branches = j->value("branches", o.branches);
                      o.comments_per_item = j->value("comments_per_item", o.comments_per_item);
                      o.files_per_pull = j->value("files_per_pull", o.files_per_pull);
                      o.reviews_per_pull = j->value("reviews_per_pull", o.reviews_per_pull);
                      o.closed_percent = j->value("closed_percent", o.closed_percent);
                      o.seed = j->value("seed", o.seed);
                      o.commits = j->value("commits", o.commits);
                      o.commit_authors = j->value("commit_authors", o.commit_authors);
                      o.organization = j->value("organization", o.organization);
                      o.item_authors = j->value("item_authors", o.item_authors);
                      if (j->contains("merged_percent")) {
                          o.merged_percent = j->value("merged_percent", 75);
                      }
                      if (j->contains("start")) {
                          auto start = ParseTimestamp(j->value("start", ""));
                          if (!start) return bad("bad \"start\"");
                          o.start = *start;
                      }
                      o.spacing = std::chrono::seconds(
                          j->value("spacing_seconds", static_cast<long long>(o.spacing.count())));
                      auto g = Generate(j->value("owner", ""), j->value("name", ""), o);
                      return JsonResponse(200, {{"owner", g.owner},
                                                {"name", g.name},
                                                {"id", g.id},
                                                {"pull_numbers", g.pull_numbers},
                                                {"issue_numbers", g.issue_numbers},
                                                {"open_pulls", g.open_pulls},
                                                {"open_issues", g.open_issues},
                                                {"comments", g.comments},
                                                {"files", g.files},
                                                {"reviews", g.reviews},
                                                {"commits", g.commits},
                                                {"releases", g.releases},
                                                {"branches", g.branches},
                                                {"tags", g.tags},
                                                {"latest_update", Time(g.latest_update)}});
                  }});
    control_.Add({"POST", "/_fake/fixtures", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j || !j->contains("dir")) return bad("expected {\"dir\": ...}");
                      try {
                          AddRecordedFixtures(j->value("dir", ""));
                      } catch (const std::exception& e) {
                          return bad(e.what());
                      }
                      return JsonResponse(200, {{"ok", true}});
                  }});
    const std::string item = "/_fake/repos/{owner}/{repo}/{kind}/{key}";
    control_.Add({"GET", item, [=, this](const http::Request& r) {
                      auto ref = ref_of(r);
                      if (!ref) return bad("unknown kind");
                      auto got = Get(*ref);
                      if (!got) return http::Response::Error(404, got.error().message);
                      return JsonResponse(200, *got);
                  }});
    control_.Add({"PATCH", item, [=, this](const http::Request& r) {
                      auto ref = ref_of(r);
                      auto j = body_of(r);
                      if (!ref || !j) return bad("unknown kind or body not a JSON object");
                      auto at = time_of(*j);
                      if (!at) return bad("bad \"at\"");
                      return from_status(UpdateItem(*ref, j->value("patch", json::object()), *at));
                  }});
    control_.Add({"DELETE", item, [=, this](const http::Request& r) {
                      auto ref = ref_of(r);
                      if (!ref) return bad("unknown kind");
                      return from_status(DeleteItem(*ref));
                  }});
    control_.Add({"POST", "/_fake/repos/{owner}/{repo}/{kind}", [=, this](const http::Request& r) {
                      auto ref = ref_of(r);
                      auto j = body_of(r);
                      if (!ref || !j) return bad("unknown kind or body not a JSON object");
                      auto at = time_of(*j);
                      if (!at) return bad("bad \"at\"");
                      auto added =
                          AddItem(ref->owner, ref->repo, ref->kind,
                                  j->value("fields", json::object()), *at, j->value("parent", 0LL));
                      if (!added) {
                          int code = added.error().code == ErrorCode::kNotFound ? 404 : 400;
                          return http::Response::Error(code, added.error().message);
                      }
                      return JsonResponse(201, *added);
                  }});
}

}  // namespace forgedb::fake
