#include "forgedb/forges/github/state.hpp"

#include <spdlog/spdlog.h>

#include "forgedb/forges/github/store.hpp"

namespace forgedb::tasks {
namespace {

store::Connection* Open(store::Database& db, std::unique_ptr<store::Connection>& conn) {
    if (!conn) {
        auto c = db.Connect();
        if (!c) {
            spdlog::warn("github state: {}", c.error().ToString());
            return nullptr;
        }
        conn = std::move(c).value();
    }
    return conn.get();
}

}  // namespace

store::Connection* DbRateLimitBook::Conn() { return Open(db_, conn_); }
store::Connection* DbEtagCache::Conn() { return Open(db_, conn_); }

void DbRateLimitBook::Observe(const std::string& token_id, const std::string& resource, int limit,
                              int remaining, Timestamp reset_at) {
    std::lock_guard lock(mu_);
    auto* c = Conn();
    if (c == nullptr) return;
    auto st = store::github::SaveRateLimit(*c, token_id, resource, {limit, remaining, reset_at},
                                           clock_.Now());
    if (!st) {
        spdlog::warn("github rate limit: {}", st.error().ToString());
        conn_.reset();
    }
}

std::optional<sources::github::Budget> DbRateLimitBook::Get(const std::string& token_id,
                                                            const std::string& resource) {
    std::lock_guard lock(mu_);
    auto* c = Conn();
    if (c == nullptr) return std::nullopt;
    auto row = store::github::LoadRateLimit(*c, token_id, resource);
    if (!row || !*row) return std::nullopt;
    return sources::github::Budget{(*row)->limit, (*row)->remaining, (*row)->reset_at};
}

std::optional<sources::github::EtagCache::Entry> DbEtagCache::Get(const std::string& url,
                                                                  const std::string& token_id) {
    std::lock_guard lock(mu_);
    auto* c = Conn();
    if (c == nullptr) return std::nullopt;
    auto row = store::github::LoadEtag(*c, url, token_id);
    if (!row || !*row) return std::nullopt;
    return Entry{(*row)->etag, (*row)->body, (*row)->link};
}

void DbEtagCache::Put(const std::string& url, const std::string& token_id, const std::string& etag,
                      const std::string& body, const std::string& link) {
    std::lock_guard lock(mu_);
    auto* c = Conn();
    if (c == nullptr) return;
    auto st = store::github::SaveEtag(*c, url, token_id, {etag, body, link}, clock_.Now());
    if (!st) {
        spdlog::warn("github etag: {}", st.error().ToString());
        conn_.reset();
    }
}

}  // namespace forgedb::tasks
