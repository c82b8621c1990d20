// GitHub's pagination Link header and the page number of each of its URLs.

#include "forgedb/forges/github/link_header.hpp"

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view header = forgedb::fuzz::AsText(data, size);
    for (const auto& [rel, url] : forgedb::sources::github::ParseLinkHeader(header)) {
        (void)forgedb::sources::github::PageParameter(url);
    }
    (void)forgedb::sources::github::PageParameter(header);
    return 0;
}
