#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cache/subscriber_cache.h"
#include "metrics/metrics.h"
#include "store/stored_row_cache.h"

namespace subscriberd::cache {

struct CacheSettings {
  std::string url;  // memory | none | redis://HOST:PORT[/DB][?options] (redis/redis_url.h)
  std::size_t memory_bytes = 256u << 20;  // the memory cache, or the tier in front of Redis
  std::chrono::milliseconds negative_ttl{5000};
  // Whether the store's writers can consult and fill a shared cache a batch at a time (the
  // MySQL store's can). With Redis, unless its URL says batched_inserts=0, they then do.
  bool store_writers_take_shared_tier = false;
};

// The caches of one instance, and who uses which.
struct Caches {
  // What look-ups (GET) consult and fill.
  std::unique_ptr<SubscriberCache> lookups;
  // What a POST consults before its insert and fills after it: `lookups` itself, or, when the
  // store's writers take the shared tier, the in-process tier in front of it (owned by
  // `lookups`) or, with none, `no_tier`.
  SubscriberCache* inserts = nullptr;
  std::unique_ptr<SubscriberCache> no_tier;
  // For the store's writers when they take the shared tier; empty otherwise.
  store::StoredRowCacheFactory stored_rows;
};

// Throws std::runtime_error for a URL it does not understand.
Caches open_caches(const CacheSettings& settings, metrics::Registry& metrics);

// The look-up cache alone, as if no store writer took the shared tier.
std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings,
                                            metrics::Registry& metrics);

}  // namespace subscriberd::cache
