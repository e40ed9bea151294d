#include "cache/cache_factory.h"

#include <stdexcept>

#include "cache/memory_cache.h"
#include "cache/null_cache.h"
#include "cache/redis/redis_cache.h"
#include "cache/tiered_cache.h"

namespace subscriberd::cache {

namespace {

Caches with_inserts_as_lookups(std::unique_ptr<SubscriberCache> lookups) {
  Caches caches;
  caches.lookups = std::move(lookups);
  caches.inserts = caches.lookups.get();
  return caches;
}

Caches open_redis(const CacheSettings& settings, metrics::Registry& metrics) {
  redis::RedisUrl url = redis::parse_redis_url(settings.url);
  // Rows never change, so a tier in this process is always right for them and spares a Redis
  // round trip per hit; it gets the in-process budget unless the URL sizes it (0: off).
  const std::size_t local_bytes = url.local_mb ? *url.local_mb << 20 : settings.memory_bytes;
  const bool batched = settings.store_writers_take_shared_tier && url.batched_inserts;
  auto shared = std::make_unique<redis::RedisCache>(
      redis::RedisCache::Options{url, settings.negative_ttl}, metrics);

  Caches caches;
  if (batched)
    caches.stored_rows = shared->for_store_writers();
  if (local_bytes == 0) {
    caches.lookups = std::move(shared);
    if (batched) {
      caches.no_tier = std::make_unique<NullCache>();
      caches.inserts = caches.no_tier.get();
    } else {
      caches.inserts = caches.lookups.get();
    }
    return caches;
  }
  auto local = std::make_unique<MemoryCache>(
      MemoryCache::Options{local_bytes, settings.negative_ttl, 10'000});
  local->publish_metrics(metrics);
  MemoryCache* near = local.get();
  caches.lookups = std::make_unique<TieredCache>(std::move(local), std::move(shared));
  caches.inserts = batched ? static_cast<SubscriberCache*>(near) : caches.lookups.get();
  return caches;
}

}  // namespace

Caches open_caches(const CacheSettings& settings, metrics::Registry& metrics) {
  if (settings.url == "memory") {
    auto memory = std::make_unique<MemoryCache>(
        MemoryCache::Options{settings.memory_bytes, settings.negative_ttl, 100'000});
    memory->publish_metrics(metrics);
    return with_inserts_as_lookups(std::move(memory));
  }
  if (settings.url == "none")
    return with_inserts_as_lookups(std::make_unique<NullCache>());
  if (settings.url.starts_with("redis://"))
    return open_redis(settings, metrics);
  throw std::runtime_error("unsupported cache URL '" + settings.url +
                           "' (expected memory, none or redis://HOST:PORT[/DB])");
}

std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings,
                                            metrics::Registry& metrics) {
  CacheSettings lookups_only = settings;
  lookups_only.store_writers_take_shared_tier = false;
  return std::move(open_caches(lookups_only, metrics).lookups);
}

}  // namespace subscriberd::cache
