// forgedb-fake-forge: serves a FakeGithub until SIGINT or SIGTERM, for demos and benchmarks.
//   forgedb-fake-forge --listen 127.0.0.1:8900 --generate octo/big:5000 --fixtures DIR
//   ... --gerrit-listen 127.0.0.1:8901 --gerrit-generate alice:250   (also a FakeGerrit)
//   ... --phabricator-listen 127.0.0.1:8902 --phabricator-generate alice:250   (a FakeConduit)
//   ... --gitlab-listen 127.0.0.1:8903 --gitlab-generate acme:100   (a FakeGitlab)
// Faults, budgets and data changes are driven over the control API under /_fake/ (see
// fake_github.cpp).

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "fake_forge/fake_conduit.hpp"
#include "fake_forge/fake_gerrit.hpp"
#include "fake_forge/fake_github.hpp"
#include "fake_forge/fake_gitlab.hpp"

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

// "NAME:N" -> name, n (n >= 0); false when malformed. NAME may itself contain ':' or '/'.
bool ParseNameCount(const std::string& text, std::string& name, int& count) {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return false;
    name = text.substr(0, colon);
    try {
        size_t used = 0;
        count = std::stoi(text.substr(colon + 1), &used);
        return used == text.size() - colon - 1 && count >= 0;
    } catch (const std::exception&) {
        return false;
    }
}

// Creates the fake forge `name` ("gerrit", "phabricator", "gitlab": also the prefix of its
// options) on `listen` (HOST:PORT, "" = any free port on loopback) with the options that
// `configure` (if any) sets, calls generate(fake, NAME, N) for every NAME:N of `specs`, and starts
// it into `out`. Returns 0, or after printing why, the exit code: 2 for a malformed option, 1 when
// the server does not start.
template <typename Fake, typename Options, typename Generate>
int StartFake(const std::string& name, std::string listen, const std::vector<std::string>& specs,
              Generate generate, std::unique_ptr<Fake>& out,
              const std::function<void(Options&)>& configure = nullptr) {
    Options options;
    if (configure) configure(options);
    if (listen.empty()) listen = "127.0.0.1:0";
    if (!ParseListen(listen, options.host, options.port)) {
        std::cerr << "--" << name << "-listen must be HOST:PORT, got '" << listen << "'\n";
        return 2;
    }
    auto fake = std::make_unique<Fake>(options);
    for (const auto& spec : specs) {
        std::string user;
        int count = 0;
        if (!ParseNameCount(spec, user, count)) {
            std::cerr << "--" << name << "-generate must be NAME:N, got '" << spec << "'\n";
            return 2;
        }
        generate(*fake, user, count);
    }
    auto started = fake->Start();
    if (!started) {
        std::cerr << started.error().message << "\n";
        return 1;
    }
    std::printf("fake %s listening on %s\n", name.c_str(), fake->base_url().c_str());
    out = std::move(fake);
    return 0;
}

// "OWNER/NAME:PULLS" -> owner, name, pulls; false when malformed.
bool ParseGenerate(const std::string& text, std::string& owner, std::string& name, int& pulls) {
    std::string full;
    if (!ParseNameCount(text, full, pulls)) return false;
    size_t slash = full.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == full.size()) return false;
    owner = full.substr(0, slash);
    name = full.substr(slash + 1);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"forgedb-fake-forge: an in-memory fake of GitHub's REST API"};
    forgedb::fake::FakeGithubOptions options;
    std::string listen = "127.0.0.1:8900";
    std::vector<std::string> generate;
    std::vector<std::string> fixtures;
    int rate_limit = 5000;
    int search_rate_limit = 30;
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
    app.add_option("--search-rate-limit", search_rate_limit,
                   "Search API rate limit per token and minute, anonymous requests included")
        ->capture_default_str();
    app.add_option("--issues-percent", issues_per_pull_percent,
                   "Generated plain issues, as a percentage of the pulls")
        ->capture_default_str();
    app.add_option("--seed", seed, "Seed of generated content")->capture_default_str();
    app.add_option("--public-url", options.public_url,
                   "Base of the URLs in Link headers (default: http://HOST:PORT)");
    // A fake Gerrit next to the fake GitHub, on its own address; its base URL (for
    // forgedb --gerrit NAME=URL) is http://HOST:PORT/r.
    std::string gerrit_listen;
    std::vector<std::string> gerrit_generate;
    app.add_option("--gerrit-listen", gerrit_listen,
                   "Also serve a fake Gerrit on HOST:PORT (base URL http://HOST:PORT/r)");
    app.add_option("--gerrit-generate", gerrit_generate,
                   "Generate USER:N Gerrit changes owned by USER (repeatable)");
    // A fake Phabricator (Conduit) on its own address; its base URL (for forgedb --phabricator
    // NAME=URL) is http://HOST:PORT. Any API token is accepted.
    std::string phabricator_listen;
    std::vector<std::string> phabricator_generate;
    app.add_option("--phabricator-listen", phabricator_listen,
                   "Also serve a fake Phabricator Conduit API on HOST:PORT");
    app.add_option("--phabricator-generate", phabricator_generate,
                   "Generate USER:N Maniphest tasks authored by USER, as many assigned to USER, "
                   "and N/4 revisions (repeatable)");
    // A fake GitLab (REST API v4) on its own address; the API root is http://HOST:PORT/api/v4.
    std::string gitlab_listen;
    std::vector<std::string> gitlab_generate;
    std::vector<std::string> gitlab_tokens;
    int gitlab_rate_limit = 2000;
    app.add_option("--gitlab-listen", gitlab_listen,
                   "Also serve a fake GitLab REST API on HOST:PORT (API root "
                   "http://HOST:PORT/api/v4)");
    app.add_option("--gitlab-generate", gitlab_generate,
                   "Generate GROUP:N: users, projects in GROUP, its subgroup and the users' "
                   "namespaces (one private), N merge requests per project and as many issues as "
                   "--issues-percent says (repeatable)");
    app.add_option("--gitlab-token", gitlab_tokens,
                   "A token the fake GitLab accepts (repeatable; none given: any token)");
    app.add_option("--gitlab-rate-limit", gitlab_rate_limit,
                   "Fake GitLab requests per minute and token, anonymous requests included")
        ->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    if (!ParseListen(listen, options.host, options.port)) {
        std::cerr << "--listen must be HOST:PORT, got '" << listen << "'\n";
        return 2;
    }
    options.default_limit = rate_limit;
    options.anonymous_limit = rate_limit;
    options.search_limit = search_rate_limit;
    options.anonymous_search_limit = search_rate_limit;

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
    std::unique_ptr<forgedb::fake::FakeGerrit> gerrit;
    if (!gerrit_listen.empty() || !gerrit_generate.empty()) {
        int rc = StartFake<forgedb::fake::FakeGerrit, forgedb::fake::FakeGerritOptions>(
            "gerrit", gerrit_listen, gerrit_generate,
            [&](forgedb::fake::FakeGerrit& g, const std::string& user, int count) {
                forgedb::fake::GerritGenerateOptions go;
                go.seed = seed;
                g.Generate(user, count, go);
            },
            gerrit);
        if (rc != 0) return rc;
    }
    std::unique_ptr<forgedb::fake::FakeConduit> conduit;
    if (!phabricator_listen.empty() || !phabricator_generate.empty()) {
        int rc = StartFake<forgedb::fake::FakeConduit, forgedb::fake::FakeConduitOptions>(
            "phabricator", phabricator_listen, phabricator_generate,
            [&](forgedb::fake::FakeConduit& c, const std::string& user, int tasks) {
                forgedb::fake::PhabricatorGenerateOptions po;
                po.seed = seed;
                po.revisions = tasks / 4;
                c.Generate(user, tasks, po);
            },
            conduit);
        if (rc != 0) return rc;
    }
    std::unique_ptr<forgedb::fake::FakeGitlab> gitlab;
    if (!gitlab_listen.empty() || !gitlab_generate.empty()) {
        int rc = StartFake<forgedb::fake::FakeGitlab, forgedb::fake::FakeGitlabOptions>(
            "gitlab", gitlab_listen, gitlab_generate,
            [&](forgedb::fake::FakeGitlab& g, const std::string& group, int merge_requests) {
                forgedb::fake::GitlabGenerateOptions go;
                go.seed = seed;
                go.group = group;
                go.merge_requests = merge_requests;
                go.issues = merge_requests * issues_per_pull_percent / 100;
                g.Generate(go);
            },
            gitlab,
            [&](forgedb::fake::FakeGitlabOptions& o) {
                o.tokens = gitlab_tokens;
                o.rate_limit = gitlab_rate_limit;
                o.anonymous_rate_limit = gitlab_rate_limit;
            });
        if (rc != 0) return rc;
    }
    std::fflush(stdout);
    int sig = 0;
    sigwait(&signals, &sig);
    if (gitlab) gitlab->Stop();
    if (conduit) conduit->Stop();
    if (gerrit) gerrit->Stop();
    fake.Stop();
    return 0;
}
