#include "store/store_jobs.h"

#include <boost/asio/io_context.hpp>
#include <gmock/gmock.h>
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

PendingInsert queued(boost::asio::io_context& context, std::chrono::steady_clock::time_point at) {
  PendingInsert insert{
      {}, util::Completion<InsertOutcome>(context.get_executor(), [](InsertOutcome) {}), at};
  return insert;
}

TEST(ObserveQueueWait, EachInsertOfTheBatchCountsItsOwnWait) {
  using std::chrono::microseconds;
  boost::asio::io_context context;
  const auto now = std::chrono::steady_clock::now();
  std::vector<PendingInsert> batch;
  batch.push_back(queued(context, now - microseconds(30'000)));
  batch.push_back(queued(context, now - microseconds(700)));
  batch.push_back(queued(context, now - microseconds(200)));
  metrics::Histogram wait({0.00025, 0.001, 0.025, 0.05});

  observe_queue_wait(wait, batch, now);

  EXPECT_EQ(wait.count(), 3u);
  EXPECT_DOUBLE_EQ(wait.sum(), 0.0309);
  std::string text;
  wait.render(text, "wait", "");
  EXPECT_THAT(text, ::testing::HasSubstr("wait_bucket{le=\"0.00025\"} 1\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("wait_bucket{le=\"0.025\"} 2\n"));
  EXPECT_THAT(text, ::testing::HasSubstr("wait_bucket{le=\"0.05\"} 3\n"));
}

TEST(ObserveQueueWait, AnEmptyBatchRecordsNothing) {
  metrics::Histogram wait({0.001});
  observe_queue_wait(wait, {}, std::chrono::steady_clock::now());
  EXPECT_EQ(wait.count(), 0u);
}

}  // namespace
}  // namespace subscriberd::store
