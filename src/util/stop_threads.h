#pragma once

#include <condition_variable>
#include <mutex>
#include <span>
#include <thread>

// Shutting down worker threads that sleep on a condition variable until there is work or they
// are told to stop (the stores' writers, readers, checkpointer and monitor).
namespace subscriberd::util {

// Sets `stop` under `mutex`, so that no worker can check it and then sleep through the wake-up,
// wakes every worker waiting on `wake`, and waits for `threads` to finish.
inline void stop_and_join(std::mutex& mutex, bool& stop, std::condition_variable& wake,
                          std::span<std::thread> threads) {
  {
    std::lock_guard lock(mutex);
    stop = true;
  }
  wake.notify_all();
  for (std::thread& t : threads) {
    if (t.joinable())
      t.join();
  }
}

inline void stop_and_join(std::mutex& mutex, bool& stop, std::condition_variable& wake,
                          std::thread& thread) {
  stop_and_join(mutex, stop, wake, std::span<std::thread>(&thread, 1));
}

}  // namespace subscriberd::util
