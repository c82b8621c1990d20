// GitLab hook processing on a real migrated SQLite database: the first line is the X-Gitlab-Event
// value, the rest the payload, given to ProcessHook as the deliveries job does (a payload of the
// wrong shape must be refused, not crash). Each input runs in a transaction that is rolled back.

#include "forgedb/forges/gitlab/events.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static forgedb::fuzz::FuzzDatabase database;
    std::string_view text = forgedb::fuzz::AsText(data, size);
    size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return 0;
    std::string event(text.substr(0, nl));
    auto doc = forgedb::ParseOnThisThread(text.substr(nl + 1));
    if (!doc) return 0;
    auto tx = forgedb::store::Transaction::Begin(database.conn());
    if (!tx) return 0;
    const forgedb::Timestamp received{std::chrono::seconds{1700000000}};
    forgedb::gitlab::Context ctx{database.conn(), "wikimedia", forgedb::model::Via::kWebhook,
                                 received, received};
    (void)forgedb::gitlab::ProcessHook(ctx, event, *doc);
    return 0;
}
