#include "fault_pipeline.hpp"

#include <chrono>
#include <thread>
#include <utility>

#include "forgedb/core/url.hpp"

namespace forgedb::fake {

using nlohmann::json;

const char* ReasonPhrase(int status) {
    switch (status) {
        case 200:
            return "OK";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 422:
            return "Unprocessable Entity";
        case 429:
            return "Too Many Requests";
        case 500:
            return "Internal Server Error";
        case 502:
            return "Bad Gateway";
        case 503:
            return "Service Unavailable";
        case 504:
            return "Gateway Timeout";
        default:
            return "Error";
    }
}

const char* FaultKindName(FaultKind kind) {
    switch (kind) {
        case FaultKind::kStatus:
            return "status";
        case FaultKind::kSecondaryRateLimit:
            return "secondary_rate_limit";
        case FaultKind::kTooManyRequests:
            return "too_many_requests";
        case FaultKind::kSlow:
            return "slow";
        case FaultKind::kTruncatedBody:
            return "truncated_body";
        case FaultKind::kDropConnection:
            return "drop_connection";
        case FaultKind::kMalformedBody:
            return "malformed_body";
    }
    return "?";
}

std::optional<FaultKind> ParseFaultKind(std::string_view name) {
    for (FaultKind k : {FaultKind::kStatus, FaultKind::kSecondaryRateLimit,
                        FaultKind::kTooManyRequests, FaultKind::kSlow, FaultKind::kTruncatedBody,
                        FaultKind::kDropConnection, FaultKind::kMalformedBody}) {
        if (name == FaultKindName(k)) return k;
    }
    return std::nullopt;
}

std::string LoggedUrl(const http::Request& req) {
    std::string url = req.path;
    char sep = '?';
    for (const auto& [k, v] : req.query) {
        url += sep;
        url += PercentEncode(k, ":") + "=" + PercentEncode(v, ":");
        sep = '&';
    }
    return url;
}

json FaultJson(const Fault& f) {
    return {{"kind", FaultKindName(f.kind)},        {"status", f.status},
            {"retry_after", f.retry_after_seconds}, {"delay_ms", f.delay_ms},
            {"path_prefix", f.path_prefix},         {"count", f.count}};
}

std::optional<Fault> FaultFromJson(const json& j) {
    auto kind = ParseFaultKind(j.value("kind", "status"));
    if (!kind) return std::nullopt;
    Fault f;
    f.kind = *kind;
    f.status = j.value("status", 500);
    f.retry_after_seconds = j.value("retry_after", 60);
    f.delay_ms = j.value("delay_ms", 0);
    f.path_prefix = j.value("path_prefix", "");
    f.count = j.value("count", 1);
    return f;
}

void FaultPipeline::AddFault(Fault fault) {
    std::lock_guard lock(mu_);
    if (fault.count > 0) faults_.push_back(std::move(fault));
}

void FaultPipeline::ClearFaults() {
    std::lock_guard lock(mu_);
    faults_.clear();
}

std::vector<Fault> FaultPipeline::PendingFaults() const {
    std::lock_guard lock(mu_);
    return {faults_.begin(), faults_.end()};
}

RequestStats FaultPipeline::Stats() const {
    std::lock_guard lock(mu_);
    RequestStats s = stats_;
    s.urls.assign(urls_.begin(), urls_.end());
    return s;
}

void FaultPipeline::ResetStats() {
    std::lock_guard lock(mu_);
    stats_ = RequestStats{};
    urls_.clear();
}

void FaultPipeline::CountNotModified() {
    std::lock_guard lock(mu_);
    ++stats_.not_modified;
}

void FaultPipeline::CountRateLimited() {
    std::lock_guard lock(mu_);
    ++stats_.rate_limited;
}

void FaultPipeline::CountFault() {
    std::lock_guard lock(mu_);
    ++stats_.faults;
}

std::optional<Fault> FaultPipeline::Match(const std::string& path, std::string url) {
    std::lock_guard lock(mu_);
    ++stats_.total;
    ++stats_.per_path[path];
    urls_.push_back(std::move(url));
    while (urls_.size() > max_logged_urls_) urls_.pop_front();
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
        if (path.compare(0, it->path_prefix.size(), it->path_prefix) != 0) continue;
        Fault fault = *it;
        if (--it->count <= 0) faults_.erase(it);
        ++stats_.faults;
        return fault;
    }
    return std::nullopt;
}

std::optional<http::Response> FaultPipeline::Apply(const Fault& fault,
                                                   const FaultAnswers& answers) {
    switch (fault.kind) {
        case FaultKind::kSlow:
            std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
            return std::nullopt;  // then answer normally
        case FaultKind::kStatus:
        case FaultKind::kSecondaryRateLimit:
        case FaultKind::kTooManyRequests:
            return answers.error(fault);
        case FaultKind::kDropConnection: {
            http::Response dropped;
            dropped.raw_then_close = "";
            return dropped;
        }
        case FaultKind::kTruncatedBody: {
            http::Response full = answers.normal();
            std::string raw = "HTTP/1.1 " + std::to_string(full.status) + " " +
                              ReasonPhrase(full.status) + "\r\nContent-Type: " + full.content_type +
                              "\r\nContent-Length: " + std::to_string(full.body.size()) +
                              "\r\nConnection: close\r\n";
            for (const auto& [k, v] : full.headers) raw += k + ": " + v + "\r\n";
            raw += "\r\n";
            raw.append(full.body, 0, full.body.size() / 2);
            http::Response truncated;
            truncated.raw_then_close = std::move(raw);
            return truncated;
        }
        case FaultKind::kMalformedBody: {
            // Delivered whole (the length matches), so that the client reads a body that does
            // not parse rather than a transport error.
            http::Response full = answers.normal();
            full.body.resize(full.body.size() / 2);
            return full;
        }
    }
    return std::nullopt;
}

void FaultPipeline::AddRoutes(http::Router& router, ControlStyle style) {
    auto body_of = [](const http::Request& r) -> std::optional<json> {
        if (r.body.empty()) return json::object();
        json j = json::parse(r.body, nullptr, false);
        if (j.is_discarded() || !j.is_object()) return std::nullopt;
        return j;
    };
    auto ack = [style](int status, const char* message) {
        return style.plain_messages ? http::Response::Message(status, message)
                                    : style.json(200, {{"ok", true}});
    };

    router.Add({"GET", "/_fake/stats", [this, style](const http::Request&) {
                    RequestStats s = Stats();
                    json all = {{"total", s.total},
                                {"not_modified", s.not_modified},
                                {"rate_limited", s.rate_limited},
                                {"faults", s.faults},
                                {"per_path", s.per_path},
                                {"urls", s.urls}};
                    if (style.stats_fields.empty()) return style.json(200, all);
                    json shown = json::object();
                    for (const auto& field : style.stats_fields) shown[field] = all.at(field);
                    return style.json(200, shown);
                }});
    router.Add({"DELETE", "/_fake/stats", [this, ack](const http::Request&) {
                    ResetStats();
                    return ack(200, "reset");
                }});
    if (!style.plain_messages) {
        router.Add({"GET", "/_fake/faults", [this, style](const http::Request&) {
                        json list = json::array();
                        for (const auto& f : PendingFaults()) list.push_back(FaultJson(f));
                        return style.json(200, list);
                    }});
    }
    router.Add({"POST", "/_fake/faults", [this, style, body_of](const http::Request& r) {
                    auto j = body_of(r);
                    if (!j) return http::Response::Error(400, "body must be a JSON object");
                    auto f = FaultFromJson(*j);
                    if (!f) return http::Response::Error(400, "unknown fault kind");
                    AddFault(*f);
                    if (style.plain_messages) return http::Response::Message(201, "added");
                    return style.json(200, FaultJson(*f));
                }});
    router.Add({"DELETE", "/_fake/faults", [this, style, ack](const http::Request&) {
                    ClearFaults();
                    if (style.on_clear) style.on_clear();
                    return ack(200, "cleared");
                }});
}

}  // namespace forgedb::fake
