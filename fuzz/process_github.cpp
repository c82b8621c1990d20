// GitHub process functions: a webhook payload into rows, through ProcessEvent, on a real migrated
// SQLite database. Input: the event name on the first line, then the JSON payload. Each input runs
// in a transaction that is rolled back, so that every input meets the same empty mirror.

#include <unordered_set>

#include "forgedb/forges/github/events.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static forgedb::fuzz::FuzzDatabase database;
    std::string_view text = forgedb::fuzz::AsText(data, size);
    std::string_view event = forgedb::fuzz::TakeLine(text);
    auto payload = forgedb::ParseOnThisThread(text);
    if (!payload) return 0;
    auto tx = forgedb::store::Transaction::Begin(database.conn());
    if (!tx) return 0;
    std::unordered_set<std::string> written;
    // Webhook and API stamps take different paths through the stale checks.
    for (auto via : {forgedb::model::Via::kWebhook, forgedb::model::Via::kApi}) {
        forgedb::process::github::Context ctx{
            database.conn(), via, forgedb::Timestamp{std::chrono::seconds{1700000000}}, &written};
        (void)forgedb::process::github::ProcessEvent(event, *payload, ctx);
    }
    return 0;
}
