#include "forgedb/forge/load_router.hpp"

namespace forgedb::forge {

LoadRouter::LoadRouter(const Forges& forges) {
    for (Forge* f : forges.All()) {
        for (auto& route : f->LoadRoutes()) {
            std::string pattern = route.pattern;
            router_.Add({"POST", pattern, [](const http::Request&) { return http::Response{}; }});
            patterns_.push_back(pattern);
            by_pattern_.emplace(pattern, std::pair{f, std::move(route)});
        }
    }
}

Result<LoadRouter::Match> LoadRouter::Plan(const std::string& path, const Query& query) const {
    http::Request req;
    req.method = "POST";
    req.path = path;
    http::Response refusal;
    const http::Route* route = router_.Find(req, &refusal);
    if (route == nullptr) return Unexpected(ErrorCode::kNotFound, "no load route " + path);
    const auto& [forge, load_route] = by_pattern_.at(route->pattern);
    FORGEDB_ASSIGN_OR_RETURN(auto plan, load_route.plan(req.params, query));
    return Match{forge, std::move(plan)};
}

std::vector<std::string> LoadRouter::Patterns() const { return patterns_; }

Result<std::pair<std::string, Query>> SplitLoadPath(const std::string& text) {
    std::string path = text;
    std::string query;
    if (auto q = path.find('?'); q != std::string::npos) {
        query = path.substr(q + 1);
        path.erase(q);
    }
    while (!path.empty() && path.front() == '/') path.erase(0, 1);
    if (path.starts_with("load/")) path.erase(0, 5);
    auto parsed = http::ParseForm(query);
    if (!parsed) return Unexpected(ErrorCode::kInvalid, "bad escape in '?" + query + "'");
    return std::pair{"/load/" + path, std::move(*parsed)};
}

}  // namespace forgedb::forge
