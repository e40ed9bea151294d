#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

#include "domain/subscriber.h"

namespace subscriberd::domain {

// Time-ordered 64-bit ids in the Snowflake layout:
//   [ 1 bit zero | 41 bits ms since 2024-01-01 | 10 bits node | 12 bits sequence ]
// Unique across instances (and so across shards) as long as every instance has its own node
// id; increasing with creation time, so "newest first" is "highest id first". Lock-free.
class IdGenerator {
 public:
  static constexpr std::int64_t kEpochMs = 1704067200000;  // 2024-01-01T00:00:00Z
  static constexpr unsigned kNodeBits = 10;
  static constexpr unsigned kSequenceBits = 12;
  static constexpr std::uint32_t kMaxNode = (1u << kNodeBits) - 1;

  using Clock = std::function<std::int64_t()>;  // Unix epoch milliseconds

  explicit IdGenerator(std::uint32_t node, Clock clock = system_clock_ms);

  // Never returns the same value twice in this process, and each value is greater than the
  // previous one. When more than 4096 ids are asked for in one millisecond, the generator
  // borrows the next millisecond rather than block.
  SubscriberId next();

  static std::int64_t timestamp_ms(SubscriberId id) {
    return static_cast<std::int64_t>(id >> (kNodeBits + kSequenceBits)) + kEpochMs;
  }
  static std::uint32_t node_of(SubscriberId id) {
    return static_cast<std::uint32_t>((id >> kSequenceBits) & kMaxNode);
  }
  static std::int64_t system_clock_ms();

 private:
  std::uint32_t node_;
  Clock clock_;
  // Last issued (ms offset, sequence) packed like an id without the node bits.
  std::atomic<std::uint64_t> last_{0};
};

}  // namespace subscriberd::domain
