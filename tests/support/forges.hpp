#pragma once
// The forges for tests, built as a process builds them.

#include <memory>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/forge/forge.hpp"

namespace forgedb::testing {

// Every forge without API access or instances: logged deliveries are processed, and no crawl is
// registered (follow-ups of GitHub deliveries are not queued). Lives as long as the process.
const forge::Forges& OfflineForges();

// Every forge without API access, whose contributor crawls follow `config` (the instances and
// organisations the view reads).
std::unique_ptr<forge::Forges> ContribForges(const contrib::ContribConfig& config);

}  // namespace forgedb::testing
