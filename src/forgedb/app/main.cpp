// forgedb: mirror code-forge data into SQL. Command-line entry point; each command is in
// app/commands/.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "forgedb/app/commands/commands.hpp"
#include "forgedb/app/commands/common.hpp"

int main(int argc, char** argv) {
    namespace cmd = forgedb::app::commands;
    CLI::App app{"forgedb: mirror GitHub, Gerrit and Phabricator data into SQL"};
    app.require_subcommand(1);
    std::string log_level = "info";
    cmd::AddLogLevel(app, log_level);
    const std::vector<cmd::Command> commands = {cmd::AddServe(app),   cmd::AddWork(app),
                                                cmd::AddMigrate(app), cmd::AddLoad(app),
                                                cmd::AddJobs(app),    cmd::AddReplay(app)};
    if (auto code = cmd::Parse(app, argc, argv)) return *code;
    cmd::SetUpLogging(log_level);
    for (const auto& command : commands) {
        if (*command.cli) return command.run();
    }
    return 0;
}
