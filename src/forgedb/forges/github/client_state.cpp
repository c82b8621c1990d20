// In-memory implementations of RateLimitBook and EtagCache.

#include "forgedb/forges/github/etag_cache.hpp"
#include "forgedb/forges/github/rate_limit_book.hpp"

namespace forgedb::sources::github {

void InMemoryRateLimitBook::Observe(const std::string& token_id, const std::string& resource,
                                    int limit, int remaining, Timestamp reset_at) {
    std::lock_guard lock(mu_);
    Budget& b = budgets_[{token_id, resource}];
    // Within one window the budget only goes down; a response that overtook another on the way
    // must not raise it again.
    if (b.reset_at == reset_at && b.limit == limit && b.remaining < remaining) return;
    b = Budget{limit, remaining, reset_at};
}

std::optional<Budget> InMemoryRateLimitBook::Get(const std::string& token_id,
                                                 const std::string& resource) {
    std::lock_guard lock(mu_);
    auto it = budgets_.find({token_id, resource});
    if (it == budgets_.end()) return std::nullopt;
    return it->second;
}

std::optional<EtagCache::Entry> InMemoryEtagCache::Get(const std::string& url,
                                                       const std::string& token_id) {
    std::lock_guard lock(mu_);
    auto it = entries_.find({url, token_id});
    if (it == entries_.end()) return std::nullopt;
    return it->second;
}

void InMemoryEtagCache::Put(const std::string& url, const std::string& token_id,
                            const std::string& etag, const std::string& body,
                            const std::string& link) {
    std::lock_guard lock(mu_);
    entries_[{url, token_id}] = Entry{etag, body, link};
}

}  // namespace forgedb::sources::github
