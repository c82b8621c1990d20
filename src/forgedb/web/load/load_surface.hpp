#pragma once
// The load surface: the POST /load/... endpoints of every forge (declared by each forge, see
// forge/forge.hpp), which queue crawls or run a single-object sync inline, and
// GET /tasks/status/<id>. Every route needs the bearer API token. Query parameters are checked
// by each forge's routes; `inline` is this surface's own.

#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/clock.hpp"
#include "forgedb/forge/forge.hpp"
#include "forgedb/forge/load_router.hpp"
#include "forgedb/http/http.hpp"
#include "forgedb/queue/job_queue.hpp"
#include "forgedb/store/database.hpp"
#include "forgedb/store/job_store.hpp"

namespace forgedb::load {

struct LoadOptions {
    std::string api_token;  // empty: every /load request is refused (401)
};

class LoadSurface {
public:
    // REQUIRES: every reference outlives the surface. A forge without a client answers 404 for
    // its instances (Gerrit, Phabricator) or 503 for inline loads (GitHub).
    LoadSurface(store::Database& db, const Clock& clock, queue::Notifier& notifier,
                const forge::Forges& forges, LoadOptions options);

    std::vector<http::Route> Routes();

private:
    // nullopt when the request carries the API token (Authorization: Bearer, the scheme in any
    // case); otherwise the 401 to answer.
    std::optional<http::Response> Refuse(const http::Request& req) const;
    http::Response Load(const http::Request& req);
    http::Response LoadPlanned(const http::Request& req, const forge::LoadPlan& plan);
    http::Response Status(const http::Request& req);

    store::Database& db_;
    const Clock& clock_;
    queue::Notifier& notifier_;
    forge::LoadRouter router_;
    LoadOptions options_;
};

// {"id", "status", "progress": {"done", "total", "items"}, "attempts", "error"} of a job tree.
std::string JobStatusJson(const store::JobTree& tree);

}  // namespace forgedb::load
