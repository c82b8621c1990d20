#pragma once
// The webhook delivery log: every delivery as received, and the outcome of processing it.

#include <optional>
#include <string>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

struct Delivery {
    std::string forge;     // "github", "gerrit", "phabricator"
    std::string instance;  // the configured instance name ("" for GitHub)
    std::string delivery_id;
    std::string event;
    std::string action;  // "" when the payload has none
    Timestamp received_at{};
    std::string headers_json;
    std::string body;
    std::string status;  // pending, processed, stale, ignored, failed
    std::string error;
};

// Inserts a new delivery with status "pending". Returns false (and writes nothing) when a delivery
// with the same forge and id is already logged.
Result<bool> InsertDelivery(Connection& conn, const Delivery& d);

Result<Delivery> LoadDelivery(Connection& conn, const std::string& forge,
                              const std::string& delivery_id);

Status SetDeliveryOutcome(Connection& conn, const std::string& forge,
                          const std::string& delivery_id, const std::string& status,
                          const std::string& error, Timestamp at);

struct DeliveryFilter {
    std::optional<Timestamp> since;
    std::optional<std::string> event;
    std::optional<std::string> forge;  // nullopt: every forge
    bool pending_only = false;         // only deliveries not processed yet
};
struct DeliveryKey {
    std::string forge;
    std::string delivery_id;
};
// Logged deliveries matching the filter, oldest first.
Result<std::vector<DeliveryKey>> ListDeliveries(Connection& conn, const DeliveryFilter& filter);

}  // namespace forgedb::store
