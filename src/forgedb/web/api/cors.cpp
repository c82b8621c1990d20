#include "forgedb/web/api/wikicontrib_api.hpp"

namespace forgedb::api {

void AddCorsHeaders(http::Response& res) {
    res.headers.emplace_back("Access-Control-Allow-Origin", "*");
    res.headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
    res.headers.emplace_back("Access-Control-Allow-Headers", "Content-Type");
}

}  // namespace forgedb::api
