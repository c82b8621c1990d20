// FakeConduit: data model, the Conduit methods, and the request pipeline (statistics, faults,
// token check). Control API, all JSON, not counted:
//   GET    /_fake/health                 {"ok":true}
//   GET    /_fake/stats                  DELETE /_fake/stats (reset)
//   POST   /_fake/faults                 {kind,status,retry_after,delay_ms,path_prefix,count}
//   DELETE /_fake/faults                 (clears the faults and the in-band errors)
//   POST   /_fake/conduit-errors         {method,code,info,count}
//   POST   /_fake/generate               {username,tasks,assigned,both_percent,others,revisions,
//                                         seed}
//   GET    /_fake/tasks/{id}             PATCH /_fake/tasks/{id} {patch,at}
// "at" is an ISO 8601 time (default: now). Answers are PHP-like: compact, slashes escaped as \/,
// non-ASCII characters as \uXXXX.

#include "fake_conduit.hpp"

#include <algorithm>
#include <charconv>
#include <functional>
#include <set>

#include "forgedb/core/text.hpp"
#include "objects.hpp"

namespace forgedb::fake {

using nlohmann::json;

namespace {

constexpr int kMaxLimit = 100;

struct Failure {
    std::string code;
    std::string info;
};

long long EpochOf(Timestamp t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

long long NowEpoch() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// PHP's json_encode: compact, "/" escaped, non-ASCII as \uXXXX.
std::string PhpJson(const json& j) {
    std::string text = j.dump(-1, ' ', true, json::error_handler_t::replace);
    std::string out;
    out.reserve(text.size() + 16);
    for (char c : text) {
        if (c == '/') out += '\\';
        out += c;
    }
    return out;
}

http::Response JsonAnswer(int status, const json& body) {
    http::Response r;
    r.status = status;
    r.content_type = "application/json";
    r.body = PhpJson(body);
    return r;
}

json Envelope(json result) {
    return {{"result", std::move(result)}, {"error_code", nullptr}, {"error_info", nullptr}};
}

json ErrorEnvelope(const Failure& f) {
    return {{"result", nullptr}, {"error_code", f.code}, {"error_info", f.info}};
}

// What a proxy in front of Phabricator answers on errors.
http::Response HtmlError(int status) {
    http::Response r;
    r.status = status;
    r.content_type = "text/html";
    std::string title = std::to_string(status) + " " + ReasonPhrase(status);
    r.body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" +
             title + "</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    return r;
}

// Stores `value` under a PHP-style nested name ("constraints[authorPHIDs][0]") in `root`.
void SetNested(json& root, const std::string& name, const std::string& value) {
    std::vector<std::string> path;
    size_t bracket = name.find('[');
    path.push_back(name.substr(0, bracket));
    while (bracket != std::string::npos) {
        size_t close = name.find(']', bracket);
        if (close == std::string::npos) break;
        path.push_back(name.substr(bracket + 1, close - bracket - 1));
        bracket = name.find('[', close);
    }
    json* cur = &root;
    for (size_t i = 0; i < path.size(); ++i) {
        if (!cur->is_object()) *cur = json::object();
        std::string key = path[i].empty() ? std::to_string(cur->size()) : path[i];
        if (i + 1 == path.size()) {
            (*cur)[key] = value;
        } else {
            cur = &(*cur)[key];
        }
    }
}

// A constraint value as a list of strings: a string, a number, a list, or an object keyed by
// index (how PHP receives "x[0]=a&x[1]=b").
std::vector<std::string> AsList(const json& v) {
    std::vector<std::string> out;
    auto text = [](const json& e) { return e.is_string() ? e.get<std::string>() : e.dump(); };
    if (v.is_array()) {
        for (const auto& e : v) out.push_back(text(e));
    } else if (v.is_object()) {
        std::vector<std::pair<long long, std::string>> indexed;
        for (auto it = v.begin(); it != v.end(); ++it) {
            long long i = 0;
            auto [p, ec] = std::from_chars(it.key().data(), it.key().data() + it.key().size(), i);
            if (ec != std::errc() || p != it.key().data() + it.key().size()) i = 1LL << 40;
            indexed.emplace_back(i, text(it.value()));
        }
        std::stable_sort(indexed.begin(), indexed.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        for (auto& [i, s] : indexed) out.push_back(std::move(s));
    } else if (!v.is_null()) {
        out.push_back(text(v));
    }
    return out;
}

std::optional<long long> AsInt(const json& v) {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        long long i = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
        if (ec == std::errc() && p == s.data() + s.size() && !s.empty()) return i;
    }
    return std::nullopt;
}

bool Truthy(const json& v) {
    if (v.is_boolean()) return v.get<bool>();
    if (v.is_number()) return v.get<double>() != 0;
    if (v.is_string()) {
        std::string s = AsciiLower(v.get<std::string>());
        return !s.empty() && s != "0" && s != "false";
    }
    return !v.is_null();
}

long long FieldInt(const json& item, const char* key) {
    const auto& f = item["fields"];
    auto it = f.find(key);
    return it != f.end() && it->is_number_integer() ? it->get<long long>() : 0;
}

// ---- generated content ----

struct Named {
    const char* value;
    const char* name;
    const char* color;
};
const Named kStatuses[] = {{"open", "Open", nullptr},
                           {"resolved", "Resolved", nullptr},
                           {"declined", "Declined", nullptr},
                           {"stalled", "Stalled", nullptr}};
struct Priority {
    int value;
    const char* name;
    const char* color;
};
const Priority kPriorities[] = {{100, "Unbreak Now!", "pink"}, {90, "Needs Triage", "violet"},
                                {80, "High", "red"},           {50, "Medium", "orange"},
                                {25, "Low", "yellow"},         {10, "Lowest", "sky"}};
const char* const kDevelopers[] = {"lucy-dev", "marco", "nadia", "oskar", "priya", "quentin"};
const char* const kVerbs[] = {"Fix",      "Add",       "Remove", "Document",
                              "Speed up", "Translate", "Test",   "Deprecate"};
const char* const kNouns[] = {"the search index",      "watchlist emails",   "the login form",
                              "edit conflicts",        "the job runner",     "diff rendering",
                              "the REST API",          "l10n/i18n messages", "Übersetzungen",
                              "\"quoted\" page titles"};
struct ProjectSpec {
    const char* slug;
    const char* name;
    const char* color;
};
const ProjectSpec kProjects[] = {{"mediawiki-core", "MediaWiki-Core", "blue"},
                                 {"wikidata", "Wikidata", "green"},
                                 {"operations", "Operations", "red"},
                                 {"analytics", "Analytics", "orange"},
                                 {"release-engineering", "Release-Engineering", "violet"},
                                 {"design", "Design", "pink"}};
struct RevisionStatus {
    const char* value;
    const char* name;
    bool closed;
    const char* ansi;
};
const RevisionStatus kRevisionStatuses[] = {{"needs-review", "Needs Review", false, "magenta"},
                                            {"accepted", "Accepted", false, "green"},
                                            {"needs-revision", "Needs Revision", false, "red"},
                                            {"changes-planned", "Changes Planned", false, "red"},
                                            {"published", "Closed", true, "cyan"},
                                            {"abandoned", "Abandoned", true, "default"}};

bool ClosedStatus(const std::string& value) { return value == "resolved" || value == "declined"; }

const char* StatusName(const std::string& value) {
    for (const auto& s : kStatuses) {
        if (value == s.value) return s.name;
    }
    return nullptr;
}

std::string Capitalized(std::string s) {
    if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
}

std::string RealNameOf(const std::string& username) {
    std::string out;
    bool up = true;
    for (char c : username) {
        if (c == '-' || c == '_' || c == '.') {
            out += ' ';
            up = true;
            continue;
        }
        out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
        up = false;
    }
    return out + " Example";
}

}  // namespace

struct FakeConduit::Call {
    json params = json::object();
    std::string token;
    bool has_token = false;
    std::string logged;  // the parameters without the token
};

namespace {

// Parses the form body of a call: api.token, PHP-nested fields, or Conduit's own
// params=<JSON> with __conduit__.token.
std::optional<FakeConduit::Call> ParseCall(std::string_view body) {
    auto pairs = http::ParseForm(body);
    if (!pairs) return std::nullopt;
    FakeConduit::Call call;
    for (auto& [k, v] : *pairs) {
        if (k == "api.token") {
            call.token = v;
            call.has_token = true;
            continue;
        }
        if (k == "params") {
            auto j = json::parse(v, nullptr, false);
            if (j.is_discarded() || !j.is_object()) return std::nullopt;
            if (j.contains("__conduit__") && j["__conduit__"].is_object() &&
                j["__conduit__"].contains("token") && j["__conduit__"]["token"].is_string()) {
                call.token = j["__conduit__"]["token"].get<std::string>();
                call.has_token = true;
            }
            j.erase("__conduit__");
            for (auto it = j.begin(); it != j.end(); ++it) call.params[it.key()] = it.value();
            if (!call.logged.empty()) call.logged += '&';
            call.logged += "params=" + j.dump();
            continue;
        }
        if (k == "output" || k == "__conduit__") continue;
        SetNested(call.params, k, v);
        if (!call.logged.empty()) call.logged += '&';
        call.logged += k + "=" + v;
    }
    return call;
}

// The checks and the paging shared by every *.search method.
struct SearchSpec {
    std::set<std::string> constraints;  // allowed constraint keys
    std::set<std::string> orders;       // allowed orders ("newest" is the default)
};

std::optional<Failure> CheckConstraints(const json& params, const SearchSpec& spec,
                                        json& constraints) {
    constraints = json::object();
    if (params.contains("constraints")) {
        const json& c = params["constraints"];
        if (c.is_object()) {
            constraints = c;
        } else if (!(c.is_array() && c.empty()) && !c.is_null()) {
            return Failure{"ERR-CONDUIT-CORE", "Parameter \"constraints\" must be a map."};
        }
    }
    for (auto it = constraints.begin(); it != constraints.end(); ++it) {
        if (!spec.constraints.count(it.key())) {
            return Failure{"ERR-CONDUIT-CORE", "Constraint \"" + it.key() +
                                                   "\" is not a valid constraint for this query."};
        }
    }
    return std::nullopt;
}

// Sorts, applies the cursor and cuts one page; `all` finds the cursor's object.
json PageOf(std::vector<const json*> items, const json& params, const std::string& order,
            const std::map<long long, const json*>& all, const std::set<std::string>& attach,
            std::optional<Failure>& failure) {
    long long limit = kMaxLimit;
    if (params.contains("limit")) {
        auto l = AsInt(params["limit"]);
        if (!l || *l < 1) {
            failure =
                Failure{"ERR-CONDUIT-CORE", "Parameter \"limit\" must be a positive integer."};
            return nullptr;
        }
        if (*l > kMaxLimit) {
            failure = Failure{"ERR-CONDUIT-CORE",
                              "Maximum page size for Conduit API method calls is 100, but this "
                              "call specified " +
                                  std::to_string(*l) + "."};
            return nullptr;
        }
        limit = *l;
    }
    const bool by_modified = order == "updated" || order == "outdated";
    const bool ascending = order == "oldest" || order == "outdated";
    auto key = [&](const json& item) {
        return std::make_pair(by_modified ? FieldInt(item, "dateModified") : 0LL,
                              item["id"].get<long long>());
    };
    auto before = [&](const json* a, const json* b) {
        return ascending ? key(*a) < key(*b) : key(*b) < key(*a);
    };
    std::sort(items.begin(), items.end(), before);
    std::string after;
    if (params.contains("after") && !params["after"].is_null()) {
        after = params["after"].is_string() ? params["after"].get<std::string>()
                                            : params["after"].dump();
    }
    if (!after.empty()) {
        auto id = AsInt(json(after));
        auto it = id ? all.find(*id) : all.end();
        if (it == all.end()) {
            failure = Failure{"ERR-CONDUIT-CORE",
                              "Cursor \"" + after + "\" does not identify a valid object."};
            return nullptr;
        }
        const json* cursor = it->second;
        items.erase(std::remove_if(items.begin(), items.end(),
                                   [&](const json* i) { return !before(cursor, i); }),
                    items.end());
    }
    bool more = static_cast<long long>(items.size()) > limit;
    if (more) items.resize(static_cast<size_t>(limit));
    json data = json::array();
    for (const json* item : items) {
        json out = *item;
        json attachments = json::object();
        if (item->contains("attachments")) {
            for (auto it = (*item)["attachments"].begin(); it != (*item)["attachments"].end();
                 ++it) {
                if (attach.count(it.key())) attachments[it.key()] = it.value();
            }
        }
        out["attachments"] = std::move(attachments);
        data.push_back(std::move(out));
    }
    json cursor = {{"limit", limit},
                   {"after", more ? json(std::to_string(items.back()->at("id").get<long long>()))
                                  : json(nullptr)},
                   {"before", !after.empty() && !items.empty()
                                  ? json(std::to_string(items.front()->at("id").get<long long>()))
                                  : json(nullptr)},
                   {"order", params.contains("order") ? params["order"] : json(nullptr)}};
    return {{"data", std::move(data)},
            {"maps", json::object()},
            {"query", {{"queryKey", nullptr}}},
            {"cursor", std::move(cursor)}};
}

std::optional<Failure> CheckOrder(const json& params, const SearchSpec& spec, std::string& order) {
    order = "newest";
    if (!params.contains("order") || params["order"].is_null()) return std::nullopt;
    if (!params["order"].is_string() || !spec.orders.count(params["order"].get<std::string>())) {
        return Failure{"ERR-CONDUIT-CORE", "Order \"" + params["order"].dump() +
                                               "\" is not a valid order for this query."};
    }
    order = params["order"].get<std::string>();
    return std::nullopt;
}

std::set<std::string> Attachments(const json& params) {
    std::set<std::string> out;
    if (!params.contains("attachments") || !params["attachments"].is_object()) return out;
    for (auto it = params["attachments"].begin(); it != params["attachments"].end(); ++it) {
        if (Truthy(it.value())) out.insert(it.key());
    }
    return out;
}

// Keeps items whose fields[key] (an epoch) lies within the constraints' start/end.
bool InWindow(const json& item, const json& constraints, const char* field, const char* start,
              const char* end) {
    long long v = FieldInt(item, field);
    if (constraints.contains(start)) {
        auto s = AsInt(constraints[start]);
        if (s && v < *s) return false;
    }
    if (constraints.contains(end)) {
        auto e = AsInt(constraints[end]);
        if (e && v > *e) return false;
    }
    return true;
}

bool InList(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// Resolves the user or project references (PHIDs, usernames, slugs) of constraint `key` with
// `phid_of` into `out`; unknown names are an error, as in Phabricator.
std::optional<Failure> ResolveRefs(const json& c, const char* key, const char* what,
                                   const std::function<std::string(const std::string&)>& phid_of,
                                   std::vector<std::string>& out) {
    if (!c.contains(key)) return std::nullopt;
    for (const auto& ref : AsList(c.at(key))) {
        std::string phid = phid_of(ref);
        if (phid.empty()) {
            return Failure{"ERR-CONDUIT-CORE", std::string(what) + " \"" + ref +
                                                   "\" does not exist or is not visible."};
        }
        out.push_back(phid);
    }
    return std::nullopt;
}

// The constraints that maniphest.search and differential.revision.search share: ids, phids,
// authorPHIDs (resolved into `authors`), statuses and the created and modified windows.
bool MatchesShared(long long id, const json& item, const json& c,
                   const std::vector<std::string>& authors) {
    const json& f = item["fields"];
    if (c.contains("ids") && !InList(AsList(c.at("ids")), std::to_string(id))) return false;
    if (c.contains("phids") && !InList(AsList(c.at("phids")), item["phid"].get<std::string>())) {
        return false;
    }
    if (c.contains("authorPHIDs") && !InList(authors, f["authorPHID"].get<std::string>())) {
        return false;
    }
    if (c.contains("statuses") &&
        !InList(AsList(c.at("statuses")), f["status"]["value"].get<std::string>())) {
        return false;
    }
    return InWindow(item, c, "dateCreated", "createdStart", "createdEnd") &&
           InWindow(item, c, "dateModified", "modifiedStart", "modifiedEnd");
}

// The answer of a *.search call: the page of `items`, or the paging's failure.
json PagedAnswer(const std::vector<const json*>& items, const json& params,
                 const std::string& order, const std::map<long long, const json*>& all) {
    std::optional<Failure> failure;
    json page = PageOf(items, params, order, all, Attachments(params), failure);
    return failure ? ErrorEnvelope(*failure) : Envelope(std::move(page));
}

}  // namespace

FakeConduit::FakeConduit(FakeConduitOptions options)
    : FakeServer(options.max_logged_urls), options_(std::move(options)) {
    tokens_ = options_.tokens;
    {
        std::unique_lock lock(data_mu_);
        EnsureProjects();
        repository_phid_ = NewPhid("REPO");
    }
    router_.Add({"POST", "/api/{method}",
                 [this](const http::Request& r) { return HandleApi(r, r.params.at("method")); }});
    AddControlRoutes();
}

FakeConduit::~FakeConduit() { Stop(); }

std::string FakeConduit::NewPhid(const std::string& type) {
    static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz234567";
    objects::Rng rng(phid_state_);
    phid_state_ = rng.Next();
    std::string out = "PHID-" + type + "-";
    for (int i = 0; i < 20; ++i) out += kChars[rng.Below(32)];
    return out;
}

json& FakeConduit::EnsureUser(const std::string& username, const std::string& real_name,
                              Timestamp created) {
    auto known = usernames_.find(AsciiLower(username));
    if (known != usernames_.end()) return users_[known->second];
    std::string phid = NewPhid("USER");
    long long when = EpochOf(created);
    json user = {{"id", ++next_id_["USER"]},
                 {"type", "USER"},
                 {"phid", phid},
                 {"fields",
                  {{"username", username},
                   {"realName", real_name},
                   {"roles", {"verified", "approved", "activated"}},
                   {"dateCreated", when},
                   {"dateModified", when},
                   {"policy", {{"view", "public"}, {"edit", "no-one"}}}}},
                 {"attachments", json::object()}};
    usernames_[AsciiLower(username)] = phid;
    return users_[phid] = std::move(user);
}

void FakeConduit::EnsureProjects() {
    const long long when = 1514764800;  // 2018-01-01
    for (const auto& p : kProjects) {
        if (slugs_.count(p.slug)) continue;
        std::string phid = NewPhid("PROJ");
        json project = {
            {"id", ++next_id_["PROJ"]},
            {"type", "PROJ"},
            {"phid", phid},
            {"fields",
             {{"name", p.name},
              {"slug", p.slug},
              {"subtype", "default"},
              {"milestone", nullptr},
              {"depth", 0},
              {"parent", nullptr},
              {"icon", {{"key", "project"}, {"name", "Project"}, {"icon", "fa-briefcase"}}},
              {"color", {{"key", p.color}, {"name", Capitalized(p.color)}}},
              {"spacePHID", nullptr},
              {"dateCreated", when},
              {"dateModified", when},
              {"policy", {{"view", "public"}, {"edit", "users"}, {"join", "users"}}},
              {"description", std::string("Tasks about ") + p.name + "."}}},
            {"attachments", json::object()}};
        projects_[phid] = std::move(project);
        slugs_[p.slug] = phid;
    }
}

std::string FakeConduit::UserPhidOf(const std::string& ref) const {
    if (ref.rfind("PHID-", 0) == 0) return ref;
    auto it = usernames_.find(AsciiLower(ref));
    return it == usernames_.end() ? "" : it->second;
}

std::string FakeConduit::ProjectPhidOf(const std::string& ref) const {
    if (ref.rfind("PHID-", 0) == 0) return ref;
    std::string slug = AsciiLower(ref);
    if (!slug.empty() && slug.front() == '#') slug.erase(0, 1);
    auto it = slugs_.find(slug);
    return it == slugs_.end() ? "" : it->second;
}

json FakeConduit::AddUser(const std::string& username, const std::string& real_name) {
    std::unique_lock lock(data_mu_);
    return EnsureUser(username, real_name, Timestamp{std::chrono::seconds{1514764800}});
}

GeneratedPhabricatorUser FakeConduit::Generate(const std::string& username, int tasks,
                                               PhabricatorGenerateOptions o) {
    std::uint64_t seed = o.seed * 0x9e3779b97f4a7c15ULL;
    for (char c : username) seed = seed * 131 + static_cast<unsigned char>(c);
    objects::Rng rng(seed);
    std::unique_lock lock(data_mu_);
    const Timestamp user_created = o.start - std::chrono::hours(24 * 365);
    const std::string me =
        EnsureUser(username, RealNameOf(username), user_created)["phid"].get<std::string>();
    std::vector<std::string> devs;
    for (const char* d : kDevelopers) {
        if (AsciiLower(d) == AsciiLower(username)) continue;
        devs.push_back(EnsureUser(d, RealNameOf(d), user_created)["phid"].get<std::string>());
    }
    auto dev = [&]() { return devs[rng.Below(devs.size())]; };

    GeneratedPhabricatorUser out;
    out.username = username;
    out.phid = me;
    out.id = users_[me]["id"].get<long long>();

    const int authored = std::max(0, tasks);
    const int assigned = o.assigned < 0 ? authored : o.assigned;
    const int both = std::min(assigned, authored * std::clamp(o.both_percent, 0, 100) / 100);
    struct Spec {
        std::string author;
        json owner;
    };
    std::vector<Spec> specs;
    for (int i = 0; i < authored; ++i) {
        json owner = nullptr;
        if (i < both) {
            owner = me;
        } else if (rng.Below(10) < 7) {
            owner = dev();
        }
        specs.push_back({me, owner});
    }
    for (int i = both; i < assigned; ++i) specs.push_back({dev(), me});
    for (int i = 0; i < std::max(0, o.others); ++i) {
        specs.push_back({dev(), rng.Below(10) < 6 ? json(dev()) : json(nullptr)});
    }
    for (size_t i = specs.size(); i > 1; --i) std::swap(specs[i - 1], specs[rng.Below(i)]);

    std::vector<std::string> project_phids;
    for (const auto& p : kProjects) project_phids.push_back(slugs_[p.slug]);
    const long long start = EpochOf(o.start);
    const long long spacing = std::max<long long>(1, o.spacing.count());
    for (size_t i = 0; i < specs.size(); ++i) {
        const long long id = ++next_id_["TASK"];
        const long long created = start + static_cast<long long>(i) * spacing +
                                  static_cast<long long>(rng.Below(spacing));
        const long long modified = created + static_cast<long long>(rng.Below(45 * 86400));
        const auto& status = kStatuses[rng.Below(std::size(kStatuses))];
        const auto& priority = kPriorities[rng.Below(std::size(kPriorities))];
        const bool closed = ClosedStatus(status.value);
        std::string title = std::string(kVerbs[rng.Below(std::size(kVerbs))]) + " " +
                            kNouns[rng.Below(std::size(kNouns))];
        json projects = json::array();
        int n_projects = static_cast<int>(rng.Below(4));
        for (int k = 0; k < n_projects; ++k) {
            const std::string& p = project_phids[rng.Below(project_phids.size())];
            if (std::find(projects.begin(), projects.end(), p) == projects.end()) {
                projects.push_back(p);
            }
        }
        const Spec& s = specs[i];
        json closer = closed ? (s.owner.is_null() ? json(s.author) : s.owner) : json(nullptr);
        json task = {{"id", id},
                     {"type", "TASK"},
                     {"phid", NewPhid("TASK")},
                     {"fields",
                      {{"name", title},
                       {"description",
                        {{"raw", "Steps to reproduce:\n* open T" + std::to_string(id) +
                                     "\n* see https://example.org/wiki/Main_Page"}}},
                       {"authorPHID", s.author},
                       {"ownerPHID", s.owner},
                       {"status",
                        {{"value", status.value},
                         {"name", status.name},
                         {"color", status.color ? json(status.color) : json(nullptr)}}},
                       {"priority",
                        {{"value", priority.value},
                         {"name", priority.name},
                         {"color", priority.color},
                         {"subpriority", -static_cast<double>(id) * 1337.25 - 0.5}}},
                       {"points", nullptr},
                       {"subtype", "default"},
                       {"closerPHID", closer},
                       {"dateClosed", closed ? json(modified) : json(nullptr)},
                       {"spacePHID", nullptr},
                       {"dateCreated", created},
                       {"dateModified", modified},
                       {"policy", {{"view", "public"}, {"interact", "users"}, {"edit", "users"}}}}},
                     {"attachments", {{"projects", {{"projectPHIDs", projects}}}}}};
        const bool mine_authored = s.author == me;
        const bool mine_owned = s.owner.is_string() && s.owner.get<std::string>() == me;
        if (mine_authored) out.authored.push_back(id);
        if (mine_owned) out.assigned.push_back(id);
        if ((mine_authored || mine_owned) && EpochOf(out.latest_modified) < modified) {
            out.latest_modified = Timestamp{std::chrono::seconds{modified}};
        }
        tasks_[id] = std::move(task);
    }

    for (int i = 0; i < std::max(0, o.revisions); ++i) {
        const long long id = ++next_id_["DREV"];
        const long long created = start + static_cast<long long>(i) * spacing +
                                  static_cast<long long>(rng.Below(spacing));
        const long long modified = created + static_cast<long long>(rng.Below(20 * 86400));
        const auto& status = kRevisionStatuses[rng.Below(std::size(kRevisionStatuses))];
        json revision = {{"id", id},
                         {"type", "DREV"},
                         {"phid", NewPhid("DREV")},
                         {"fields",
                          {{"title", std::string(kVerbs[rng.Below(std::size(kVerbs))]) + " " +
                                         kNouns[rng.Below(std::size(kNouns))]},
                           {"uri", "https://phabricator.example.org/D" + std::to_string(id)},
                           {"authorPHID", me},
                           {"status",
                            {{"value", status.value},
                             {"name", status.name},
                             {"closed", status.closed},
                             {"color.ansi", status.ansi}}},
                           {"repositoryPHID", repository_phid_},
                           {"diffPHID", NewPhid("DIFF")},
                           {"summary", "\nGenerated revision " + std::to_string(id) + "."},
                           {"testPlan", ""},
                           {"isDraft", false},
                           {"holdAsDraft", false},
                           {"dateCreated", created},
                           {"dateModified", modified},
                           {"policy", {{"view", "public"}, {"edit", "users"}}}}},
                         {"attachments",
                          {{"projects", {{"projectPHIDs", json::array()}}},
                           {"reviewers", {{"reviewers", json::array()}}}}}};
        out.revisions.push_back(id);
        revisions_[id] = std::move(revision);
    }
    return out;
}

Result<json> FakeConduit::GetUser(const std::string& username) const {
    std::shared_lock lock(data_mu_);
    auto it = usernames_.find(AsciiLower(username));
    if (it == usernames_.end()) return Unexpected(ErrorCode::kNotFound, "no user " + username);
    return users_.at(it->second);
}

Result<json> FakeConduit::GetTask(long long id) const {
    std::shared_lock lock(data_mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end())
        return Unexpected(ErrorCode::kNotFound, "no task T" + std::to_string(id));
    return it->second;
}

Result<json> FakeConduit::GetRevision(long long id) const {
    std::shared_lock lock(data_mu_);
    auto it = revisions_.find(id);
    if (it == revisions_.end()) {
        return Unexpected(ErrorCode::kNotFound, "no revision D" + std::to_string(id));
    }
    return it->second;
}

Result<json> FakeConduit::GetProject(const std::string& slug) const {
    std::shared_lock lock(data_mu_);
    auto it = slugs_.find(AsciiLower(slug));
    if (it == slugs_.end()) return Unexpected(ErrorCode::kNotFound, "no project " + slug);
    return projects_.at(it->second);
}

Status FakeConduit::UpdateTask(long long id, const json& patch, Timestamp at) {
    std::unique_lock lock(data_mu_);
    auto it = tasks_.find(id);
    if (it == tasks_.end())
        return Unexpected(ErrorCode::kNotFound, "no task T" + std::to_string(id));
    json& task = it->second;
    const std::string old_status = task["fields"]["status"].value("value", "");
    task.merge_patch(patch);
    json& fields = task["fields"];
    const long long when = EpochOf(at);
    fields["dateModified"] = when;
    const std::string status = fields["status"].value("value", "");
    if (const char* name = StatusName(status)) fields["status"]["name"] = name;
    if (status != old_status) {
        if (ClosedStatus(status)) {
            fields["dateClosed"] = when;
            fields["closerPHID"] =
                fields["ownerPHID"].is_null() ? fields["authorPHID"] : fields["ownerPHID"];
        } else {
            fields["dateClosed"] = nullptr;
            fields["closerPHID"] = nullptr;
        }
    }
    return Ok();
}

void FakeConduit::SetTokens(std::vector<std::string> tokens) {
    std::lock_guard lock(state_mu_);
    tokens_ = std::move(tokens);
}

void FakeConduit::AddConduitError(ConduitErrorFault fault) {
    std::lock_guard lock(state_mu_);
    if (fault.count > 0) conduit_errors_.push_back(std::move(fault));
}

void FakeConduit::ClearFaults() {
    pipeline_.ClearFaults();
    std::lock_guard lock(state_mu_);
    conduit_errors_.clear();
}

std::vector<ConduitErrorFault> FakeConduit::PendingConduitErrors() const {
    std::lock_guard lock(state_mu_);
    return {conduit_errors_.begin(), conduit_errors_.end()};
}

// ---------------------------------------------------------------------------------------------
// Conduit methods (callers hold data_mu_ shared)

json FakeConduit::Dispatch(const std::string& method, const Call& call) const {
    if (method == "conduit.ping") return Envelope("fake-conduit");
    if (method == "user.search") return UserSearch(call);
    if (method == "project.search") return ProjectSearch(call);
    if (method == "maniphest.search") return TaskSearch(call);
    if (method == "differential.revision.search") return RevisionSearch(call);
    return ErrorEnvelope({"ERR-CONDUIT-CORE", "Conduit method \"" + method + "\" does not exist."});
}

json FakeConduit::UserSearch(const Call& call) const {
    static const SearchSpec kSpec{{"ids", "phids", "usernames", "isBot"}, {"newest", "oldest"}};
    json c;
    std::string order;
    if (auto f = CheckConstraints(call.params, kSpec, c)) return ErrorEnvelope(*f);
    if (auto f = CheckOrder(call.params, kSpec, order)) return ErrorEnvelope(*f);
    std::vector<const json*> items;
    std::map<long long, const json*> all;
    for (const auto& [phid, u] : users_) {
        all[u["id"].get<long long>()] = &u;
        if (c.contains("ids") &&
            !InList(AsList(c["ids"]), std::to_string(u["id"].get<long long>()))) {
            continue;
        }
        if (c.contains("phids") && !InList(AsList(c["phids"]), phid)) continue;
        if (c.contains("usernames")) {
            std::vector<std::string> names;
            for (auto& n : AsList(c["usernames"])) names.push_back(AsciiLower(n));
            if (!InList(names, AsciiLower(u["fields"]["username"].get<std::string>()))) continue;
        }
        if (c.contains("isBot") && Truthy(c["isBot"])) continue;  // no bots here
        items.push_back(&u);
    }
    return PagedAnswer(items, call.params, order, all);
}

json FakeConduit::ProjectSearch(const Call& call) const {
    static const SearchSpec kSpec{{"ids", "phids", "slugs"}, {"newest", "oldest"}};
    json c;
    std::string order;
    if (auto f = CheckConstraints(call.params, kSpec, c)) return ErrorEnvelope(*f);
    if (auto f = CheckOrder(call.params, kSpec, order)) return ErrorEnvelope(*f);
    std::vector<std::string> slugs;
    if (c.contains("slugs")) {
        for (auto& s : AsList(c["slugs"])) slugs.push_back(AsciiLower(s));
    }
    std::vector<const json*> items;
    std::map<long long, const json*> all;
    for (const auto& [phid, p] : projects_) {
        all[p["id"].get<long long>()] = &p;
        if (c.contains("ids") &&
            !InList(AsList(c["ids"]), std::to_string(p["id"].get<long long>()))) {
            continue;
        }
        if (c.contains("phids") && !InList(AsList(c["phids"]), phid)) continue;
        if (c.contains("slugs") && !InList(slugs, p["fields"]["slug"].get<std::string>())) continue;
        items.push_back(&p);
    }
    std::optional<Failure> failure;
    json page = PageOf(items, call.params, order, all, Attachments(call.params), failure);
    if (failure) return ErrorEnvelope(*failure);
    json slug_map = json::object();
    for (const auto& s : slugs) {
        auto it = slugs_.find(s);
        if (it != slugs_.end()) slug_map[s] = {{"slug", s}, {"projectPHID", it->second}};
    }
    if (!slug_map.empty()) page["maps"] = {{"slugMap", slug_map}};
    return Envelope(std::move(page));
}

json FakeConduit::TaskSearch(const Call& call) const {
    static const SearchSpec kSpec{
        {"ids", "phids", "authorPHIDs", "assigned", "projects", "statuses", "subtypes",
         "createdStart", "createdEnd", "modifiedStart", "modifiedEnd"},
        {"newest", "oldest", "updated", "outdated"}};
    json c;
    std::string order;
    if (auto f = CheckConstraints(call.params, kSpec, c)) return ErrorEnvelope(*f);
    if (auto f = CheckOrder(call.params, kSpec, order)) return ErrorEnvelope(*f);
    // Users and projects may be named by username and slug.
    auto user = [this](const std::string& ref) { return UserPhidOf(ref); };
    auto project = [this](const std::string& ref) { return ProjectPhidOf(ref); };
    std::vector<std::string> authors, owners, projects;
    if (auto f = ResolveRefs(c, "authorPHIDs", "User", user, authors)) return ErrorEnvelope(*f);
    if (auto f = ResolveRefs(c, "assigned", "User", user, owners)) return ErrorEnvelope(*f);
    if (auto f = ResolveRefs(c, "projects", "Project", project, projects)) {
        return ErrorEnvelope(*f);
    }
    std::vector<const json*> items;
    std::map<long long, const json*> all;
    for (const auto& [id, t] : tasks_) {
        all[id] = &t;
        if (!MatchesShared(id, t, c, authors)) continue;
        const json& f = t["fields"];
        if (c.contains("assigned") &&
            (!f["ownerPHID"].is_string() || !InList(owners, f["ownerPHID"].get<std::string>()))) {
            continue;
        }
        if (c.contains("projects")) {
            // Tasks tagged with every listed project.
            const json& tagged = t["attachments"]["projects"]["projectPHIDs"];
            bool all_tagged = std::all_of(projects.begin(), projects.end(), [&](const auto& p) {
                return std::find(tagged.begin(), tagged.end(), p) != tagged.end();
            });
            if (!all_tagged) continue;
        }
        if (c.contains("subtypes") && !InList(AsList(c["subtypes"]), f.value("subtype", ""))) {
            continue;
        }
        items.push_back(&t);
    }
    return PagedAnswer(items, call.params, order, all);
}

json FakeConduit::RevisionSearch(const Call& call) const {
    static const SearchSpec kSpec{{"ids", "phids", "authorPHIDs", "statuses", "repositoryPHIDs",
                                   "createdStart", "createdEnd", "modifiedStart", "modifiedEnd"},
                                  {"newest", "oldest", "updated", "outdated"}};
    json c;
    std::string order;
    if (auto f = CheckConstraints(call.params, kSpec, c)) return ErrorEnvelope(*f);
    if (auto f = CheckOrder(call.params, kSpec, order)) return ErrorEnvelope(*f);
    std::vector<std::string> authors;
    auto user = [this](const std::string& ref) { return UserPhidOf(ref); };
    if (auto f = ResolveRefs(c, "authorPHIDs", "User", user, authors)) return ErrorEnvelope(*f);
    std::vector<const json*> items;
    std::map<long long, const json*> all;
    for (const auto& [id, r] : revisions_) {
        all[id] = &r;
        if (!MatchesShared(id, r, c, authors)) continue;
        if (c.contains("repositoryPHIDs") &&
            !InList(AsList(c["repositoryPHIDs"]), r["fields"].value("repositoryPHID", ""))) {
            continue;
        }
        items.push_back(&r);
    }
    return PagedAnswer(items, call.params, order, all);
}

// ---------------------------------------------------------------------------------------------
// Serving

http::Response FakeConduit::HandleApi(const http::Request& req, const std::string& method) {
    const std::string path = "/api/" + method;
    auto call = ParseCall(req.body);
    std::optional<Fault> fault = pipeline_.Match(
        path, path + "?" + (call ? call->logged : std::string("(unparsable body)")));
    std::optional<ConduitErrorFault> in_band;
    std::vector<std::string> tokens;
    {
        std::lock_guard lock(state_mu_);
        tokens = tokens_;
    }

    // The answer the call gets when no connection-level fault intervenes.
    auto answer = [&]() -> http::Response {
        if (!call) {
            return JsonAnswer(
                200, ErrorEnvelope({"ERR-CONDUIT-CORE", "The request body is not a valid form."}));
        }
        if (!tokens.empty()) {
            if (!call->has_token || call->token.empty()) {
                return JsonAnswer(
                    200, ErrorEnvelope({"ERR-INVALID-SESSION", "Session key is not present."}));
            }
            if (!InList(tokens, call->token)) {
                return JsonAnswer(
                    200, ErrorEnvelope({"ERR-INVALID-AUTH",
                                        "API token \"" + call->token + "\" could not be found."}));
            }
        }
        {
            std::lock_guard lock(state_mu_);
            for (auto it = conduit_errors_.begin(); it != conduit_errors_.end(); ++it) {
                if (!it->method.empty() && it->method != method) continue;
                in_band = *it;
                if (--it->count <= 0) conduit_errors_.erase(it);
                break;
            }
        }
        if (in_band) pipeline_.CountFault();
        if (in_band) return JsonAnswer(200, ErrorEnvelope({in_band->code, in_band->info}));
        std::shared_lock lock(data_mu_);
        return JsonAnswer(200, Dispatch(method, *call));
    };

    if (fault) {
        FaultAnswers answers;
        answers.error = [this](const Fault& f) {
            if (f.kind == FaultKind::kStatus) return HtmlError(f.status);
            pipeline_.CountRateLimited();
            if (f.kind == FaultKind::kSecondaryRateLimit) {
                return JsonAnswer(
                    200, ErrorEnvelope({"ERR-RATE-LIMIT",
                                        "You are making too many requests too quickly. Wait a "
                                        "moment and try again."}));
            }
            auto r = HtmlError(429);
            r.headers.emplace_back("Retry-After", std::to_string(f.retry_after_seconds));
            return r;
        };
        answers.normal = answer;
        if (auto r = FaultPipeline::Apply(*fault, answers)) return *r;
    }
    return answer();
}

void FakeConduit::AddControlRoutes() {
    auto control = [this](std::string method, std::string pattern,
                          std::function<http::Response(const http::Request&)> h) {
        router_.Add({std::move(method), std::move(pattern), std::move(h)});
    };
    auto body_json = [](const http::Request& r) {
        auto j = json::parse(r.body.empty() ? std::string_view("{}") : r.body, nullptr, false);
        return j.is_object() ? j : json();
    };
    auto bad = [](std::string_view why) { return http::Response::Error(400, why); };
    control("GET", "/_fake/health", [](const http::Request&) {
        return JsonAnswer(200, {{"ok", true}});
    });
    pipeline_.AddRoutes(router_,
                        {.json = JsonAnswer,
                         .stats_fields = {"total", "rate_limited", "faults", "per_path", "urls"},
                         .plain_messages = true,
                         .on_clear = [this] {
                             std::lock_guard lock(state_mu_);
                             conduit_errors_.clear();
                         }});
    control("POST", "/_fake/conduit-errors", [this, body_json, bad](const http::Request& r) {
        json j = body_json(r);
        if (!j.is_object()) return bad("body must be a JSON object");
        ConduitErrorFault f;
        f.method = j.value("method", "");
        f.code = j.value("code", f.code);
        f.info = j.value("info", f.info);
        f.count = j.value("count", 1);
        AddConduitError(f);
        return http::Response::Message(201, "added");
    });
    control("POST", "/_fake/generate", [this, body_json, bad](const http::Request& r) {
        json j = body_json(r);
        if (!j.is_object() || !j.contains("username") || !j["username"].is_string()) {
            return bad("a username is required");
        }
        PhabricatorGenerateOptions o;
        o.assigned = j.value("assigned", -1);
        o.both_percent = j.value("both_percent", o.both_percent);
        o.others = j.value("others", o.others);
        o.revisions = j.value("revisions", 0);
        o.seed = j.value("seed", 1ULL);
        auto g = Generate(j["username"].get<std::string>(), j.value("tasks", 100), o);
        return JsonAnswer(201, {{"username", g.username},
                                {"phid", g.phid},
                                {"authored", g.authored},
                                {"assigned", g.assigned},
                                {"revisions", g.revisions}});
    });
    control("GET", "/_fake/tasks/{id}", [this, bad](const http::Request& r) {
        auto id = AsInt(json(r.params.at("id")));
        if (!id) return bad("bad task id");
        auto task = GetTask(*id);
        if (!task) return http::Response::Error(404, task.error().message);
        return JsonAnswer(200, *task);
    });
    control("PATCH", "/_fake/tasks/{id}", [this, body_json, bad](const http::Request& r) {
        auto id = AsInt(json(r.params.at("id")));
        json j = body_json(r);
        if (!id || !j.is_object() || !j.contains("patch")) return bad("bad task or patch");
        Timestamp at = Timestamp{std::chrono::seconds{NowEpoch()}};
        if (j.contains("at") && j["at"].is_string()) {
            auto t = ParseTimestamp(j["at"].get<std::string>());
            if (!t) return bad("bad time");
            at = *t;
        }
        auto st = UpdateTask(*id, j["patch"], at);
        if (!st) return http::Response::Error(404, st.error().message);
        return JsonAnswer(200, *GetTask(*id));
    });
}

Status FakeConduit::Start() {
    return listener_.Start(router_, options_.host, options_.port, options_.threads);
}

std::string FakeConduit::base_url() const {
    return "http://" + options_.host + ":" + std::to_string(port());
}

http::Response FakeConduit::Handle(const http::Request& in) {
    http::Request req = in;
    http::Response res = router_.Dispatch(req);
    if (res.status == 404 && req.path.rfind("/api/", 0) != 0) return HtmlError(404);
    return res;
}

}  // namespace forgedb::fake
