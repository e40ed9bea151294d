#pragma once

#include <cerrno>
#include <sys/resource.h>
#include <unistd.h>

// Background threads give way to the threads answering requests when the CPUs are contended:
// on Linux, setpriority(PRIO_PROCESS, tid) sets the niceness of that one thread.
namespace subscriberd::util {

// Raises the calling thread's niceness by `increment` over what it inherited (an operator's
// `nice` on the whole process stays in force). Returns false when the kernel refused.
inline bool lower_this_thread_priority(int increment) {
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  const int current = getpriority(PRIO_PROCESS, tid);  // -1 is also a valid niceness
  if (current == -1 && errno != 0)
    return false;
  return setpriority(PRIO_PROCESS, tid, current + increment) == 0;
}

}  // namespace subscriberd::util
