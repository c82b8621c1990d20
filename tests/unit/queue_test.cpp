#include <gtest/gtest.h>

#include "forgedb/queue/job_queue.hpp"

namespace forgedb::queue {
namespace {

TEST(Backoff, GrowsExponentiallyWithJitterAndCap) {
    RetryPolicy p{std::chrono::milliseconds(1000), std::chrono::milliseconds(60000)};
    EXPECT_EQ(BackoffDelay(p, 1, 0.0).count(), 500);
    EXPECT_EQ(BackoffDelay(p, 1, 0.999999).count(), 999);
    EXPECT_EQ(BackoffDelay(p, 3, 0.0).count(), 2000);
    EXPECT_EQ(BackoffDelay(p, 20, 0.0).count(), 30000);  // capped at 60 s, jitter halves
    EXPECT_LE(BackoffDelay(p, 20, 0.99).count(), 60000);
}

TEST(Retryable, ByErrorCode) {
    EXPECT_TRUE(IsRetryable(MakeError(ErrorCode::kTransient, "")));
    EXPECT_TRUE(IsRetryable(MakeError(ErrorCode::kRateLimited, "")));
    EXPECT_FALSE(IsRetryable(MakeError(ErrorCode::kInvalid, "")));
    EXPECT_FALSE(IsRetryable(MakeError(ErrorCode::kNotFound, "")));
}

}  // namespace
}  // namespace forgedb::queue
