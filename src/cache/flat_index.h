#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "cache/slot_memory.h"

namespace subscriberd::cache::detail {

// Spreads every bit of x over all bits of the result (the splitmix64 finalizer). Sequential
// keys, such as ids, would otherwise fill neighbouring slots and share one tag.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  x ^= x >> 31;
  return x;
}

// A FlatIndex's exact number of slots: from kMinIndexSlots to kMaxIndexSlots (home_slot()
// scales 32 bits of the hash by the count in 64-bit arithmetic).
inline constexpr std::size_t kMinIndexSlots = 16;
inline constexpr std::size_t kMaxIndexSlots = 0xffff'ffffu;
struct IndexSlots {
  std::size_t count;
};

// The slot where the probe for a hash starts: bits 16 to 47 of the hash scaled to the slot
// count, by a multiplication rather than a modulo. Any count works, not only powers of two, so
// an owner can size an index for its memory budget exactly.
constexpr std::size_t home_slot(std::uint64_t hash, std::size_t slot_count) {
  return static_cast<std::size_t>((((hash >> 16) & 0xffff'ffffu) * slot_count) >> 32);
}

// A hash index of items that carry their own key, by open addressing: an array of 64-bit
// slots, each holding an item's address in its low 48 bits and a tag, the high 16 bits of the
// key's hash (never part of a home slot), in its high 16 bits; 0 is an empty slot.
// A look-up reads the slots from the key's home slot on and touches an item only when the tag
// matches, so a hit costs the slot's cache line and the item's, and a miss usually the slot's
// line alone.
//
// Linear probing. erase() moves the later items of the run back instead of leaving a tombstone,
// so probe sequences stay as short after many erases as with inserts only. Thread safety as
// for the standard containers: const functions may run together, anything else alone.
//
// KeyTraits provides `using Key` (cheap to copy, with ==), `static Key key_of(const Item&)` and
// `static std::uint64_t hash(Key)` with well mixed bits 16 to 63 (the home slot and the tag).
// The items are not owned.
template <typename Item, typename KeyTraits>
class FlatIndex {
 public:
  using Key = typename KeyTraits::Key;

  // Slots for expected_items at a load of at most 0.6: that many go in without growing.
  explicit FlatIndex(std::size_t expected_items)
      : FlatIndex(IndexSlots{slots_for(expected_items)}) {}
  explicit FlatIndex(IndexSlots slots) : slot_count_(slots.count), slots_(slot_count_) {
    assert(slots.count >= kMinIndexSlots && slots.count <= kMaxIndexSlots);
  }

  FlatIndex(const FlatIndex&) = delete;
  FlatIndex& operator=(const FlatIndex&) = delete;

  Item* find(Key key) const {
    const std::uint64_t hash = KeyTraits::hash(key);
    for (std::size_t i = home_slot(hash, slot_count_);; i = next(i)) {
      const std::uint64_t slot = slots_[i];
      if (slot == kEmpty)
        return nullptr;
      if (tag_of(slot) == tag_of(hash)) {
        Item* item = item_of(slot);
        if (KeyTraits::key_of(*item) == key)
          return item;
      }
    }
  }

  // Adds an item whose key is not in the index yet.
  void insert(Item* item) {
    assert(find(KeyTraits::key_of(*item)) == nullptr);
    // Past a load of 0.75 the runs of full slots, and so the probes, get long.
    if (size_ >= capacity())
      grow();
    const std::uint64_t hash = hash_of(*item);
    place(slot_for(item, hash), hash);
    ++size_;
  }

  // Removes the item; false if it was not in the index.
  bool erase(const Item* item) {
    const std::uint64_t hash = hash_of(*item);
    const std::uint64_t wanted = slot_for(item, hash);
    std::size_t hole = home_slot(hash, slot_count_);
    for (; slots_[hole] != wanted; hole = next(hole)) {
      if (slots_[hole] == kEmpty)
        return false;
    }
    // Backward shift: a later item of the run moves into the hole unless its home slot lies
    // after the hole (it would then sit before its home, where no look-up finds it). The hole
    // moves on to where that item was; the run's end closes it. Finding an item's home slot
    // reads the item (the tag lacks the hash's low bits), but runs are short at our loads.
    for (std::size_t i = next(hole); slots_[i] != kEmpty; i = next(i)) {
      const std::size_t home = home_slot(hash_of(*item_of(slots_[i])), slot_count_);
      if (distance(home, i) >= distance(hole, i)) {
        slots_[hole] = slots_[i];
        hole = i;
      }
    }
    slots_[hole] = kEmpty;
    --size_;
    return true;
  }

  std::size_t size() const { return size_; }
  std::size_t slot_count() const { return slot_count_; }
  // The most items it takes without growing: a load of 0.75.
  std::size_t capacity() const { return slot_count_ * 3 / 4; }
  // What its slots take in memory.
  std::size_t memory_bytes() const { return slot_count() * sizeof(std::uint64_t); }

 private:
  static constexpr std::uint64_t kEmpty = 0;
  static constexpr int kAddressBits = 48;
  static constexpr std::uint64_t kAddressMask = (std::uint64_t{1} << kAddressBits) - 1;
  static_assert(sizeof(void*) == 8, "a slot keeps the address in its low 48 bits");

  // items / 0.6, rounded up.
  static std::size_t slots_for(std::size_t items) {
    return std::max(kMinIndexSlots, (items * 5 + 2) / 3);
  }
  static std::uint64_t hash_of(const Item& item) {
    return KeyTraits::hash(KeyTraits::key_of(item));
  }
  static std::uint64_t tag_of(std::uint64_t hash_or_slot) { return hash_or_slot & ~kAddressMask; }
  static Item* item_of(std::uint64_t slot) { return reinterpret_cast<Item*>(slot & kAddressMask); }
  static std::uint64_t slot_for(const Item* item, std::uint64_t hash) {
    // User-space addresses on x86-64 and AArch64 Linux fit in 48 bits.
    const auto address = reinterpret_cast<std::uintptr_t>(item);
    assert(address != 0 && (address & ~kAddressMask) == 0);
    return tag_of(hash) | address;
  }

  std::size_t next(std::size_t i) const { return i + 1 == slot_count_ ? 0 : i + 1; }
  // How many slots on from `from` (wrapping around the end) `to` is.
  std::size_t distance(std::size_t from, std::size_t to) const {
    return to >= from ? to - from : to + slot_count_ - from;
  }

  // Puts a slot value into the first empty slot from the hash's home slot on.
  void place(std::uint64_t slot, std::uint64_t hash) {
    std::size_t i = home_slot(hash, slot_count_);
    while (slots_[i] != kEmpty)
      i = next(i);
    slots_[i] = slot;
  }

  // Doubles the slots. The home slot needs a hash bit the tag does not keep, so every item's
  // hash is computed again: a read of every item, acceptable only because it is rare (the
  // owner sizes the index for what it expects to hold).
  void grow() {
    assert(2 * slot_count_ <= kMaxIndexSlots);
    const SlotMemory old_slots = std::exchange(slots_, SlotMemory(2 * slot_count_));
    const std::size_t old_count = slot_count_;
    slot_count_ = 2 * old_count;
    for (std::size_t i = 0; i < old_count; ++i) {
      if (old_slots[i] != kEmpty)
        place(old_slots[i], hash_of(*item_of(old_slots[i])));
    }
  }

  std::size_t slot_count_;
  SlotMemory slots_;
  std::size_t size_ = 0;
};

}  // namespace subscriberd::cache::detail
