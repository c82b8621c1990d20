#pragma once
// The one mapping of forgedb's errors (core/result.hpp) to HTTP statuses, for every surface that
// answers a request with an Error. Each surface writes the body in its own format, and a surface
// that promises a smaller set of statuses (the WikiContrib API, the pages) narrows the server-side
// ones itself; neither changes which code is the caller's fault.

#include "forgedb/core/result.hpp"

namespace forgedb::http {

// The status of a request that failed with `code`:
//
//   kInvalid, kMissingData      400  the request, or what it names, is malformed
//   kNotFound                   404  what it names does not exist
//   kUnauthorized               502  only forge clients make it: an upstream refused forgedb's
//                                    own credentials, which is no fault of the caller (a
//                                    surface refuses the caller's credentials with 401 itself)
//   kRateLimited                503  an upstream limit; Error::retry_at says when to come back
//   kTransient, kDatabase       503  forgedb cannot serve it now; a retry may succeed
//   kConflict, kInternal,       500  a failure a retry will not cure (a write that broke a rule
//   kStale, kNothingToDo             of the schema, a bug), or an outcome that is no failure and
//                                    should not have reached a surface
//
// 503 goes with exactly the codes that the job queue retries (queue::IsRetryable).
int StatusFor(ErrorCode code);
inline int StatusFor(const Error& error) { return StatusFor(error.code); }

}  // namespace forgedb::http
