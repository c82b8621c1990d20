#pragma once
// EtagCache: the last ETag and body seen for a URL under a token (GitHub's ETags vary with the
// Authorization header), so that GithubClient can send If-None-Match and hand back the cached
// body on 304, which does not count against the primary rate limit. The crawler implements it on
// the database; InMemoryEtagCache serves tests and single-process use. Implementations must be
// thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace forgedb::sources::github {

class EtagCache {
public:
    struct Entry {
        std::string etag;  // as received, quotes and W/ prefix included
        std::string body;
        std::string link;  // the Link header of that response ("" = none): a 304 carries none
    };

    virtual ~EtagCache() = default;
    virtual std::optional<Entry> Get(const std::string& url, const std::string& token_id) = 0;
    virtual void Put(const std::string& url, const std::string& token_id, const std::string& etag,
                     const std::string& body, const std::string& link) = 0;
};

// Unbounded; meant for tests and short runs.
class InMemoryEtagCache final : public EtagCache {
public:
    std::optional<Entry> Get(const std::string& url, const std::string& token_id) override;
    void Put(const std::string& url, const std::string& token_id, const std::string& etag,
             const std::string& body, const std::string& link) override;

private:
    std::mutex mu_;
    std::map<std::pair<std::string, std::string>, Entry> entries_;
};

}  // namespace forgedb::sources::github
