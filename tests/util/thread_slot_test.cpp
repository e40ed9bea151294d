#include "util/thread_slot.h"

#include <cstddef>
#include <thread>

#include <gtest/gtest.h>

namespace subscriberd::util {
namespace {

std::size_t slot_of_a_new_thread() {
  std::size_t slot = kThreadSlots;
  std::thread([&slot] { slot = this_thread_slot(); }).join();
  return slot;
}

TEST(ThreadSlot, IsInRangeAndKeptForTheThreadsLife) {
  const std::size_t first = this_thread_slot();
  EXPECT_LT(first, kThreadSlots);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(this_thread_slot(), first);
}

TEST(ThreadSlot, ThreadsThatAskOneAfterAnotherGetDifferentSlots) {
  const std::size_t a = slot_of_a_new_thread();
  const std::size_t b = slot_of_a_new_thread();
  EXPECT_LT(a, kThreadSlots);
  EXPECT_LT(b, kThreadSlots);
  EXPECT_NE(a, b);
}

TEST(ThreadSlot, ASetSlotIsTheNumberModuloTheSlots) {
  std::size_t seen = kThreadSlots;
  std::thread([&seen] {
    set_this_thread_slot(kThreadSlots + 3);
    seen = this_thread_slot();
  }).join();
  EXPECT_EQ(seen, 3u);
}

}  // namespace
}  // namespace subscriberd::util
