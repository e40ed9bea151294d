#pragma once

#include <algorithm>
#include <cassert>
#include <utility>
#include <vector>

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
class CompletionBatch;

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
  friend class CompletionBatch<Result>;

  boost::asio::any_io_executor executor_;
  boost::asio::any_completion_handler<void(Result)> handler_;
};

// Finishes the completions of one batch (a writer's commit) with one post per distinct
// executor, i.e. per event loop, instead of one per completion: each post takes the loop's
// queue lock and may wake the loop, and a loop woken by the first of many posts only contends
// with the rest for that lock. The loop then resumes its coroutines one after the other, in the
// order they were added. Used by one thread: add() takes over each completion, and post(),
// which must follow, sends them all. Resumed coroutines must not throw out of the handler (an
// awaitable's never does), or the rest of its group would be dropped unanswered.
template <typename Result>
class CompletionBatch {
 public:
  CompletionBatch() = default;
  CompletionBatch(const CompletionBatch&) = delete;
  CompletionBatch& operator=(const CompletionBatch&) = delete;
  ~CompletionBatch() { assert(groups_.empty() && "post() was not called"); }

  void add(Completion<Result>&& completion, Result result) {
    auto group = std::ranges::find(groups_, completion.executor_, &Group::executor);
    if (group == groups_.end())
      group = groups_.insert(groups_.end(), Group{completion.executor_, {}});
    // Allocates before it moves the handler out, so a failed allocation leaves it in place.
    group->ready.emplace_back(std::move(completion.handler_), std::move(result));
  }

  void post() {
    for (Group& group : std::exchange(groups_, {})) {
      boost::asio::post(group.executor, [ready = std::move(group.ready)]() mutable {
        for (Ready& each : ready)
          std::move(each.handler)(std::move(each.result));
      });
    }
  }

 private:
  struct Ready {
    Ready(boost::asio::any_completion_handler<void(Result)>&& h, Result&& r)
        : handler(std::move(h)), result(std::move(r)) {}
    Ready(Ready&&) noexcept = default;
    // Boost 1.81's any_completion_handler move-assignment nests instead of moving (see
    // Completion above): only ever move-construct a Ready, as the vector's growth does.
    Ready& operator=(Ready&&) = delete;

    boost::asio::any_completion_handler<void(Result)> handler;
    Result result;
  };
  struct Group {
    boost::asio::any_io_executor executor;
    std::vector<Ready> ready;
  };
  std::vector<Group> groups_;
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
