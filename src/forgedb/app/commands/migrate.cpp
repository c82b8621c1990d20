// `forgedb migrate`: applies pending schema migrations and exits.

#include <memory>
#include <string>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"
#include "forgedb/app/commands/runtime_common.hpp"
#include "forgedb/app/runtime.hpp"

namespace forgedb::app {
namespace commands {

Command AddMigrate(CLI::App& app) {
    auto* cmd = app.add_subcommand("migrate", "Apply pending schema migrations and exit");
    auto database = std::make_shared<std::string>("sqlite:forgedb.db");
    AddDatabase(*cmd, *database);
    return {cmd, [database] { return RunMigrate(*database); }};
}

}  // namespace commands

int RunMigrate(const std::string& database) {
    int code = 0;
    auto opened = OpenAndMigrate(database, code);
    return opened ? 0 : code;
}

}  // namespace forgedb::app
