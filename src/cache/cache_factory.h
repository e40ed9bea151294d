#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "cache/subscriber_cache.h"
#include "metrics/metrics.h"

namespace subscriberd::cache {

struct CacheSettings {
  std::string url;  // memory | none | redis://HOST:PORT[/DB][?options] (redis/redis_url.h)
  std::size_t memory_bytes = 256u << 20;  // the memory cache, or the tier in front of Redis
  std::chrono::milliseconds negative_ttl{5000};
};

// Throws store::ConfigError-like std::runtime_error for an unknown URL.
std::unique_ptr<SubscriberCache> open_cache(const CacheSettings& settings,
                                            metrics::Registry& metrics);

}  // namespace subscriberd::cache
