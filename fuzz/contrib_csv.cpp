// The CSV upload of the contributor view (header fullname, Gerrit, Phabricator, Github; UTF-8 or
// Latin-1), and the permalink hash of the users it gives.

#include "forgedb/contrib/contrib.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto users = forgedb::contrib::ParseUsersCsv(forgedb::fuzz::AsText(data, size));
    if (users) (void)forgedb::contrib::QueryHash(*users);
    return 0;
}
