#pragma once

#include <atomic>
#include <cstddef>

// Per-thread slots for state that every request updates. Two network threads incrementing one
// atomic counter move its cache line from core to core on every request; each waits for the
// other's core to give the line up. State kept in slots, one slot a thread, stays in the cache
// of the core that writes it, and only a reader of the whole (a metrics scrape) visits every
// slot.
namespace subscriberd::util {

// Network thread i takes slot i % kThreadSlots (set_this_thread_slot), so up to this many of
// them each write slots of their own; other threads take slots in turn and may share one.
// Sharing stays correct (a slot is still an atomic); it only costs the bouncing this avoids.
// More slots make a reader of the whole visit more.
inline constexpr std::size_t kThreadSlots = 8;

// Slots are aligned to this, so that no two share a cache line, nor a pair of lines: some x86
// cores fetch lines in pairs of 64 bytes.
inline constexpr std::size_t kSlotAlignment = 128;

namespace detail {
inline constexpr std::size_t kUnassignedSlot = kThreadSlots;
// Constant-initialised, so reading it needs no per-access initialisation check.
inline thread_local std::size_t slot_of_this_thread = kUnassignedSlot;
}  // namespace detail

// This thread's slot, in [0, kThreadSlots): the one set for it, or else one given on its first
// call, in turn; kept for the thread's life.
inline std::size_t this_thread_slot() {
  std::size_t& slot = detail::slot_of_this_thread;
  if (slot == detail::kUnassignedSlot) [[unlikely]] {
    static std::atomic<std::size_t> next_slot{0};
    slot = next_slot.fetch_add(1, std::memory_order_relaxed) % kThreadSlots;
  }
  return slot;
}

// Gives the calling thread slot `number % kThreadSlots`; called first thing on the thread.
inline void set_this_thread_slot(std::size_t number) {
  detail::slot_of_this_thread = number % kThreadSlots;
}

}  // namespace subscriberd::util
