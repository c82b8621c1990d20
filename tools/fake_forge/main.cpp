// forgedb-fake-forge: serves a FakeGithub until SIGINT or SIGTERM, for demos and benchmarks.
//   forgedb-fake-forge --listen 127.0.0.1:8900 --generate octo/big:5000 --fixtures DIR
// Faults, budgets and data changes are driven over the control API under /_fake/ (see
// fake_github.cpp).

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "fake_forge/fake_github.hpp"

namespace {

// "HOST:PORT" -> host, port; false when malformed.
bool ParseListen(const std::string& text, std::string& host, int& port) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
    host = text.substr(0, colon);
    try {
        size_t used = 0;
        port = std::stoi(text.substr(colon + 1), &used);
        return used == text.size() - colon - 1 && port >= 0 && port <= 65535;
    } catch (const std::exception&) {
        return false;
    }
}

// "OWNER/NAME:PULLS" -> owner, name, pulls; false when malformed.
bool ParseGenerate(const std::string& text, std::string& owner, std::string& name, int& pulls) {
    size_t slash = text.find('/');
    size_t colon = text.rfind(':');
    if (slash == std::string::npos || colon == std::string::npos || slash == 0 ||
        colon <= slash + 1 || colon + 1 == text.size()) {
        return false;
    }
    owner = text.substr(0, slash);
    name = text.substr(slash + 1, colon - slash - 1);
    try {
        size_t used = 0;
        pulls = std::stoi(text.substr(colon + 1), &used);
        return used == text.size() - colon - 1 && pulls >= 0;
    } catch (const std::exception&) {
        return false;
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"forgedb-fake-forge: an in-memory fake of GitHub's REST API"};
    forgedb::fake::FakeGithubOptions options;
    std::string listen = "127.0.0.1:8900";
    std::vector<std::string> generate;
    std::vector<std::string> fixtures;
    int rate_limit = 5000;
    int issues_per_pull_percent = 50;
    std::uint64_t seed = 1;
    app.add_option("--listen", listen, "Address to listen on, HOST:PORT (port 0: any)")
        ->capture_default_str();
    app.add_option("--generate", generate, "Generate a repository OWNER/NAME:PULLS (repeatable)");
    app.add_option("--fixtures", fixtures,
                   "Load a folder of recorded GitHub REST bodies as a repository (repeatable)");
    app.add_option("--rate-limit", rate_limit,
                   "Primary rate limit per token and hour, anonymous requests included")
        ->capture_default_str();
    app.add_option("--issues-percent", issues_per_pull_percent,
                   "Generated plain issues, as a percentage of the pulls")
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed of generated content")->capture_default_str();
    app.add_option("--public-url", options.public_url,
                   "Base of the URLs in Link headers (default: http://HOST:PORT)");
    CLI11_PARSE(app, argc, argv);

    if (!ParseListen(listen, options.host, options.port)) {
        std::cerr << "--listen must be HOST:PORT, got '" << listen << "'\n";
        return 2;
    }
    options.default_limit = rate_limit;
    options.anonymous_limit = rate_limit;

    // Signals are taken synchronously by this thread; server threads inherit the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    forgedb::fake::FakeGithub fake(options);
    for (const auto& g : generate) {
        forgedb::fake::GenerateOptions go;
        std::string owner, name;
        if (!ParseGenerate(g, owner, name, go.pulls)) {
            std::cerr << "--generate must be OWNER/NAME:PULLS, got '" << g << "'\n";
            return 2;
        }
        go.issues = go.pulls * issues_per_pull_percent / 100;
        go.seed = seed;
        fake.Generate(owner, name, go);
    }
    for (const auto& dir : fixtures) {
        try {
            fake.AddRecordedFixtures(dir);
        } catch (const std::exception& e) {
            std::cerr << e.what() << "\n";
            return 2;
        }
    }
    auto started = fake.Start();
    if (!started) {
        std::cerr << started.error().message << "\n";
        return 1;
    }
    std::printf("fake forge listening on http://%s:%d\n", options.host.c_str(), fake.port());
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
    fake.Stop();
    return 0;
}
