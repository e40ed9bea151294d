#include "domain/id_generator.h"

#include <stdexcept>

namespace subscriberd::domain {

IdGenerator::IdGenerator(std::uint32_t node, Clock clock) : node_(node), clock_(std::move(clock)) {
  if (node > kMaxNode)
    throw std::invalid_argument("node id must be between 0 and 1023");
}

std::int64_t IdGenerator::system_clock_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

SubscriberId IdGenerator::next() {
  constexpr std::uint64_t kSequenceMask = (1u << kSequenceBits) - 1;
  const std::int64_t offset = clock_() - kEpochMs;
  const std::uint64_t now = static_cast<std::uint64_t>(offset < 0 ? 0 : offset) << kSequenceBits;

  std::uint64_t last = last_.load(std::memory_order_relaxed);
  std::uint64_t candidate = 0;
  do {
    // Either the first id of a new millisecond, or the successor of the last one (which rolls
    // into the next millisecond when the sequence is exhausted, or when the clock went back).
    candidate = now > last ? now : last + 1;
  } while (!last_.compare_exchange_weak(last, candidate, std::memory_order_relaxed));

  const std::uint64_t ms = candidate >> kSequenceBits;
  const std::uint64_t sequence = candidate & kSequenceMask;
  return (ms << (kNodeBits + kSequenceBits)) |
         (static_cast<std::uint64_t>(node_) << kSequenceBits) | sequence;
}

}  // namespace subscriberd::domain
