#include "forgedb/sources/http_client.hpp"

#include <cctype>

#include "forgedb/core/text.hpp"

namespace forgedb::sources {

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (EqualsIgnoreCase(k, name)) return std::string_view(v);
    }
    return std::nullopt;
}

}  // namespace forgedb::sources
