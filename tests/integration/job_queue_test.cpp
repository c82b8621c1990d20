// The job queue on both backends: leasing, lease takeover, retries with backoff, dead jobs.

#include "forgedb/queue/job_queue.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "support/test_support.hpp"

namespace forgedb::testing {
namespace {

using namespace std::chrono_literals;

class JobQueueTest : public BackendTest {
protected:
    ManualClock clock{*ParseTimestamp("2026-01-01T00:00:00Z")};
};
FORGEDB_INSTANTIATE_BACKENDS(JobQueueTest);

TEST_P(JobQueueTest, LeaseRunsEachJobOnce) {
    queue::JobQueue q(tdb().conn(), clock);
    auto inserted = q.Enqueue({"test.kind", "{\"x\":1}", 3, {}, {}, {}});
    ASSERT_TRUE(inserted);
    auto id = inserted->id;
    auto job = q.Lease("w1", 60s);
    ASSERT_TRUE(job && *job);
    EXPECT_EQ((*job)->id, id);
    EXPECT_EQ((*job)->kind, "test.kind");
    EXPECT_EQ((*job)->attempts, 1);
    auto none = q.Lease("w2", 60s);
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);
    ASSERT_TRUE(q.Succeed(id));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {id}), "succeeded");
    EXPECT_FALSE(*q.Lease("w2", 60s));
}

TEST_P(JobQueueTest, ExpiredLeaseIsTakenOver) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"test.kind", "{}", 3, {}, {}, {}})->id;
    ASSERT_TRUE(*q.Lease("crashed-worker", 30s));
    clock.Advance(29s);
    EXPECT_FALSE(*q.Lease("w2", 30s));
    clock.Advance(2s);
    auto again = q.Lease("w2", 30s);
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->id, id);
    EXPECT_EQ((*again)->attempts, 2);
    EXPECT_EQ(tdb().Scalar("SELECT lease_owner FROM job WHERE id = ?", {id}), "w2");
}

TEST_P(JobQueueTest, LeaseExpiredOnLastAttemptMeansDead) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"test.kind", "{}", 1, {}, {}, {}})->id;
    ASSERT_TRUE(*q.Lease("crashing-worker", 30s));
    clock.Advance(31s);
    EXPECT_FALSE(*q.Lease("w2", 30s));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {id}), "dead");
    EXPECT_NE(tdb().Scalar("SELECT last_error FROM job WHERE id = ?", {id})->find("lease expired"),
              std::string::npos);
}

TEST_P(JobQueueTest, RetriesWithBackoffThenDies) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"test.kind", "{}", 2, {}, {}, {}})->id;
    queue::RetryPolicy policy{1000ms, 60000ms};
    auto job = **q.Lease("w", 60s);
    ASSERT_TRUE(q.Fail(job, MakeError(ErrorCode::kTransient, "upstream 502"), policy, 0.0));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {id}), "queued");
    EXPECT_FALSE(*q.Lease("w", 60s)) << "not before the backoff delay";
    clock.Advance(600ms);
    job = **q.Lease("w", 60s);
    EXPECT_EQ(job.attempts, 2);
    ASSERT_TRUE(q.Fail(job, MakeError(ErrorCode::kTransient, "upstream 503"), policy, 0.0));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {id}), "dead");
    EXPECT_EQ(tdb().Scalar("SELECT last_error FROM job WHERE id = ?", {id}),
              "transient: upstream 503");
    clock.Advance(1h);
    EXPECT_FALSE(*q.Lease("w", 60s));
}

TEST_P(JobQueueTest, RateLimitWaitsForReset) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"test.kind", "{}", 5, {}, {}, {}})->id;
    auto job = **q.Lease("w", 60s);
    Error e = MakeError(ErrorCode::kRateLimited, "limit");
    e.retry_at = clock.Now() + 10min;
    ASSERT_TRUE(q.Fail(job, e, queue::RetryPolicy{}, 0.5));
    clock.Advance(9min);
    EXPECT_FALSE(*q.Lease("w", 60s));
    clock.Advance(2min);
    auto again = q.Lease("w", 60s);
    ASSERT_TRUE(again && *again);
    EXPECT_EQ((*again)->id, id);
    EXPECT_EQ((*again)->attempts, 1) << "waiting for a rate limit does not use up an attempt";
    // Even a job on its last attempt waits instead of dying.
    auto last = q.Enqueue({"test.kind", "{}", 1, {}, {}, {}})->id;
    clock.Advance(1s);
    ASSERT_TRUE(q.Succeed(id));
    auto l = **q.Lease("w", 60s);
    ASSERT_EQ(l.id, last);
    e.retry_at = clock.Now() + 1min;
    ASSERT_TRUE(q.Fail(l, e, queue::RetryPolicy{}, 0.5));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {last}), "queued");
}

TEST_P(JobQueueTest, PermanentErrorFailsWithoutRetry) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"test.kind", "{}", 5, {}, {}, {}})->id;
    auto job = **q.Lease("w", 60s);
    ASSERT_TRUE(q.Fail(job, MakeError(ErrorCode::kInvalid, "bad args"), {}, 0.5));
    EXPECT_EQ(tdb().Scalar("SELECT state FROM job WHERE id = ?", {id}), "failed");
}

TEST_P(JobQueueTest, UniqueKeyAllowsOneLiveJob) {
    queue::JobQueue q(tdb().conn(), clock);
    auto first = q.Enqueue({"crawl", "{}", 3, {}, {}, std::string("pulls:o/r")});
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->created);
    auto second = q.Enqueue({"crawl", "{}", 3, {}, {}, std::string("pulls:o/r")});
    ASSERT_TRUE(second);
    EXPECT_FALSE(second->created);
    EXPECT_EQ(second->id, first->id);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job"), 1);
    // Running still holds the key; a crashed holder keeps it only until its lease is taken over
    // or, on the last attempt, until the job is declared dead.
    ASSERT_TRUE(*q.Lease("w", 30s));
    EXPECT_FALSE(q.Enqueue({"crawl", "{}", 3, {}, {}, std::string("pulls:o/r")})->created);
    ASSERT_TRUE(q.Succeed(first->id));
    auto third = q.Enqueue({"crawl", "{}", 3, {}, {}, std::string("pulls:o/r")});
    EXPECT_TRUE(third->created);
    EXPECT_NE(third->id, first->id);
}

TEST_P(JobQueueTest, TreeStatusFoldsInChildren) {
    queue::JobQueue q(tdb().conn(), clock);
    auto parent = q.Enqueue({"spawn", "{}", 3, {}, {}, {}})->id;
    auto c1 = q.Enqueue({"page", "{}", 3, {}, parent, {}})->id;
    auto c2 = q.Enqueue({"page", "{}", 1, {}, parent, {}})->id;
    ASSERT_TRUE(store::AddProgress(tdb().conn(), parent, 1, 100, 3, clock.Now()));
    ASSERT_TRUE(store::AddProgress(tdb().conn(), c1, 1, 100, std::nullopt, clock.Now()));
    ASSERT_TRUE(q.Succeed(parent));
    auto tree = store::LoadJobTree(tdb().conn(), parent);
    ASSERT_TRUE(tree && *tree);
    EXPECT_EQ((*tree)->state, "running");  // parent done, children still queued
    EXPECT_EQ((*tree)->progress_done, 2);
    EXPECT_EQ((*tree)->items, 200);
    ASSERT_TRUE(q.Succeed(c1));
    ASSERT_TRUE(q.Succeed(c2));
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), parent))->state, "succeeded");
    auto c3 = q.Enqueue({"page", "{}", 1, {}, parent, {}})->id;
    auto job = **q.Lease("w", 30s);
    ASSERT_EQ(job.id, c3);
    ASSERT_TRUE(q.Fail(job, MakeError(ErrorCode::kTransient, "boom"), {}, 0.0));
    auto failed = *store::LoadJobTree(tdb().conn(), parent);
    EXPECT_EQ(failed->state, "dead");
    EXPECT_EQ(failed->error, "transient: boom");
    EXPECT_TRUE(*store::RetryJob(tdb().conn(), c3, clock.Now()));
    EXPECT_EQ((*store::LoadJobTree(tdb().conn(), parent))->state, "running");
}

TEST_P(JobQueueTest, HeartbeatKeepsTheLease) {
    queue::JobQueue q(tdb().conn(), clock);
    auto id = q.Enqueue({"long", "{}", 3, {}, {}, {}})->id;
    ASSERT_TRUE(*q.Lease("w1", 30s));
    clock.Advance(25s);
    ASSERT_TRUE(store::ExtendLeases(tdb().conn(), "w1", {id}, clock.Now() + 30s, clock.Now()));
    clock.Advance(25s);
    EXPECT_FALSE(*q.Lease("w2", 30s)) << "the heartbeat moved the lease";
    ASSERT_TRUE(
        store::ExtendLeases(tdb().conn(), "someone-else", {id}, clock.Now() + 300s, clock.Now()));
    clock.Advance(10s);
    EXPECT_TRUE(*q.Lease("w2", 30s)) << "only the owner can extend";
}

TEST_P(JobQueueTest, ConcurrentWorkersNeverShareAJob) {
    {
        queue::JobQueue q(tdb().conn(), clock);
        for (int i = 0; i < 60; ++i) ASSERT_TRUE(q.Enqueue({"test.kind", "{}", 1, {}, {}, {}}));
    }
    std::mutex mu;
    std::multiset<std::int64_t> seen;
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t] {
            auto conn = tdb().db().Connect();
            ASSERT_TRUE(conn);
            queue::JobQueue q(**conn, clock);
            for (;;) {
                auto job = q.Lease("w" + std::to_string(t), 60s);
                ASSERT_TRUE(job) << job.error().ToString();
                if (!*job) return;
                {
                    std::lock_guard lock(mu);
                    seen.insert((*job)->id);
                }
                ASSERT_TRUE(q.Succeed((*job)->id));
            }
        });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(seen.size(), 60u);
    EXPECT_EQ(std::set<std::int64_t>(seen.begin(), seen.end()).size(), 60u);
    EXPECT_EQ(tdb().Count("SELECT COUNT(*) FROM job WHERE state = 'succeeded'"), 60);
}

}  // namespace
}  // namespace forgedb::testing
