#pragma once
// Watermarks of incremental crawls (table crawl_watermark): how far a crawl of one scope of one
// source has read, e.g. ("gerrit:wikimedia", "owner:alice") -> the greatest `updated` it saw.

#include <optional>
#include <string>

#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

Result<std::optional<Timestamp>> GetWatermark(Connection& conn, const std::string& source,
                                              const std::string& scope);
// Raises the watermark to `watermark` (never lowers it); joins the caller's transaction.
Status RaiseWatermark(Connection& conn, const std::string& source, const std::string& scope,
                      Timestamp watermark, Timestamp now);

}  // namespace forgedb::store
