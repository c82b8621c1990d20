#pragma once
// Health of the process, for load balancers and supervisors:
//   GET /livez   liveness: 200 while the process serves HTTP (never touches the database);
//   GET /readyz  readiness: 200 when the database answers, 503 otherwise (deliveries would get
//                503 too, so a balancer should send traffic elsewhere);
//   GET /healthz the same as /readyz.

#include <vector>

#include "forgedb/http/http.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::app {

// `db` must outlive the routes.
std::vector<http::Route> HealthRoutes(store::Database& db);

}  // namespace forgedb::app
