// The connection pool on both backends (store::WithConnectionPool, which Database::Open wraps
// around every database): which released connections are lent again and which are dropped, and
// Connection::ForEachRow.
//
// A connection's identity is observed through its session: a TEMP table (private to one SQLite
// handle or one PostgreSQL session) and, on PostgreSQL, pg_backend_pid().

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

class ConnectionPoolTest : public BackendTest {
protected:
    void SetUp() override {
        BackendTest::SetUp();
        if (IsSkipped()) return;
        static std::atomic<int> counter{0};
        suffix_ = std::to_string(counter++);
    }

    bool Postgres() const { return GetParam() == Backend::kPostgres; }

    // A name unique to this test (tables live in the test's own database or schema anyway).
    std::string Name(const std::string& base) const { return base + "_" + suffix_; }

    std::unique_ptr<store::Connection> Connect(store::Database& db) {
        auto conn = db.Connect();
        EXPECT_TRUE(conn) << conn.error().ToString();
        if (!conn) return nullptr;
        return std::move(conn).value();
    }
    std::unique_ptr<store::Connection> Connect() { return Connect(tdb().db()); }

    // Creates a TEMP table holding `tag`: visible only to this connection's session.
    void Mark(store::Connection& conn, const std::string& tag) {
        auto st = conn.ExecScript("CREATE TEMP TABLE pool_mark (tag TEXT)");
        ASSERT_TRUE(st) << st.error().ToString();
        auto ins = conn.Query("INSERT INTO pool_mark (tag) VALUES (?)", {tag});
        ASSERT_TRUE(ins) << ins.error().ToString();
    }

    // The tag of this connection's session, or nullopt if the session has none.
    std::optional<std::string> MarkOf(store::Connection& conn) {
        auto exists = conn.Query(
            Postgres() ? "SELECT COUNT(*) FROM pg_class WHERE relname = 'pool_mark' "
                         "AND relnamespace = pg_my_temp_schema()"
                       : "SELECT COUNT(*) FROM sqlite_temp_master WHERE name = 'pool_mark'");
        EXPECT_TRUE(exists) << exists.error().ToString();
        if (!exists || exists->Int(0, 0) == 0) return std::nullopt;
        auto tag = conn.Query("SELECT tag FROM pool_mark");
        EXPECT_TRUE(tag) << tag.error().ToString();
        if (!tag || tag->empty()) return std::nullopt;
        return tag->At(0, 0);
    }

    // The server process of a PostgreSQL connection; 0 on SQLite.
    long long Pid(store::Connection& conn) {
        if (!Postgres()) return 0;
        auto pid = conn.Query("SELECT pg_backend_pid()");
        EXPECT_TRUE(pid) << pid.error().ToString();
        return pid ? pid->Int(0, 0) : -1;
    }

    void CreateTable(const std::string& name, const std::string& columns) {
        auto st = tdb().conn().ExecScript("CREATE TABLE " + name + " (" + columns + ")");
        ASSERT_TRUE(st) << st.error().ToString();
    }

    // The database named by the fixture, opened again with its own pool of `max_idle`.
    std::unique_ptr<store::Database> OpenWithPool(
        size_t max_idle,
        std::chrono::steady_clock::duration check_after = std::chrono::seconds(5)) {
        const std::string& url = tdb().url();
        if (Postgres()) {
            return store::WithConnectionPool(store::OpenPostgres(url), max_idle, check_after);
        }
        return store::WithConnectionPool(
            store::OpenSqlite(url.substr(std::string("sqlite:").size())), max_idle, check_after);
    }

    std::string suffix_;
};
FORGEDB_INSTANTIATE_BACKENDS(ConnectionPoolTest);

Rows Collect(store::Connection& conn, const std::string& sql,
             const std::vector<model::Value>& params, Status* status, int* visits) {
    Rows rows;
    *visits = 0;
    *status = conn.ForEachRow(sql, params, [&](const auto& row) {
        ++*visits;
        auto& out = rows.emplace_back();
        for (const auto& v : row) {
            out.push_back(v ? std::optional<std::string>(std::string(*v)) : std::nullopt);
        }
    });
    return rows;
}

// --- Reuse -------------------------------------------------------------------------------------

TEST_P(ConnectionPoolTest, ReleasedConnectionIsLentAgain) {
    long long pid = 0;
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        Mark(*c, "first");
        pid = Pid(*c);
        EXPECT_TRUE(c->Reusable());
    }
    for (int round = 0; round < 3; ++round) {
        auto c = Connect();
        ASSERT_TRUE(c);
        EXPECT_EQ(MarkOf(*c), "first") << "round " << round;
        EXPECT_EQ(Pid(*c), pid) << "round " << round;
    }
}

TEST_P(ConnectionPoolTest, ConnectionAfterCommitOrRollbackIsLentAgain) {
    const std::string table = Name("pool_tx_ok");
    CreateTable(table, "id INTEGER");
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        Mark(*c, "tx");
        ASSERT_TRUE(c->Begin());
        ASSERT_TRUE(c->Query("INSERT INTO " + table + " (id) VALUES (1)"));
        ASSERT_TRUE(c->Commit());
        EXPECT_TRUE(c->Reusable());
    }
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        EXPECT_EQ(MarkOf(*c), "tx");
        ASSERT_TRUE(c->Begin());
        ASSERT_TRUE(c->Query("INSERT INTO " + table + " (id) VALUES (2)"));
        c->Rollback();
        EXPECT_TRUE(c->Reusable());
    }
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        EXPECT_EQ(MarkOf(*c), "tx");
        // A Transaction object destroyed before its connection rolls back; the connection stays.
        {
            auto tx = store::Transaction::Begin(*c);
            ASSERT_TRUE(tx);
            ASSERT_TRUE(c->Query("INSERT INTO " + table + " (id) VALUES (3)"));
            EXPECT_FALSE(c->Reusable());
        }
        EXPECT_TRUE(c->Reusable());
    }
    auto c = Connect();
    ASSERT_TRUE(c);
    EXPECT_EQ(MarkOf(*c), "tx");
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + table), 1);
    EXPECT_EQ(tdb().Count("SELECT MAX(id) FROM " + table), 1);
}

TEST_P(ConnectionPoolTest, HeldConnectionsAreDistinct) {
    {
        auto a = Connect();
        auto b = Connect();
        ASSERT_TRUE(a && b);
        Mark(*a, "a");
        EXPECT_EQ(MarkOf(*b), std::nullopt);
        Mark(*b, "b");
        EXPECT_EQ(MarkOf(*a), "a");
        EXPECT_EQ(MarkOf(*b), "b");
        if (Postgres()) {
            EXPECT_NE(Pid(*a), Pid(*b));
        }
        // Neither is the fixture's own connection, which stays lent for the whole test.
        EXPECT_EQ(MarkOf(tdb().conn()), std::nullopt);
    }
    // Both went back; both are lent again (and a third one is new).
    auto x = Connect();
    auto y = Connect();
    auto z = Connect();
    ASSERT_TRUE(x && y && z);
    std::set<std::optional<std::string>> marks = {MarkOf(*x), MarkOf(*y)};
    EXPECT_EQ(marks, (std::set<std::optional<std::string>>{std::optional<std::string>("a"),
                                                           std::optional<std::string>("b")}));
    EXPECT_EQ(MarkOf(*z), std::nullopt);
}

TEST_P(ConnectionPoolTest, ConnectionReleasedInTransactionIsNotLentAgain) {
    const std::string table = Name("pool_tx_open");
    CreateTable(table, "id INTEGER");
    long long pid = 0;
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        Mark(*c, "dropped");
        pid = Pid(*c);
        ASSERT_TRUE(c->Begin());
        ASSERT_TRUE(c->Query("INSERT INTO " + table + " (id) VALUES (1)"));
        EXPECT_FALSE(c->Reusable());
        // Released with the transaction still open.
    }
    auto c = Connect();
    ASSERT_TRUE(c);
    EXPECT_EQ(MarkOf(*c), std::nullopt);
    if (Postgres()) {
        EXPECT_NE(Pid(*c), pid);
    }
    // The open transaction was rolled back, not committed.
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + table), 0);
    auto seen = c->Query("SELECT COUNT(*) FROM " + table);
    ASSERT_TRUE(seen) << seen.error().ToString();
    EXPECT_EQ(seen->Int(0, 0), 0);
    // And writing goes on, from this connection and from the fixture's.
    ASSERT_TRUE(c->Begin());
    ASSERT_TRUE(c->Query("INSERT INTO " + table + " (id) VALUES (2)"));
    ASSERT_TRUE(c->Commit());
    {
        auto tx = store::Transaction::Begin(tdb().conn());
        ASSERT_TRUE(tx);
        ASSERT_TRUE(tdb().conn().Query("INSERT INTO " + table + " (id) VALUES (3)"));
        ASSERT_TRUE(tx->Commit());
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + table), 2);
}

TEST_P(ConnectionPoolTest, ConnectionInFailedOrRawTransactionIsNotLentAgain) {
    {
        // A statement fails inside a transaction (PostgreSQL aborts the transaction; SQLite keeps
        // it open): either way the transaction is still open at release.
        auto c = Connect();
        ASSERT_TRUE(c);
        Mark(*c, "failed");
        ASSERT_TRUE(c->Begin());
        EXPECT_FALSE(c->Query("SELECT nope FROM nowhere"));
        EXPECT_FALSE(c->Reusable());
    }
    {
        auto c = Connect();
        ASSERT_TRUE(c);
        EXPECT_EQ(MarkOf(*c), std::nullopt);
        Mark(*c, "raw");
        // A transaction opened with SQL text rather than Begin().
        ASSERT_TRUE(c->ExecScript("BEGIN"));
        EXPECT_FALSE(c->Reusable());
    }
    auto c = Connect();
    ASSERT_TRUE(c);
    EXPECT_EQ(MarkOf(*c), std::nullopt);
    ASSERT_TRUE(c->Begin());
    ASSERT_TRUE(c->Commit());
}

TEST_P(ConnectionPoolTest, IdleConnectionsAreCappedAtMaxIdle) {
    auto db = OpenWithPool(1);
    {
        auto a = Connect(*db);
        auto b = Connect(*db);
        ASSERT_TRUE(a && b);
        Mark(*a, "a");
        Mark(*b, "b");
    }
    // b was released first and kept; a found the pool full and was closed.
    auto x = Connect(*db);
    auto y = Connect(*db);
    ASSERT_TRUE(x && y);
    EXPECT_EQ(MarkOf(*x), "b");
    EXPECT_EQ(MarkOf(*y), std::nullopt);
}

TEST_P(ConnectionPoolTest, MaxIdleZeroNeverReuses) {
    auto db = OpenWithPool(0);
    {
        auto a = Connect(*db);
        ASSERT_TRUE(a);
        Mark(*a, "a");
    }
    auto b = Connect(*db);
    ASSERT_TRUE(b);
    EXPECT_EQ(MarkOf(*b), std::nullopt);
}

TEST_P(ConnectionPoolTest, LentConnectionMayOutliveItsDatabase) {
    const std::string table = Name("pool_outlive");
    CreateTable(table, "id INTEGER");
    auto db = OpenWithPool(4);
    auto idle = Connect(*db);
    auto lent = Connect(*db);
    ASSERT_TRUE(idle && lent);
    idle.reset();  // now in the pool
    db.reset();
    auto ins = lent->Query("INSERT INTO " + table + " (id) VALUES (1)");
    ASSERT_TRUE(ins) << ins.error().ToString();
    EXPECT_EQ(lent->Query("SELECT COUNT(*) FROM " + table)->Int(0, 0), 1);
    lent.reset();  // closes: the pool is gone
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + table), 1);
}

TEST_P(ConnectionPoolTest, BrokenPostgresConnectionIsNotLentAgain) {
    if (!Postgres()) GTEST_SKIP() << "PostgreSQL only: a SQLite handle does not break";
    long long victim_pid = 0;
    {
        auto victim = Connect();
        ASSERT_TRUE(victim);
        Mark(*victim, "victim");
        victim_pid = Pid(*victim);
        {
            auto killer = Connect();
            ASSERT_TRUE(killer);
            ASSERT_NE(Pid(*killer), victim_pid);
            // The second argument waits (up to 60 s) until the backend has exited.
            auto killed = killer->Query("SELECT pg_terminate_backend(CAST(? AS INTEGER), 60000)",
                                        {static_cast<std::int64_t>(victim_pid)});
            ASSERT_TRUE(killed) << killed.error().ToString();
            ASSERT_EQ(killed->Text(0, 0), "t");
        }
        auto res = victim->Query("SELECT 1");
        ASSERT_FALSE(res);
        EXPECT_EQ(res.error().code, ErrorCode::kTransient) << res.error().ToString();
        EXPECT_FALSE(victim->Reusable());
    }
    // The pool now holds only the killer's connection; the broken one was dropped.
    for (int i = 0; i < 3; ++i) {
        auto c = Connect();
        ASSERT_TRUE(c);
        auto one = c->Query("SELECT 1");
        ASSERT_TRUE(one) << one.error().ToString();
        EXPECT_EQ(one->Text(0, 0), "1");
        EXPECT_NE(Pid(*c), victim_pid);
        EXPECT_EQ(MarkOf(*c), std::nullopt);
    }
}

TEST_P(ConnectionPoolTest, IdleConnectionClosedByTheServerIsCheckedAndReplaced) {
    if (!Postgres()) GTEST_SKIP() << "PostgreSQL only: a SQLite handle does not break";
    // Every idle connection is checked before it is lent (check_after 0).
    auto db = OpenWithPool(4, std::chrono::steady_clock::duration::zero());
    long long victim_pid = 0;
    {
        auto victim = db->Connect();
        ASSERT_TRUE(victim);
        victim_pid = Pid(**victim);
    }  // idle in the pool now, and healthy
    {
        auto killer = Connect();  // the fixture's pool: a different session
        ASSERT_TRUE(killer);
        auto killed = killer->Query("SELECT pg_terminate_backend(CAST(? AS INTEGER), 60000)",
                                    {static_cast<std::int64_t>(victim_pid)});
        ASSERT_TRUE(killed) << killed.error().ToString();
        ASSERT_EQ(killed->Text(0, 0), "t");
    }
    // The next borrower gets a working connection: the dead one was found out and dropped,
    // without a failed query.
    auto next = db->Connect();
    ASSERT_TRUE(next);
    auto one = (*next)->Query("SELECT 1");
    ASSERT_TRUE(one) << one.error().ToString();
    EXPECT_NE(Pid(**next), victim_pid);
}

TEST_P(ConnectionPoolTest, HealthyIdleConnectionIsLentAgainCheckedOrNot) {
    // Whether the idle connection is lent as it is (released within check_after) or asked first
    // (check_after 0), a healthy one is the same session again.
    for (auto check_after : {std::chrono::steady_clock::duration(std::chrono::hours(1)),
                             std::chrono::steady_clock::duration::zero()}) {
        auto db = OpenWithPool(4, check_after);
        std::string mark = Name("m");
        {
            auto c = db->Connect();
            ASSERT_TRUE(c);
            Mark(**c, mark);
        }
        auto again = db->Connect();
        ASSERT_TRUE(again);
        EXPECT_EQ(MarkOf(**again), mark);
    }
}

// --- ForEachRow --------------------------------------------------------------------------------

TEST_P(ConnectionPoolTest, ForEachRowStreamsAllRowsWithNulls) {
    const std::string table = Name("pool_rows");
    CreateTable(table, "id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT");
    auto& c = tdb().conn();
    const std::string insert = "INSERT INTO " + table + " (id, name, note) VALUES (?, ?, ?)";
    ASSERT_TRUE(c.Query(insert, {std::int64_t{1}, std::string("one"), std::string("first")}));
    ASSERT_TRUE(c.Query(insert, {std::int64_t{2}, std::string(""), model::Null{}}));
    ASSERT_TRUE(c.Query(
        insert, {std::int64_t{3}, std::string("caf\xC3\xA9 \xF0\x9F\x98\x80"), std::string("")}));
    ASSERT_TRUE(c.Query(insert, {std::int64_t{-4}, std::string("it's \"quoted\""), model::Null{}}));

    auto pooled = Connect();
    ASSERT_TRUE(pooled);
    const std::string select = "SELECT id, name, note FROM " + table + " ORDER BY id";
    Status status;
    int visits = 0;
    Rows rows = Collect(*pooled, select, {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(visits, 4);
    Rows expected = {
        {"-4", "it's \"quoted\"", std::nullopt},
        {"1", "one", "first"},
        {"2", "", std::nullopt},
        {"3", "caf\xC3\xA9 \xF0\x9F\x98\x80", ""},
    };
    EXPECT_EQ(rows, expected);

    auto query = pooled->Query(select);
    ASSERT_TRUE(query) << query.error().ToString();
    EXPECT_EQ(rows, query->rows);

    // With parameters, through the fixture's connection as well.
    const std::string filtered =
        "SELECT id, note FROM " + table + " WHERE id > ? AND name <> ? ORDER BY id DESC";
    const std::vector<model::Value> params = {std::int64_t{0}, std::string("one")};
    Rows via_pool = Collect(*pooled, filtered, params, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(via_pool, (Rows{{"3", ""}, {"2", std::nullopt}}));
    Rows via_fixture = Collect(c, filtered, params, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(via_fixture, via_pool);
    EXPECT_EQ(via_pool, pooled->Query(filtered, params)->rows);

    // A NULL-only column and an expression column.
    Rows nulls = Collect(*pooled, "SELECT NULL, COUNT(*) FROM " + table, {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(nulls, (Rows{{std::nullopt, "4"}}));
}

TEST_P(ConnectionPoolTest, ForEachRowManyRowsMatchQuery) {
    const std::string sql =
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000) "
        "SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'v' || CAST(i AS TEXT) END FROM n";
    auto c = Connect();
    ASSERT_TRUE(c);
    Status status;
    int visits = 0;
    Rows rows = Collect(*c, sql, {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(visits, 5000);
    ASSERT_EQ(rows.size(), 5000u);
    for (size_t i = 0; i < rows.size(); ++i) {
        long long n = static_cast<long long>(i) + 1;
        ASSERT_EQ(rows[i][0], std::to_string(n));
        if (n % 7 == 0) {
            ASSERT_EQ(rows[i][1], std::nullopt) << n;
        } else {
            ASSERT_EQ(rows[i][1], "v" + std::to_string(n));
        }
    }
    auto query = c->Query(sql);
    ASSERT_TRUE(query) << query.error().ToString();
    EXPECT_EQ(rows, query->rows);
}

TEST_P(ConnectionPoolTest, ForEachRowEmptyResultVisitsNothing) {
    const std::string table = Name("pool_empty");
    CreateTable(table, "id INTEGER, name TEXT");
    auto c = Connect();
    ASSERT_TRUE(c);
    Status status;
    int visits = 0;
    Rows rows = Collect(*c, "SELECT id, name FROM " + table, {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(visits, 0);
    EXPECT_TRUE(rows.empty());
    rows = Collect(*c, "SELECT 1 WHERE 1 = 0", {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(visits, 0);
    // A statement without a result set.
    rows = Collect(*c, "INSERT INTO " + table + " (id, name) VALUES (?, ?)",
                   {std::int64_t{1}, std::string("x")}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(visits, 0);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM " + table), 1);
}

TEST_P(ConnectionPoolTest, ForEachRowReportsErrors) {
    auto c = Connect();
    ASSERT_TRUE(c);
    Mark(*c, "errors");
    Status status;
    int visits = 0;
    Collect(*c, "SELEKT 1", {}, &status, &visits);
    ASSERT_FALSE(status);
    EXPECT_EQ(status.error().code, ErrorCode::kDatabase);
    EXPECT_EQ(visits, 0);
    Collect(*c, "SELECT nope FROM nowhere_at_all", {}, &status, &visits);
    ASSERT_FALSE(status);
    EXPECT_EQ(visits, 0);
    // An error while stepping rather than while preparing: integer overflow.
    Collect(*c, "SELECT abs(CAST(-9223372036854775808 AS BIGINT))", {}, &status, &visits);
    EXPECT_FALSE(status);
    EXPECT_FALSE(c->Query("SELECT abs(CAST(-9223372036854775808 AS BIGINT))"));
    // The connection still works and, outside a transaction, stays fit for reuse.
    Rows rows = Collect(*c, "SELECT 1", {}, &status, &visits);
    ASSERT_TRUE(status) << status.error().ToString();
    EXPECT_EQ(rows, (Rows{{"1"}}));
    EXPECT_TRUE(c->Reusable());
    c.reset();
    auto again = Connect();
    ASSERT_TRUE(again);
    EXPECT_EQ(MarkOf(*again), "errors");
}

}  // namespace
}  // namespace forgedb::testing
