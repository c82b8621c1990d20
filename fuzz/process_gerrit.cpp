// Gerrit process functions on a real migrated SQLite database: the input JSON (an object, or the
// array of a /changes/ page) is handed, item by item, to ProcessChange as a REST ChangeInfo, to
// ProcessChangeEvent under its "type" as an event, and to ProcessAccount. Each input runs in a
// transaction that is rolled back.

#include <unordered_set>

#include "forgedb/forges/gerrit/changes.hpp"
#include "fuzz_support.hpp"

namespace gerrit = forgedb::process::gerrit;

namespace {

void ProcessItem(forgedb::Json item, const gerrit::Context& ctx) {
    (void)gerrit::ProcessChange(item, ctx);
    std::string type = forgedb::JsonGetString(item, "type").value_or("patchset-created");
    (void)gerrit::ProcessChangeEvent(type, item, ctx);
    (void)gerrit::EventChangeNumber(item);
    if (auto ref = forgedb::JsonGetString(item, "refName")) (void)gerrit::ChangeNumberOfRef(*ref);
    if (auto owner = forgedb::JsonGet(item, "owner")) (void)gerrit::ProcessAccount(*owner, ctx);
    (void)gerrit::ProcessAccount(item, ctx);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static forgedb::fuzz::FuzzDatabase database;
    auto doc = forgedb::ParseOnThisThread(forgedb::fuzz::AsText(data, size));
    if (!doc) return 0;
    auto tx = forgedb::store::Transaction::Begin(database.conn());
    if (!tx) return 0;
    std::unordered_set<std::string> written;
    gerrit::Context ctx{database.conn(), "wikimedia", forgedb::model::Via::kWebhook,
                        forgedb::Timestamp{std::chrono::seconds{1700000000}}, &written};
    if (simdjson::dom::array items; !doc->get_array().get(items)) {
        for (forgedb::Json item : items) ProcessItem(item, ctx);
    } else {
        ProcessItem(*doc, ctx);
    }
    return 0;
}
