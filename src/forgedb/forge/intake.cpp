#include "forgedb/forge/intake.hpp"

#include <nlohmann/json.hpp>

#include "forgedb/core/text.hpp"

namespace forgedb::replication {

std::string KeptHeadersJson(const http::Request& req,
                            std::initializer_list<std::string_view> prefixes) {
    auto starts = [](std::string_view name, std::string_view prefix) {
        return name.size() >= prefix.size() &&
               EqualsIgnoreCase(name.substr(0, prefix.size()), prefix);
    };
    nlohmann::json headers = nlohmann::json::object();
    for (const auto& [k, v] : req.headers) {
        for (auto prefix : prefixes) {
            if (starts(k, prefix)) {
                headers[k] = v;
                break;
            }
        }
    }
    return headers.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

http::Response LogAndAnswer(DeliveryLog& log, store::Delivery delivery) {
    auto logged = log.Log(std::move(delivery));
    if (!logged) {
        auto res = http::Response::Error(503, "could not log the delivery; please send it again");
        res.headers.emplace_back("Retry-After", "5");
        return res;
    }
    if (*logged == LogOutcome::kDuplicate) return http::Response::Message(200, "duplicate");
    // Processing happens in a job, after this answer.
    return http::Response::Message(202, "queued");
}

}  // namespace forgedb::replication
