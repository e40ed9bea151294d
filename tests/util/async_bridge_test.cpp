#include "util/async_bridge.h"

#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

namespace subscriberd::util {
namespace {

namespace asio = boost::asio;

// Completions parked in a queue and moved around in it (as a store's batch split does) must
// still resume their coroutines with the right value, on the coroutine's own thread.
TEST(AsyncBridgeTest, CompletionsSurviveMovesInsideAQueue) {
  asio::io_context context;
  std::vector<Completion<int>> parked;
  std::vector<int> results;
  for (int i = 0; i < 5; ++i) {
    asio::co_spawn(
        context,
        [&]() -> asio::awaitable<void> {
          int value = co_await complete_elsewhere<int>(
              [&](Completion<int> completion) { parked.push_back(std::move(completion)); });
          results.push_back(value);
        },
        asio::detached);
  }
  context.poll();
  ASSERT_EQ(parked.size(), 5u);

  // erase() move-assigns the survivors toward the front.
  parked.erase(parked.begin(), parked.begin() + 2);
  const std::thread::id loop_thread = std::this_thread::get_id();
  std::thread worker([&] {
    int next = 100;
    for (auto& c : parked)
      std::move(c).complete(next++);
  });
  worker.join();
  context.run();
  EXPECT_EQ(results, (std::vector<int>{100, 101, 102}));
  EXPECT_EQ(std::this_thread::get_id(), loop_thread);
}

// A batch resumes every coroutine of one loop from a single posted handler, in the order the
// completions were added, each with its own value and on its own loop.
TEST(AsyncBridgeTest, BatchResumesEachLoopsCoroutinesFromOnePost) {
  asio::io_context first_loop;
  asio::io_context second_loop;
  std::vector<Completion<int>> parked;
  std::vector<int> first_results;
  std::vector<int> second_results;
  auto wait_on = [&](asio::io_context& loop, std::vector<int>& results) {
    asio::co_spawn(
        loop,
        [&]() -> asio::awaitable<void> {
          int value = co_await complete_elsewhere<int>(
              [&](Completion<int> completion) { parked.push_back(std::move(completion)); });
          EXPECT_TRUE(loop.get_executor().running_in_this_thread());
          results.push_back(value);
        },
        asio::detached);
    loop.poll();
  };
  for (int i = 0; i < 3; ++i) {
    wait_on(first_loop, first_results);
    wait_on(second_loop, second_results);
  }
  ASSERT_EQ(parked.size(), 6u);

  std::thread worker([&] {
    CompletionBatch<int> batch;
    int next = 0;
    for (auto& c : parked)
      batch.add(std::move(c), next++);
    batch.post();
  });
  worker.join();

  // One handler run on each loop resumes all three of its coroutines, and none of the other's.
  EXPECT_EQ(first_loop.poll_one(), 1u);
  EXPECT_EQ(first_results, (std::vector<int>{0, 2, 4}));
  EXPECT_TRUE(second_results.empty());
  EXPECT_EQ(second_loop.poll_one(), 1u);
  EXPECT_EQ(second_results, (std::vector<int>{1, 3, 5}));
  first_loop.run();
  second_loop.run();
}

}  // namespace
}  // namespace subscriberd::util
