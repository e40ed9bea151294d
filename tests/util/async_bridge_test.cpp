#include "util/async_bridge.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <thread>
#include <vector>

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
    for (auto& c : parked) std::move(c).complete(next++);
  });
  worker.join();
  context.run();
  EXPECT_EQ(results, (std::vector<int>{100, 101, 102}));
  EXPECT_EQ(std::this_thread::get_id(), loop_thread);
}

}  // namespace
}  // namespace subscriberd::util
