// FakeGerrit: data model, Gerrit's routes, and the request pipeline (statistics, faults, basic
// auth). Control API, all JSON, not counted:
//   GET    /_fake/health                 {"ok":true}
//   GET    /_fake/stats                  DELETE /_fake/stats (reset)
//   GET    /_fake/faults                 POST /_fake/faults {kind,status,retry_after,delay_ms,
//                                                           path_prefix,count}   DELETE (clear)
//   POST   /_fake/generate               {owner,count,seed}
//   GET|PATCH /_fake/changes/{number}     PATCH body {patch,at}
//   POST   /_fake/changes/{number}/patchsets   {at}
//   DELETE /_fake/changes/{number}        deletes the change upstream
//   POST   /_fake/visibility             {change: N | project: NAME, visible: BOOL}
// "at" is an ISO 8601 time (default: now).

#include "fake_gerrit.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>

#include "forgedb/core/text.hpp"
#include "forgedb/core/url.hpp"
#include "objects.hpp"

namespace forgedb::fake {

using nlohmann::json;

namespace {

constexpr std::string_view kXssi = ")]}'\n";
constexpr int kMaxSegments = 10;

bool StartsWith(std::string_view s, std::string_view prefix) {
    return s.substr(0, prefix.size()) == prefix;
}

std::optional<long long> ParseNumber(std::string_view s) {
    long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A Gerrit JSON answer: the XSSI guard, then the JSON.
http::Response GerritJson(const json& body) {
    http::Response r;
    r.status = 200;
    r.content_type = "application/json; charset=utf-8";
    r.body = std::string(kXssi) + Dump(body);
    return r;
}

// Gerrit's error answers are plain text.
http::Response Text(int status, std::string_view message) {
    http::Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::string(message) + "\n";
    return r;
}

http::Response ControlJson(int status, const json& body) {
    return http::Response::Json(status, Dump(body));
}

std::optional<std::string> Base64Decode(std::string_view in) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : in) {
        if (c == '=') break;
        int v = value(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

std::string PercentDecode(std::string_view s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            unsigned v = 0;
            auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
            if (ec == std::errc() && p == s.data() + i + 3) {
                out += static_cast<char>(v);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::string StringField(const json& o, const char* key) {
    auto it = o.find(key);
    return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Timestamp UpdatedOf(const json& change) {
    return ParseTimestamp(StringField(change, "updated")).value_or(Timestamp{});
}

std::string GerritTime(Timestamp t) { return FormatGerritTime(t); }

// after:/before: values: "YYYY-MM-DD" or "YYYY-MM-DD hh:mm:ss[.fff]", UTC.
std::optional<Timestamp> ParseQueryTime(std::string v) {
    if (v.size() == 10) v += " 00:00:00";
    if (v.size() < 19) return std::nullopt;
    for (char c : v) {
        if (c == 'Z' || c == '+' || c == 'T') return std::nullopt;  // Gerrit's form only
    }
    return ParseTimestamp(v);
}

// One term of a query: an operator and its value (quotes and braces removed).
struct Term {
    std::string op;
    std::string value;
};

// `raw` as decoded by the server; '+' reads as a space, as Gerrit's servlet container reads it
// (so a literal '+' inside a value is not supported).
Result<std::vector<Term>> ParseQuery(std::string_view raw) {
    std::string plus_as_space(raw);
    std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
    std::string_view q = plus_as_space;
    std::vector<Term> terms;
    size_t i = 0;
    while (i < q.size()) {
        while (i < q.size() && (q[i] == ' ' || q[i] == '(' || q[i] == ')')) ++i;
        if (i >= q.size()) break;
        std::string token;
        while (i < q.size() && q[i] != ' ') {
            if (q[i] == '"' || q[i] == '{') {
                char close = q[i] == '"' ? '"' : '}';
                size_t end = q.find(close, i + 1);
                if (end == std::string_view::npos) {
                    return Unexpected(ErrorCode::kInvalid, "unterminated quote in query");
                }
                token.append(q.substr(i + 1, end - i - 1));
                i = end + 1;
                continue;
            }
            token += q[i++];
        }
        while (!token.empty() && token.back() == ')') token.pop_back();
        if (token.empty() || token == "AND") continue;
        if (token == "OR" || token == "NOT" || token[0] == '-' || token[0] == '!') {
            return Unexpected(ErrorCode::kInvalid, "unsupported query syntax '" + token + "'");
        }
        size_t colon = token.find(':');
        if (colon == std::string::npos || colon == 0) {
            return Unexpected(ErrorCode::kInvalid, "unsupported query term '" + token + "'");
        }
        terms.push_back({token.substr(0, colon), token.substr(colon + 1)});
    }
    if (terms.empty()) return Unexpected(ErrorCode::kInvalid, "empty query");
    return terms;
}

// The query options (o=) of a request.
struct Options {
    bool detailed_accounts = false;
    bool current_revision = false;
    bool all_revisions = false;
    bool commits = false;
    bool details = false;  // accounts: DETAILS
};

Options OptionsOf(const http::Request& req) {
    Options o;
    auto [begin, end] = req.query.equal_range("o");
    for (auto it = begin; it != end; ++it) {
        const std::string& v = it->second;
        if (v == "DETAILED_ACCOUNTS") o.detailed_accounts = true;
        if (v == "CURRENT_REVISION") o.current_revision = true;
        if (v == "ALL_REVISIONS") o.all_revisions = true;
        if (v == "CURRENT_COMMIT" || v == "ALL_COMMITS") o.commits = true;
        if (v == "DETAILS") o.details = true;
    }
    return o;
}

// FNV-1a, so that generated data depends on the owner's name the same way everywhere.
std::uint64_t Fnv(std::string_view s) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 0x100000001b3ULL;
    }
    return h;
}

constexpr const char* kVerbs[] = {"Fix",    "Add",      "Remove",   "Refactor",
                                  "Update", "Document", "Speed up", "Simplify"};
constexpr const char* kNouns[] = {"parser cache", "login form",    "job runner", "API module",
                                  "search index", "config loader", "test suite", "logging"};
constexpr const char* kKinds[] = {"REWORK", "TRIVIAL_REBASE", "NO_CODE_CHANGE", "NO_CHANGE"};

}  // namespace

FakeGerrit::FakeGerrit(FakeGerritOptions options)
    : FakeServer(options.max_logged_urls),
      options_(std::move(options)),
      clock_(options_.clock ? options_.clock : &system_clock_) {
    while (!options_.path_prefix.empty() && options_.path_prefix.back() == '/') {
        options_.path_prefix.pop_back();
    }
    if (!options_.path_prefix.empty() && options_.path_prefix[0] != '/') {
        options_.path_prefix.insert(0, "/");
    }
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

FakeGerrit::~FakeGerrit() { Stop(); }

Timestamp FakeGerrit::Now() const { return clock_->Now(); }

// ---------------------------------------------------------------------------------------------
// Data

long long FakeGerrit::AddAccountLocked(const json& account) {
    long long id = account.value("_account_id", 0LL);
    if (id <= 0) return 0;
    json& stored = accounts_[id];
    if (!stored.is_object()) stored = json::object();
    for (const auto& [k, v] : account.items()) stored[k] = v;
    next_account_id_ = std::max(next_account_id_, id + 1);
    return id;
}

long long FakeGerrit::AddAccount(const json& account) {
    std::unique_lock lock(data_mu_);
    return AddAccountLocked(account);
}

void FakeGerrit::SetPassword(const std::string& username, const std::string& password) {
    std::unique_lock lock(data_mu_);
    passwords_[username] = password;
}

void FakeGerrit::AddChangeLocked(json change) {
    long long number = change.value("_number", 0LL);
    if (number <= 0) return;
    change.erase("_more_changes");
    if (const std::string project = StringField(change, "project"); !project.empty()) {
        projects_.insert(project);
    }
    auto learn = [this](const json& account) {
        if (account.is_object() && account.size() > 1) AddAccountLocked(account);
    };
    if (change.contains("owner")) learn(change["owner"]);
    if (change.contains("revisions") && change["revisions"].is_object()) {
        for (const auto& [sha, rev] : change["revisions"].items()) {
            (void)sha;
            if (rev.contains("uploader")) learn(rev["uploader"]);
        }
    }
    next_number_ = std::max(next_number_, number + 1);
    changes_[number] = std::move(change);
}

void FakeGerrit::AddChange(const json& change) {
    std::unique_lock lock(data_mu_);
    AddChangeLocked(change);
}

void FakeGerrit::AddRecordedFixtures(const std::string& dir) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
    }
    if (ec) throw std::runtime_error("cannot read " + dir + ": " + ec.message());
    std::sort(files.begin(), files.end());
    std::unique_lock lock(data_mu_);
    for (const auto& path : files) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        std::string text = ss.str();
        if (StartsWith(text, ")]}'")) text.erase(0, text.find('\n') + 1);
        json j = json::parse(text, nullptr, false);
        if (j.is_discarded()) throw std::runtime_error(path.string() + " is not JSON");
        std::vector<json> items = j.is_array() ? j.get<std::vector<json>>() : std::vector<json>{j};
        for (auto& item : items) {
            if (item.is_object() && item.contains("_number")) AddChangeLocked(std::move(item));
        }
    }
}

GeneratedGerritOwner FakeGerrit::Generate(const std::string& owner_username, int count,
                                          GerritGenerateOptions o) {
    objects::Rng rng(o.seed * 0x9e3779b97f4a7c15ULL + Fnv(owner_username));
    std::unique_lock lock(data_mu_);
    GeneratedGerritOwner out;
    out.username = owner_username;
    for (const auto& [id, a] : accounts_) {
        if (StringField(a, "username") == owner_username) out.account_id = id;
    }
    if (out.account_id == 0) {
        std::string name = owner_username;
        if (!name.empty())
            name[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[0])));
        out.account_id = AddAccountLocked({{"_account_id", next_account_id_},
                                           {"name", name + " Example"},
                                           {"email", owner_username + "@example.org"},
                                           {"username", owner_username}});
    }
    if (o.projects.empty()) o.projects = {"test-project"};
    const long long spacing = std::max<long long>(o.spacing.count(), 1);
    const long long month = 30LL * 24 * 3600;
    for (int i = 0; i < count; ++i) {
        const long long number = next_number_++;
        auto ms = [&](long long seconds) {
            return std::chrono::seconds(seconds) +
                   std::chrono::milliseconds(static_cast<long long>(rng.Below(1000)));
        };
        Timestamp created =
            o.start + ms(i * spacing + static_cast<long long>(rng.Below(spacing / 2 + 1)));
        Timestamp updated = created + ms(1 + static_cast<long long>(rng.Below(month)));
        int roll = static_cast<int>(rng.Below(100));
        std::string status = roll < o.merged_percent                         ? "MERGED"
                             : roll < o.merged_percent + o.abandoned_percent ? "ABANDONED"
                                                                             : "NEW";
        const std::string& project = o.projects[rng.Below(o.projects.size())];
        std::string change_id = "I" + rng.Hex(40);
        std::string subject = std::string(kVerbs[rng.Below(std::size(kVerbs))]) + " " +
                              kNouns[rng.Below(std::size(kNouns))] + " (change " +
                              std::to_string(number) + ")";
        json change = {
            {"id", PercentEncode(project) + "~master~" + change_id},
            {"project", project},
            {"branch", "master"},
            {"hashtags", json::array()},
            {"change_id", change_id},
            {"subject", subject},
            {"status", status},
            {"created", GerritTime(created)},
            {"updated", GerritTime(updated)},
            {"submit_type", "MERGE_IF_NECESSARY"},
            {"insertions", static_cast<long long>(rng.Below(400))},
            {"deletions", static_cast<long long>(rng.Below(200))},
            {"total_comment_count", static_cast<long long>(rng.Below(6))},
            {"unresolved_comment_count", 0},
            {"has_review_started", true},
            {"meta_rev_id", rng.Hex(40)},
            {"_number", number},
            {"owner", {{"_account_id", out.account_id}}},
            {"requirements", json::array()},
        };
        if (status == "MERGED") change["submitted"] = GerritTime(updated);
        if (status == "NEW" && rng.Below(5) == 0) change["work_in_progress"] = true;
        if (rng.Below(5) == 0) change["topic"] = "topic-" + std::to_string(rng.Below(20));
        const int patch_sets = 1 + static_cast<int>(rng.Below(std::max(o.max_patch_sets, 1)));
        json revisions = json::object();
        std::string current;
        char shard[8];
        std::snprintf(shard, sizeof shard, "%02lld", number % 100);
        for (int k = 1; k <= patch_sets; ++k) {
            std::string sha = rng.Hex(40);
            Timestamp at = created + (updated - created) * (k - 1) / patch_sets;
            std::string ref = "refs/changes/" + std::string(shard) + "/" + std::to_string(number) +
                              "/" + std::to_string(k);
            revisions[sha] = {
                {"kind", k == 1 ? "REWORK" : kKinds[rng.Below(std::size(kKinds))]},
                {"_number", k},
                {"created", GerritTime(at)},
                {"uploader", {{"_account_id", out.account_id}}},
                {"ref", ref},
                {"fetch",
                 {{"anonymous http",
                   {{"url", "https://gerrit.example.org/r/" + project}, {"ref", ref}}}}},
                {"commit",
                 {{"parents", json::array({{{"commit", rng.Hex(40)}}})},
                  {"subject", subject},
                  {"message", subject + "\n\nChange-Id: " + change_id + "\n"}}},
            };
            current = sha;
        }
        change["current_revision"] = current;
        change["revisions"] = std::move(revisions);
        if (updated > out.latest_update) out.latest_update = updated;
        out.numbers.push_back(number);
        AddChangeLocked(std::move(change));
    }
    return out;
}

Result<json> FakeGerrit::GetChange(long long number) const {
    std::shared_lock lock(data_mu_);
    auto it = changes_.find(number);
    if (it == changes_.end()) {
        return Unexpected(ErrorCode::kNotFound, "no change " + std::to_string(number));
    }
    return it->second;
}

std::vector<json> FakeGerrit::Changes() const {
    std::shared_lock lock(data_mu_);
    std::vector<json> out;
    out.reserve(changes_.size());
    for (const auto& [n, c] : changes_) out.push_back(c);
    return out;
}

Status FakeGerrit::UpdateChange(long long number, const json& patch, Timestamp at) {
    std::unique_lock lock(data_mu_);
    auto it = changes_.find(number);
    if (it == changes_.end()) {
        return Unexpected(ErrorCode::kNotFound, "no change " + std::to_string(number));
    }
    json& change = it->second;
    const std::string before = StringField(change, "status");
    change.merge_patch(patch);
    change["updated"] = GerritTime(at);
    if (StringField(change, "status") == "MERGED" && before != "MERGED") {
        change["submitted"] = GerritTime(at);
    }
    return Ok();
}

Status FakeGerrit::DeleteChange(long long number) {
    std::unique_lock lock(data_mu_);
    if (changes_.erase(number) == 0) {
        return Unexpected(ErrorCode::kNotFound, "no change " + std::to_string(number));
    }
    hidden_changes_.erase(number);
    return {};
}

Status FakeGerrit::SetChangeVisible(long long number, bool visible) {
    std::unique_lock lock(data_mu_);
    if (!changes_.contains(number)) {
        return Unexpected(ErrorCode::kNotFound, "no change " + std::to_string(number));
    }
    if (visible) {
        hidden_changes_.erase(number);
    } else {
        hidden_changes_.insert(number);
    }
    return {};
}

void FakeGerrit::SetProjectVisible(const std::string& project, bool visible) {
    std::unique_lock lock(data_mu_);
    if (visible) {
        hidden_projects_.erase(project);
    } else {
        hidden_projects_.insert(project);
    }
}

Result<std::string> FakeGerrit::AddPatchSet(long long number, Timestamp at) {
    std::unique_lock lock(data_mu_);
    auto it = changes_.find(number);
    if (it == changes_.end()) {
        return Unexpected(ErrorCode::kNotFound, "no change " + std::to_string(number));
    }
    json& change = it->second;
    objects::Rng rng(static_cast<std::uint64_t>(number) * 7919 +
                     static_cast<std::uint64_t>(at.time_since_epoch().count()));
    long long next = 1;
    if (change.contains("revisions") && change["revisions"].is_object()) {
        for (const auto& [sha, rev] : change["revisions"].items()) {
            (void)sha;
            next = std::max(next, rev.value("_number", 0LL) + 1);
        }
    } else {
        change["revisions"] = json::object();
    }
    char shard[8];
    std::snprintf(shard, sizeof shard, "%02lld", number % 100);
    std::string ref = "refs/changes/" + std::string(shard) + "/" + std::to_string(number) + "/" +
                      std::to_string(next);
    std::string sha = rng.Hex(40);
    json owner = change.value("owner", json::object());
    change["revisions"][sha] = {
        {"kind", "REWORK"},
        {"_number", next},
        {"created", GerritTime(at)},
        {"uploader", {{"_account_id", owner.value("_account_id", 0LL)}}},
        {"ref", ref},
        {"commit", {{"subject", StringField(change, "subject")}}},
    };
    change["current_revision"] = sha;
    change["updated"] = GerritTime(at);
    return sha;
}

// ---------------------------------------------------------------------------------------------
// Faults and statistics

// ---------------------------------------------------------------------------------------------
// Serving

Status FakeGerrit::Start() {
    return listener_.Start(outer_, options_.host, options_.port, options_.threads);
}

std::string FakeGerrit::base_url() const {
    return "http://" + options_.host + ":" + std::to_string(port()) + options_.path_prefix;
}

http::Response FakeGerrit::Handle(const http::Request& req) {
    if (req.path == "/_fake" || StartsWith(req.path, "/_fake/")) return HandleControl(req);
    std::string path = req.path;
    if (!options_.path_prefix.empty()) {
        if (path != options_.path_prefix && !StartsWith(path, options_.path_prefix + "/")) {
            return Text(404, "Not Found");
        }
        path = path.substr(options_.path_prefix.size());
    }
    bool auth = false;
    if (path == "/a" || StartsWith(path, "/a/")) {
        auth = true;
        path = path.substr(2);
    }
    if (path.empty()) path = "/";
    // "/changes" and "/changes/" are the same list.
    if (path == "/changes") path = "/changes/";
    if (path == "/accounts") path = "/accounts/";
    return HandleApi(req, path, auth);
}

bool FakeGerrit::Authorized(const http::Request& req) const {
    auto h = req.Header("Authorization");
    if (!h || h->size() < 6) return false;
    if (!EqualsIgnoreCase(h->substr(0, 6), "basic ")) return false;
    auto decoded = Base64Decode(h->substr(6));
    if (!decoded) return false;
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return false;
    std::shared_lock lock(data_mu_);
    auto it = passwords_.find(decoded->substr(0, colon));
    return it != passwords_.end() && it->second == decoded->substr(colon + 1);
}

http::Response FakeGerrit::HandleApi(const http::Request& req, const std::string& api_path,
                                     bool auth) {
    std::optional<Fault> fault = pipeline_.Match(api_path, LoggedUrl(req));
    auto answer = [&]() -> http::Response {
        if (req.method != "GET" && req.method != "HEAD") return Text(405, "Method Not Allowed");
        if (auth && !Authorized(req)) {
            auto r = Text(401, "Unauthorized");
            r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Gerrit Code Review\"");
            return r;
        }
        std::shared_lock lock(data_mu_);
        if (api_path == "/changes/") return QueryChanges(req);
        if (StartsWith(api_path, "/changes/")) {
            std::string id = api_path.substr(9);
            if (!id.empty() && id.back() == '/') id.pop_back();
            // The server may have decoded a %2F of a triplet id: take the rest of the path.
            if (!id.empty()) return OneChange(req, id);
        }
        if (api_path == "/accounts/") return QueryAccounts(req);
        // The server may have decoded the %2F of a project name: take the rest of the path.
        if (StartsWith(api_path, "/projects/") && api_path.size() > 10) {
            return Project(api_path.substr(10));
        }
        return Text(404, "Not Found");
    };
    if (fault) {
        FaultAnswers answers;
        answers.error = [](const Fault& f) {
            if (f.kind == FaultKind::kStatus) return Text(f.status, ReasonPhrase(f.status));
            // Gerrit has one kind of rate limit.
            auto r = Text(429, "Too Many Requests");
            r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
            return r;
        };
        answers.normal = answer;
        if (auto r = FaultPipeline::Apply(*fault, answers)) return *r;
    }
    return answer();
}

const json* FakeGerrit::FindChange(const std::string& raw_id) const {
    const std::string id = PercentDecode(raw_id);
    if (auto n = ParseNumber(id)) {
        auto it = changes_.find(*n);
        return it == changes_.end() ? nullptr : &it->second;
    }
    for (const auto& [n, c] : changes_) {
        if (StringField(c, "change_id") == id || PercentDecode(StringField(c, "id")) == id) {
            return &c;
        }
    }
    return nullptr;
}

namespace {

// An account as Gerrit embeds it: only the id unless details were asked for.
json RenderAccount(const std::map<long long, json>& accounts, const json& ref, bool detailed) {
    long long id = ref.value("_account_id", 0LL);
    if (!detailed) return {{"_account_id", id}};
    auto it = accounts.find(id);
    return it == accounts.end() ? ref : it->second;
}

json RenderChange(const std::map<long long, json>& accounts, const json& stored, const Options& o) {
    json c = stored;
    if (c.contains("owner")) c["owner"] = RenderAccount(accounts, c["owner"], o.detailed_accounts);
    const std::string current = StringField(c, "current_revision");
    if (!o.current_revision && !o.all_revisions) {
        c.erase("revisions");
        c.erase("current_revision");
        return c;
    }
    if (!c.contains("revisions") || !c["revisions"].is_object()) return c;
    json revisions = json::object();
    for (auto& [sha, rev] : c["revisions"].items()) {
        if (!o.all_revisions && sha != current) continue;
        json r = rev;
        if (r.contains("uploader")) {
            r["uploader"] = RenderAccount(accounts, r["uploader"], o.detailed_accounts);
        }
        if (!o.commits) r.erase("commit");
        revisions[sha] = std::move(r);
    }
    c["revisions"] = std::move(revisions);
    return c;
}

}  // namespace

http::Response FakeGerrit::QueryChanges(const http::Request& req) const {
    auto q = req.Query("q");
    if (!q) return Text(400, "missing query field");
    auto terms = ParseQuery(*q);
    if (!terms) return Text(400, terms.error().message);
    // Checks the terms once, and turns times into timestamps.
    struct Bound {
        std::optional<Timestamp> after, before;
    } bound;
    for (const auto& t : *terms) {
        if (t.op == "after" || t.op == "since" || t.op == "before" || t.op == "until") {
            auto at = ParseQueryTime(t.value);
            if (!at) return Text(400, "Bad time '" + t.value + "' in " + t.op + ":");
            auto& slot = (t.op == "after" || t.op == "since") ? bound.after : bound.before;
            slot = slot ? ((t.op == "after" || t.op == "since") ? std::max(*slot, *at)
                                                                : std::min(*slot, *at))
                        : *at;
        } else if (t.op != "owner" && t.op != "project" && t.op != "branch" && t.op != "topic" &&
                   t.op != "change" && t.op != "status" && t.op != "is") {
            return Text(400, "Unsupported operator " + t.op + ":" + t.value);
        }
    }
    auto matches = [&](const json& c, Timestamp updated) {
        for (const auto& t : *terms) {
            const std::string status = StringField(c, "status");
            if (t.op == "owner") {
                const json* owner = c.contains("owner") ? &c["owner"] : nullptr;
                long long id = owner ? owner->value("_account_id", 0LL) : 0;
                auto a = accounts_.find(id);
                const json& acc = a != accounts_.end() ? a->second : (owner ? *owner : json());
                bool hit = t.value == std::to_string(id) ||
                           (acc.is_object() && (StringField(acc, "username") == t.value ||
                                                StringField(acc, "email") == t.value));
                if (!hit) return false;
            } else if (t.op == "project") {
                if (StringField(c, "project") != t.value) return false;
            } else if (t.op == "branch") {
                if (StringField(c, "branch") != t.value) return false;
            } else if (t.op == "topic") {
                if (StringField(c, "topic") != t.value) return false;
            } else if (t.op == "change") {
                bool hit = t.value == std::to_string(c.value("_number", 0LL)) ||
                           t.value == StringField(c, "change_id") ||
                           PercentDecode(t.value) == PercentDecode(StringField(c, "id"));
                if (!hit) return false;
            } else if (t.op == "status" || t.op == "is") {
                std::string v = AsciiLower(t.value);
                bool hit = false;
                if (v == "open" || v == "new")
                    hit = status == "NEW";
                else if (v == "merged")
                    hit = status == "MERGED";
                else if (v == "abandoned")
                    hit = status == "ABANDONED";
                else if (v == "closed")
                    hit = status == "MERGED" || status == "ABANDONED";
                else if (v == "wip" && t.op == "is")
                    hit = c.value("work_in_progress", false);
                if (!hit) return false;
            }
        }
        if (bound.after && updated < *bound.after) return false;
        if (bound.before && updated > *bound.before) return false;
        return true;
    };
    std::vector<std::pair<Timestamp, const json*>> hits;
    for (const auto& [n, c] : changes_) {
        if (!Visible(c)) continue;
        Timestamp updated = UpdatedOf(c);
        if (matches(c, updated)) hits.emplace_back(updated, &c);
    }
    std::sort(hits.begin(), hits.end(), [](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        return a.second->value("_number", 0LL) > b.second->value("_number", 0LL);
    });
    long long limit = options_.default_limit;
    if (auto n = req.Query("n")) {
        auto v = ParseNumber(*n);
        if (!v || *v <= 0) return Text(400, "Bad value for n: " + std::string(*n));
        limit = *v;
    }
    long long start = 0;
    for (const char* key : {"S", "start"}) {
        if (auto s = req.Query(key)) {
            auto v = ParseNumber(*s);
            if (!v || *v < 0) return Text(400, "Bad value for " + std::string(key));
            start = *v;
        }
    }
    const Options o = OptionsOf(req);
    json out = json::array();
    const long long total = static_cast<long long>(hits.size());
    for (long long i = start; i < total && i < start + limit; ++i) {
        out.push_back(RenderChange(accounts_, *hits[static_cast<size_t>(i)].second, o));
    }
    if (start + limit < total && !out.empty()) out.back()["_more_changes"] = true;
    return GerritJson(out);
}

http::Response FakeGerrit::OneChange(const http::Request& req, const std::string& id) const {
    const json* c = FindChange(id);
    if (c == nullptr || !Visible(*c)) return Text(404, "Not found: " + id);
    return GerritJson(RenderChange(accounts_, *c, OptionsOf(req)));
}

bool FakeGerrit::Visible(const json& change) const {
    return !hidden_changes_.contains(change.value("_number", 0LL)) &&
           !hidden_projects_.contains(StringField(change, "project"));
}

http::Response FakeGerrit::Project(const std::string& raw_name) const {
    std::string name = PercentDecode(raw_name);
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!projects_.contains(name) || hidden_projects_.contains(name))
        return Text(404, "Not found: " + name);
    return GerritJson({{"id", PercentEncode(name)}, {"name", name}, {"state", "ACTIVE"}});
}

http::Response FakeGerrit::QueryAccounts(const http::Request& req) const {
    auto q = req.Query("q");
    if (!q) return Text(400, "missing query field");
    auto terms = ParseQuery(*q);
    if (!terms) return Text(400, terms.error().message);
    for (const auto& t : *terms) {
        if (t.op != "username" && t.op != "email" && t.op != "name") {
            return Text(400, "Unsupported operator " + t.op + ":" + t.value);
        }
    }
    const bool details = OptionsOf(req).details;
    json out = json::array();
    for (const auto& [id, a] : accounts_) {
        bool all = true;
        for (const auto& t : *terms) {
            const char* field = t.op == "username" ? "username"
                                : t.op == "email"  ? "email"
                                                   : "name";
            if (StringField(a, field) != t.value) all = false;
        }
        if (!all) continue;
        out.push_back(details ? a : json{{"_account_id", id}});
    }
    return GerritJson(out);
}

// ---------------------------------------------------------------------------------------------
// Control API

http::Response FakeGerrit::HandleControl(const http::Request& in) {
    http::Request req = in;
    return control_.Dispatch(req);
}

void FakeGerrit::AddControlRoutes() {
    auto body_of = [](const http::Request& r) -> std::optional<json> {
        if (r.body.empty()) return json::object();
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return std::nullopt;
        return j;
    };
    auto bad = [](std::string_view msg) { return http::Response::Error(400, msg); };
    auto time_of = [this](const json& j) -> std::optional<Timestamp> {
        if (!j.contains("at")) return Now();
        if (!j["at"].is_string()) return std::nullopt;
        return ParseTimestamp(j["at"].get<std::string>());
    };
    auto number_of = [](const http::Request& r) { return ParseNumber(r.params.at("number")); };

    control_.Add({"GET", "/_fake/health", [](const http::Request&) {
                      return ControlJson(200, {{"ok", true}});
                  }});
    pipeline_.AddRoutes(control_,
                        {.json = ControlJson, .stats_fields = {"total", "faults", "per_path"}});
    control_.Add({"POST", "/_fake/generate", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j || !j->contains("owner") || !(*j)["owner"].is_string()) {
                          return bad("expected {\"owner\": ..., \"count\": N}");
                      }
                      GerritGenerateOptions go;
                      go.seed = j->value("seed", 1ULL);
                      auto g =
                          Generate((*j)["owner"].get<std::string>(), j->value("count", 10), go);
                      return ControlJson(200, {{"username", g.username},
                                               {"account_id", g.account_id},
                                               {"numbers", g.numbers}});
                  }});
    control_.Add({"GET", "/_fake/changes/{number}", [=, this](const http::Request& r) {
                      auto n = number_of(r);
                      auto c =
                          n ? GetChange(*n) : Result<json>(Unexpected(ErrorCode::kNotFound, ""));
                      if (!c) return http::Response::Error(404, "no such change");
                      return ControlJson(200, *c);
                  }});
    control_.Add({"PATCH", "/_fake/changes/{number}", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      auto n = number_of(r);
                      if (!j || !n) return bad("expected {\"patch\": {...}, \"at\": TIME}");
                      auto at = time_of(*j);
                      if (!at) return bad("bad \"at\"");
                      auto st = UpdateChange(*n, j->value("patch", json::object()), *at);
                      if (!st) return http::Response::Error(404, st.error().message);
                      return ControlJson(200, {{"ok", true}});
                  }});
    control_.Add({"DELETE", "/_fake/changes/{number}", [=, this](const http::Request& r) {
                      auto n = number_of(r);
                      auto st = n ? DeleteChange(*n) : Status(Unexpected(ErrorCode::kNotFound, ""));
                      if (!st) return http::Response::Error(404, "no such change");
                      return ControlJson(200, {{"ok", true}});
                  }});
    control_.Add({"POST", "/_fake/visibility", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      if (!j || !j->contains("visible") || !(*j)["visible"].is_boolean()) {
                          return bad(
                              "expected {\"change\": N or \"project\": NAME, "
                              "\"visible\": BOOL}");
                      }
                      const bool visible = (*j)["visible"].get<bool>();
                      if (j->contains("project") && (*j)["project"].is_string()) {
                          SetProjectVisible((*j)["project"].get<std::string>(), visible);
                          return ControlJson(200, {{"ok", true}});
                      }
                      if (!j->contains("change") || !(*j)["change"].is_number_integer()) {
                          return bad("expected \"change\": N or \"project\": NAME");
                      }
                      auto st = SetChangeVisible((*j)["change"].get<long long>(), visible);
                      if (!st) return http::Response::Error(404, "no such change");
                      return ControlJson(200, {{"ok", true}});
                  }});
    control_.Add({"POST", "/_fake/changes/{number}/patchsets", [=, this](const http::Request& r) {
                      auto j = body_of(r);
                      auto n = number_of(r);
                      if (!j || !n) return bad("expected {\"at\": TIME}");
                      auto at = time_of(*j);
                      if (!at) return bad("bad \"at\"");
                      auto sha = AddPatchSet(*n, *at);
                      if (!sha) return http::Response::Error(404, sha.error().message);
                      return ControlJson(200, {{"revision", *sha}});
                  }});
}

}  // namespace forgedb::fake
