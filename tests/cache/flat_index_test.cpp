#include "cache/flat_index.h"

#include <cstdint>
#include <memory>
#include <random>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <gtest/gtest.h>

namespace subscriberd::cache::detail {
namespace {

struct Item {
  std::uint64_t key;
};

// Keys of items, counting how often the index reads an item to compare or rehash its key.
template <std::uint64_t (*Hash)(std::uint64_t)>
struct CountingKey {
  using Key = std::uint64_t;
  static inline int items_read = 0;
  static Key key_of(const Item& item) {
    ++items_read;
    return item.key;
  }
  static std::uint64_t hash(Key key) { return Hash(key); }
};

using MixedKey = CountingKey<mix64>;

// A hash whose home slot is `slot` of 16 (bits 44 to 47 pick it), with the tag `tag`.
constexpr std::uint64_t hash_at(std::uint64_t slot, std::uint64_t tag) {
  return tag << 48 | slot << 44;
}

// One home slot (3 of 16) and one tag for every key.
constexpr std::uint64_t same_hash(std::uint64_t) {
  return hash_at(3, 0xbeef);
}
using SameHashKey = CountingKey<same_hash>;

// One home slot (3 of 16), a different tag for every key below 2^16.
constexpr std::uint64_t same_home(std::uint64_t key) {
  return hash_at(3, key);
}
using SameHomeKey = CountingKey<same_home>;

// Home slots 14, 15 and 0 of 16, so runs wrap around the end of the array; tags shared.
constexpr std::uint64_t near_the_end(std::uint64_t key) {
  return hash_at((14 + key % 3) & 15, 0xbeef);
}
using NearTheEndKey = CountingKey<near_the_end>;

// At most 64 home slots (bits 42 to 47), 4 tags: long runs, many equal tags, whatever the
// table's size.
constexpr std::uint64_t crowded(std::uint64_t key) {
  const std::uint64_t h = mix64(key);
  return (h & 0x0003'0000'0000'0000u) | (h & 63) << 42;
}
using CrowdedKey = CountingKey<crowded>;

// Items with keys first, first + 1, ...: stable addresses for the index to point to.
std::vector<std::unique_ptr<Item>> items(std::uint64_t count, std::uint64_t first = 0) {
  std::vector<std::unique_ptr<Item>> result;
  for (std::uint64_t key = first; key < first + count; ++key)
    result.push_back(std::make_unique<Item>(Item{key}));
  return result;
}

TEST(FlatIndex, EmptyIndexFindsNothing) {
  FlatIndex<Item, MixedKey> index(0);
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.find(0), nullptr);
  EXPECT_EQ(index.find(42), nullptr);
  Item stranger{7};
  EXPECT_FALSE(index.erase(&stranger));
}

TEST(FlatIndex, FindsEveryInsertedItem) {
  auto all = items(1000);
  FlatIndex<Item, MixedKey> index(all.size());
  for (auto& item : all)
    index.insert(item.get());
  EXPECT_EQ(index.size(), all.size());
  for (auto& item : all)
    EXPECT_EQ(index.find(item->key), item.get()) << item->key;
  EXPECT_EQ(index.find(1000), nullptr);
  EXPECT_EQ(index.find(~std::uint64_t{0}), nullptr);
}

TEST(FlatIndex, SizedUpFrontForTheExpectedItems) {
  auto all = items(1000);
  FlatIndex<Item, MixedKey> index(all.size());
  const std::size_t slots = index.slot_count();
  EXPECT_LE(all.size() * 10, slots * 6) << "a load of at most 0.6";
  EXPECT_LT(slots, all.size() * 2) << "no rounding up to a power of two";
  for (auto& item : all)
    index.insert(item.get());
  EXPECT_EQ(index.slot_count(), slots) << "no growth";
}

TEST(FlatIndex, TakesAnExactSlotCount) {
  auto all = items(750);
  FlatIndex<Item, MixedKey> index(IndexSlots{1000});
  EXPECT_EQ(index.slot_count(), 1000u);
  EXPECT_EQ(index.capacity(), 750u);
  EXPECT_EQ(index.memory_bytes(), 8000u);
  for (auto& item : all)
    index.insert(item.get());
  EXPECT_EQ(index.slot_count(), 1000u) << "its capacity goes in without growing";
  for (auto& item : all)
    ASSERT_EQ(index.find(item->key), item.get()) << item->key;
}

TEST(FlatIndex, HomeSlotsSpanAnySlotCount) {
  for (std::size_t count : {16u, 17u, 23u, 1000u, 3'834'792u}) {
    EXPECT_EQ(home_slot(0, count), 0u) << count;
    EXPECT_EQ(home_slot(~std::uint64_t{0}, count), count - 1) << count;
    EXPECT_EQ(home_slot(0xffff'0000'0000'ffffu, count), 0u) << "the tag and low bits do not count";
  }
  std::vector<int> hits(23);
  for (std::uint64_t key = 0; key < 23'000; ++key)
    ++hits[home_slot(mix64(key), hits.size())];
  for (int n : hits)
    EXPECT_NEAR(n, 1000, 150);
}

TEST(FlatIndex, GrowsPastItsInitialSize) {
  auto all = items(10'000);
  FlatIndex<Item, MixedKey> index(10);
  const std::size_t initial_slots = index.slot_count();
  for (auto& item : all) {
    index.insert(item.get());
    ASSERT_LE(index.size() * 4, index.slot_count() * 3) << "a load of at most 0.75";
  }
  EXPECT_GE(index.slot_count(), initial_slots * 512);
  EXPECT_EQ(index.size(), all.size());
  for (auto& item : all)
    ASSERT_EQ(index.find(item->key), item.get()) << item->key;
  EXPECT_EQ(index.find(10'000), nullptr);
}

TEST(FlatIndex, KeysWithTheSameTagAndHomeAreToldApartByTheirKeys) {
  auto all = items(10);
  FlatIndex<Item, SameHashKey> index(all.size());
  for (auto& item : all)
    index.insert(item.get());
  for (auto& item : all)
    EXPECT_EQ(index.find(item->key), item.get()) << item->key;
  EXPECT_EQ(index.find(10), nullptr);
}

TEST(FlatIndex, TagMismatchesReadNoItem) {
  auto all = items(10, 1);
  FlatIndex<Item, SameHomeKey> index(all.size());
  for (auto& item : all)
    index.insert(item.get());
  SameHomeKey::items_read = 0;
  EXPECT_EQ(index.find(1000), nullptr);  // the run is walked, but no tag matches
  EXPECT_EQ(SameHomeKey::items_read, 0);
  for (auto& item : all) {
    SameHomeKey::items_read = 0;
    EXPECT_EQ(index.find(item->key), item.get()) << item->key;
    EXPECT_EQ(SameHomeKey::items_read, 1) << "only the item with the right tag is read";
  }
}

TEST(FlatIndex, EraseKeepsTheRestOfTheRunFindable) {
  auto all = items(10);
  FlatIndex<Item, SameHashKey> index(all.size());
  for (auto& item : all)
    index.insert(item.get());
  for (std::uint64_t key : {0u, 4u, 5u, 9u})
    EXPECT_TRUE(index.erase(all[key].get())) << key;
  EXPECT_FALSE(index.erase(all[4].get())) << "already erased";
  EXPECT_EQ(index.size(), 6u);
  for (auto& item : all) {
    const bool erased = item->key == 0 || item->key == 4 || item->key == 5 || item->key == 9;
    EXPECT_EQ(index.find(item->key), erased ? nullptr : item.get()) << item->key;
  }
}

TEST(FlatIndex, EraseAcrossTheEndOfTheArray) {
  auto all = items(9);
  FlatIndex<Item, NearTheEndKey> index(all.size());
  ASSERT_EQ(index.slot_count(), 16u);
  for (auto& item : all)
    index.insert(item.get());             // slots 14, 15, then 0 to 6
  for (std::uint64_t key : {0u, 1u, 5u})  // at slots 14, 15 and 3
    EXPECT_TRUE(index.erase(all[key].get())) << key;
  for (auto& item : all) {
    const bool erased = item->key == 0 || item->key == 1 || item->key == 5;
    EXPECT_EQ(index.find(item->key), erased ? nullptr : item.get()) << item->key;
  }
  // Backward shift closed the gaps: the six items left fill slots 14 to 3, and a missing key
  // whose home is 14 is known missing after reading those six.
  NearTheEndKey::items_read = 0;
  EXPECT_EQ(index.find(99), nullptr);
  EXPECT_EQ(NearTheEndKey::items_read, 6);
}

TEST(FlatIndex, ErasedSlotsAreEmptyAgain) {
  // No tombstones: after any number of inserts and erases, an emptied index has nothing to
  // step over.
  FlatIndex<Item, SameHashKey> index(8);
  for (std::uint64_t round = 0; round < 100; ++round) {
    auto batch = items(8, round * 8);
    for (auto& item : batch)
      index.insert(item.get());
    for (auto& item : batch)
      ASSERT_TRUE(index.erase(item.get()));
  }
  EXPECT_EQ(index.size(), 0u);
  SameHashKey::items_read = 0;
  EXPECT_EQ(index.find(0), nullptr);
  EXPECT_EQ(SameHashKey::items_read, 0);
}

TEST(FlatIndex, ManyErasesFromASmallTableKeepTheRestFindable) {
  auto all = items(2000);
  FlatIndex<Item, CrowdedKey> index(16);
  for (auto& item : all)
    index.insert(item.get());
  std::unordered_set<std::uint64_t> erased;
  for (auto& item : all) {
    if (mix64(item->key) % 3 == 0) {
      ASSERT_TRUE(index.erase(item.get()));
      erased.insert(item->key);
    }
  }
  EXPECT_EQ(index.size(), all.size() - erased.size());
  for (auto& item : all) {
    ASSERT_EQ(index.find(item->key), erased.contains(item->key) ? nullptr : item.get())
        << item->key;
  }
}

TEST(FlatIndex, RandomInsertsAndErasesMatchAReferenceMap) {
  constexpr std::uint64_t kKeys = 500;
  auto all = items(kKeys);
  FlatIndex<Item, CrowdedKey> index(64);
  std::unordered_map<std::uint64_t, Item*> reference;
  std::mt19937_64 random(20240611);
  for (int step = 0; step < 50'000; ++step) {
    Item* item = all[random() % kKeys].get();
    if (reference.contains(item->key)) {
      ASSERT_TRUE(index.erase(item));
      reference.erase(item->key);
    } else {
      index.insert(item);
      reference.emplace(item->key, item);
    }
    const std::uint64_t probe = random() % (kKeys + 10);
    const auto it = reference.find(probe);
    ASSERT_EQ(index.find(probe), it == reference.end() ? nullptr : it->second)
        << "step " << step << ", key " << probe;
  }
  EXPECT_EQ(index.size(), reference.size());
  for (auto& item : all) {
    const auto it = reference.find(item->key);
    EXPECT_EQ(index.find(item->key), it == reference.end() ? nullptr : it->second);
  }
}

TEST(FlatIndex, SequentialIdsGetDifferentTagsAndSlots) {
  std::unordered_set<std::uint64_t> tags;
  std::unordered_set<std::uint64_t> slots;
  for (std::uint64_t id = 7'000'000'000'000'000'000u; id < 7'000'000'000'000'001'000u; ++id) {
    tags.insert(mix64(id) >> 48);
    slots.insert(home_slot(mix64(id), 4096));
  }
  // 1,000 random picks of 65,536 tags repeat about 8; of 4,096 slots, about 110.
  EXPECT_GT(tags.size(), 970u);
  EXPECT_GT(slots.size(), 850u);
}

}  // namespace
}  // namespace subscriberd::cache::detail
