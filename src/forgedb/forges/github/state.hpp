#pragma once
// The GitHub client's shared state kept in the mirror's database, so that every worker of every
// process sees one picture: rate-limit budgets per token and resource, and ETags per URL and
// token. Thread-safe (one connection behind a mutex each). Calls never happen inside a worker's
// transaction: the client is used before a page's rows are written.

#include <memory>
#include <mutex>

#include "forgedb/core/clock.hpp"
#include "forgedb/forges/github/etag_cache.hpp"
#include "forgedb/forges/github/rate_limit_book.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::tasks {

class DbRateLimitBook final : public sources::github::RateLimitBook {
public:
    DbRateLimitBook(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
    void Observe(const std::string& token_id, const std::string& resource, int limit, int remaining,
                 Timestamp reset_at) override;
    std::optional<sources::github::Budget> Get(const std::string& token_id,
                                               const std::string& resource) override;

private:
    store::Connection* Conn();  // REQUIRES: mu_ held
    store::Database& db_;
    const Clock& clock_;
    std::mutex mu_;
    std::unique_ptr<store::Connection> conn_;
};

class DbEtagCache final : public sources::github::EtagCache {
public:
    DbEtagCache(store::Database& db, const Clock& clock) : db_(db), clock_(clock) {}
    std::optional<Entry> Get(const std::string& url, const std::string& token_id) override;
    void Put(const std::string& url, const std::string& token_id, const std::string& etag,
             const std::string& body, const std::string& link) override;

private:
    store::Connection* Conn();  // REQUIRES: mu_ held
    store::Database& db_;
    const Clock& clock_;
    std::mutex mu_;
    std::unique_ptr<store::Connection> conn_;
};

}  // namespace forgedb::tasks
