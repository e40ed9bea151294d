#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "cache/redis/redis_connection.h"
#include "cache/redis/redis_url.h"
#include "cache/subscriber_cache.h"
#include "metrics/metrics.h"
#include "store/stored_row_cache.h"

// `--cache redis://...`: the subscriber cache shared by every instance, in Redis.
//
// Write-through on insert (remember), read-through on a store read (remember), and short-lived
// negative entries for look-ups the store could not answer (remember_absent). A look-up is one
// round trip (MGET of the positive and the negative key), a write one command (MSET of the
// entries by e-mail and by id, or SET ... PX for a negative entry). Keys and value format:
// subscriber_codec.h.
//
// Each event loop has its own connection, made lazily on the loop's thread by the first call
// there (util::this_thread_loop()). Calls must come from a loop thread: find() and
// check_health() from a coroutine on that loop, remember() and remember_absent() from code
// running on it. Redis being slow, down or returning garbage never fails a call: find() answers
// kMiss, writes are dropped, and metrics.cache_errors counts each such call.
namespace subscriberd::cache::redis {

class RedisCache final : public SubscriberCache {
 public:
  struct Options {
    RedisUrl url;
    std::chrono::milliseconds negative_ttl{5000};  // 0: no negative entries
  };

  // Resolves a host name once, here (throws UrlError when it cannot); connects later, lazily.
  RedisCache(Options options, metrics::Registry& metrics);
  ~RedisCache() override;
  RedisCache(const RedisCache&) = delete;
  RedisCache& operator=(const RedisCache&) = delete;

  boost::asio::awaitable<CacheLookup> find(domain::LookupKey key) override;
  void remember(const domain::Subscriber& subscriber) override;
  void remember_absent(const domain::LookupKey& key) override;
  // PING on this loop's connection, bounded by the timeout; false while Redis is unreachable.
  boost::asio::awaitable<bool> check_health() override;
  std::string describe() const override;

  // Makes, for each store writer, a RedisBatchCache on a connection of its own to the same
  // server, with the same timeout and backoff, counting its errors in the same metrics.
  store::StoredRowCacheFactory for_store_writers() const;

  // This loop's connection, or nullptr off a loop thread. For tests.
  Connection* connection_here();

 private:
  const std::uint64_t id_;  // never reused: keys this cache's connections in each loop
  const Options options_;
  Connection::Options connection_options_;
  metrics::Registry& metrics_;

  std::mutex loops_mutex_;
  struct LoopConnection {
    boost::asio::io_context* loop;
    std::weak_ptr<Connection> connection;
  };
  std::vector<LoopConnection> loops_;  // to close our connections on loops that outlive us
};

}  // namespace subscriberd::cache::redis
