#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <pthread.h>
#include <string_view>

// Names the calling thread, as top -H, perf and /proc/PID/task/*/comm show it, so that an
// operator can tell the network threads from the store's writers and readers (Linux, glibc).
namespace subscriberd::util {

// Linux keeps 15 characters of a thread's name; a longer one is cut, never refused.
inline constexpr std::size_t kThreadNameMax = 15;

inline void name_this_thread(std::string_view name) {
  std::array<char, kThreadNameMax + 1> buffer{};
  const std::size_t length = std::min(name.size(), kThreadNameMax);
  std::copy_n(name.data(), length, buffer.data());
  pthread_setname_np(pthread_self(), buffer.data());  // only fails on a name too long
}

}  // namespace subscriberd::util
