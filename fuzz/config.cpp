// The command-line value parsers of app/config: listen addresses, durations, and the forge and
// contributor-view flags that name instances and URLs (BuildForges with no credential flags, so
// that no file is read). Input: one flag value per line; the first line is also read as an
// address and a duration.

#include "forgedb/app/config.hpp"

#include <vector>

#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = forgedb::fuzz::AsText(data, size);
    std::vector<std::string> lines;
    for (std::string_view rest = text; !rest.empty();) {
        lines.emplace_back(forgedb::fuzz::TakeLine(rest));
    }
    std::string first = lines.empty() ? "" : lines.front();
    if (auto listen = forgedb::app::ParseListen(first)) {
        (void)forgedb::app::BuildHttp({}, *listen);
    }
    (void)forgedb::app::ParseDuration(first, "--fuzz");
    forgedb::app::HttpFlags http;
    http.header_timeout = first;
    (void)forgedb::app::BuildHttp(http, {"127.0.0.1", 8080});

    // Odd lines configure Gerrit, even ones Phabricator; the contributor view names the first
    // of each and reads the first line as its freshness.
    forgedb::app::ForgesFlags flags;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        (i % 2 == 0 ? flags.gerrit : flags.phabricator).push_back(lines[i]);
    }
    auto forges = forgedb::app::BuildForges(flags);
    if (!forges) return 0;
    forgedb::app::ContribFlags contrib;
    contrib.freshness = first;
    contrib.github_orgs = lines;
    contrib.webhooks_current = lines;
    (void)forgedb::app::BuildContrib(contrib, *forges);
    return 0;
}
