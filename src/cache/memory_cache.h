#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cache/flat_index.h"
#include "cache/subscriber_cache.h"
#include "metrics/metrics.h"

namespace subscriberd::cache {

// The embedded cache: subscribers in this process's memory, indexed by e-mail and by id,
// bounded by bytes and evicted with the CLOCK algorithm (an LRU approximation whose hits only
// set a flag, so look-ups share a reader lock and never reorder a list).
//
// Memory: two arrays of index slots allocated up front, 23% of the budget (58.5 MiB of
// the default 256 MiB), then about 50 bytes plus the three strings per entry, all counted
// against the budget; 1,000,000 subscribers with typical names take about 150 MB.
class MemoryCache final : public SubscriberCache {
 public:
  struct Options {
    std::size_t capacity_bytes = 256u << 20;
    std::chrono::milliseconds negative_ttl{5000};
    std::size_t max_negative_entries = 100'000;
  };

  explicit MemoryCache(Options options);
  ~MemoryCache() override;
  MemoryCache(const MemoryCache&) = delete;
  MemoryCache& operator=(const MemoryCache&) = delete;

  boost::asio::awaitable<CacheLookup> find(domain::LookupKey key) override;
  void remember(const domain::Subscriber& subscriber) override;
  void remember_absent(const domain::LookupKey& key) override;
  boost::asio::awaitable<bool> check_health() override;
  std::string describe() const override;

  // The synchronous core of find(), for tests and for callers that are not coroutines.
  CacheLookup lookup(const domain::LookupKey& key) const;
  std::size_t size() const;
  // Bytes charged to the budget: the index slots, allocated up front, and the entries.
  std::size_t used_bytes() const;
  // The most entries the indexes take (they never grow); only a cache of very short entries
  // reaches it before its byte budget.
  std::size_t max_entries() const { return max_entries_; }
  // Entries removed to make room, since the start.
  std::uint64_t evictions() const;

  // Puts the cache's size, budget and evictions on the metrics page, for as long as the
  // cache lives: what an operator sizes --cache-size by.
  void publish_metrics(metrics::Registry& registry);

 private:
  // A subscriber and its text in one allocation (memory_cache.cpp).
  struct Entry;
  // How the two indexes find an entry's key and hash it (see FlatIndex).
  struct EmailKey {
    using Key = std::string_view;
    static Key key_of(const Entry& entry);
    static std::uint64_t hash(Key email);
  };
  struct IdKey {
    using Key = domain::SubscriberId;
    static Key key_of(const Entry& entry);
    static std::uint64_t hash(Key id);
  };

  void evict_one();  // needs the unique lock
  static std::size_t entry_cost(std::size_t text_length);
  static detail::IndexSlots index_slots(std::size_t capacity_bytes);
  // What the two indexes' slots take: charged to the budget from the start.
  std::size_t index_bytes() const { return by_id_.memory_bytes() + by_email_.memory_bytes(); }
  // Whether `key` is held as absent and not yet expired; drops it once expired.
  bool held_absent(const domain::LookupKey& key) const;  // needs negative_mutex_

  Options options_;
  mutable std::shared_mutex mutex_;
  detail::FlatIndex<Entry, IdKey> by_id_;
  detail::FlatIndex<Entry, EmailKey> by_email_;
  const std::size_t max_entries_;
  const std::size_t entry_budget_;  // the budget less the index slots
  Entry* hand_ = nullptr;           // CLOCK hand into the circular list of entries
  std::size_t used_bytes_;
  std::uint64_t evictions_ = 0;  // under the unique lock

  // Negative entries: e-mails and ids the store did not have, each with its steady-clock
  // deadline. Small, and cleared wholesale when full. Kept by kind, so that no key has to be
  // built to look one up (a POST of a new e-mail looks here while any entry is held).
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Deadline = std::chrono::steady_clock::time_point;
  mutable std::mutex negative_mutex_;
  mutable std::unordered_map<std::string, Deadline, StringHash, std::equal_to<>> absent_emails_;
  mutable std::unordered_map<domain::SubscriberId, Deadline> absent_ids_;

  // Cleared first thing in the destructor, so that no scrape reads a cache being torn down.
  std::vector<metrics::Sampling> published_;
};

}  // namespace subscriberd::cache
