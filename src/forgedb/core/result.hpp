#pragma once
// Typed results for expected failures (network, payload, constraint, rate limit, stale data).
// Result<T> holds either a T or an Error; the member names follow std::expected so a later
// switch is a rename. Exceptions are reserved for bugs and start-up failures.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace forgedb {

enum class ErrorCode {
    kInvalid,       // the input is malformed or violates a rule; retrying will not help
    kNotFound,      // the object does not exist
    kStale,         // the input is older than what is stored; nothing was changed
    kMissingData,   // a required key is absent from a payload
    kNothingToDo,   // nothing to do; not an error for the caller's user
    kRateLimited,   // an upstream limit is exhausted; retry at retry_at
    kTransient,     // a temporary failure (network, 5xx, busy database); retry later
    kUnauthorized,  // credentials are missing or wrong
    kConflict,      // a uniqueness rule was hit (duplicate)
    kDatabase,      // the database reported an error
    kInternal,      // a bug
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
    ErrorCode code = ErrorCode::kInternal;
    std::string message;
    // For kRateLimited and kTransient: the earliest time a retry makes sense, if known.
    std::optional<std::chrono::system_clock::time_point> retry_at;

    std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message) {
    return Error{code, std::move(message), std::nullopt};
}

// Wraps an Error so that `return Unexpected(...)` converts into any Result<T>.
struct Unexpected {
    Error error;
    explicit Unexpected(Error e) : error(std::move(e)) {}
    Unexpected(ErrorCode code, std::string message) : error{code, std::move(message), {}} {}
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}         // NOLINT: implicit
    Result(Unexpected u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}             // NOLINT

    bool has_value() const { return v_.index() == 0; }
    explicit operator bool() const { return has_value(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }
    template <typename U>
    T value_or(U&& fallback) const& {
        return has_value() ? value() : static_cast<T>(std::forward<U>(fallback));
    }

private:
    std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Unexpected u) : error_(std::move(u.error)) {}  // NOLINT
    Result(Error e) : error_(std::move(e)) {}             // NOLINT

    bool has_value() const { return !error_.has_value(); }
    explicit operator bool() const { return has_value(); }
    const Error& error() const { return *error_; }
    Error& error() { return *error_; }

private:
    std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace forgedb

// Propagates the error of an expression returning a Result; evaluates to nothing on success.
#define FORGEDB_TRY(expr)                                              \
    do {                                                               \
        auto&& forgedb_try_result_ = (expr);                           \
        if (!forgedb_try_result_) {                                    \
            return ::forgedb::Unexpected(forgedb_try_result_.error()); \
        }                                                              \
    } while (0)

#define FORGEDB_CONCAT_INNER(a, b) a##b
#define FORGEDB_CONCAT(a, b) FORGEDB_CONCAT_INNER(a, b)
// FORGEDB_ASSIGN_OR_RETURN(auto x, MakeX()); declares x from the value or returns the error.
#define FORGEDB_ASSIGN_OR_RETURN(decl, expr) \
    FORGEDB_ASSIGN_OR_RETURN_IMPL(FORGEDB_CONCAT(forgedb_r_, __LINE__), decl, expr)
#define FORGEDB_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr)              \
    auto tmp = (expr);                                              \
    if (!tmp) return ::forgedb::Unexpected(std::move(tmp.error())); \
    decl = std::move(tmp).value()
