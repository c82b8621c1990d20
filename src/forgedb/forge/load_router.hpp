#pragma once
// The load routes of every forge in one table, built once: resolves a load path (with its query)
// to the forge that owns it and the job it queues. The load surface (web/load) and the CLI's
// `forgedb load` both go through it. Read-only after construction (thread-safe).

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "forgedb/forge/forge.hpp"
#include "forgedb/http/http.hpp"

namespace forgedb::forge {

class LoadRouter {
public:
    // REQUIRES: `forges` outlives the router.
    explicit LoadRouter(const Forges& forges);

    struct Match {
        Forge* forge = nullptr;
        LoadPlan plan;
    };
    // kNotFound for a path no forge declares (or an instance this process does not know);
    // kInvalid for bad parameters. `query` excludes "inline", which the caller owns.
    Result<Match> Plan(const std::string& path, const Query& query) const;

    // Every route's pattern, in declaration order.
    std::vector<std::string> Patterns() const;

private:
    http::Router router_;
    std::map<std::string, std::pair<Forge*, LoadRoute>> by_pattern_;
    std::vector<std::string> patterns_;
};

// Splits "gerrit/wm/changes?q=owner:alice" (the CLI's form of a load path) into "/load/..." and
// its decoded query.
Result<std::pair<std::string, Query>> SplitLoadPath(const std::string& text);

}  // namespace forgedb::forge
