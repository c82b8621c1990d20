// Gerrit REST answers: the XSSI guard strip and the /changes/ page reader (count and
// "_more_changes", which drive the n/S paging of crawls).

#include "forgedb/forges/gerrit/client.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body = forgedb::fuzz::AsText(data, size);
    (void)forgedb::sources::gerrit::StripXssiPrefix(body);
    (void)forgedb::sources::gerrit::ParseChangesPage(body);
    (void)forgedb::sources::gerrit::EncodeQueryValue(body);
    return 0;
}
