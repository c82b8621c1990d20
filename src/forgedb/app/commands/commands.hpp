#pragma once
// The commands of the forgedb binary, one file each (serve.cpp, work.cpp, ...). Each Add*
// function adds its subcommand, with its options, to the top-level app, and returns the Command
// that checks the parsed values and runs it.

#include <CLI/CLI.hpp>
#include <functional>

namespace forgedb::app::commands {

struct Command {
    // The subcommand; `*cli` is true after a parse that chose it.
    CLI::App* cli = nullptr;
    // Called at most once, after a successful parse that chose `cli` and after logging is set up.
    // Checks the values (a bad one ends the process through ConfigError, exit code 2), runs the
    // command and returns the process exit code.
    std::function<int()> run;
};

Command AddServe(CLI::App& app);
Command AddWork(CLI::App& app);
Command AddMigrate(CLI::App& app);
Command AddLoad(CLI::App& app);
Command AddJobs(CLI::App& app);
Command AddReplay(CLI::App& app);

}  // namespace forgedb::app::commands
