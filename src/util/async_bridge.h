#pragma once

#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

// Bridges work done on our own threads (database writers and readers) back to the coroutine
// that asked for it: the result is posted to the coroutine's executor, so the network thread
// resumes the request and the worker thread never runs request code.
namespace subscriberd::util {

template <typename Result>
class Completion {
 public:
  Completion(boost::asio::any_io_executor executor,
             boost::asio::any_completion_handler<void(Result)> handler)
      : executor_(std::move(executor)), handler_(std::move(handler)) {}

  Completion(Completion&&) noexcept = default;
  // Boost 1.81's any_completion_handler move-assignment wraps the source in a new handler
  // instead of moving it (it copies from an lvalue through the converting constructor), which
  // recurses without end. Swapping is what that operator was meant to do.
  Completion& operator=(Completion&& other) noexcept {
    executor_ = std::move(other.executor_);
    handler_.swap(other.handler_);
    return *this;
  }
  Completion(const Completion&) = delete;
  Completion& operator=(const Completion&) = delete;

  // Call exactly once, from any thread.
  void complete(Result result) && {
    boost::asio::post(executor_, [handler = std::move(handler_), r = std::move(result)]() mutable {
      std::move(handler)(std::move(r));
    });
  }

 private:
  boost::asio::any_io_executor executor_;
  boost::asio::any_completion_handler<void(Result)> handler_;
};

// Suspends the calling coroutine; `start` receives a Completion<Result> to finish elsewhere.
template <typename Result, typename Start>
boost::asio::awaitable<Result> complete_elsewhere(Start start) {
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, void(Result)>(
      [start = std::move(start)](auto handler) mutable {
        auto executor = boost::asio::get_associated_executor(handler);
        start(Completion<Result>(std::move(executor), std::move(handler)));
      },
      boost::asio::use_awaitable);
}

}  // namespace subscriberd::util
