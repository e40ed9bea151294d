#include "cache/memory_cache.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include "metrics/metrics.h"

namespace subscriberd::cache {
namespace {

using domain::LookupKey;
using domain::Subscriber;
using Kind = CacheLookup::Kind;
using namespace std::chrono_literals;

// Subscribers whose text is always the same length, so every entry costs the same.
Subscriber subscriber(std::uint64_t n) {
  Subscriber s;
  s.id = 1'000'000 + n;
  char email[32];
  std::snprintf(email, sizeof email, "user%08llu@example.com", static_cast<unsigned long long>(n));
  s.email = email;
  s.name = "Name" + std::to_string(n % 10);
  s.last_name = "Last";
  s.status = static_cast<domain::Status>(n % domain::kAllStatuses.size());
  s.created_at_ms = 1'700'000'000'000 + static_cast<std::int64_t>(n);
  return s;
}

MemoryCache::Options options(std::size_t capacity_bytes,
                             std::chrono::milliseconds negative_ttl = 5000ms) {
  MemoryCache::Options o;
  o.capacity_bytes = capacity_bytes;
  o.negative_ttl = negative_ttl;
  return o;
}

// What one entry of subscriber(n) costs, as the cache counts it.
std::size_t entry_cost() {
  MemoryCache probe(options(1u << 20));
  const std::size_t empty = probe.used_bytes();
  probe.remember(subscriber(0));
  return probe.used_bytes() - empty;
}

// What a cache of this budget charges for its index slots before it holds anything.
std::size_t index_bytes(std::size_t capacity) {
  return MemoryCache(options(capacity)).used_bytes();
}

// A budget with room for `entries` entries of subscriber(n) and half of another, besides the
// index slots. The slots grow with the budget, so settle on a budget that holds both.
std::size_t capacity_for(std::size_t entries) {
  const std::size_t cost = entry_cost();
  const std::size_t for_entries = entries * cost + cost / 2;
  std::size_t capacity = for_entries;
  while (for_entries + index_bytes(capacity) != capacity)
    capacity = for_entries + index_bytes(capacity);
  return capacity;
}

bool has(const MemoryCache& cache, const Subscriber& s) {
  return cache.lookup(LookupKey::by_id(s.id)).kind == Kind::kHit;
}

TEST(MemoryCache, RememberThenLookUpByEmailAndById) {
  MemoryCache cache(options(1u << 20));
  Subscriber ada;
  ada.id = 7253351292715016193u;
  ada.email = "ada@example.com";
  ada.name = "Ada \xE6\x9D\x8E";
  ada.last_name = "Lovelace";
  ada.status = domain::Status::kBounced;
  ada.created_at_ms = 1795700701123;
  cache.remember(ada);

  CacheLookup by_email = cache.lookup(LookupKey::by_email("ada@example.com"));
  ASSERT_EQ(by_email.kind, Kind::kHit);
  ASSERT_TRUE(by_email.subscriber.has_value());
  EXPECT_EQ(*by_email.subscriber, ada);

  CacheLookup by_id = cache.lookup(LookupKey::by_id(ada.id));
  ASSERT_EQ(by_id.kind, Kind::kHit);
  ASSERT_TRUE(by_id.subscriber.has_value());
  EXPECT_EQ(*by_id.subscriber, ada);

  EXPECT_EQ(cache.size(), 1u);
  EXPECT_GT(cache.used_bytes(), 0u);
}

TEST(MemoryCache, EmptyNamesRoundTrip) {
  MemoryCache cache(options(1u << 20));
  Subscriber s;
  s.id = 1;
  s.email = "a@b.co";
  cache.remember(s);
  CacheLookup hit = cache.lookup(LookupKey::by_email("a@b.co"));
  ASSERT_EQ(hit.kind, Kind::kHit);
  EXPECT_EQ(*hit.subscriber, s);
}

TEST(MemoryCache, Miss) {
  MemoryCache cache(options(1u << 20));
  cache.remember(subscriber(1));
  CacheLookup miss = cache.lookup(LookupKey::by_email("nobody@example.com"));
  EXPECT_EQ(miss.kind, Kind::kMiss);
  EXPECT_FALSE(miss.subscriber.has_value());
  EXPECT_EQ(cache.lookup(LookupKey::by_id(42)).kind, Kind::kMiss);
  // Keys are exact: the cache is given lowercased e-mails.
  EXPECT_EQ(cache.lookup(LookupKey::by_email("USER00000001@EXAMPLE.COM")).kind, Kind::kMiss);
}

TEST(MemoryCache, EmptyCacheMisses) {
  MemoryCache cache(options(1u << 20));
  EXPECT_EQ(cache.lookup(LookupKey::by_id(0)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("")).kind, Kind::kMiss);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.used_bytes(), index_bytes(1u << 20));
}

TEST(MemoryCache, InsertOnlyFirstRecordStays) {
  MemoryCache cache(options(1u << 20));
  Subscriber first = subscriber(1);
  cache.remember(first);
  Subscriber same_email = first;
  same_email.id = 99;
  same_email.name = "Other";
  cache.remember(same_email);
  Subscriber same_id = subscriber(2);
  same_id.id = first.id;
  cache.remember(same_id);

  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(*cache.lookup(LookupKey::by_email(first.email)).subscriber, first);
  EXPECT_EQ(*cache.lookup(LookupKey::by_id(first.id)).subscriber, first);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(99)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_email(same_id.email)).kind, Kind::kMiss);
}

TEST(MemoryCache, FindIsTheCoroutineFormOfLookup) {
  MemoryCache cache(options(1u << 20));
  cache.remember(subscriber(3));
  // find() takes its key by reference and runs when the io_context runs it: the keys must
  // outlive the coroutines.
  const LookupKey present = LookupKey::by_email(subscriber(3).email);
  const LookupKey absent = LookupKey::by_id(4);
  boost::asio::io_context io;
  std::optional<CacheLookup> hit;
  std::optional<CacheLookup> miss;
  boost::asio::co_spawn(io, cache.find(present), [&](std::exception_ptr e, CacheLookup r) {
    if (e)
      std::rethrow_exception(e);
    hit = std::move(r);
  });
  boost::asio::co_spawn(io, cache.find(absent), [&](std::exception_ptr e, CacheLookup r) {
    if (e)
      std::rethrow_exception(e);
    miss = std::move(r);
  });
  io.run();
  ASSERT_TRUE(hit.has_value());
  EXPECT_EQ(hit->kind, Kind::kHit);
  ASSERT_TRUE(hit->subscriber.has_value());
  EXPECT_EQ(*hit->subscriber, subscriber(3));
  ASSERT_TRUE(miss.has_value());
  EXPECT_EQ(miss->kind, Kind::kMiss);
}

TEST(MemoryCache, HealthAndDescription) {
  MemoryCache cache(options(64u << 20));
  EXPECT_EQ(cache.describe(), "memory(64 MiB)");
  boost::asio::io_context io;
  bool healthy = false;
  boost::asio::co_spawn(io, cache.check_health(), [&](std::exception_ptr e, bool h) {
    if (e)
      std::rethrow_exception(e);
    healthy = h;
  });
  io.run();
  EXPECT_TRUE(healthy);
}

// --- capacity and eviction ------------------------------------------------------------------

TEST(MemoryCache, TheIndexSlotsAreChargedUpFront) {
  constexpr std::size_t kCapacity = 1u << 20;
  MemoryCache cache(options(kCapacity));
  EXPECT_EQ(cache.size(), 0u);
  // Two indexes of 8-byte slots, each holding three entries for every four slots.
  const std::size_t slots_per_index = cache.used_bytes() / 16;
  EXPECT_EQ(cache.used_bytes(), slots_per_index * 16);
  EXPECT_EQ(cache.max_entries(), slots_per_index * 3 / 4);
  EXPECT_GE(cache.used_bytes(), kCapacity / 8);
  EXPECT_LE(cache.used_bytes(), kCapacity / 4);
}

TEST(MemoryCache, UsedBytesGrowPerEntry) {
  const std::size_t cost = entry_cost();
  MemoryCache cache(options(1u << 20));
  const std::size_t slots = cache.used_bytes();
  for (std::uint64_t n = 0; n < 10; ++n)
    cache.remember(subscriber(n));
  EXPECT_EQ(cache.size(), 10u);
  EXPECT_EQ(cache.used_bytes(), slots + 10 * cost);
  // An entry's cost includes its text.
  EXPECT_GT(cost, subscriber(0).email.size() + subscriber(0).name.size() +
                      subscriber(0).last_name.size());
}

TEST(MemoryCache, CapacityIsRespectedAndEntriesAreEvicted) {
  const std::size_t cost = entry_cost();
  const std::size_t capacity = capacity_for(20);
  MemoryCache cache(options(capacity));
  const std::size_t slots = cache.used_bytes();
  for (std::uint64_t n = 0; n < 1000; ++n) {
    cache.remember(subscriber(n));
    ASSERT_LE(cache.used_bytes(), capacity) << "after " << n;
    ASSERT_TRUE(has(cache, subscriber(n))) << "the newest entry is always kept: " << n;
  }
  EXPECT_EQ(cache.size(), 20u);
  EXPECT_EQ(cache.used_bytes(), slots + 20 * cost);
  EXPECT_FALSE(has(cache, subscriber(0)));
  // An evicted entry is gone under both keys.
  EXPECT_EQ(cache.lookup(LookupKey::by_email(subscriber(0).email)).kind, Kind::kMiss);
}

// The value of the sample line `name` on a rendered metrics page, or -1 if it is not there.
long long sample_value(const std::string& page, const std::string& name) {
  const std::string prefix = "\n" + name + " ";
  const std::size_t at = page.find(prefix);
  if (at == std::string::npos)
    return -1;
  return std::stoll(page.substr(at + prefix.size()));
}

TEST(MemoryCache, PublishesItsSizeBudgetAndEvictions) {
  const std::size_t capacity = capacity_for(20);
  metrics::Registry registry;
  {
    MemoryCache cache(options(capacity));
    cache.publish_metrics(registry);
    std::string page = registry.render();
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_entries"), 0);
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_used_bytes"),
              static_cast<long long>(cache.used_bytes()));
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_capacity_bytes"),
              static_cast<long long>(capacity));
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_evictions_total"), 0);

    const std::size_t slots = cache.used_bytes();
    for (std::uint64_t n = 0; n < 25; ++n)
      cache.remember(subscriber(n));
    page = registry.render();
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_entries"), 20);
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_used_bytes"),
              static_cast<long long>(slots + 20 * entry_cost()));
    EXPECT_EQ(sample_value(page, "subscriberd_cache_memory_evictions_total"), 5);
    EXPECT_EQ(cache.evictions(), 5u);
  }
  // A cache that is gone leaves no series behind to read it.
  EXPECT_EQ(sample_value(registry.render(), "subscriberd_cache_memory_entries"), -1);
}

TEST(MemoryCache, TwoCachesCannotPublishToOnePage) {
  metrics::Registry registry;
  MemoryCache first(options(1u << 20));
  MemoryCache second(options(1u << 20));
  first.publish_metrics(registry);
  EXPECT_THROW(second.publish_metrics(registry), std::logic_error);
}

TEST(MemoryCache, EntryLargerThanTheWholeCacheIsNotStored) {
  const std::size_t cost = entry_cost();
  // One byte short of one entry: a budget this small has the fewest slots (16 an index) either
  // way, so taking half an entry off takes no slot off.
  MemoryCache cache(options(capacity_for(1) - cost / 2 - 1));
  const std::size_t slots = cache.used_bytes();
  cache.remember(subscriber(1));
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.used_bytes(), slots);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(subscriber(1).id)).kind, Kind::kMiss);
}

TEST(MemoryCache, BigEntryEvictsSeveralSmallOnes) {
  const std::size_t cost = entry_cost();
  const std::size_t capacity = capacity_for(4);
  MemoryCache cache(options(capacity));
  for (std::uint64_t n = 0; n < 4; ++n)
    cache.remember(subscriber(n));
  ASSERT_EQ(cache.size(), 4u);
  Subscriber big = subscriber(100);
  big.name = std::string(2 * cost, 'x');  // needs the room of three small entries
  cache.remember(big);
  EXPECT_TRUE(has(cache, big));
  EXPECT_LE(cache.used_bytes(), capacity);
  EXPECT_EQ(cache.size(), 2u);  // the big one and the newest small one
  EXPECT_TRUE(has(cache, subscriber(3)));
}

TEST(MemoryCache, ClockEvictsTheOldestUntouchedEntry) {
  MemoryCache cache(options(capacity_for(2)));
  const Subscriber a = subscriber(1), b = subscriber(2), c = subscriber(3);
  cache.remember(a);
  cache.remember(b);
  cache.remember(c);  // nobody was looked up: the first one in goes first
  EXPECT_FALSE(has(cache, a));
  EXPECT_TRUE(has(cache, b));
  EXPECT_TRUE(has(cache, c));
}

TEST(MemoryCache, ClockKeepsARecentlyLookedUpEntry) {
  MemoryCache cache(options(capacity_for(2)));
  const Subscriber a = subscriber(1), b = subscriber(2), c = subscriber(3);
  cache.remember(a);
  cache.remember(b);
  ASSERT_EQ(cache.lookup(LookupKey::by_email(a.email)).kind, Kind::kHit);  // a gets a second chance
  cache.remember(c);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(b.id)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(a.id)).kind, Kind::kHit);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(c.id)).kind, Kind::kHit);
}

TEST(MemoryCache, SecondChanceIsUsedUp) {
  MemoryCache cache(options(capacity_for(2)));
  const Subscriber a = subscriber(1), b = subscriber(2), c = subscriber(3), d = subscriber(4);
  cache.remember(a);
  cache.remember(b);
  ASSERT_EQ(cache.lookup(LookupKey::by_id(a.id)).kind, Kind::kHit);
  cache.remember(c);  // a loses its flag and stays; b goes
  cache.remember(d);  // a is now the oldest untouched entry
  EXPECT_EQ(cache.lookup(LookupKey::by_id(a.id)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(b.id)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(c.id)).kind, Kind::kHit);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(d.id)).kind, Kind::kHit);
}

TEST(MemoryCache, HotEntrySurvivesAStreamOfNewOnes) {
  const std::size_t capacity = capacity_for(8);
  MemoryCache cache(options(capacity));
  const Subscriber hot = subscriber(0);
  cache.remember(hot);
  for (std::uint64_t n = 1; n < 200; ++n) {
    ASSERT_EQ(cache.lookup(LookupKey::by_email(hot.email)).kind, Kind::kHit) << "before " << n;
    cache.remember(subscriber(n));
  }
  EXPECT_TRUE(has(cache, hot));
  EXPECT_LE(cache.used_bytes(), capacity);
}

TEST(MemoryCache, AfterEvictionsTheRestIsFoundByIdAndByEmail) {
  MemoryCache cache(options(capacity_for(50)));
  for (std::uint64_t n = 0; n < 500; ++n) {
    cache.remember(subscriber(n));
    if (n % 7 == 0)
      cache.lookup(LookupKey::by_email(subscriber(n / 2).email));  // some second chances
  }
  ASSERT_EQ(cache.size(), 50u);
  std::size_t found = 0;
  for (std::uint64_t n = 0; n < 500; ++n) {
    const Subscriber s = subscriber(n);
    const CacheLookup by_id = cache.lookup(LookupKey::by_id(s.id));
    const CacheLookup by_email = cache.lookup(LookupKey::by_email(s.email));
    ASSERT_EQ(by_id.kind, by_email.kind) << n;
    if (by_id.kind == Kind::kHit) {
      ++found;
      EXPECT_EQ(*by_id.subscriber, s);
      EXPECT_EQ(*by_email.subscriber, s);
    } else {
      EXPECT_EQ(by_id.kind, Kind::kMiss) << n;
    }
  }
  EXPECT_EQ(found, 50u);
  EXPECT_TRUE(has(cache, subscriber(499)));
}

TEST(MemoryCache, ManyEvictionsThroughASmallBudget) {
  const std::size_t cost = entry_cost();
  const std::size_t capacity = capacity_for(100);
  MemoryCache cache(options(capacity));
  const std::size_t slots = cache.used_bytes();
  for (std::uint64_t n = 0; n < 100'000; ++n) {
    cache.remember(subscriber(n));
    if (n % 3 == 0)
      cache.lookup(LookupKey::by_id(subscriber(n - n % 300).id));  // one warm entry at a time
    ASSERT_LE(cache.used_bytes(), capacity) << n;
    ASSERT_LE(cache.size(), 100u) << n;
  }
  EXPECT_EQ(cache.size(), 100u);
  EXPECT_EQ(cache.used_bytes(), slots + 100 * cost);
  // The newest entries are the last the hand reaches.
  for (std::uint64_t n = 100'000 - 50; n < 100'000; ++n) {
    const Subscriber s = subscriber(n);
    EXPECT_TRUE(has(cache, s)) << n;
    EXPECT_EQ(cache.lookup(LookupKey::by_email(s.email)).kind, Kind::kHit) << n;
  }
  EXPECT_FALSE(has(cache, subscriber(0)));
}

TEST(MemoryCache, EachEntryIsChargedItsTextAndTheSameOverhead) {
  // Long and short entries alike: what an entry adds to used_bytes() is its text plus one
  // fixed overhead (its header and the allocator's rounding), so long entries cannot take the
  // cache over its budget through charges that do not grow with them.
  constexpr std::size_t kCapacity = 256 * 1024;
  MemoryCache cache(options(kCapacity));
  std::optional<std::size_t> overhead;
  for (std::uint64_t n = 0; n < 40; ++n) {
    Subscriber s = subscriber(n);
    s.name = std::string(n * 97 % 3000, 'n');
    const std::size_t before = cache.used_bytes();
    cache.remember(s);
    ASSERT_EQ(cache.size(), n + 1) << "no eviction yet";
    const std::size_t text = s.email.size() + s.name.size() + s.last_name.size();
    const std::size_t charged = cache.used_bytes() - before;
    ASSERT_GT(charged, text) << n;
    if (!overhead)
      overhead = charged - text;
    EXPECT_EQ(charged - text, *overhead) << n;
  }
  for (std::uint64_t n = 40; n < 500; ++n) {
    Subscriber s = subscriber(n);
    s.name = std::string(1500 + n % 500, 'n');
    cache.remember(s);
    ASSERT_TRUE(has(cache, s)) << n;
    ASSERT_LE(cache.used_bytes(), kCapacity) << n;
  }
}

TEST(MemoryCache, VeryShortEntriesAreBoundedByTheIndexes) {
  constexpr std::size_t kCapacity = 4096;
  MemoryCache cache(options(kCapacity));
  const std::size_t slots = cache.used_bytes();
  auto tiny = [](std::uint64_t n) {
    Subscriber s;
    s.id = n + 1;
    s.email = "u" + std::to_string(n) + "@x.io";
    s.created_at_ms = 1'700'000'000'000;
    return s;
  };
  MemoryCache probe(options(kCapacity));
  probe.remember(tiny(0));
  const std::size_t tiny_cost = probe.used_bytes() - slots;
  ASSERT_LT(cache.max_entries(), (kCapacity - slots) / tiny_cost)
      << "the bytes left would hold more tiny entries than the indexes take";

  for (std::uint64_t n = 0; n < 1000; ++n) {
    cache.remember(tiny(n));
    ASSERT_LE(cache.size(), cache.max_entries()) << n;
    ASSERT_TRUE(has(cache, tiny(n))) << n;
  }
  EXPECT_EQ(cache.size(), cache.max_entries());
  EXPECT_LT(cache.used_bytes(), kCapacity);
  std::size_t found = 0;
  for (std::uint64_t n = 0; n < 1000; ++n) {
    const Subscriber s = tiny(n);
    const bool by_id = has(cache, s);
    ASSERT_EQ(by_id, cache.lookup(LookupKey::by_email(s.email)).kind == Kind::kHit) << n;
    found += by_id ? 1 : 0;
  }
  EXPECT_EQ(found, cache.max_entries());
}

TEST(MemoryCache, EntriesWithAlmostNoTextAreAllFound) {
  // The indexes are sized for a budget full of short entries; shorter ones fill them up to
  // their bound, three entries for every four slots. Many budgets, so that the index sizes
  // fall differently.
  for (std::size_t capacity = 2048; capacity < 64 * 1024; capacity += 997) {
    MemoryCache cache(options(capacity));
    Subscriber s;
    std::uint64_t count = 0;
    for (; cache.size() == count; ++count) {  // until the first eviction
      s.id = count;
      s.email = std::to_string(count);
      cache.remember(s);
    }
    for (std::uint64_t n = count - cache.size(); n < count; ++n) {
      ASSERT_EQ(cache.lookup(LookupKey::by_id(n)).kind, Kind::kHit) << capacity << " " << n;
      ASSERT_EQ(cache.lookup(LookupKey::by_email(std::to_string(n))).kind, Kind::kHit)
          << capacity << " " << n;
    }
  }
}

// --- negative entries -----------------------------------------------------------------------

TEST(MemoryCache, NegativeEntryAnswersAbsent) {
  MemoryCache cache(options(1u << 20));
  cache.remember_absent(LookupKey::by_email("ghost@example.com"));
  cache.remember_absent(LookupKey::by_id(404));
  CacheLookup absent = cache.lookup(LookupKey::by_email("ghost@example.com"));
  EXPECT_EQ(absent.kind, Kind::kAbsent);
  EXPECT_FALSE(absent.subscriber.has_value());
  EXPECT_EQ(cache.lookup(LookupKey::by_id(404)).kind, Kind::kAbsent);
  // E-mail and id keys do not mix, even when the text looks alike.
  EXPECT_EQ(cache.lookup(LookupKey::by_email("404")).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("other@example.com")).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(405)).kind, Kind::kMiss);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.used_bytes(), index_bytes(1u << 20)) << "negative entries are not charged";
}

TEST(MemoryCache, NegativeEntriesExpire) {
  MemoryCache cache(options(1u << 20, 20ms));
  cache.remember_absent(LookupKey::by_email("ghost@example.com"));
  std::this_thread::sleep_for(60ms);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("ghost@example.com")).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("ghost@example.com")).kind, Kind::kMiss);
}

TEST(MemoryCache, ZeroTtlDisablesNegativeEntries) {
  MemoryCache cache(options(1u << 20, 0ms));
  cache.remember_absent(LookupKey::by_email("ghost@example.com"));
  EXPECT_EQ(cache.lookup(LookupKey::by_email("ghost@example.com")).kind, Kind::kMiss);
}

TEST(MemoryCache, RememberOverridesANegativeEntry) {
  MemoryCache cache(options(1u << 20));
  const Subscriber s = subscriber(5);
  cache.remember_absent(LookupKey::by_email(s.email));
  cache.remember_absent(LookupKey::by_id(s.id));
  ASSERT_EQ(cache.lookup(LookupKey::by_email(s.email)).kind, Kind::kAbsent);
  cache.remember(s);
  CacheLookup by_email = cache.lookup(LookupKey::by_email(s.email));
  ASSERT_EQ(by_email.kind, Kind::kHit);
  EXPECT_EQ(*by_email.subscriber, s);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(s.id)).kind, Kind::kHit);
}

TEST(MemoryCache, NegativeEntryIsGoneOnceTheSubscriberIsEvicted) {
  // remember() clears the negative entries of the subscriber, so after its eviction the cache
  // says "ask the store" rather than "absent".
  MemoryCache cache(options(capacity_for(1)));
  const Subscriber s = subscriber(5);
  cache.remember_absent(LookupKey::by_email(s.email));
  cache.remember_absent(LookupKey::by_id(s.id));
  cache.remember(s);
  cache.remember(subscriber(6));  // evicts s
  ASSERT_FALSE(has(cache, s));
  EXPECT_EQ(cache.lookup(LookupKey::by_email(s.email)).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(s.id)).kind, Kind::kMiss);
}

TEST(MemoryCache, NegativeEntriesAreBounded) {
  MemoryCache::Options o = options(1u << 20);
  o.max_negative_entries = 3;
  MemoryCache cache(o);
  for (std::uint64_t id = 1; id <= 3; ++id)
    cache.remember_absent(LookupKey::by_id(id));
  for (std::uint64_t id = 1; id <= 3; ++id) {
    EXPECT_EQ(cache.lookup(LookupKey::by_id(id)).kind, Kind::kAbsent) << id;
  }
  cache.remember_absent(LookupKey::by_id(4));  // full: the set starts over
  EXPECT_EQ(cache.lookup(LookupKey::by_id(4)).kind, Kind::kAbsent);
  std::size_t still_absent = 0;
  for (std::uint64_t id = 1; id <= 3; ++id) {
    if (cache.lookup(LookupKey::by_id(id)).kind == Kind::kAbsent)
      ++still_absent;
  }
  EXPECT_LT(still_absent, 3u);
}

TEST(MemoryCache, NegativeEntriesOfBothKindsShareTheBound) {
  MemoryCache::Options o = options(1u << 20);
  o.max_negative_entries = 3;
  MemoryCache cache(o);
  cache.remember_absent(LookupKey::by_email("a@example.com"));
  cache.remember_absent(LookupKey::by_email("b@example.com"));
  cache.remember_absent(LookupKey::by_id(1));
  cache.remember_absent(LookupKey::by_id(2));  // the fourth: the set starts over
  EXPECT_EQ(cache.lookup(LookupKey::by_id(2)).kind, Kind::kAbsent);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("a@example.com")).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_email("b@example.com")).kind, Kind::kMiss);
  EXPECT_EQ(cache.lookup(LookupKey::by_id(1)).kind, Kind::kMiss);
}

// --- threads ------------------------------------------------------------------------------

TEST(MemoryCache, ConcurrentLookupsAndRemembersAreSafe) {
  const std::size_t cost = entry_cost();
  const std::size_t capacity = capacity_for(64);  // small: eviction runs all the time
  MemoryCache cache(options(capacity, 1ms));
  const std::size_t slots = cache.used_bytes();
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 3000;
  std::atomic<bool> mismatch{false};
  std::atomic<std::uint64_t> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::uint64_t base = static_cast<std::uint64_t>(t) * kPerThread;
      for (std::uint64_t i = 0; i < kPerThread; ++i) {
        const Subscriber mine = subscriber(base + i);
        cache.remember(mine);
        // Look up our own recent entries and the other threads' by both keys.
        for (std::uint64_t back : {0u, 1u, 7u}) {
          if (i < back)
            continue;
          const Subscriber expected = subscriber(base + i - back);
          CacheLookup by_email = cache.lookup(LookupKey::by_email(expected.email));
          if (by_email.kind == Kind::kHit) {
            hits.fetch_add(1, std::memory_order_relaxed);
            if (*by_email.subscriber != expected)
              mismatch = true;
          }
          CacheLookup by_id = cache.lookup(LookupKey::by_id(expected.id));
          if (by_id.kind == Kind::kHit && *by_id.subscriber != expected)
            mismatch = true;
        }
        const Subscriber other = subscriber(((base + i) * 7919) % (kThreads * kPerThread));
        CacheLookup theirs = cache.lookup(LookupKey::by_id(other.id));
        if (theirs.kind == Kind::kHit && *theirs.subscriber != other)
          mismatch = true;
        if (theirs.kind == Kind::kAbsent)
          mismatch = true;  // never remembered as absent
        if (i % 16 == 0)
          cache.remember_absent(LookupKey::by_email("ghost" + std::to_string(i)));
        if (cache.used_bytes() > capacity)
          mismatch = true;
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_FALSE(mismatch.load());
  EXPECT_GT(hits.load(), 0u);
  EXPECT_LE(cache.used_bytes(), capacity);
  EXPECT_LE(cache.size(), 64u);
  EXPECT_EQ(cache.used_bytes(), slots + cache.size() * cost);
}

}  // namespace
}  // namespace subscriberd::cache
