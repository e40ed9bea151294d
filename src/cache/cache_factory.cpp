#include "cache/cache_factory.h"

#include <stdexcept>

#include "cache/memory_cache.h"
#include "cache/null_cache.h"

namespace subscriberd::cache {

std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings, metrics::Registry&) {
  if (settings.url == "memory") {
    return std::make_unique<MemoryCache>(
        MemoryCache::Options{settings.memory_bytes, settings.negative_ttl, 100'000});
  }
  if (settings.url == "none") return std::make_unique<NullCache>();
  throw std::runtime_error("unsupported cache URL '" + settings.url + "' (expected memory or none)");
}

}  // namespace subscriberd::cache
