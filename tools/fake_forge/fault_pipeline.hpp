#pragma once
// FaultPipeline: what every fake forge does with a request before its own routes see it. It
// counts the request (RequestStats, with a bounded log of URLs), takes the first queued Fault that
// matches it and applies it: a status, a rate limit, a slow answer, a truncated body, a dropped
// connection (http::Response::raw_then_close) or a complete answer with a malformed body. The
// answers themselves are the forge's own (GitHub's JSON errors, Gerrit's plain text, Conduit's
// in-band envelope or a proxy's HTML page), given to Apply() as FaultAnswers. AddRoutes() serves
// the shared part of the control API:
//   GET    /_fake/stats            DELETE /_fake/stats (reset)
//   GET    /_fake/faults           POST /_fake/faults {kind,status,retry_after,delay_ms,
//                                                      path_prefix,count}    DELETE (clear)
//
// Thread-safety: every member may be called from any thread; faults and statistics sit behind
// one mutex.

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/http/http.hpp"

namespace forgedb::fake {

enum class FaultKind {
    kStatus,              // answer `status` (500, 502, 503, ...) with the forge's error body
    kSecondaryRateLimit,  // 403 + Retry-After: retry_after_seconds, "secondary rate limit" body
    kTooManyRequests,     // 429 + Retry-After: retry_after_seconds
    kSlow,                // wait delay_ms, then answer normally
    kTruncatedBody,       // headers with the full Content-Length, half the body, then close
    kDropConnection,      // close the connection without an answer
    kMalformedBody,       // the normal answer, complete, with its body cut to the first half
};
// The last two are answered with http::Response::raw_then_close: the server writes the bytes
// given (none, or the head and half the body) and closes the connection.

// "status", "secondary_rate_limit", "too_many_requests", "slow", "truncated_body",
// "drop_connection", "malformed_body".
const char* FaultKindName(FaultKind kind);

// The HTTP reason phrase of `status` ("Error" for one the fakes do not send).
const char* ReasonPhrase(int status);
std::optional<FaultKind> ParseFaultKind(std::string_view name);

// A fault applied to the next `count` requests whose path starts with `path_prefix` ("" = any).
// Faults are queued: a request takes the first queued fault that matches it. Requests answered
// by a fault (all kinds but kSlow) are counted in Stats() but not charged to the rate limit.
struct Fault {
    FaultKind kind = FaultKind::kStatus;
    int status = 500;
    int retry_after_seconds = 60;
    int delay_ms = 0;
    std::string path_prefix;
    int count = 1;
};

// Requests to the API (the control API under /_fake/ is not counted).
struct RequestStats {
    long long total = 0;         // every API request, whatever its answer
    long long not_modified = 0;  // 304 answers to If-None-Match
    long long rate_limited = 0;  // 403 answers for an exhausted primary budget
    long long faults = 0;        // requests that met an injected fault (kSlow included)
    std::map<std::string, long long> per_path;  // path without query -> requests
    std::vector<std::string> urls;              // path?query of each request, oldest first
};

// The forge's own answers to a fault, for FaultPipeline::Apply().
struct FaultAnswers {
    // The answer to kStatus, kSecondaryRateLimit and kTooManyRequests.
    std::function<http::Response(const Fault&)> error;
    // The answer without a fault; kTruncatedBody sends half of its body.
    std::function<http::Response()> normal;
};

// How a fake words the answers of the control endpoints that AddRoutes() serves.
struct ControlStyle {
    // Writes a JSON answer.
    std::function<http::Response(int status, const nlohmann::json& body)> json{};
    // The RequestStats fields GET /_fake/stats shows ("total", "not_modified", "rate_limited",
    // "faults", "per_path", "urls"); empty: all of them.
    std::vector<std::string> stats_fields{};
    // false: GET /_fake/faults lists the queue, POST answers the fault added and the DELETEs
    // {"ok":true}. true: no GET, and http::Response::Message answers "added" (201), "reset" and
    // "cleared".
    bool plain_messages = false;
    // Called by DELETE /_fake/faults after the queue is cleared (e.g. for other kinds of faults).
    std::function<void()> on_clear{};
};

class FaultPipeline {
public:
    explicit FaultPipeline(std::size_t max_logged_urls) : max_logged_urls_(max_logged_urls) {}
    FaultPipeline(const FaultPipeline&) = delete;
    FaultPipeline& operator=(const FaultPipeline&) = delete;

    void AddFault(Fault fault);  // ignored when fault.count <= 0
    void ClearFaults();
    std::vector<Fault> PendingFaults() const;

    RequestStats Stats() const;
    void ResetStats();
    void CountNotModified();
    void CountRateLimited();
    void CountFault();

    // Counts a request (total, per_path[path], `url` in the log) and takes the first queued fault
    // whose path_prefix starts `path`, counted in faults; nullopt when none matches.
    std::optional<Fault> Match(const std::string& path, std::string url);

    // The answer to `fault`, or nullopt when the request is to be answered normally
    // (kSlow, after its delay).
    static std::optional<http::Response> Apply(const Fault& fault, const FaultAnswers& answers);

    // Adds GET/DELETE /_fake/stats and GET/POST/DELETE /_fake/faults to `router`. The pipeline
    // must outlive the router's use.
    void AddRoutes(http::Router& router, ControlStyle style);

private:
    const std::size_t max_logged_urls_;
    mutable std::mutex mu_;
    std::deque<Fault> faults_;
    RequestStats stats_;  // urls stay empty; the log is urls_
    std::deque<std::string> urls_;
};

// The logged form of a request: its path, then '?' and the query (re-encoded) if it has one.
std::string LoggedUrl(const http::Request& req);

// A fault as JSON: {kind, status, retry_after, delay_ms, path_prefix, count}.
nlohmann::json FaultJson(const Fault& fault);
// A fault from such JSON (every field optional); nullopt for an unknown kind.
std::optional<Fault> FaultFromJson(const nlohmann::json& j);

}  // namespace forgedb::fake
