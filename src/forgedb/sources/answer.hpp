#pragma once
// What every forge client reads from an upstream answer it did not want, and what it must never
// repeat, in one place so that each client cuts, cleans and masks its messages the same way:
//
// - an excerpt of the body, for error messages (BodyExcerpt, Excerpt);
// - the wait a Retry-After header announces (RetryAfter, ParseRetryAfter);
// - integer headers such as rate-limit counters (IntegerHeader);
// - the masking of secrets (tokens, passwords, and the forms they travel in) in any text that
//   may reach a message, a log line or a stored error (MaskSecrets).
//
// Pure functions; thread-safe.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "forgedb/sources/http_client.hpp"

namespace forgedb::sources {

// How many bytes of a body an error message quotes.
inline constexpr size_t kExcerptBytes = 200;

// The start of `text` on one line, for a message: at most `max_bytes` bytes, cut before the first
// character that does not fit whole (never inside a UTF-8 sequence). A byte that starts no valid
// UTF-8 sequence becomes U+FFFD (3 bytes, counted against max_bytes), a control character
// (below 0x20, or 0x7F) a space; trailing spaces are dropped. "" when nothing is left.
std::string Excerpt(std::string_view text, size_t max_bytes);

// The body of an answer that was not the one expected, as error messages quote it: `body` with
// `secrets` masked (MaskSecrets, on the whole body, so that the cut cannot leave part of a secret
// unmasked), then Excerpt(..., kExcerptBytes); "(empty body)" when that is empty.
std::string BodyExcerpt(std::string_view body, const std::vector<std::string>& secrets = {});

// The longest wait a header can announce. Longer ones are cut to it: no upstream needs more, and
// it keeps `now + wait` far inside the range of a Timestamp.
inline constexpr std::chrono::seconds kMaxRetryAfter{std::chrono::hours(24 * 365)};

// The wait of a Retry-After value (RFC 9110 10.2.3) in its delay-seconds form: one or more
// decimal digits, with optional blanks (spaces, tabs) around them. A wait longer than
// kMaxRetryAfter, including a number too large for 64 bits, is kMaxRetryAfter. nullopt for
// anything else: empty, negative, signed, fractional, garbage, and the HTTP-date form, which no
// forge client honours (each then waits its own default, as when the header is absent).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);
// ParseRetryAfter of the response's first Retry-After header; nullopt when it has none.
std::optional<std::chrono::seconds> RetryAfter(const HttpResponse& response);

// The value of header `name` as a decimal integer (a leading '-' allowed, blanks around it
// ignored), e.g. X-RateLimit-Remaining; nullopt when the header is absent, is not such a number,
// or does not fit in 64 bits.
std::optional<long long> IntegerHeader(const HttpResponse& response, std::string_view name);

// What a masked secret becomes.
inline constexpr std::string_view kMasked = "***";

// `text` with every occurrence of every non-empty secret in `secrets` hidden: each byte inside an
// occurrence is hidden, and each run of hidden bytes becomes one kMasked. Occurrences may overlap,
// repeat or contain one another (secrets "abc" and "bcd" in "abcd" give "***"; "abcabc" with
// "abc" gives "***"); empty secrets are ignored. The text is searched once, before anything is
// replaced, so a secret that contains kMasked is still found and never loops. The caller lists
// every form in which a secret travels (as is, base64, percent-encoded, ...).
std::string MaskSecrets(std::string_view text, const std::vector<std::string>& secrets);

}  // namespace forgedb::sources
