#include "store/sqlite/restart_policy.h"

#include <gtest/gtest.h>

namespace subscriberd::store::sqlite {
namespace {

// The store's default checkpoint: 8,000 pages.
constexpr int kCheckpoint = 8'000;
constexpr RestartPolicy kPolicy(kCheckpoint);

TEST(RestartPolicyTest, RestartIsTriedOnceTheLogHoldsEightCheckpoints) {
  EXPECT_FALSE(kPolicy.restart_due(8 * kCheckpoint - 1));
  EXPECT_TRUE(kPolicy.restart_due(8 * kCheckpoint));
  EXPECT_TRUE(kPolicy.restart_due(30 * kCheckpoint));
}

TEST(RestartPolicyTest, CatchUpStopsWhenAPassTakesInAnEighthOfACheckpointOrLess) {
  EXPECT_TRUE(kPolicy.catch_up_done(0, kCheckpoint / 8, 0));
  EXPECT_FALSE(kPolicy.catch_up_done(0, kCheckpoint / 8 + 1, 0));
  EXPECT_TRUE(kPolicy.catch_up_done(3, 0, 5'000));
}

TEST(RestartPolicyTest, CatchUpGoesOnWhilePassesShrink) {
  EXPECT_FALSE(kPolicy.catch_up_done(1, 4'000, 6'000));
  EXPECT_FALSE(kPolicy.catch_up_done(2, 2'000, 4'000));
}

TEST(RestartPolicyTest, CatchUpStopsWhenPassesLevelOff) {
  // The first pass has nothing to compare with: however much it took in, a second one runs.
  EXPECT_FALSE(kPolicy.catch_up_done(0, 20'000, 0));
  EXPECT_TRUE(kPolicy.catch_up_done(1, 6'000, 6'000));
  EXPECT_TRUE(kPolicy.catch_up_done(1, 9'000, 6'000));
}

TEST(RestartPolicyTest, CatchUpStopsAfterEightPasses) {
  EXPECT_FALSE(kPolicy.catch_up_done(6, 5'000, 6'000));
  EXPECT_TRUE(kPolicy.catch_up_done(7, 5'000, 6'000));
}

TEST(RestartPolicyTest, RestartHoldsCommitsWhenLittleIsLeftToCopy) {
  EXPECT_TRUE(kPolicy.restart_now(0, 8 * kCheckpoint));
  EXPECT_TRUE(kPolicy.restart_now(kCheckpoint / 2, 8 * kCheckpoint));
}

TEST(RestartPolicyTest, RestartIsPutOffWhileTheDiskIsBehind) {
  // The passes levelled off at more than half a checkpoint: the hold would copy as much again.
  EXPECT_FALSE(kPolicy.restart_now(kCheckpoint / 2 + 1, 8 * kCheckpoint));
  EXPECT_FALSE(kPolicy.restart_now(20'000, 24 * kCheckpoint - 1));
}

TEST(RestartPolicyTest, RestartGoesAheadAtTheLogsBoundHoweverMuchIsLeft) {
  EXPECT_TRUE(kPolicy.restart_now(20'000, 24 * kCheckpoint));
  EXPECT_TRUE(kPolicy.restart_now(132'814, 40 * kCheckpoint));
}

TEST(RestartPolicyTest, SharesFollowTheCheckpointSize) {
  // The durability tests checkpoint every 50 pages.
  constexpr RestartPolicy small(50);
  EXPECT_TRUE(small.restart_due(400));
  EXPECT_TRUE(small.catch_up_done(0, 6, 0));
  EXPECT_FALSE(small.catch_up_done(0, 7, 0));
  EXPECT_TRUE(small.restart_now(25, 400));
  EXPECT_FALSE(small.restart_now(26, 400));
  EXPECT_TRUE(small.restart_now(26, 1'200));
}

}  // namespace
}  // namespace subscriberd::store::sqlite
