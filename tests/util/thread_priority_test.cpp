#include "util/thread_priority.h"

#include <algorithm>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace subscriberd::util {
namespace {

int own_niceness() {
  return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
}

TEST(LowerThisThreadPriority, RaisesTheCallingThreadsNicenessOnly) {
  const int before = own_niceness();
  int lowered = 0;
  bool ok = false;
  std::thread([&] {
    ok = lower_this_thread_priority(5);
    lowered = own_niceness();
  }).join();
  ASSERT_TRUE(ok);
  EXPECT_EQ(lowered, std::min(before + 5, 19));  // Linux caps niceness at 19
  EXPECT_EQ(own_niceness(), before);             // the caller's thread is left as it was
}

}  // namespace
}  // namespace subscriberd::util
