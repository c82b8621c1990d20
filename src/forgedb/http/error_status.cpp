#include "forgedb/http/error_status.hpp"

namespace forgedb::http {

int StatusFor(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalid:
        case ErrorCode::kMissingData:
            return 400;
        case ErrorCode::kNotFound:
            return 404;
        case ErrorCode::kUnauthorized:
            return 502;
        case ErrorCode::kRateLimited:
        case ErrorCode::kTransient:
        case ErrorCode::kDatabase:
            return 503;
        case ErrorCode::kConflict:
        case ErrorCode::kInternal:
        case ErrorCode::kStale:
        case ErrorCode::kNothingToDo:
            return 500;
    }
    return 500;  // not an ErrorCode
}

}  // namespace forgedb::http
