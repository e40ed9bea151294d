#pragma once

#include <algorithm>
#include <chrono>
#include <random>

// How a Redis connection paces its reconnection attempts after a failure: pauses doubling from
// `first` up to `max`, each spread by +-20% so that event loops, store writers and instances do
// not retry in step, and back to `first` once the server answers. Used by one thread.
namespace subscriberd::cache::redis {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds first, std::chrono::milliseconds max)
      : first_(first),
        max_(max),
        current_(first),
        jitter_(static_cast<std::minstd_rand::result_type>(std::random_device{}())) {}

  // The pause before the next attempt; the one after will be twice as long, up to `max`.
  std::chrono::milliseconds next() {
    std::uniform_int_distribution<long> spread(80, 120);
    const auto pause = std::chrono::milliseconds(current_.count() * spread(jitter_) / 100);
    current_ = std::min(current_ * 2, max_);
    return pause;
  }

  void reset() { current_ = first_; }

 private:
  std::chrono::milliseconds first_;
  std::chrono::milliseconds max_;
  std::chrono::milliseconds current_;
  std::minstd_rand jitter_;
};

}  // namespace subscriberd::cache::redis
