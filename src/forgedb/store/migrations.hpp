#pragma once
// Numbered schema migrations, compiled in from schema/<dialect>/NNNN_name.sql.

#include <string_view>
#include <vector>

#include "forgedb/core/result.hpp"
#include "forgedb/store/database.hpp"

namespace forgedb::store {

struct Migration {
    std::string_view name;  // file name, e.g. "0001_init.sql"; the order is the name's order
    std::string_view sql;
};

const std::vector<Migration>& SqliteMigrations();
const std::vector<Migration>& PostgresMigrations();

// Applies every migration not yet recorded in schema_migrations, each in its own transaction.
// Safe to run from several processes at once. Returns the names applied now.
Result<std::vector<std::string>> Migrate(Connection& conn);

}  // namespace forgedb::store
