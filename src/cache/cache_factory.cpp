#include "cache/cache_factory.h"

#include <stdexcept>

#include "cache/memory_cache.h"
#include "cache/null_cache.h"
#include "cache/redis/redis_cache.h"
#include "cache/tiered_cache.h"

namespace subscriberd::cache {

std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings,
                                            metrics::Registry& metrics) {
  if (settings.url == "memory") {
    auto memory = std::make_unique<MemoryCache>(
        MemoryCache::Options{settings.memory_bytes, settings.negative_ttl, 100'000});
    memory->publish_metrics(metrics);
    return memory;
  }
  if (settings.url == "none")
    return std::make_unique<NullCache>();
  if (settings.url.starts_with("redis://")) {
    redis::RedisUrl url = redis::parse_redis_url(settings.url);
    // Rows never change, so a tier in this process is always right for them and spares a Redis
    // round trip per hit; it gets the in-process budget unless the URL sizes it (0: off).
    const std::size_t local_bytes = url.local_mb ? *url.local_mb << 20 : settings.memory_bytes;
    auto shared = std::make_unique<redis::RedisCache>(
        redis::RedisCache::Options{url, settings.negative_ttl}, metrics);
    if (local_bytes == 0)
      return shared;
    auto local = std::make_unique<MemoryCache>(
        MemoryCache::Options{local_bytes, settings.negative_ttl, 10'000});
    local->publish_metrics(metrics);
    return std::make_unique<TieredCache>(std::move(local), std::move(shared));
  }
  throw std::runtime_error("unsupported cache URL '" + settings.url +
                           "' (expected memory, none or redis://HOST:PORT[/DB])");
}

}  // namespace subscriberd::cache
