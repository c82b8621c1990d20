// The store on both backends: migrations, versioned upserts, partial rows, transactions.

#include <gtest/gtest.h>

#include "forgedb/forges/github/model.hpp"
#include "forgedb/store/migrations.hpp"
#include "forgedb/store/row_writer.hpp"
#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

namespace gh = model::github;
using model::Null;
using model::Row;

class StoreTest : public BackendTest {};
FORGEDB_INSTANTIATE_BACKENDS(StoreTest);

Row User(std::int64_t id, std::string login, std::string updated_at) {
    Row r;
    r.Set("id", id).Set("login", std::move(login)).Set("updated_at", std::move(updated_at));
    return r;
}

TEST_P(StoreTest, MigrationsAreRecordedAndIdempotent) {
    auto again = store::Migrate(tdb().conn());
    ASSERT_TRUE(again) << again.error().ToString();
    EXPECT_TRUE(again->empty());
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM schema_migrations"),
              static_cast<long long>(store::SqliteMigrations().size()));
    EXPECT_EQ(store::SqliteMigrations().size(), store::PostgresMigrations().size());
}

TEST_P(StoreTest, OlderVersionIsStaleEqualOrNewerApplies) {
    auto& c = tdb().conn();
    ASSERT_EQ(*store::Upsert(c, gh::kUser, User(1, "new", "2020-01-02T00:00:00Z")),
              store::UpsertOutcome::kApplied);
    EXPECT_EQ(*store::Upsert(c, gh::kUser, User(1, "old", "2020-01-01T00:00:00Z")),
              store::UpsertOutcome::kStale);
    EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = 1"), "new");
    EXPECT_EQ(*store::Upsert(c, gh::kUser, User(1, "same-time", "2020-01-02T00:00:00Z")),
              store::UpsertOutcome::kApplied);
    EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = 1"), "same-time");
    EXPECT_EQ(*store::Upsert(c, gh::kUser, User(1, "newer", "2020-01-03T00:00:00Z")),
              store::UpsertOutcome::kApplied);
    EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = 1"), "newer");
}

TEST_P(StoreTest, AbsentColumnsAreKeptNullClears) {
    auto& c = tdb().conn();
    Row full = User(7, "octocat", "2020-01-01T00:00:00Z");
    full.Set("name", std::string("The Octocat")).Set("company", std::string("GitHub"));
    ASSERT_TRUE(store::Upsert(c, gh::kUser, full));
    Row partial;
    partial.Set("id", std::int64_t{7}).Set("login", std::string("octocat2"));
    partial.Set("company", Null{});
    ASSERT_EQ(*store::Upsert(c, gh::kUser, partial), store::UpsertOutcome::kApplied);
    EXPECT_EQ(tdb().Scalar("SELECT name FROM github_user WHERE id = 7"), "The Octocat");
    EXPECT_EQ(tdb().Scalar("SELECT login FROM github_user WHERE id = 7"), "octocat2");
    EXPECT_EQ(tdb().Scalar("SELECT company FROM github_user WHERE id = 7"), std::nullopt);
}

TEST_P(StoreTest, FillNullKeepsExistingValue) {
    auto& c = tdb().conn();
    Row a;
    a.Set("id", std::int64_t{3})
        .Set("raw", std::string("{\"full\":true}"), model::Merge::kFillNull);
    ASSERT_TRUE(store::Upsert(c, gh::kUser, a));
    Row b;
    b.Set("id", std::int64_t{3})
        .Set("raw", std::string("{\"full\":false}"), model::Merge::kFillNull);
    ASSERT_TRUE(store::Upsert(c, gh::kUser, b));
    EXPECT_EQ(tdb().Scalar("SELECT raw FROM github_user WHERE id = 3"), "{\"full\":true}");
}

TEST_P(StoreTest, MissingKeyIsAnError) {
    Row r;
    r.Set("login", std::string("nobody"));
    auto res = store::Upsert(tdb().conn(), gh::kUser, r);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kMissingData);
}

TEST_P(StoreTest, RolledBackTransactionLeavesNothing) {
    auto& c = tdb().conn();
    {
        auto tx = store::Transaction::Begin(c);
        ASSERT_TRUE(tx);
        ASSERT_TRUE(store::Upsert(c, gh::kUser, User(9, "ghost", "2020-01-01T00:00:00Z")));
        // no commit
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_user"), 0);
    {
        auto tx = store::Transaction::Begin(c);
        ASSERT_TRUE(store::Upsert(c, gh::kUser, User(9, "kept", "2020-01-01T00:00:00Z")));
        ASSERT_TRUE(tx->Commit());
    }
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM github_user"), 1);
}

TEST_P(StoreTest, BadSqlIsATypedError) {
    auto res = tdb().conn().Query("SELECT nope FROM nowhere");
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::kDatabase);
}

TEST(DatabaseUrl, RejectsUnknownSchemes) {
    EXPECT_FALSE(store::Database::Open("mysql://localhost/db"));
    EXPECT_FALSE(store::Database::Open("sqlite:"));
    EXPECT_TRUE(store::Database::Open("sqlite:/tmp/x.db"));
    EXPECT_TRUE(store::Database::Open("postgresql://u@localhost/db"));
}

TEST(DatabaseUrl, HidesPasswords) {
    auto db = store::Database::Open("postgresql://user:hunter2@localhost:5432/db");
    ASSERT_TRUE(db);
    EXPECT_EQ((*db)->Describe().find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace forgedb::testing
