#include "forgedb/sources/http_client.hpp"

#include <cctype>

namespace forgedb::sources {

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (k.size() != name.size()) continue;
        bool same = true;
        for (size_t i = 0; i < k.size() && same; ++i) {
            same = std::tolower(static_cast<unsigned char>(k[i])) ==
                   std::tolower(static_cast<unsigned char>(name[i]));
        }
        if (same) return std::string_view(v);
    }
    return std::nullopt;
}

}  // namespace forgedb::sources
