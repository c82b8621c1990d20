// Phabricator process functions on a real migrated SQLite database: the input is a Conduit
// answer, read by ReadSearchResult; each item goes to ProcessUser, ProcessTask and
// ProcessRevision (an item of the wrong kind must be refused, not crash). Each input runs in a
// transaction that is rolled back.

#include "forgedb/forges/phabricator/objects.hpp"
#include "fuzz_support.hpp"

namespace phabricator = forgedb::process::phabricator;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static forgedb::fuzz::FuzzDatabase database;
    auto doc = forgedb::ParseOnThisThread(forgedb::fuzz::AsText(data, size));
    if (!doc) return 0;
    auto result = phabricator::ReadSearchResult(*doc);
    if (!result) return 0;
    auto tx = forgedb::store::Transaction::Begin(database.conn());
    if (!tx) return 0;
    phabricator::Context ctx{database.conn(), "wikimedia", forgedb::model::Via::kApi,
                             forgedb::Timestamp{std::chrono::seconds{1700000000}}};
    for (forgedb::Json item : result->data) {
        (void)phabricator::ProcessUser(item, ctx);
        (void)phabricator::ProcessTask(item, ctx);
        (void)phabricator::ProcessRevision(item, ctx);
    }
    return 0;
}
