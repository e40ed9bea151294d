#include "cache/slot_memory.h"

#include <new>
#include <sys/mman.h>
#include <utility>

namespace subscriberd::cache::detail {
namespace {

// The size of a huge page on x86-64 and (with 4 KiB base pages) AArch64: smaller arrays could
// not use one.
constexpr std::size_t kHugePageBytes = std::size_t{2} << 20;

}  // namespace

SlotMemory::SlotMemory(std::size_t count) {
  const std::size_t bytes = count * sizeof(std::uint64_t);
  if (bytes < kHugePageBytes) {
    slots_ = new std::uint64_t[count]();
    return;
  }
  // Anonymous memory is zeroed by the kernel, page by page as it is first touched; asking for
  // huge pages before any is touched lets each fault map 2 MiB at once. Refused (an old kernel,
  // transparent huge pages "never"), the mapping keeps 4 KiB pages and works the same.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    throw std::bad_alloc();
  madvise(p, bytes, MADV_HUGEPAGE);
  slots_ = static_cast<std::uint64_t*>(p);
  mapped_bytes_ = bytes;
}

SlotMemory::~SlotMemory() {
  release();
}

SlotMemory::SlotMemory(SlotMemory&& other) noexcept
    : slots_(std::exchange(other.slots_, nullptr)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}

SlotMemory& SlotMemory::operator=(SlotMemory&& other) noexcept {
  if (this != &other) {
    release();
    slots_ = std::exchange(other.slots_, nullptr);
    mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
  }
  return *this;
}

void SlotMemory::release() noexcept {
  if (slots_ == nullptr)
    return;
  if (mapped_bytes_ != 0) {
    munmap(slots_, mapped_bytes_);
  } else {
    delete[] slots_;
  }
  slots_ = nullptr;
  mapped_bytes_ = 0;
}

}  // namespace subscriberd::cache::detail
