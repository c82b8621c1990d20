#include "forgedb/web/load/load_surface.hpp"

#include <cctype>
#include <chrono>
#include <nlohmann/json.hpp>

#include "forgedb/core/crypto.hpp"
#include "forgedb/core/text.hpp"
#include "forgedb/forge/load_params.hpp"
#include "forgedb/http/error_status.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::load {
namespace {

// The answer to a failed load: http::StatusFor's status, in this surface's bodies ({"message"}
// for 404, {"error"} otherwise). A rate limit also says when to come back, in Retry-After and in
// the message: the seconds from `now` until retry_at, at least 1, or 60 when it is unknown.
http::Response ErrorResponse(const Error& e, Timestamp now) {
    const int status = http::StatusFor(e);
    if (e.code == ErrorCode::kRateLimited) {
        long long wait = 60;
        if (e.retry_at) {
            wait = std::max<long long>(
                1, std::chrono::duration_cast<std::chrono::seconds>(*e.retry_at - now).count());
        }
        auto res = http::Response::Error(
            status, e.message + " Try again in " + std::to_string(wait) + " seconds.");
        res.headers.emplace_back("Retry-After", std::to_string(wait));
        return res;
    }
    if (status == 404) return http::Response::Message(status, e.message);
    return http::Response::Error(status, e.message);
}

}  // namespace

std::string JobStatusJson(const store::JobTree& tree) {
    nlohmann::json progress = {{"done", tree.progress_done}, {"items", tree.items}};
    progress["total"] = tree.progress_total ? nlohmann::json(*tree.progress_total) : nullptr;
    nlohmann::json j = {{"id", tree.job.id},
                        {"kind", tree.job.kind},
                        {"status", tree.state},
                        {"progress", progress},
                        {"attempts", tree.job.attempts}};
    j["error"] = tree.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(tree.error);
    return j.dump();
}

LoadSurface::LoadSurface(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                         const forge::Forges& forges, LoadOptions options)
    : db_(db), clock_(clock), notifier_(notifier), router_(forges), options_(std::move(options)) {}

std::vector<http::Route> LoadSurface::Routes() {
    std::vector<http::Route> routes;
    for (const auto& pattern : router_.Patterns()) {
        routes.push_back({"POST", pattern, [this](const http::Request& q) { return Load(q); }});
    }
    routes.push_back(
        {"GET", "/tasks/status/{id}", [this](const http::Request& q) { return Status(q); }});
    return routes;
}

std::optional<http::Response> LoadSurface::Refuse(const http::Request& req) const {
    // RFC 9110 11.4: "Bearer" SP token, the scheme matched without regard to case.
    std::string_view auth = req.Header("Authorization").value_or("");
    size_t space = auth.find(' ');
    std::string_view scheme = auth.substr(0, space);
    std::string_view token = space == std::string_view::npos ? "" : auth.substr(space);
    while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
    while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
    if (!options_.api_token.empty() && EqualsIgnoreCase(scheme, "Bearer") &&
        ConstantTimeEquals(token, options_.api_token)) {
        return std::nullopt;
    }
    auto res = http::Response::Error(401,
                                     "a valid API token is required: "
                                     "Authorization: Bearer <token>");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
    return res;
}

http::Response LoadSurface::Load(const http::Request& req) {
    if (auto refusal = Refuse(req)) return *refusal;
    forge::Query query = req.query;
    query.erase("inline");
    auto match = router_.Plan(req.path, query);
    if (!match) return ErrorResponse(match.error(), clock_.Now());
    auto res = LoadPlanned(req, match->plan);
    match->forge->DecorateLoadAnswer(res);
    return res;
}

http::Response LoadSurface::LoadPlanned(const http::Request& req, const forge::LoadPlan& plan) {
    auto inline_flag = forge::ParseFlag("inline", req.Query("inline"), false);
    if (!inline_flag) return ErrorResponse(inline_flag.error(), clock_.Now());
    auto conn = db_.Connect();
    if (!conn) return ErrorResponse(conn.error(), clock_.Now());
    if (*inline_flag) {
        if (!plan.single) {
            return http::Response::Error(400, "inline is only for single objects, not lists");
        }
        if (!plan.run_now) {
            return http::Response::Error(503, "access to this forge is not configured");
        }
        auto st = plan.run_now(**conn, clock_);
        if (!st) return ErrorResponse(st.error(), clock_.Now());
        if (!plan.queue_after_inline) return http::Response::Message(200, "success");
    }
    queue::JobQueue queue(**conn, clock_);
    auto inserted = queue.Enqueue(plan.job);
    if (!inserted) return ErrorResponse(inserted.error(), clock_.Now());
    notifier_.Notify();
    std::string id = std::to_string(inserted->id);
    auto res = http::Response::Json(
        202, nlohmann::json{{"message", inserted->created ? "queued" : "already queued"},
                            {"id", inserted->id}}
                 .dump());
    res.headers.emplace_back("Location", "/tasks/status/" + id);
    return res;
}

http::Response LoadSurface::Status(const http::Request& req) {
    // A job's status names its target and error text: for the token holder only.
    if (auto refusal = Refuse(req)) return *refusal;
    const std::string& text = req.params.at("id");
    if (text.empty() || text.size() > 18 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); })) {
        return http::Response::Error(400, "task id must be a number");
    }
    auto conn = db_.Connect();
    if (!conn) return ErrorResponse(conn.error(), clock_.Now());
    auto tree = store::LoadJobTree(**conn, std::stoll(text));
    if (!tree) return ErrorResponse(tree.error(), clock_.Now());
    if (!*tree) return http::Response::Message(404, "no task " + text);
    return http::Response::Json(200, JobStatusJson(**tree));
}

}  // namespace forgedb::load
