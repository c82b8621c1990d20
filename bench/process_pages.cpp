// Items upserted per second from GitHub list pages already fetched: the pages of a generated
// repository are taken from the fake GitHub without a network, then processed into a fresh
// SQLite (or PostgreSQL) database one transaction per page, twice (insert, then update).
//
//   process_pages [PULLS] [DATABASE_URL] [UPDATE_PASSES]   (defaults: 5000, a temporary SQLite
//                                                          file, 1)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "fake_github.hpp"
#include "forgedb/core/json.hpp"
#include "forgedb/forges/github/objects.hpp"
#include "forgedb/store/migrations.hpp"

int main(int argc, char** argv) {
    using namespace forgedb;
    int pulls = argc > 1 ? std::atoi(argv[1]) : 5000;
    auto dir = std::filesystem::temp_directory_path() / "forgedb_process_pages";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string url = argc > 2 ? argv[2] : "sqlite:" + (dir / "bench.db").string();

    fake::FakeGithub fake;
    fake::GenerateOptions g;
    g.pulls = pulls;
    g.issues = 0;
    fake.Generate("octo", "big", g);
    std::vector<std::string> pages;
    for (int page = 1; static_cast<int>(pages.size()) * 100 < pulls; ++page) {
        http::Request req;
        req.method = "GET";
        req.path = "/repos/octo/big/pulls";
        req.query = {{"state", "all"}, {"per_page", "100"}, {"page", std::to_string(page)}};
        pages.push_back(fake.Handle(req).body);
    }

    auto db = store::Database::Open(url);
    if (!db) return std::fprintf(stderr, "%s\n", db.error().message.c_str()), 1;
    auto conn = (*db)->Connect();
    if (!conn || !store::Migrate(**conn))
        return std::fprintf(stderr, "cannot open %s\n", url.c_str()), 1;
    SystemClock clock;
    int update_passes = argc > 3 ? std::max(1, std::atoi(argv[3])) : 1;
    std::vector<const char*> passes{"insert"};
    for (int i = 0; i < update_passes; ++i) passes.push_back("update");
    for (const char* pass : passes) {
        auto start = std::chrono::steady_clock::now();
        long long items = 0;
        for (const auto& body : pages) {
            auto root = ParseOnThisThread(body);
            if (!root) return std::fprintf(stderr, "%s\n", root.error().message.c_str()), 1;
            auto tx = store::Transaction::Begin(**conn);
            std::unordered_set<std::string> written;
            process::github::Context ctx{**conn, model::github::Via::kApi, clock.Now(), &written};
            simdjson::dom::array list;
            if (root->get_array().get(list)) return std::fprintf(stderr, "not an array\n"), 1;
            for (Json pr : list) {
                auto p = process::github::ProcessPullRequest(pr, ctx);
                if (!p) return std::fprintf(stderr, "%s\n", p.error().ToString().c_str()), 1;
                ++items;
            }
            if (!tx->Commit()) return std::fprintf(stderr, "commit failed\n"), 1;
        }
        double secs =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        std::printf(
            "process_pages %s: %lld pull requests from %zu pages in %.3f s = %.0f items/s\n", pass,
            items, pages.size(), secs, items / secs);
    }
    std::filesystem::remove_all(dir);
    return 0;
}
