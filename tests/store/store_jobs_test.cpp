#include "store/store_jobs.h"

#include <gtest/gtest.h>

namespace subscriberd::store {
namespace {

TEST(WakesWriter, OnlyTheFirstInsertAndTheOneThatFillsTheBatch) {
  const std::size_t full = gathered_batch(1024);
  ASSERT_EQ(full, kGatheredBatch);
  EXPECT_TRUE(wakes_writer(1, 1024));
  for (std::size_t queued = 2; queued < full; ++queued)
    EXPECT_FALSE(wakes_writer(queued, 1024)) << queued;
  EXPECT_TRUE(wakes_writer(full, 1024));
  // Beyond it the writer is no longer waiting for company.
  EXPECT_FALSE(wakes_writer(full + 1, 1024));
}

TEST(WakesWriter, ABatchLimitBelowTheGatheredSizeIsWhatFillsIt) {
  EXPECT_EQ(gathered_batch(4), 4u);
  EXPECT_TRUE(wakes_writer(1, 4));
  EXPECT_FALSE(wakes_writer(3, 4));
  EXPECT_TRUE(wakes_writer(4, 4));
  // With one insert per batch, every insert is the first.
  EXPECT_TRUE(wakes_writer(1, 1));
}

}  // namespace
}  // namespace subscriberd::store
