#include "cache/cache_factory.h"

#include <stdexcept>

#include "cache/memory_cache.h"
#include "cache/null_cache.h"
#include "cache/redis/redis_cache.h"

namespace subscriberd::cache {

std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings, metrics::Registry& metrics) {
  if (settings.url == "memory") {
    return std::make_unique<MemoryCache>(
        MemoryCache::Options{settings.memory_bytes, settings.negative_ttl, 100'000});
  }
  if (settings.url == "none")
    return std::make_unique<NullCache>();
  if (settings.url.starts_with("redis://")) {
    return std::make_unique<redis::RedisCache>(
        redis::RedisCache::Options{redis::parse_redis_url(settings.url), settings.negative_ttl},
        metrics);
  }
  throw std::runtime_error("unsupported cache URL '" + settings.url +
                           "' (expected memory, none or redis://HOST:PORT[/DB])");
}

}  // namespace subscriberd::cache
