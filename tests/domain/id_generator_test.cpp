#include "domain/id_generator.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace subscriberd::domain {
namespace {

constexpr std::int64_t kT = 1735689600123;  // 2025-01-01T00:00:00.123Z
constexpr std::uint64_t kSequenceMask = (1u << IdGenerator::kSequenceBits) - 1;

std::uint64_t sequence_of(SubscriberId id) {
  return id & kSequenceMask;
}

// A clock the test moves by hand.
struct FakeClock {
  std::shared_ptr<std::int64_t> now = std::make_shared<std::int64_t>(kT);
  IdGenerator::Clock clock() const {
    return [now = now] { return *now; };
  }
};

TEST(IdGenerator, NodeMustFitTenBits) {
  EXPECT_NO_THROW(IdGenerator(0));
  EXPECT_NO_THROW(IdGenerator(1023));
  EXPECT_THROW(IdGenerator(1024), std::invalid_argument);
  EXPECT_THROW(IdGenerator(0xFFFFFFFFu), std::invalid_argument);
}

TEST(IdGenerator, LayoutIsTimestampNodeSequence) {
  FakeClock clock;
  IdGenerator ids(517, clock.clock());
  const SubscriberId id = ids.next();
  EXPECT_EQ(id >> 63, 0u) << "the sign bit stays clear";
  EXPECT_EQ(id >> 22, static_cast<std::uint64_t>(kT - IdGenerator::kEpochMs));
  EXPECT_EQ((id >> 12) & 0x3FF, 517u);
  EXPECT_EQ(sequence_of(id), 0u);
}

TEST(IdGenerator, NodeBitsArePreserved) {
  for (std::uint32_t node : {0u, 1u, 517u, 1023u}) {
    FakeClock clock;
    IdGenerator ids(node, clock.clock());
    for (int i = 0; i < 5000; ++i) {
      const SubscriberId id = ids.next();
      ASSERT_EQ(IdGenerator::node_of(id), node) << "id " << i;
    }
  }
}

TEST(IdGenerator, DifferentNodesNeverCollide) {
  FakeClock clock;
  IdGenerator a(1, clock.clock());
  IdGenerator b(2, clock.clock());
  for (int i = 0; i < 100; ++i)
    EXPECT_NE(a.next(), b.next());
}

TEST(IdGenerator, TimestampRoundTrip) {
  FakeClock clock;
  IdGenerator ids(3, clock.clock());
  EXPECT_EQ(IdGenerator::timestamp_ms(ids.next()), kT);
  *clock.now = kT + 1000;
  EXPECT_EQ(IdGenerator::timestamp_ms(ids.next()), kT + 1000);
  *clock.now = IdGenerator::kEpochMs;
  IdGenerator at_epoch(3, clock.clock());
  EXPECT_EQ(IdGenerator::timestamp_ms(at_epoch.next()), IdGenerator::kEpochMs);
}

TEST(IdGenerator, TimestampFollowsTheSystemClock) {
  IdGenerator ids(9);
  const std::int64_t before = IdGenerator::system_clock_ms();
  const SubscriberId id = ids.next();
  const std::int64_t after = IdGenerator::system_clock_ms();
  EXPECT_GE(IdGenerator::timestamp_ms(id), before);
  EXPECT_LE(IdGenerator::timestamp_ms(id), after);
}

TEST(IdGenerator, ClockBeforeTheEpochIsClampedToIt) {
  IdGenerator ids(0, [] { return std::int64_t{0}; });
  const SubscriberId first = ids.next();
  EXPECT_EQ(IdGenerator::timestamp_ms(first), IdGenerator::kEpochMs);
  EXPECT_GT(ids.next(), first);
}

TEST(IdGenerator, SequenceCountsWithinAMillisecond) {
  FakeClock clock;
  IdGenerator ids(5, clock.clock());
  for (std::uint64_t i = 0; i < 10; ++i) {
    const SubscriberId id = ids.next();
    EXPECT_EQ(sequence_of(id), i);
    EXPECT_EQ(IdGenerator::timestamp_ms(id), kT);
  }
  *clock.now = kT + 1;
  const SubscriberId id = ids.next();
  EXPECT_EQ(sequence_of(id), 0u) << "a new millisecond starts a new sequence";
  EXPECT_EQ(IdGenerator::timestamp_ms(id), kT + 1);
}

TEST(IdGenerator, StandingClockBorrowsTheNextMillisecond) {
  FakeClock clock;  // never moves
  IdGenerator ids(42, clock.clock());
  SubscriberId previous = 0;
  for (int i = 0; i < 3 * 4096 + 10; ++i) {
    const SubscriberId id = ids.next();
    ASSERT_GT(id, previous) << "id " << i;
    ASSERT_EQ(IdGenerator::node_of(id), 42u);
    ASSERT_EQ(IdGenerator::timestamp_ms(id), kT + i / 4096) << "id " << i;
    ASSERT_EQ(sequence_of(id), static_cast<std::uint64_t>(i % 4096)) << "id " << i;
    previous = id;
  }
}

TEST(IdGenerator, StandingClockCatchesUpWhenTimeMovesPastTheBorrowed) {
  FakeClock clock;
  IdGenerator ids(1, clock.clock());
  SubscriberId last = 0;
  for (int i = 0; i < 4097; ++i)
    last = ids.next();
  ASSERT_EQ(IdGenerator::timestamp_ms(last), kT + 1);  // borrowed
  *clock.now = kT + 1;  // the clock reaches the borrowed millisecond: keep counting
  const SubscriberId same_ms = ids.next();
  EXPECT_GT(same_ms, last);
  EXPECT_EQ(IdGenerator::timestamp_ms(same_ms), kT + 1);
  EXPECT_EQ(sequence_of(same_ms), 1u);
  *clock.now = kT + 5;
  const SubscriberId later = ids.next();
  EXPECT_EQ(IdGenerator::timestamp_ms(later), kT + 5);
  EXPECT_EQ(sequence_of(later), 0u);
}

TEST(IdGenerator, BackwardClockStillIncreases) {
  FakeClock clock;
  IdGenerator ids(7, clock.clock());
  const SubscriberId first = ids.next();
  std::vector<SubscriberId> issued{first};
  for (std::int64_t t : {kT - 1, kT - 1000, kT - 60'000, kT, kT - 5}) {
    *clock.now = t;
    issued.push_back(ids.next());
  }
  for (std::size_t i = 1; i < issued.size(); ++i) {
    EXPECT_GT(issued[i], issued[i - 1]) << "id " << i;
    EXPECT_EQ(IdGenerator::node_of(issued[i]), 7u);
    EXPECT_GE(IdGenerator::timestamp_ms(issued[i]), kT);
  }
  *clock.now = kT + 10;  // time moves on: the timestamp follows again
  EXPECT_EQ(IdGenerator::timestamp_ms(ids.next()), kT + 10);
}

TEST(IdGenerator, UniqueAndIncreasingAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50'000;
  IdGenerator ids(321);
  std::vector<std::vector<SubscriberId>> issued(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&ids, &mine = issued[static_cast<std::size_t>(t)]] {
      mine.reserve(kPerThread);
      for (int i = 0; i < kPerThread; ++i)
        mine.push_back(ids.next());
    });
  }
  for (auto& thread : threads)
    thread.join();

  std::vector<SubscriberId> all;
  for (const auto& mine : issued) {
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(kPerThread));
    // Each thread sees strictly increasing ids.
    EXPECT_TRUE(std::adjacent_find(mine.begin(), mine.end(), std::greater_equal<>()) == mine.end());
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_TRUE(std::adjacent_find(all.begin(), all.end()) == all.end()) << "duplicate id";
  for (SubscriberId id : all)
    ASSERT_EQ(IdGenerator::node_of(id), 321u);
  // Issued ids continue above every earlier one.
  EXPECT_GT(ids.next(), all.back());
}

}  // namespace
}  // namespace subscriberd::domain
