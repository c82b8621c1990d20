#include "forgedb/core/result.hpp"

namespace forgedb {

const char* ErrorCodeName(ErrorCode code) {
    switch (code) {
        case ErrorCode::kInvalid:
            return "invalid";
        case ErrorCode::kNotFound:
            return "not_found";
        case ErrorCode::kStale:
            return "stale";
        case ErrorCode::kMissingData:
            return "missing_data";
        case ErrorCode::kNothingToDo:
            return "nothing_to_do";
        case ErrorCode::kRateLimited:
            return "rate_limited";
        case ErrorCode::kTransient:
            return "transient";
        case ErrorCode::kUnauthorized:
            return "unauthorized";
        case ErrorCode::kConflict:
            return "conflict";
        case ErrorCode::kDatabase:
            return "database";
        case ErrorCode::kInternal:
            return "internal";
    }
    return "unknown";
}

std::string Error::ToString() const { return std::string(ErrorCodeName(code)) + ": " + message; }

}  // namespace forgedb
