#include "cache/redis/redis_url.h"

#include <chrono>
#include <deque>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "cache/cache_factory.h"
#include "metrics/metrics.h"

namespace subscriberd::cache::redis {
namespace {

TEST(RedisUrl, HostPortAndDefaults) {
  RedisUrl url = parse_redis_url("redis://127.0.0.1:6380");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 6380);
  EXPECT_EQ(url.db, 0u);
  EXPECT_EQ(url.timeout, std::chrono::milliseconds(100));
  EXPECT_EQ(url.max_backoff, std::chrono::milliseconds(2000));
  EXPECT_FALSE(url.local_mb.has_value());  // the factory then uses the in-process budget
  EXPECT_EQ(url.describe(), "redis://127.0.0.1:6380/0");

  url = parse_redis_url("redis://cache.internal");
  EXPECT_EQ(url.host, "cache.internal");
  EXPECT_EQ(url.port, 6379);
  EXPECT_EQ(url.describe(), "redis://cache.internal:6379/0");

  EXPECT_EQ(parse_redis_url("redis://h:1/").db, 0u);
  EXPECT_EQ(parse_redis_url("REDIS://h:1/").host, "h");
}

TEST(RedisUrl, Database) {
  RedisUrl url = parse_redis_url("redis://localhost:6379/3");
  EXPECT_EQ(url.db, 3u);
  EXPECT_EQ(url.describe(), "redis://localhost:6379/3");
}

TEST(RedisUrl, Ipv6InBrackets) {
  RedisUrl url = parse_redis_url("redis://[::1]:7000/1");
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 7000);
  EXPECT_EQ(url.db, 1u);
  EXPECT_EQ(url.describe(), "redis://[::1]:7000/1");
  EXPECT_EQ(parse_redis_url("redis://[::1]").port, 6379);
}

TEST(RedisUrl, Options) {
  RedisUrl url = parse_redis_url("redis://h:1/2?timeout_ms=50&max_backoff_ms=1000&local_mb=8");
  EXPECT_EQ(url.timeout, std::chrono::milliseconds(50));
  EXPECT_EQ(url.max_backoff, std::chrono::milliseconds(1000));
  EXPECT_EQ(url.local_mb, 8u);
  EXPECT_EQ(parse_redis_url("redis://h?local_mb=0").local_mb, 0u);
  EXPECT_EQ(url.db, 2u);
  EXPECT_EQ(url.describe(), "redis://h:1/2");  // options are not part of the name
  EXPECT_EQ(parse_redis_url("redis://h?timeout_ms=7").timeout, std::chrono::milliseconds(7));
  EXPECT_TRUE(url.batched_inserts);
  EXPECT_FALSE(parse_redis_url("redis://h?batched_inserts=0").batched_inserts);
  EXPECT_TRUE(parse_redis_url("redis://h?batched_inserts=1").batched_inserts);
}

TEST(RedisUrl, RejectsWhatItCannotUse) {
  for (const char* bad : {
           "",
           "http://h:1",
           "redis:/h",
           "redis://",
           "redis://:6379",
           "redis://h:",
           "redis://h:0",
           "redis://h:65536",
           "redis://h:63x",
           "redis://h/x",
           "redis://h/-1",
           "redis://h/01",
           "redis://user:secret@h:6379",
           "redis://:secret@h",
           "redis://::1:6379",
           "redis://[::1",
           "redis://[::1]x",
           "redis://[]:1",
           "redis://h?timeout_ms=0",
           "redis://h?timeout_ms=",
           "redis://h?timeout_ms",
           "redis://h?timeout_ms=1e3",
           "redis://h?bogus=1",
           "redis://h?local_mb=65537",
       }) {
    EXPECT_THROW(parse_redis_url(bad), UrlError) << bad;
  }
}

TEST(CacheFactory, OpensRedisWithoutConnecting) {
  metrics::Registry metrics;
  auto cache = open_cache(
      {"redis://127.0.0.1:1/4?timeout_ms=20&local_mb=0", 1 << 20, std::chrono::milliseconds(5000)},
      metrics);
  ASSERT_NE(cache, nullptr);
  EXPECT_EQ(cache->describe(), "redis://127.0.0.1:1/4");
  EXPECT_EQ(metrics.cache_errors.value(), 0u);
}

TEST(CacheFactory, PutsALocalTierInFrontUnlessTurnedOff) {
  metrics::Registry metrics;
  EXPECT_EQ(open_cache({"redis://127.0.0.1:1", 32 << 20, std::chrono::milliseconds(5000)}, metrics)
                ->describe(),
            "redis://127.0.0.1:1/0 + memory(32 MiB)");
  EXPECT_EQ(
      open_cache({"redis://127.0.0.1:1?local_mb=0", 32 << 20, std::chrono::milliseconds(5000)},
                 metrics)
          ->describe(),
      "redis://127.0.0.1:1/0");
  EXPECT_EQ(open_cache({"redis://127.0.0.1:1?local_mb=8", 1 << 20, std::chrono::milliseconds(5000)},
                       metrics)
                ->describe(),
            "redis://127.0.0.1:1/0 + memory(8 MiB)");
}

TEST(CacheFactory, TheInProcessCachePublishesItsSeries) {
  metrics::Registry metrics;
  const auto publishes = [&metrics](const std::string& url) {
    auto cache = open_cache({url, 8 << 20, std::chrono::milliseconds(5000)}, metrics);
    return metrics.render().find("\nsubscriberd_cache_memory_capacity_bytes 8388608\n") !=
           std::string::npos;
  };
  EXPECT_TRUE(publishes("memory"));
  EXPECT_TRUE(publishes("redis://127.0.0.1:1"));
  EXPECT_FALSE(publishes("redis://127.0.0.1:1?local_mb=0"));
  EXPECT_FALSE(publishes("none"));
}

TEST(CacheFactory, StoreWritersTakeTheSharedTierUnlessTheUrlSaysOtherwise) {
  std::deque<metrics::Registry> registries;  // one each: an in-process tier publishes its series
  const auto open = [&registries](const std::string& url, bool writers_can) {
    return open_caches({url, 8 << 20, std::chrono::milliseconds(5000), writers_can},
                       registries.emplace_back());
  };
  // Taken: POSTs use the tier in front of Redis alone, or no cache without one.
  Caches taken = open("redis://127.0.0.1:1", true);
  EXPECT_TRUE(taken.stored_rows);
  EXPECT_EQ(taken.inserts->describe(), "memory(8 MiB)");
  EXPECT_EQ(taken.lookups->describe(), "redis://127.0.0.1:1/0 + memory(8 MiB)");
  Caches no_tier = open("redis://127.0.0.1:1?local_mb=0", true);
  EXPECT_TRUE(no_tier.stored_rows);
  EXPECT_EQ(no_tier.inserts->describe(), "none");
  // Not taken: POSTs use what GETs use.
  for (const auto& [url, writers_can] :
       {std::pair{"redis://127.0.0.1:1?batched_inserts=0", true},
        std::pair{"redis://127.0.0.1:1", false}, std::pair{"memory", true}}) {
    const Caches caches = open(url, writers_can);
    EXPECT_FALSE(caches.stored_rows) << url;
    EXPECT_EQ(caches.inserts, caches.lookups.get()) << url;
  }
}

TEST(CacheFactory, RejectsBadRedisUrl) {
  metrics::Registry metrics;
  EXPECT_THROW(open_cache({"redis://h:1/x", 1 << 20, std::chrono::milliseconds(0)}, metrics),
               std::runtime_error);
  EXPECT_THROW(
      open_cache({"redis://no-such-host.invalid:6379", 1 << 20, std::chrono::milliseconds(0)},
                 metrics),
      std::runtime_error);
}

}  // namespace
}  // namespace subscriberd::cache::redis
