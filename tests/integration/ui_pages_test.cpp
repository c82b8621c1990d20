// forgedb's pages over real HTTP, on both backends, without a browser: the form (validation
// messages, rows added and removed without the script, CSV upload), the permalink page (header,
// escaping, heatmap, the range filter stored for the API too, Reset, the day page, prev/next,
// the table view), and bad input (400 and 404 pages).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "forgedb/contrib/contrib.hpp"
#include "forgedb/http/server.hpp"
#include "forgedb/store/job_store.hpp"
#include "forgedb/web/api/wikicontrib_api.hpp"
#include "forgedb/web/ui/pages.hpp"
#include "support/contrib_site.hpp"
#include "support/forges.hpp"
#include "support/http_client.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using nlohmann::json;

Timestamp At(const char* text) { return *ParseTimestamp(text); }

size_t CountOf(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + needle.size())) {
        ++n;
    }
    return n;
}

class UiPagesTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (!tdb_) return;
        clock_ = std::make_unique<ManualClock>(At("2024-06-15T12:00:00Z"));
        Exec(
            "INSERT INTO gerrit_account (instance, account_id, username, name) VALUES "
            "('wm', 1, 'jdoe', 'Jane Doe')");
        Exec(
            "INSERT INTO phabricator_user (instance, phid, id, username, real_name) VALUES "
            "('wm', 'PHID-USER-jane', 7, 'jdoe', 'Jane Doe')");
        Add("gerrit", "change", "101", "jdoe", "2024-03-01T10:00:00Z", "MERGED",
            "Fix <b>bold</b> & \"quotes\"");
        Add("gerrit", "change", "102", "jdoe", "2024-03-01T23:30:00Z", "NEW", "Late change");
        Add("gerrit", "change", "103", "jdoe", "2024-03-02T09:00:00Z", "ABANDONED", "Dropped");
        Add("phabricator", "task", "5", "PHID-USER-jane", "2024-03-01T12:00:00Z", "open", "A task");
        Add("gerrit", "change", "201", "bob", "2024-05-01T10:00:00Z", "MERGED", "Bob's change");
        site_ = std::make_unique<ContribSite>(tdb(), *clock_);
        service_ = &site_->service();
        cli_ = &site_->client();
    }
    void TearDown() override { site_.reset(); }

    void Exec(const std::string& sql, const std::vector<model::Value>& params = {}) {
        auto res = tdb().conn().Query(sql, params);
        ASSERT_TRUE(res) << res.error().ToString();
    }
    void Add(const std::string& platform, const std::string& kind, const std::string& id,
             const std::string& account, const char* time, const std::string& status,
             const std::string& title) {
        Exec(
            "INSERT INTO contribution (platform, instance, kind, source_id, account, time, "
            "status, title, url, project, repo_owner, change_id, authored, assigned) VALUES "
            "(?, 'wm', ?, ?, ?, ?, ?, ?, '', '', '', NULL, ?, ?)",
            {platform, kind, id, account, FormatForgeTime(At(time)), status, title, true, false});
    }

    std::optional<TestReply> PostForm(const std::string& body) {
        return cli_->Post("/", body, "application/x-www-form-urlencoded");
    }

    std::string MakeQuery(const std::vector<contrib::QueryUser>& users) {
        auto hash = service_->CreateQuery(users);
        EXPECT_TRUE(hash) << hash.error().ToString();
        return hash ? *hash : "";
    }

    std::unique_ptr<ManualClock> clock_;
    queue::Notifier notifier_;
    std::unique_ptr<ContribSite> site_;
    contrib::Service* service_ = nullptr;
    TestClient* cli_ = nullptr;
};

TEST_P(UiPagesTest, FormValidatesAndRedirectsToThePermalink) {
    auto form = cli_->Get("/");
    ASSERT_TRUE(form);
    EXPECT_EQ(form->status, 200);
    EXPECT_NE(form->Header("Content-Type").find("text/html"), std::string::npos);
    EXPECT_EQ(CountOf(form->body, "name=\"fullname\""), 1u);
    EXPECT_EQ(CountOf(cli_->Get("/?rows=3")->body, "name=\"fullname\""), 3u);
    EXPECT_EQ(cli_->Get("/?rows=0")->status, 400);
    EXPECT_EQ(cli_->Get("/?rows=many")->status, 400);

    // Rows are added and removed without the script, keeping what was typed.
    auto added = PostForm("fullname=A+%3Cb%3E&gerrit=a&phabricator=&github=&action=add-row");
    ASSERT_EQ(added->status, 200);
    EXPECT_EQ(CountOf(added->body, "name=\"fullname\""), 2u);
    EXPECT_NE(added->body.find("value=\"A &lt;b&gt;\""), std::string::npos);
    auto removed = PostForm("fullname=A&fullname=B&gerrit=a&gerrit=b&action=remove-row");
    EXPECT_EQ(CountOf(removed->body, "name=\"fullname\""), 1u);

    // The original's validation messages, with the form re-rendered.
    auto none = PostForm("fullname=&gerrit=&phabricator=&github=&action=search");
    EXPECT_EQ(none->status, 400);
    EXPECT_NE(none->body.find("please provide user(s) information above"), std::string::npos);
    auto no_name = PostForm("fullname=&gerrit=x&action=search");
    EXPECT_EQ(no_name->status, 400);
    EXPECT_NE(no_name->body.find("it is missing in row 1"), std::string::npos);
    auto no_user = PostForm("fullname=A&gerrit=x&fullname=B&gerrit=&action=search");
    EXPECT_NE(no_user->body.find("Usernames are missing in row 2"), std::string::npos);
    EXPECT_NE(no_user->body.find("value=\"B\""), std::string::npos);
    auto twice = PostForm("fullname=A&gerrit=x&fullname=a&gerrit=y&action=search");
    EXPECT_NE(twice->body.find("have to be unique"), std::string::npos);

    auto ok = PostForm("fullname=Jane+Doe&gerrit=jdoe&phabricator=jdoe&github=&action=search");
    ASSERT_EQ(ok->status, 303) << ok->body;
    std::string hash = MakeQuery({{"Jane Doe", "jdoe", "jdoe", ""}});
    EXPECT_EQ(ok->Header("Location"), "/" + hash + "/");

    // A CSV upload, multipart.
    auto upload = MultipartForm(
        {{"csv", "fullname,Gerrit,Phabricator,Github\nJane Doe,jdoe,jdoe,\nBob,bob,,\n", "p.csv",
          "text/csv"}});
    auto csv = cli_->Post("/", upload.body, upload.content_type);
    ASSERT_TRUE(csv);
    ASSERT_EQ(csv->status, 303) << csv->body;
    std::string csv_hash = csv->Header("Location");
    csv_hash = csv_hash.substr(1, csv_hash.size() - 2);
    auto query = service_->GetQuery(csv_hash);
    ASSERT_TRUE(query) << query.error().ToString();
    EXPECT_EQ(query->users.size(), 2u);
    auto bad = MultipartForm({{"csv", "name,email\nx,y\n", "p.csv", "text/csv"}});
    auto rejected = cli_->Post("/", bad.body, bad.content_type);
    EXPECT_EQ(rejected->status, 400);
    EXPECT_NE(rejected->body.find("The CSV file was not accepted"), std::string::npos);
}

TEST_P(UiPagesTest, ResultPageShowsTheHeatmapAndStoresTheFilter) {
    std::string hash = MakeQuery({{"Jane <Doe>", "jdoe", "jdoe", ""}});
    std::string self = "/" + hash + "/";
    // Last 60 days ending with March 2024: Feb 1 .. Mar 31.
    auto page = cli_->Get(self + "?end=2024-03&months=2");
    ASSERT_TRUE(page);
    ASSERT_EQ(page->status, 200) << page->body;
    const std::string& b = page->body;
    EXPECT_NE(b.find("<h1>Jane &lt;Doe&gt;&#39;s activity</h1>"), std::string::npos);
    EXPECT_EQ(b.find("<Doe>"), std::string::npos);
    EXPECT_NE(b.find("<a href=\"https://gerrit.example.org/r"), std::string::npos);
    EXPECT_NE(b.find("GitHub: None"), std::string::npos);
    EXPECT_NE(b.find("id=\"total\">3</p>"), std::string::npos);  // MERGED, NEW and the task
    EXPECT_NE(b.find("data-day=\"2024-03-01\" data-count=\"3\""), std::string::npos) << b;
    EXPECT_NE(b.find("3 contributions on Mar 1, 2024"), std::string::npos);
    EXPECT_EQ(b.find("data-month=\"2024-04\""), std::string::npos);
    EXPECT_NE(b.find("<option value=\"2024-03\" selected>"), std::string::npos);
    EXPECT_NE(b.find("<option value=\"2\" selected>"), std::string::npos);
    EXPECT_NE(b.find("data-month=\"2024-02\""), std::string::npos);
    EXPECT_NE(b.find("<option value=\"2024-06\""), std::string::npos);  // the current month
    EXPECT_EQ(b.find("<option value=\"2024-07\""), std::string::npos);
    EXPECT_EQ(b.find("http-equiv=\"refresh\""), std::string::npos);

    // The filter is the query's: the API sees it.
    auto filter = service_->GetQuery(hash);
    ASSERT_TRUE(filter);
    EXPECT_EQ(filter->filter.end, At("2024-04-01T00:00:00Z"));
    EXPECT_EQ(filter->filter.start, At("2024-02-01T00:00:00Z"));

    // Without parameters the stored filter holds; Reset restores the default year.
    EXPECT_NE(cli_->Get(self)->body.find("<option value=\"2024-03\" selected>"), std::string::npos);
    auto reset = cli_->Get(self + "?reset=1");
    ASSERT_EQ(reset->status, 303);
    EXPECT_EQ(reset->Header("Location"), self);
    auto after = service_->GetQuery(hash);
    EXPECT_EQ(after->filter.end, At("2024-06-15T12:00:00Z"));

    // The day page (the heatmap's link without the script); a UTC day.
    auto day = cli_->Get(self + "?day=2024-03-01");
    ASSERT_EQ(day->status, 200);
    EXPECT_NE(day->body.find("Jane &lt;Doe&gt;&#39;s activity on 2024-03-01"), std::string::npos);
    EXPECT_NE(day->body.find("Fix &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;"),
              std::string::npos);
    EXPECT_NE(day->body.find("Late change"), std::string::npos);
    EXPECT_NE(day->body.find("A task"), std::string::npos);
    EXPECT_NE(day->body.find("class=\"selected\""), std::string::npos);
    auto empty = cli_->Get(self + "?day=2024-03-05");
    EXPECT_NE(empty->body.find("Jane &lt;Doe&gt; has no activity on this day."), std::string::npos);
}

TEST_P(UiPagesTest, ProgressNamesEachForgeUntilTheCrawlsAreDone) {
    contrib::ContribConfig config = service_->config();
    config.crawl_on_view = true;
    auto forges = ContribForges(config);
    contrib::Service crawling(tdb().db(), *clock_, notifier_, config, forges.get());
    ui::Pages pages(crawling, *clock_);
    http::Router router;
    router.AddAll(pages.Routes());
    std::string hash = MakeQuery({{"Jane Doe", "jdoe", "jdoe", ""}});
    auto view = [&] {
        http::Request req;
        req.method = "GET";
        req.path = "/" + hash + "/";
        return router.Dispatch(req);
    };
    // The first view queues Gerrit owner, Phabricator authored and assigned.
    auto first = view();
    EXPECT_EQ(first.status, 200);
    EXPECT_NE(first.body.find("<span data-platform=\"Gerrit\">Gerrit waiting</span>"),
              std::string::npos)
        << first.body;
    EXPECT_NE(first.body.find("<span data-platform=\"Phabricator\">Phabricator waiting</span>"),
              std::string::npos);
    EXPECT_EQ(first.body.find("data-platform=\"Github\">GitHub"), std::string::npos);
    EXPECT_NE(first.body.find("http-equiv=\"refresh\""), std::string::npos);

    auto jobs = tdb().conn().Query("SELECT id, kind FROM job ORDER BY id", {});
    ASSERT_TRUE(jobs);
    ASSERT_EQ(jobs->rows.size(), 3u);
    for (size_t i = 0; i < jobs->rows.size(); ++i) {
        std::int64_t id = jobs->Int(i, 0);
        if (jobs->Text(i, 1).starts_with("gerrit.")) {
            ASSERT_TRUE(store::AddProgress(tdb().conn(), id, 1, 100, std::nullopt, clock_->Now()));
        } else {
            ASSERT_TRUE(store::FinishJob(tdb().conn(), id, "succeeded", "", clock_->Now()));
        }
    }
    auto second = view();
    EXPECT_NE(second.body.find("Gerrit 1 page, 100 items so far"), std::string::npos)
        << second.body;
    EXPECT_NE(second.body.find("Phabricator done"), std::string::npos);

    for (size_t i = 0; i < jobs->rows.size(); ++i) {
        (void)store::FinishJob(tdb().conn(), jobs->Int(i, 0), "succeeded", "", clock_->Now());
    }
    auto done = view();
    EXPECT_EQ(done.body.find("class=\"progress\""), std::string::npos);
    EXPECT_EQ(done.body.find("http-equiv=\"refresh\""), std::string::npos);
}

TEST_P(UiPagesTest, BadInputGivesErrorPages) {
    std::string hash = MakeQuery({{"Jane Doe", "jdoe", "", ""}});
    std::string self = "/" + hash + "/";
    for (const char* q : {"?end=2024-13", "?end=24-01", "?end=2030-01", "?months=4", "?months=x",
                          "?day=2024-02-30", "?view=chart", "?reset=yes"}) {
        auto r = cli_->Get(self + q);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 400) << q;
        EXPECT_NE(r->body.find("class=\"error\""), std::string::npos) << q;
    }
    EXPECT_NE(cli_->Get(self + "?end=2024-13")->body.find("YYYY-MM"), std::string::npos);
    auto unknown = cli_->Get("/no-such-hash-123456789/");
    EXPECT_EQ(unknown->status, 404);
    EXPECT_NE(unknown->Header("Content-Type").find("text/html"), std::string::npos);
    EXPECT_EQ(cli_->Get("/bad%3Chash%3E/")->status, 404);
    EXPECT_EQ(cli_->Get(self + "?user=Nobody")->status, 404);

    auto css = cli_->Get("/static/forgedb.css");
    EXPECT_EQ(css->status, 200);
    EXPECT_NE(css->Header("Content-Type").find("text/css"), std::string::npos);
    auto js = cli_->Get("/static/forgedb.js");
    EXPECT_EQ(js->status, 200);
    EXPECT_NE(js->Header("Content-Type").find("javascript"), std::string::npos);
}

TEST_P(UiPagesTest, SeveralPeoplePageThroughAndTotalInATable) {
    std::string hash = MakeQuery({{"Jane Doe", "jdoe", "jdoe", ""}, {"Bob", "bob", "", ""}});
    std::string self = "/" + hash + "/";
    auto first = cli_->Get(self + "?end=2024-05&months=6");
    ASSERT_EQ(first->status, 200) << first->body;
    EXPECT_NE(first->body.find("<h1>Jane Doe&#39;s activity</h1>"), std::string::npos);
    EXPECT_NE(first->body.find("rel=\"next\" href=\"" + self + "?user=Bob\""), std::string::npos);
    auto bob = cli_->Get(self + "?user=Bob");
    EXPECT_NE(bob->body.find("<h1>Bob&#39;s activity</h1>"), std::string::npos);
    EXPECT_NE(bob->body.find("rel=\"prev\" href=\"" + self + "?user=Jane%20Doe\""),
              std::string::npos);
    EXPECT_NE(bob->body.find("data-day=\"2024-05-01\" data-count=\"1\""), std::string::npos);

    auto table = cli_->Get(self + "?view=table");
    ASSERT_EQ(table->status, 200) << table->body;
    EXPECT_NE(table->body.find("<h1>2 people</h1>"), std::string::npos);
    EXPECT_NE(table->body.find(">Jane Doe</a></td><td class=\"num\">2</td><td class=\"num\">1"
                               "</td><td class=\"num\">0</td><td class=\"num\">3</td>"),
              std::string::npos)
        << table->body;
    EXPECT_NE(table->body.find(">Bob</a></td><td class=\"num\">1</td>"), std::string::npos);
}

FORGEDB_INSTANTIATE_BACKENDS(UiPagesTest);

}  // namespace
}  // namespace forgedb::testing
