#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

// For tests of code that returns awaitables.
namespace subscriberd::test_support {

// Runs one coroutine to completion on a private event loop and returns its result; rethrows
// what it threw. Work it hands to other threads must complete before run() returns, as it
// does for every store and cache under test.
template <typename T>
T run(boost::asio::awaitable<T> awaitable) {
  boost::asio::io_context context;
  auto future = boost::asio::co_spawn(context, std::move(awaitable), boost::asio::use_future);
  context.run();
  return future.get();
}

}  // namespace subscriberd::test_support
