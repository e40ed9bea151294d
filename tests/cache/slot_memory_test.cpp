#include "cache/slot_memory.h"

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace subscriberd::cache::detail {
namespace {

constexpr std::size_t kLargeCount = (std::size_t{8} << 20) / sizeof(std::uint64_t);  // 8 MiB

TEST(SlotMemory, ASmallArrayComesFromTheAllocatorZeroed) {
  SlotMemory slots(16);
  EXPECT_FALSE(slots.mapped());
  for (std::size_t i = 0; i < 16; ++i)
    EXPECT_EQ(slots[i], 0u);
  slots[15] = 42;
  EXPECT_EQ(slots[15], 42u);
}

TEST(SlotMemory, ALargeArrayIsMappedZeroedAndWritable) {
  SlotMemory slots(kLargeCount);
  EXPECT_TRUE(slots.mapped());
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kLargeCount; i += 509)
    sum += slots[i];
  EXPECT_EQ(sum, 0u);
  slots[0] = 1;
  slots[kLargeCount - 1] = 2;
  EXPECT_EQ(slots[0] + slots[kLargeCount - 1], 3u);
}

TEST(SlotMemory, MovesItsArray) {
  SlotMemory a(kLargeCount);
  a[7] = 7;
  SlotMemory b(std::move(a));
  EXPECT_TRUE(b.mapped());
  EXPECT_EQ(b[7], 7u);
  SlotMemory c(4);
  c = std::move(b);
  EXPECT_TRUE(c.mapped());
  EXPECT_EQ(c[7], 7u);
}

// The kernel's transparent huge page mode, the bracketed word of its setting.
std::string huge_page_mode() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string text;
  std::getline(in, text);
  const auto open = text.find('[');
  const auto close = text.find(']');
  if (open == std::string::npos || close == std::string::npos)
    return "";
  return text.substr(open + 1, close - open - 1);
}

// Kilobytes of huge pages in the mapping that holds `address`, from /proc/self/smaps.
std::size_t huge_kb_at(const void* address) {
  const auto wanted = reinterpret_cast<std::uintptr_t>(address);
  std::ifstream in("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    std::uintptr_t start = 0;
    std::uintptr_t end = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> start >> dash >> end && dash == '-') {
      inside = start <= wanted && wanted < end;
      continue;
    }
    if (inside && line.starts_with("AnonHugePages:"))
      return std::stoul(line.substr(line.find(':') + 1));
  }
  return 0;
}

TEST(SlotMemory, ALargeArrayGetsHugePagesWhereTheKernelGivesThem) {
  const std::string mode = huge_page_mode();
  if (mode != "madvise" && mode != "always")
    GTEST_SKIP() << "transparent huge pages are '" << mode << "' here";
  SlotMemory slots(kLargeCount);
  for (std::size_t i = 0; i < kLargeCount; i += 512)  // one write a 4 KiB page
    slots[i] = i;
  EXPECT_GT(huge_kb_at(&slots[kLargeCount / 2]), 0u);
}

}  // namespace
}  // namespace subscriberd::cache::detail
