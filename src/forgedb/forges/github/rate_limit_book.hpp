#pragma once
// RateLimitBook: the shared picture of GitHub's primary rate limits, per token and resource
// ("core", "search", ...), fed from the x-ratelimit-* headers of every response. GithubClient
// reads it to choose a token. The crawler implements it on the database so that all workers share
// one picture; InMemoryRateLimitBook serves tests and single-process use. Implementations must be
// thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "forgedb/core/time.hpp"

namespace forgedb::sources::github {

struct Budget {
    int limit = 0;
    int remaining = 0;
    Timestamp reset_at;  // when `remaining` goes back to `limit`
};

class RateLimitBook {
public:
    virtual ~RateLimitBook() = default;
    // token_id identifies a token without revealing it (see TokenId in rest_client.hpp).
    // Responses can arrive out of order: within one window (same reset_at) keep the lowest
    // remaining.
    virtual void Observe(const std::string& token_id, const std::string& resource, int limit,
                         int remaining, Timestamp reset_at) = 0;
    virtual std::optional<Budget> Get(const std::string& token_id, const std::string& resource) = 0;
};

class InMemoryRateLimitBook final : public RateLimitBook {
public:
    void Observe(const std::string& token_id, const std::string& resource, int limit, int remaining,
                 Timestamp reset_at) override;
    std::optional<Budget> Get(const std::string& token_id, const std::string& resource) override;

private:
    std::mutex mu_;
    std::map<std::pair<std::string, std::string>, Budget> budgets_;
};

}  // namespace forgedb::sources::github
