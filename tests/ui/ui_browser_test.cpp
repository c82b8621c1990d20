// forgedb's pages in a real headless Chromium, on each backend. A mirror is filled by crawling the
// fake Gerrit and the fake Conduit the way a first view of a permalink does; the UI and the JSON
// API are served on loopback; tests/ui/browser_check.py drives Chromium over the DevTools protocol
// (form draft and rows, the real-name warning, the result page's total and heatmap cells, a real
// click on a day and the list that appears, an empty day) and reports what it saw, which is checked
// here against the fake forges' own data. Screenshots of every page go to
// <build>/ui-screenshots/{sqlite,postgres}/. Skipped, with a message, when chromium is not
// installed.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "fake_conduit.hpp"
#include "fake_gerrit.hpp"
#include "forgedb/contrib/contrib.hpp"
#include "forgedb/forges/gerrit/tasks.hpp"
#include "forgedb/forges/phabricator/tasks.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/queue/worker_pool.hpp"
#include "forgedb/sources/http_client.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "forgedb/web/ui/render.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
namespace fs = std::filesystem;

// The first executable `name` on PATH, or "".
std::string FindOnPath(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    }
    return "";
}

fs::path ScreenshotDir() { return fs::path(FORGEDB_BINARY).parent_path() / "ui-screenshots"; }

Timestamp At(const char* text) { return *ParseTimestamp(text); }

class UiBrowserTest : public BackendTest {
protected:
    void SetUp() override {
        chromium_ = FindOnPath("chromium");
        if (chromium_.empty()) {
            GTEST_SKIP() << "chromium is not installed (Debian package `chromium`; "
                            "tools/deps.sh installs it): the browser test is skipped";
        }
        python_ =
            ::access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : FindOnPath("python3");
        ASSERT_FALSE(python_.empty()) << "python3 is needed to drive the browser";
        BackendTest::SetUp();
        if (!tdb_) return;  // skipped: no PostgreSQL

        // Alice's changes and tasks, from Jan 1, 2021 on (about two months of them).
        ASSERT_TRUE(gerrit_fake_.Start());
        ASSERT_TRUE(conduit_fake_.Start());
        fake::GerritGenerateOptions gopts;
        gopts.spacing = 17h;
        gerrit_owner_ = gerrit_fake_.Generate("alice", 80, gopts);
        conduit_fake_.AddUser("alice", "Alice Example");
        fake::PhabricatorGenerateOptions popts;
        popts.spacing = 31h;
        popts.start = At("2021-01-01T05:00:00Z");
        phab_user_ = conduit_fake_.Generate("alice", 40, popts);

        http_ = sources::MakeCurlHttpClient();
        gerrit_ = std::make_unique<sources::gerrit::GerritClient>(
            *http_, clock_, sources::gerrit::Instance{"wm", gerrit_fake_.base_url(), "", ""});
        conduit_ = std::make_unique<sources::phabricator::ConduitClient>(
            *http_, clock_,
            sources::phabricator::Instance{"wm", conduit_fake_.base_url(), "api-token"});
        tasks::RegisterGerritTasks(registry_, {{"wm", gerrit_.get()}});
        tasks::RegisterPhabricatorTasks(registry_, {{"wm", conduit_.get()}});
        queue::WorkerOptions wopts;
        wopts.threads = 0;
        wopts.retry = queue::RetryPolicy{10ms, 100ms};
        workers_ = std::make_unique<queue::WorkerPool>(
            tdb_->db(), clock_, notifier_,
            [this](queue::JobContext& c) { return registry_.Run(c); }, wopts);

        contrib::ContribConfig config;
        config.gerrit_instance = "wm";
        config.gerrit_url = gerrit_fake_.base_url();
        config.phabricator_instance = "wm";
        config.phabricator_url = conduit_fake_.base_url();
        forges_ = ContribForges(config);
        service_ = std::make_unique<contrib::Service>(tdb_->db(), clock_, notifier_, config,
                                                      forges_.get());
        api_ = std::make_unique<api::WikiContribApi>(*service_);
        pages_ = std::make_unique<ui::Pages>(*service_, clock_);
        router_.AddAll(api_->Routes());
        router_.AddAll(pages_->Routes());  // last: GET /{hash}/ matches any one-segment path
        http::ServerOptions sopts;
        sopts.port = 0;
        server_ = std::make_unique<http::Server>(router_, sopts);
        ASSERT_TRUE(server_->Start());
        base_ = "http://127.0.0.1:" + std::to_string(server_->port());
        cli_ = std::make_unique<TestClient>("127.0.0.1", server_->port());
    }

    void TearDown() override {
        if (server_) server_->Stop();
        gerrit_.reset();
        conduit_.reset();
        http_.reset();
        gerrit_fake_.Stop();
        conduit_fake_.Stop();
    }

    // Runs queued jobs until the view reports its crawls finished.
    void CrawlUntilCovered(const std::string& hash) {
        auto deadline = std::chrono::steady_clock::now() + 60s;
        for (;;) {
            auto ran = workers_->Drain();
            ASSERT_TRUE(ran) << ran.error().ToString();
            auto r = service_->GetResult(hash, std::nullopt);
            ASSERT_TRUE(r) << r.error().ToString();
            ASSERT_TRUE(r->coverage.errors.empty()) << r->coverage.errors.front();
            if (r->coverage.complete) return;
            ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "crawls did not finish";
            std::this_thread::sleep_for(20ms);
        }
    }

    // What the fakes hold for Alice in [start, end) under the default statuses (Gerrit MERGED
    // and NEW, Phabricator open and resolved), per UTC day, with the titles of each day.
    struct Expected {
        std::map<std::string, long long> per_day;
        std::map<std::string, std::multiset<std::string>> titles;
        long long total = 0;
    };
    Expected FromFakes(Timestamp start, Timestamp end) {
        Expected e;
        auto add = [&](Timestamp t, const std::string& title) {
            if (t < start || t >= end) return;
            std::string day = ui::FormatDay(ui::UtcDay(t));
            ++e.per_day[day];
            e.titles[day].insert(title);
            ++e.total;
        };
        for (long long number : gerrit_owner_.numbers) {
            auto change = gerrit_fake_.GetChange(number);
            EXPECT_TRUE(change);
            if (!change) continue;
            std::string status = (*change)["status"];
            if (status != "MERGED" && status != "NEW") continue;
            add(*ParseTimestamp((*change)["created"].get<std::string>()), (*change)["subject"]);
        }
        std::set<long long> tasks(phab_user_.authored.begin(), phab_user_.authored.end());
        tasks.insert(phab_user_.assigned.begin(), phab_user_.assigned.end());
        for (long long id : tasks) {
            auto task = conduit_fake_.GetTask(id);
            EXPECT_TRUE(task);
            if (!task) continue;
            const json& f = (*task)["fields"];
            std::string status = f["status"]["value"];
            if (status != "open" && status != "resolved") continue;
            add(*FromUnixSeconds(f["dateCreated"].get<long long>()), f["name"]);
        }
        return e;
    }

    std::string chromium_;
    std::string python_;
    SystemClock clock_;
    queue::Notifier notifier_;
    fake::FakeGerrit gerrit_fake_;
    fake::FakeConduit conduit_fake_;
    fake::GeneratedGerritOwner gerrit_owner_;
    fake::GeneratedPhabricatorUser phab_user_;
    std::unique_ptr<sources::HttpClient> http_;
    std::unique_ptr<sources::gerrit::GerritClient> gerrit_;
    std::unique_ptr<sources::phabricator::ConduitClient> conduit_;
    tasks::TaskRegistry registry_;
    std::unique_ptr<queue::WorkerPool> workers_;
    std::unique_ptr<forge::Forges> forges_;
    std::unique_ptr<contrib::Service> service_;
    std::unique_ptr<api::WikiContribApi> api_;
    std::unique_ptr<ui::Pages> pages_;
    http::Router router_;
    std::unique_ptr<http::Server> server_;
    std::string base_;
    std::unique_ptr<TestClient> cli_;
};

TEST_P(UiBrowserTest, PermalinkHeatmapAndDayClickInChromium) {
    // The query, as the form saves it, and its permalink with a six-month range ending with
    // March 2021 (Oct 1, 2020 .. Mar 31, 2021).
    auto submitted = cli_->Post("/",
                                "fullname=Alice+Example&gerrit=alice&phabricator=alice&github="
                                "&action=search",
                                "application/x-www-form-urlencoded");
    ASSERT_TRUE(submitted);
    ASSERT_EQ(submitted->status, 303) << submitted->body;
    std::string location = submitted->Header("Location");
    auto hash = service_->CreateQuery({{"Alice Example", "alice", "alice", ""}});
    ASSERT_TRUE(hash) << hash.error().ToString();
    ASSERT_EQ(location, "/" + *hash + "/");
    std::string permalink = location + "?end=2021-03&months=6";

    // The first view queues the crawls and says so, refreshing itself.
    auto loading = cli_->Get(permalink);
    ASSERT_TRUE(loading);
    ASSERT_EQ(loading->status, 200) << loading->body;
    EXPECT_NE(loading->body.find("Loading contributions from the forges"), std::string::npos);
    EXPECT_NE(loading->body.find("<meta http-equiv=\"refresh\""), std::string::npos);
    ASSERT_NO_FATAL_FAILURE(CrawlUntilCovered(*hash));

    auto result = service_->GetResult(*hash, std::nullopt);
    ASSERT_TRUE(result);
    Timestamp start = At("2020-10-01T00:00:00Z"), end = At("2021-04-01T00:00:00Z");
    EXPECT_EQ(result->filter.start, start);
    EXPECT_EQ(result->filter.end, end);
    Expected expected = FromFakes(start, end);
    ASSERT_GT(expected.total, 50);
    EXPECT_EQ(static_cast<long long>(result->items.size()), expected.total);

    // The busiest day (the earliest of equals) is clicked; a day without anything as well.
    std::string busy_day, empty_day;
    long long busiest = 0;
    for (const auto& [day, n] : expected.per_day) {
        if (n > busiest) {
            busiest = n;
            busy_day = day;
        }
    }
    for (auto d = ui::UtcDay(start); d < ui::UtcDay(end); d += std::chrono::days{1}) {
        if (!expected.per_day.count(ui::FormatDay(d)) && ui::FormatDay(d) > "2021-01-01") {
            empty_day = ui::FormatDay(d);
            break;
        }
    }
    ASSERT_FALSE(empty_day.empty());

    // Without the script, a day is a page of its own.
    auto day_page = cli_->Get(location + "?day=" + busy_day);
    ASSERT_TRUE(day_page);
    EXPECT_EQ(day_page->status, 200);
    for (const auto& title : expected.titles[busy_day]) {
        EXPECT_NE(day_page->body.find(ui::HtmlEscape(title)), std::string::npos) << title;
    }

    fs::path out = ScreenshotDir() / (GetParam() == Backend::kSqlite ? "sqlite" : "postgres");
    fs::create_directories(out);
    for (const char* name :
         {"form.png", "form-warning.png", "result.png", "day.png", "empty-day.png"}) {
        fs::remove(out / name);
    }
    std::string log = (out / "browser_check.log").string();
    ChildProcess driver(
        {python_, std::string(FORGEDB_TEST_DATA) + "/../ui/browser_check.py", "--chromium",
         chromium_, "--form-url", base_ + "/", "--result-url", base_ + location, "--day", busy_day,
         "--empty-day", empty_day, "--out", out.string()},
        log);
    int code = driver.Wait();
    std::string output = driver.Log();
    size_t brace = output.rfind("\n{");
    std::string last = brace == std::string::npos ? output : output.substr(brace + 1);
    ASSERT_EQ(code, 0) << output;
    json report = json::parse(last, nullptr, false);
    ASSERT_FALSE(report.is_discarded()) << output;
    ASSERT_FALSE(report.contains("failure")) << report.dump(2);

    // The form: a typed draft survives a reload; Add row works in place.
    EXPECT_EQ(report["form"]["draft_restored"], "Draft Person");
    EXPECT_EQ(report["form"]["rows_after_add"], 2);
    // A full name the mirror's real names do not match: a warning naming it, no navigation;
    // "Edit the names" hides it; the matching name goes on to the permalink page.
    EXPECT_NE(report["form"]["warning"].get<std::string>().find("Zed Nobody"), std::string::npos)
        << report["form"].dump();
    EXPECT_EQ(report["form"]["path_after_warning"], "/");
    EXPECT_EQ(report["form"]["warning_hidden_after_back"], true);
    EXPECT_NE(report["form"]["path_after_match"], "/");
    EXPECT_EQ(report["form"]["warning_seen_on_match"], false);

    // The result page: heading, total, one cell per day of the range with the fakes' counts.
    const json& r = report["result"];
    EXPECT_EQ(r["heading"], "Alice Example's activity");
    EXPECT_EQ(r["total"], std::to_string(expected.total));
    EXPECT_EQ(r["months"],
              json::array({"2020-10", "2020-11", "2020-12", "2021-01", "2021-02", "2021-03"}));
    EXPECT_EQ(r["progress"], false);
    EXPECT_EQ(r["charts"], 2);  // Phabricator and Gerrit; no GitHub username
    ASSERT_TRUE(r["cells"].is_object());
    EXPECT_EQ(r["cells"].size(), 182u);
    long long sum = 0;
    for (auto it = r["cells"].begin(); it != r["cells"].end(); ++it) {
        long long want = expected.per_day.count(it.key()) ? expected.per_day[it.key()] : 0;
        EXPECT_EQ(it.value().get<long long>(), want) << it.key();
        sum += it.value().get<long long>();
    }
    EXPECT_EQ(sum, expected.total);

    // The clicked day lists that day's items, linked to the forges.
    const json& day = report["day"];
    EXPECT_EQ(day["heading"], "Alice Example's activity on " + busy_day);
    EXPECT_EQ(day["selected"], busy_day);
    EXPECT_NE(day["url"].get<std::string>().find("day=" + busy_day), std::string::npos);
    EXPECT_EQ(day["clicked_title"], std::to_string(busiest) +
                                        (busiest == 1 ? " contribution" : " contributions") +
                                        " on " + ui::FormatLongDay(*ui::ParseDay(busy_day)));
    std::multiset<std::string> titles;
    for (const auto& item : day["items"]) {
        titles.insert(item["title"].get<std::string>());
        std::string href = item["href"];
        bool to_forge = href.rfind(gerrit_fake_.base_url(), 0) == 0 ||
                        href.rfind(conduit_fake_.base_url(), 0) == 0;
        EXPECT_TRUE(to_forge) << href;
    }
    EXPECT_EQ(titles, expected.titles[busy_day]);
    EXPECT_EQ(report["empty_day"]["empty"], "Alice Example has no activity on this day.");
    EXPECT_TRUE(report["errors"].empty()) << report["errors"].dump();

    for (const char* name :
         {"form.png", "form-warning.png", "result.png", "day.png", "empty-day.png"}) {
        std::string png = ReadFile((out / name).string());
        EXPECT_GT(png.size(), 1000u) << name;
        EXPECT_EQ(png.substr(1, 3), "PNG") << name;
    }
}

FORGEDB_INSTANTIATE_BACKENDS(UiBrowserTest);

}  // namespace
}  // namespace forgedb::testing
