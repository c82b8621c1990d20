#include "forgedb/app/health.hpp"

#include <spdlog/spdlog.h>

namespace forgedb::app {

std::vector<http::Route> HealthRoutes(store::Database& db) {
    auto ready = [&db](const http::Request&) {
        if (auto st = store::Ping(db); !st) {
            // The details (hosts, paths) go to the log, not to whoever asks.
            spdlog::warn("readiness: the database does not answer: {}", st.error().ToString());
            return http::Response::Json(
                503, "{\"status\":\"unavailable\",\"database\":\"unavailable\"}");
        }
        return http::Response::Json(200, "{\"status\":\"ok\",\"database\":\"ok\"}");
    };
    return {
        {"GET", "/livez",
         [](const http::Request&) { return http::Response::Json(200, "{\"status\":\"alive\"}"); },
         /*nonblocking=*/true},
        {"GET", "/readyz", ready},
        {"GET", "/healthz", ready},
    };
}

}  // namespace forgedb::app
