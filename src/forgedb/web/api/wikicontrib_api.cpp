#include "forgedb/web/api/wikicontrib_api.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "forgedb/core/json_writer.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/core/url.hpp"
#include "forgedb/http/error_status.hpp"

namespace forgedb::api {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kFillForm[] = "Fill the form completely!";
constexpr char kFillFormUpdate[] = "Fill form completely!";
constexpr char kNoUsername[] = "OOPS! We couldn't find a username in your request.";
constexpr char kNoAccount[] = "OOPS! We couldn't find an account with that username.";
constexpr size_t kPageSize = 50;
constexpr size_t kMaxCreated = 2000;
constexpr size_t kMaxCreatedDays = 31;

http::Response Answer(int status, std::string body) {
    auto res = http::Response::Json(status, std::move(body));
    AddCorsHeaders(res);
    return res;
}

// Text from the mirror (titles, crawl errors cut from forge answers) may hold invalid UTF-8: it is
// written as U+FFFD rather than failing the answer.
std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http::Response Answer(int status, const json& body) { return Answer(status, Dump(body)); }

// {"message": ..., "error": 1}: every error of this surface.
http::Response Fail(int status, std::string_view message) {
    return Answer(status, json{{"message", std::string(message)}, {"error", 1}});
}

// http::StatusFor's status, narrowed to what WikiContrib answered: its errors were 400 and 404,
// and 503 for every failure on its side.
http::Response FromError(const Error& e) {
    const int status = http::StatusFor(e);
    return Fail(status >= 500 ? 503 : status, e.message);
}

// "YYYY-MM-DDTHH:MM:SS+00:00": the items' time form (Python's isoformat of a UTC time).
std::string IsoOffset(Timestamp t) {
    std::string s = FormatForgeTime(t);
    s.pop_back();  // 'Z'
    return s + "+00:00";
}

json FilterJson(const contrib::Filter& f) {
    std::string statuses;
    for (const auto& s : f.statuses) statuses += (statuses.empty() ? "" : ",") + s;
    return {{"start_time", FormatForgeTime(f.start)},
            {"end_time", FormatForgeTime(f.end)},
            {"status", statuses}};
}

// Items are written straight to text: a year of a busy person is thousands of them.
void WriteItem(JsonWriter& w, const contrib::Item& it) {
    w.BeginObject()
        .Key("time")
        .String(IsoOffset(it.time))
        .Key("platform")
        .String(contrib::PlatformLabel(it.platform))
        .Key("status")
        .String(it.status)
        .Key("staus")
        .String(it.status)
        .Key("title")
        .String(it.title)
        .Key("url")
        .String(it.url)
        .Key("kind")
        .String(it.kind)
        .Key("authored")
        .Bool(it.authored)
        .Key("assigned")
        .Bool(it.assigned)
        .EndObject();
}

void WriteItems(JsonWriter& w, const std::vector<contrib::Item>& items) {
    w.BeginArray();
    for (const auto& it : items) WriteItem(w, it);
    w.EndArray();
}

// {"result": [items]}: the answer to a status-only filter change.
std::string ItemsAnswerJson(const std::vector<contrib::Item>& items) {
    JsonWriter w;
    w.Reserve(64 + items.size() * 256);
    w.BeginObject().Key("result");
    WriteItems(w, items);
    w.EndObject();
    return w.Take();
}

// The original's "redirect": a Gerrit change number (its UI searched for it), T<id> for a
// Phabricator task, the URL of a GitHub item.
std::string Redirect(const contrib::Item& it) {
    switch (it.platform) {
        case contrib::Platform::kGerrit:
            return it.source_id;
        case contrib::Platform::kPhabricator:
            return "T" + it.source_id;
        case contrib::Platform::kGithub:
            return it.url;
    }
    return it.url;
}

std::string FullName(const contrib::Account& a) {
    if (a.username.empty()) return kNoUsername;
    if (!a.real_name) return kNoAccount;
    return *a.real_name;
}

json CoverageJson(const contrib::Coverage& c) {
    json platforms = json::object();
    for (const auto& p : c.platforms) {
        platforms[AsciiLower(contrib::PlatformLabel(p.platform))] = {
            {"complete", p.complete}, {"pages_done", p.pages_done}, {"items", p.items}};
    }
    return {{"complete", c.complete}, {"jobs", c.job_ids},  {"pages_done", c.pages_done},
            {"items", c.items},       {"errors", c.errors}, {"platforms", platforms}};
}

void WriteOptionalName(JsonWriter& w, const std::optional<std::string>& name) {
    if (name) {
        w.String(*name);
    } else {
        w.Null();
    }
}

// The DisplayResult answer. `pager` false writes "" for previous and next (the filter update's
// answer, as the original).
std::string ResultJson(const contrib::UserResult& r, bool pager = true) {
    JsonWriter w;
    w.Reserve(1024 + r.items.size() * 256);
    w.BeginObject().Key("query").String(r.hash);
    w.Key("meta").BeginObject();
    w.Key("full_names")
        .BeginObject()
        .Key("phab_full_name")
        .String(FullName(r.phabricator))
        .Key("gerrit_full_name")
        .String(FullName(r.gerrit))
        .Key("github_full_name")
        .String(FullName(r.github))
        .EndObject();
    w.Key("rate_limits").BeginObject().Key("github_rate_limit_message").String("").EndObject();
    w.Key("match_percent").Raw(Dump(json(r.match_percent)));
    w.EndObject();
    w.Key("result");
    WriteItems(w, r.items);
    auto neighbour = [&](const char* key, const std::optional<std::string>& name) {
        w.Key(key);
        if (pager) {
            WriteOptionalName(w, name);
        } else {
            w.String("");
        }
    };
    neighbour("previous", r.previous);
    w.Key("current").String(r.user.fullname);
    neighbour("next", r.next);
    w.Key("current_gerrit").String(r.user.gerrit);
    w.Key("current_phabricator").String(r.user.phabricator);
    w.Key("current_github").String(r.user.github);
    w.Key("accounts")
        .BeginObject()
        .Key("gerrit")
        .String(r.gerrit.url)
        .Key("phabricator")
        .String(r.phabricator.url)
        .Key("github")
        .String(r.github.url)
        .EndObject();
    w.Key("filters").Raw(Dump(FilterJson(r.filter)));
    w.Key("coverage").Raw(Dump(CoverageJson(r.coverage)));
    w.EndObject();
    return w.Take();
}

// A JSON object body, or the answer to give instead.
std::optional<http::Response> ParseObject(std::string_view body, json& out) {
    out = json::parse(body, nullptr, false);
    if (out.is_discarded()) {
        return Fail(400, "JSON parse error - the body is not valid JSON");
    }
    if (!out.is_object()) return Fail(400, "JSON parse error - the body must be a JSON object");
    return std::nullopt;
}

// The integer of a JSON number or numeric string (form values are strings).
std::optional<long long> IntOf(const json& v) {
    if (v.is_number_integer()) return v.get<long long>();
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (s.empty() || s.size() > 12) return std::nullopt;
        size_t i = s[0] == '-' ? 1 : 0;
        if (i == s.size()) return std::nullopt;
        for (size_t k = i; k < s.size(); ++k) {
            if (s[k] < '0' || s[k] > '9') return std::nullopt;
        }
        return std::stoll(s);
    }
    return std::nullopt;
}

// The users of a create or update body; `missing` is the message for an absent key.
Result<std::vector<contrib::QueryUser>> UsersOf(const json& body, const char* missing) {
    auto it = body.find("users");
    if (it == body.end() || !it->is_array()) return Unexpected(ErrorCode::kInvalid, missing);
    std::vector<contrib::QueryUser> users;
    for (const auto& row : *it) {
        if (!row.is_object()) return Unexpected(ErrorCode::kInvalid, missing);
        contrib::QueryUser u;
        const std::pair<const char*, std::string*> fields[] = {
            {"fullname", &u.fullname},
            {"gerrit_username", &u.gerrit},
            {"phabricator_username", &u.phabricator},
            {"github_username", &u.github}};
        for (const auto& [key, dest] : fields) {
            auto f = row.find(key);
            if (f == row.end()) return Unexpected(ErrorCode::kInvalid, missing);
            if (f->is_null()) {
                return Unexpected(ErrorCode::kInvalid,
                                  std::string(key) + ", This field may not be null.");
            }
            if (!f->is_string()) {
                return Unexpected(ErrorCode::kInvalid, std::string(key) + ", Not a valid string.");
            }
            *dest = f->get<std::string>();
        }
        users.push_back(std::move(u));
    }
    return users;
}

// A filter time: ISO 8601 (any zone; no zone is UTC; the fraction is dropped) or YYYY-MM-DD.
std::optional<Timestamp> ParseFilterTime(const std::string& text) {
    auto t = ParseDayOrTimestamp(text);
    if (!t) return std::nullopt;
    return std::chrono::time_point_cast<std::chrono::seconds>(*t);
}

// The absolute URL of this request with `page` set (0: without it), keys sorted as DRF does.
std::string PageUrl(const http::Request& req, size_t page) {
    std::string host(req.Header("Host").value_or("localhost"));
    std::multimap<std::string, std::string> q;
    for (const auto& [k, v] : req.query) {
        if (k != "page") q.emplace(k, v);
    }
    if (page > 0) q.emplace("page", std::to_string(page));
    std::string query;
    for (const auto& [k, v] : q) {
        query += (query.empty() ? "?" : "&") + PercentEncode(k) + "=" + PercentEncode(v);
    }
    return "http://" + host + req.path + query;
}

std::string CsvField(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

}  // namespace

WikiContribApi::WikiContribApi(contrib::Service& service, ApiOptions options)
    : service_(service), options_(options) {}

std::vector<http::Route> WikiContribApi::Routes() {
    using Fn = http::Response (WikiContribApi::*)(const http::Request&);
    struct Entry {
        const char* method;
        const char* pattern;
        Fn fn;
    };
    const Entry entries[] = {
        {"POST", "/query/add/user/", &WikiContribApi::CreateQuery},
        {"GET", "/query/{hash}/update/user/", &WikiContribApi::GetUsers},
        {"PATCH", "/query/{hash}/update/user/", &WikiContribApi::ReplaceUsers},
        {"DELETE", "/query/{hash}/update/user/", &WikiContribApi::DeleteQuery},
        {"GET", "/query/{hash}/update/filter/", &WikiContribApi::GetFilter},
        {"PATCH", "/query/{hash}/update/filter/", &WikiContribApi::UpdateFilter},
        {"POST", "/query/{hash}/check/", &WikiContribApi::Check},
        {"GET", "/query/{hash}/csv/", &WikiContribApi::Csv},
        {"POST", "/result/match-fullnames/", &WikiContribApi::MatchFullnames},
        {"GET", "/result/{hash}/", &WikiContribApi::ShowResult},
        {"GET", "/result/{hash}/commits/", &WikiContribApi::Commits},
        {"GET", "/result/{hash}/users/", &WikiContribApi::Users},
        {"GET", "/result/{hash}/totals/", &WikiContribApi::Totals},
    };
    std::vector<http::Route> routes;
    std::set<std::string> patterns;
    for (const auto& e : entries) {
        Fn fn = e.fn;
        const bool changes_query =
            std::string_view(e.method) == "PATCH" || std::string_view(e.method) == "DELETE";
        if (changes_query && !options_.query_changes) {
            routes.push_back({e.method, e.pattern, [](const http::Request&) {
                                  return Fail(403,
                                              "Stored queries cannot be changed or deleted on this "
                                              "server; create a new query instead.");
                              }});
        } else {
            routes.push_back({e.method, e.pattern,
                              [this, fn](const http::Request& req) { return (this->*fn)(req); }});
        }
        if (patterns.insert(e.pattern).second) {
            routes.push_back({"OPTIONS", e.pattern, [](const http::Request&) {
                                  http::Response res;
                                  res.status = 200;
                                  res.content_type = "text/plain";
                                  AddCorsHeaders(res);
                                  res.headers.emplace_back("Access-Control-Max-Age", "86400");
                                  return res;
                              }});
        }
    }
    return routes;
}

http::Response WikiContribApi::ResultAnswer(int status, const std::string& hash,
                                            std::optional<std::string> user) {
    auto result = service_.GetResult(hash, std::move(user));
    if (status < 300 || status >= 400) {
        if (!result) return FromError(result.error());
        return Answer(status, ResultJson(*result));
    }
    // A redirect to the result page, with the result in the body for clients that do not follow.
    auto res = Answer(status, result ? ResultJson(*result) : std::string("{}"));
    res.headers.emplace_back("Location", "/result/" + hash + "/");
    return res;
}

http::Response WikiContribApi::CreateQuery(const http::Request& req) {
    auto type = req.Header("Content-Type").value_or("");
    if (type.find("multipart/form-data") != std::string_view::npos) {
        return CsvChunk(req, std::nullopt);
    }
    json body;
    if (auto bad = ParseObject(req.body, body)) return *bad;
    auto file = body.find("file");
    if (file == body.end()) return Fail(400, kFillForm);
    auto file_value = IntOf(*file);
    if (!file_value) return Fail(400, "file, A valid integer is required.");
    if (*file_value == 0) return Fail(400, "Please provide a CSV file");
    auto users = UsersOf(body, kFillForm);
    if (!users) return FromError(users.error());
    auto hash = service_.CreateQuery(*users);
    if (!hash) return FromError(hash.error());
    return ResultAnswer(302, *hash, std::nullopt);
}

http::Response WikiContribApi::CsvChunk(const http::Request& req,
                                        std::optional<std::string> replace) {
    auto parts = http::ParseMultipart(req.Header("Content-Type").value_or(""), req.body);
    if (!parts) return Fail(400, "Multipart form parse error - the body is malformed");
    std::map<std::string, const http::MultipartPart*> fields;
    for (const auto& p : *parts) fields.emplace(p.name, &p);
    auto text = [&](const char* name) -> std::optional<std::string> {
        auto it = fields.find(name);
        if (it == fields.end()) return std::nullopt;
        return it->second->data;
    };
    const char* missing = replace ? kFillFormUpdate : kFillForm;
    auto file = text("file");
    auto chunk = text("chunk");
    auto complete = text("complete");
    if (!file || !chunk || !complete) return Fail(400, missing);
    auto file_value = IntOf(json(*file));
    if (!file_value) return Fail(400, "file, A valid integer is required.");
    if (*file_value != 0) return Fail(400, missing);  // users come as JSON, not as a form
    auto number = IntOf(json(*chunk));
    if (!number) return Fail(400, "chunk, A valid integer is required.");
    auto complete_value = IntOf(json(*complete));
    if (!complete_value) return Fail(400, "complete, A valid integer is required.");
    auto csv = fields.find("csv_file");
    if (csv == fields.end()) return Fail(400, "Please provide a CSV file");
    contrib::Service::CsvChunk c;
    c.hash = text("hash_code");
    c.replace = replace;
    c.number = static_cast<int>(std::clamp<long long>(*number, -1, 1'000'000));
    c.last = *complete_value == 0;
    c.data = csv->second->data;
    auto step = service_.AddCsvChunk(c);
    if (!step) return FromError(step.error());
    if (!step->done) {
        std::string message = replace ? "Successfully updated." : step->hash;
        return Answer(200, json{{"message", message}, {"chunk", *chunk}, {"error", 0}});
    }
    return ResultAnswer(replace ? 303 : 302, step->hash, std::nullopt);
}

http::Response WikiContribApi::GetUsers(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    auto query = service_.GetQuery(hash);
    if (!query) return FromError(query.error());
    if (query->from_csv) {
        std::string host(req.Header("Host").value_or("localhost"));
        return Answer(200,
                      json{{"uri", "http://" + host + "/query/" + hash + "/csv/"}, {"file", 0}});
    }
    json users = json::array();
    int pk = 0;
    for (const auto& u : query->users) {
        users.push_back({{"pk", ++pk},
                         {"query", hash},
                         {"fullname", u.fullname},
                         {"gerrit_username", u.gerrit},
                         {"github_username", u.github},
                         {"phabricator_username", u.phabricator}});
    }
    return Answer(200, json{{"users", users}, {"file", -1}});
}

http::Response WikiContribApi::Csv(const http::Request& req) {
    auto query = service_.GetQuery(req.params.at("hash"));
    if (!query) return FromError(query.error());
    std::string out = "fullname,Gerrit,Phabricator,Github\r\n";
    for (const auto& u : query->users) {
        out += CsvField(u.fullname) + "," + CsvField(u.gerrit) + "," + CsvField(u.phabricator) +
               "," + CsvField(u.github) + "\r\n";
    }
    http::Response res;
    res.status = 200;
    res.content_type = "text/csv; charset=utf-8";
    res.body = std::move(out);
    AddCorsHeaders(res);
    return res;
}

http::Response WikiContribApi::ReplaceUsers(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    auto type = req.Header("Content-Type").value_or("");
    if (type.find("multipart/form-data") != std::string_view::npos) return CsvChunk(req, hash);
    json body;
    if (auto bad = ParseObject(req.body, body)) return *bad;
    auto file = body.find("file");
    if (file == body.end()) return Fail(400, kFillFormUpdate);
    auto file_value = IntOf(*file);
    if (!file_value) return Fail(400, "file, A valid integer is required.");
    if (*file_value == 0) return Fail(400, "Please provide a CSV file");
    auto users = UsersOf(body, kFillFormUpdate);
    if (!users) return FromError(users.error());
    auto new_hash = service_.ReplaceUsers(hash, *users);
    if (!new_hash) return FromError(new_hash.error());
    return ResultAnswer(303, *new_hash, std::nullopt);
}

http::Response WikiContribApi::DeleteQuery(const http::Request& req) {
    auto st = service_.DeleteQuery(req.params.at("hash"));
    if (!st) return FromError(st.error());
    return Answer(200, json{{"message", "Successfully deleted the Query"}, {"error", 0}});
}

http::Response WikiContribApi::GetFilter(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    auto query = service_.GetQuery(hash);
    if (!query) return FromError(query.error());
    json out = FilterJson(query->filter);
    out["pk"] = hash;
    out["query"] = hash;
    return Answer(200, out);
}

http::Response WikiContribApi::UpdateFilter(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    json body;
    if (auto bad = ParseObject(req.body, body)) return *bad;
    auto username = body.find("username");
    if (username == body.end() || !username->is_string()) {
        return Fail(400, "username, This field is required.");
    }
    auto time_of = [&](const char* key,
                       std::optional<Timestamp>& out) -> std::optional<std::string> {
        auto it = body.find(key);
        if (it == body.end() || it->is_null()) return std::nullopt;
        if (!it->is_string()) return std::string(key) + ", Datetime has wrong format.";
        out = ParseFilterTime(it->get<std::string>());
        if (!out) return std::string(key) + ", Datetime has wrong format.";
        return std::nullopt;
    };
    std::optional<Timestamp> start, end;
    if (auto bad = time_of("start_time", start)) return Fail(400, *bad);
    if (auto bad = time_of("end_time", end)) return Fail(400, *bad);
    std::optional<std::vector<std::string>> statuses;
    if (auto it = body.find("status"); it != body.end() && !it->is_null()) {
        statuses.emplace();
        if (it->is_string()) {
            statuses->push_back(it->get<std::string>());
        } else if (it->is_array()) {
            for (const auto& s : *it) {
                if (!s.is_string()) return Fail(400, "status, Not a valid string.");
                statuses->push_back(s.get<std::string>());
            }
        } else {
            return Fail(400, "status, Not a valid string.");
        }
    }
    auto query = service_.GetQuery(hash);
    if (!query) return FromError(query.error());
    std::string user = username->get<std::string>();
    if (std::none_of(query->users.begin(), query->users.end(),
                     [&](const contrib::QueryUser& u) { return u.fullname == user; })) {
        return Fail(404, "Not Found");
    }
    auto updated = service_.UpdateFilter(hash, start, end, statuses);
    if (!updated) return FromError(updated.error());
    const auto& old = query->filter;
    bool dates_changed = updated->start != old.start || updated->end != old.end;
    bool status_changed =
        std::set<std::string>(updated->statuses.begin(), updated->statuses.end()) !=
        std::set<std::string>(old.statuses.begin(), old.statuses.end());
    auto result = service_.GetResult(hash, user);
    if (!result) return FromError(result.error());
    if (status_changed && !dates_changed) {
        return Answer(200, ItemsAnswerJson(result->items));
    }
    return Answer(200, ResultJson(*result, /*pager=*/false));
}

http::Response WikiContribApi::Check(const http::Request& req) {
    auto query = service_.GetQuery(req.params.at("hash"));
    if (!query && query.error().code != ErrorCode::kNotFound) return FromError(query.error());
    bool found = query.has_value();
    return Answer(200, json{{"query", found}, {"filter", found}});
}

http::Response WikiContribApi::MatchFullnames(const http::Request& req) {
    json body;
    if (auto bad = ParseObject(req.body, body)) return *bad;
    auto users = body.find("users");
    if (users == body.end() || !users->is_array() || users->empty() || !(*users)[0].is_object()) {
        return Fail(400, kFillForm);
    }
    const json& row = (*users)[0];
    contrib::QueryUser u;
    const std::pair<const char*, std::string*> fields[] = {{"fullname", &u.fullname},
                                                           {"gerrit_username", &u.gerrit},
                                                           {"phabricator_username", &u.phabricator},
                                                           {"github_username", &u.github}};
    for (const auto& [key, dest] : fields) {
        auto f = row.find(key);
        if (f == row.end()) return Fail(400, kFillForm);
        if (f->is_string()) *dest = f->get<std::string>();  // anything else counts as empty
    }
    auto score = service_.MatchFullnames(u);
    if (!score) return FromError(score.error());
    return Answer(200, json{{"match_percent", *score}});
}

http::Response WikiContribApi::ShowResult(const http::Request& req) {
    std::optional<std::string> user;
    if (auto u = req.Query("user")) user = std::string(*u);
    return ResultAnswer(200, req.params.at("hash"), user);
}

http::Response WikiContribApi::Commits(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    size_t page = 1;
    if (auto p = req.Query("page")) {
        auto v = IntOf(json(std::string(*p)));
        if (!v || *v < 1) return Fail(404, "Invalid page.");
        page = static_cast<size_t>(*v);
    }
    std::optional<std::string> user;
    if (auto u = req.Query("user")) user = std::string(*u);
    // Which days to read, and which exact times of them to keep (none: the whole day).
    std::set<std::string> days;
    std::set<Timestamp> times;
    std::set<std::string> whole_days;
    if (auto day = req.Query("day")) {
        days.insert(std::string(*day));
        whole_days.insert(std::string(*day));
    } else if (auto created = req.Query("created")) {
        std::string_view rest = *created;
        size_t count = 0;
        while (!rest.empty()) {
            size_t comma = rest.find(',');
            std::string_view token = rest.substr(0, comma);
            rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
            // A "+00:00" sent unencoded arrives as " 00:00": the text before a space is the time.
            token = token.substr(0, token.find(' '));
            if (token.empty()) continue;
            if (++count > kMaxCreated) return Fail(400, "created, Too many times.");
            std::string text(token);
            if (text.size() == 10) {
                days.insert(text);
                whole_days.insert(text);
                continue;
            }
            auto t = ParseTimestamp(text);
            if (!t) return Fail(400, "created, Enter a valid date/time.");
            auto second = std::chrono::time_point_cast<std::chrono::seconds>(*t);
            times.insert(second);
            days.insert(FormatForgeTime(second).substr(0, 10));
        }
        if (days.size() > kMaxCreatedDays) return Fail(400, "created, Too many days.");
    }
    if (days.empty()) {
        std::string today = FormatForgeTime(service_.clock().Now()).substr(0, 10);
        days.insert(today);
        whole_days.insert(today);
    }
    std::vector<contrib::Item> items;
    for (const auto& day : days) {
        auto got = service_.GetDay(hash, user, day);
        if (!got) return FromError(got.error());
        bool whole = whole_days.count(day) > 0;
        for (auto& it : *got) {
            auto second = std::chrono::time_point_cast<std::chrono::seconds>(it.time);
            if (whole || times.count(second) > 0) items.push_back(std::move(it));
        }
    }
    size_t count = items.size();
    size_t pages = std::max<size_t>(1, (count + kPageSize - 1) / kPageSize);
    if (page > pages) return Fail(404, "Invalid page.");
    json results = json::array();
    for (size_t i = (page - 1) * kPageSize; i < std::min(count, page * kPageSize); ++i) {
        const auto& it = items[i];
        results.push_back({{"heading", it.title},
                           {"platform", contrib::PlatformLabel(it.platform)},
                           {"redirect", Redirect(it)},
                           {"authored", it.authored},
                           {"assigned", it.assigned},
                           {"status", it.status},
                           {"staus", it.status},
                           {"url", it.url},
                           {"time", IsoOffset(it.time)}});
    }
    json next = page < pages ? json(PageUrl(req, page + 1)) : json(nullptr);
    json previous = page > 1 ? json(PageUrl(req, page - 1 == 1 ? 0 : page - 1)) : json(nullptr);
    return Answer(
        200, json{{"count", count}, {"next", next}, {"previous", previous}, {"results", results}});
}

http::Response WikiContribApi::Users(const http::Request& req) {
    auto query = service_.GetQuery(req.params.at("hash"));
    if (!query) return FromError(query.error());
    json names = json::array();
    for (const auto& u : query->users) names.push_back(u.fullname);
    return Answer(200, json{{"users", names}});
}

http::Response WikiContribApi::Totals(const http::Request& req) {
    const auto& hash = req.params.at("hash");
    auto query = service_.GetQuery(hash);
    if (!query) return FromError(query.error());
    auto totals = service_.GetTotals(hash);
    if (!totals) return FromError(totals.error());
    json users = json::array();
    for (const auto& t : *totals) {
        users.push_back({{"fullname", t.user.fullname},
                         {"gerrit_username", t.user.gerrit},
                         {"phabricator_username", t.user.phabricator},
                         {"github_username", t.user.github},
                         {"gerrit", t.gerrit},
                         {"phabricator", t.phabricator},
                         {"github", t.github},
                         {"total", t.total}});
    }
    return Answer(200,
                  json{{"query", hash}, {"filters", FilterJson(query->filter)}, {"users", users}});
}

}  // namespace forgedb::api
