#pragma once
// Parsing of RFC 8288 Link headers as GitHub sends them for pagination, e.g.
//   <https://api.github.com/repositories/1/issues?page=4>; rel="next", <...?page=9>; rel="last"
// Pure functions; thread-safe.

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace forgedb::sources::github {

// rel → URL for each link of the header. Relation names are lower-cased; a link with several
// relations ("next last") is listed under each; the first link of a relation wins. Malformed
// parts are skipped.
std::map<std::string, std::string> ParseLinkHeader(std::string_view header);

// The value of the `page` query parameter of url when it is a positive integer.
std::optional<int> PageParameter(std::string_view url);

}  // namespace forgedb::sources::github
