#pragma once

#include <cstddef>
#include <cstdint>

namespace subscriberd::cache::detail {

// A zeroed array of 64-bit slots, such as a FlatIndex's. An array of 2 MiB or more has a mapping
// of its own, on which the kernel is asked for huge pages (madvise MADV_HUGEPAGE, where
// transparent huge pages are "madvise" or "always"): a look-up reads one slot at random among
// millions, and with 4 KiB pages nearly every one missed the TLB, which on a virtual machine
// walks two sets of page tables. Smaller arrays come from the allocator. Move-only.
class SlotMemory {
 public:
  explicit SlotMemory(std::size_t count);
  ~SlotMemory();
  SlotMemory(SlotMemory&& other) noexcept;
  SlotMemory& operator=(SlotMemory&& other) noexcept;
  SlotMemory(const SlotMemory&) = delete;
  SlotMemory& operator=(const SlotMemory&) = delete;

  std::uint64_t& operator[](std::size_t i) { return slots_[i]; }
  const std::uint64_t& operator[](std::size_t i) const { return slots_[i]; }
  // Whether the array has a mapping of its own (and huge pages were asked for).
  bool mapped() const { return mapped_bytes_ != 0; }

 private:
  void release() noexcept;

  std::uint64_t* slots_ = nullptr;
  std::size_t mapped_bytes_ = 0;  // 0: from the allocator
};

}  // namespace subscriberd::cache::detail
