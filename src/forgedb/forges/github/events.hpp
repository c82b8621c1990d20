#pragma once
// Turns one GitHub webhook delivery (event name + parsed payload) into rows. Runs inside the
// caller's transaction; no HTTP.

#include <string>
#include <string_view>
#include <vector>

#include "forgedb/core/json.hpp"
#include "forgedb/forges/github/context.hpp"

namespace forgedb::process::github {

enum class EventOutcome {
    kProcessed,  // rows were written
    kStale,      // the delivery's main object is older than the stored row; nothing changed
    kIgnored,    // forgedb does not replicate this event
};

const char* EventOutcomeName(EventOutcome o);

// Work a delivery asks for that cannot happen inside processing (it needs the API).
struct FollowUp {
    std::string kind;  // e.g. "github.pull_request_files"
    std::string args;  // JSON
};

struct EventResult {
    EventOutcome outcome = EventOutcome::kIgnored;
    std::vector<FollowUp> follow_ups;
};

// True for the events forgedb replicates (the others are logged and ignored).
bool IsReplicatedEvent(std::string_view event);

Result<EventResult> ProcessEvent(std::string_view event, Json payload, const Context& ctx);

}  // namespace forgedb::process::github
