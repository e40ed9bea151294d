#pragma once

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

// Finishes the completions of one batch (a writer's commit) with one post per event loop
// instead of one per completion: each post takes the loop's queue lock and may wake the loop,
// and a loop woken by the first of many posts only contends with the rest for that lock. The
// loop then resumes its coroutines one after the other, in the order they were added.
template <typename Result>
class CompletionBatch {
 public:
  void add(Completion<Result>&& completion, Result result) {
    auto group = groups_.begin();
    while (group != groups_.end() && group->executor != completion.executor_)
      ++group;
    if (group == groups_.end())
      group = groups_.insert(groups_.end(), Group{std::move(completion.executor_), {}});
    group->ready.push_back({std::move(completion.handler_), std::move(result)});
  }

  // Posts everything added, and leaves the batch empty for the next one.
  void post() {
    for (Group& group : groups_) {
      boost::asio::post(group.executor, [ready = std::move(group.ready)]() mutable {
        for (Ready& each : ready)
          std::move(each.handler)(std::move(each.result));
      });
    }
    groups_.clear();
  }

 private:
  struct Ready {
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
