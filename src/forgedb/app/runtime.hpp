#pragma once
// Composition roots: the only place implementations are chosen and wired together.

#include <memory>
#include <optional>
#include <string>

#include "forgedb/app/config.hpp"
#include "forgedb/core/result.hpp"
#include "forgedb/core/time.hpp"

namespace forgedb::app {

// Each returns the process exit code.
int RunServe(const ServeConfig& config);
int RunWork(const std::string& database, int workers);
int RunMigrate(const std::string& database);
int RunReplay(const std::string& database, std::optional<Timestamp> since,
              std::optional<std::string> event);

}  // namespace forgedb::app
