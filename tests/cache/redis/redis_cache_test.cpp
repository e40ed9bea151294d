// The Redis cache against a real server: SUBSCRIBERD_TEST_REDIS_URL (the test command sets it).
// Outage and slowness tests start a private redis-server of their own, so the shared one keeps
// serving other suites.
#include "cache/redis/redis_cache.h"

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <netinet/in.h>
#include <optional>
#include <random>
#include <signal.h>
#include <string>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include "cache/redis/subscriber_codec.h"
#include "metrics/metrics.h"
#include "redis_test_support.h"
#include "util/event_loop.h"

namespace subscriberd::cache::redis {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

using namespace test_support;

class RedisCacheTest : public SharedRedisTest {
 protected:
  // Timeouts have tests of their own (RedisOutageTest); here a loaded machine's hiccup must not
  // turn into a dropped connection.
  std::unique_ptr<RedisCache> make_cache(std::chrono::milliseconds negative_ttl = 5000ms) {
    RedisUrl url = *shared_url();
    url.timeout = std::max<std::chrono::milliseconds>(url.timeout, 2000ms);
    return std::make_unique<RedisCache>(RedisCache::Options{url, negative_ttl}, metrics_);
  }

  CacheLookup find(SubscriberCache& cache, domain::LookupKey key) {
    return loop_.await(find_in(cache, std::move(key)));
  }

  metrics::Registry metrics_;
  LoopThread loop_;  // stopped (last member) before the caches the tests made are destroyed
};

TEST_F(RedisCacheTest, RemembersAndFindsByEmailAndById) {
  auto cache = make_cache();
  const domain::Subscriber s = make_subscriber("roundtrip");
  loop_.run([&] { cache->remember(s); });

  CacheLookup by_email = find(*cache, domain::LookupKey::by_email(s.email));
  ASSERT_EQ(by_email.kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(*by_email.subscriber, s);

  CacheLookup by_id = find(*cache, domain::LookupKey::by_id(s.id));
  ASSERT_EQ(by_id.kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(*by_id.subscriber, s);
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);

  // What other instances see: both entries, no TTL.
  EXPECT_EQ(decode_subscriber(admin_->command({"GET", email_key(s.email)})), s);
  EXPECT_EQ(decode_subscriber(admin_->command({"GET", id_key(s.id)})), s);
  EXPECT_EQ(admin_->command({"PTTL", email_key(s.email)}), "-1");
  EXPECT_EQ(admin_->command({"PTTL", id_key(s.id)}), "-1");
}

TEST_F(RedisCacheTest, UnknownKeysMiss) {
  auto cache = make_cache();
  const domain::Subscriber s = make_subscriber("unknown");
  EXPECT_EQ(find(*cache, domain::LookupKey::by_email(s.email)).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(find(*cache, domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

TEST_F(RedisCacheTest, NegativeEntriesAnswerAbsentUntilTheyExpire) {
  auto cache = make_cache(300ms);
  const domain::Subscriber s = make_subscriber("negative");
  const auto by_email = domain::LookupKey::by_email(s.email);
  const auto by_id = domain::LookupKey::by_id(s.id);
  loop_.run([&] {
    cache->remember_absent(by_email);
    cache->remember_absent(by_id);
  });

  EXPECT_EQ(find(*cache, by_email).kind, CacheLookup::Kind::kAbsent);
  EXPECT_EQ(find(*cache, by_id).kind, CacheLookup::Kind::kAbsent);
  const long ttl = std::stol(admin_->command({"PTTL", negative_key(by_email)}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 300);

  std::this_thread::sleep_for(450ms);
  EXPECT_EQ(find(*cache, by_email).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(find(*cache, by_id).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

TEST_F(RedisCacheTest, NoNegativeEntriesWhenTheTtlIsZero) {
  auto cache = make_cache(0ms);
  const auto key = domain::LookupKey::by_email(make_subscriber("nonegative").email);
  loop_.run([&] { cache->remember_absent(key); });
  EXPECT_EQ(find(*cache, key).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(admin_->command({"EXISTS", negative_key(key)}), "0");
}

TEST_F(RedisCacheTest, RememberAfterRememberAbsentWins) {
  auto cache = make_cache();
  const domain::Subscriber s = make_subscriber("absentthenstored");
  loop_.run([&] {
    cache->remember_absent(domain::LookupKey::by_email(s.email));
    cache->remember_absent(domain::LookupKey::by_id(s.id));
    cache->remember(s);
  });
  CacheLookup by_email = find(*cache, domain::LookupKey::by_email(s.email));
  ASSERT_EQ(by_email.kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(*by_email.subscriber, s);
  EXPECT_EQ(find(*cache, domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kHit);
  // The negative entry is still there: the positive one takes precedence over it.
  EXPECT_EQ(admin_->command({"EXISTS", negative_key(domain::LookupKey::by_email(s.email))}), "1");
}

TEST_F(RedisCacheTest, CorruptValueIsAMissAndAnError) {
  auto cache = make_cache();
  const domain::Subscriber s = make_subscriber("corrupt");
  const auto key = domain::LookupKey::by_email(s.email);

  ASSERT_EQ(admin_->command({"SET", email_key(s.email), "\x01garbage"}), "OK");
  EXPECT_EQ(find(*cache, key).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(metrics_.cache_errors.value(), 1u);

  // A well-formed value of another subscriber under this key is just as wrong.
  domain::Subscriber other = make_subscriber("someoneelse");
  ASSERT_EQ(admin_->command({"SET", email_key(s.email), encode_subscriber(other)}), "OK");
  EXPECT_EQ(find(*cache, key).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(metrics_.cache_errors.value(), 2u);

  // A key of another type: MGET answers nil for it, so it is a plain miss.
  ASSERT_EQ(admin_->command({"HSET", id_key(s.id), "f", "v"}), "1");
  EXPECT_EQ(find(*cache, domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(metrics_.cache_errors.value(), 2u);

  // The refill after the store read repairs both entries (MSET replaces any type).
  loop_.run([&] { cache->remember(s); });
  EXPECT_EQ(find(*cache, key).kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(find(*cache, domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(metrics_.cache_errors.value(), 2u);
}

TEST_F(RedisCacheTest, EvictedKeyIsAMissAgain) {
  auto cache = make_cache();
  const domain::Subscriber s = make_subscriber("evicted");
  loop_.run([&] { cache->remember(s); });
  ASSERT_EQ(find(*cache, domain::LookupKey::by_email(s.email)).kind, CacheLookup::Kind::kHit);
  ASSERT_EQ(admin_->command({"DEL", email_key(s.email)}), "1");
  EXPECT_EQ(find(*cache, domain::LookupKey::by_email(s.email)).kind, CacheLookup::Kind::kMiss);
  EXPECT_EQ(find(*cache, domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kHit);
}

TEST_F(RedisCacheTest, NothingIsWrittenWhenTheDatabaseCannotBeSelected) {
  // Commands sent while connecting wait for the SELECT: pipelined behind it, they would run
  // in database 0 when the server has no such database.
  RedisUrl url = *shared_url();
  url.db = 4000;  // beyond any server's `databases`
  url.timeout = std::max<std::chrono::milliseconds>(url.timeout, 2000ms);
  RedisCache cache({url, 5000ms}, metrics_);
  const domain::Subscriber s = make_subscriber("no-such-db");
  loop_.run([&] { cache.remember(s); });  // the first command: it starts connecting
  EXPECT_EQ(find(cache, domain::LookupKey::by_email(s.email)).kind, CacheLookup::Kind::kMiss);
  EXPECT_FALSE(loop_.await(health_of(cache)));
  EXPECT_GE(metrics_.cache_errors.value(), 1u);

  Admin db0(url.host, url.port, 0);
  ASSERT_TRUE(db0.ok()) << db0.error();
  EXPECT_EQ(db0.command({"EXISTS", email_key(s.email)}), "0");
  EXPECT_EQ(db0.command({"EXISTS", id_key(s.id)}), "0");
}

TEST_F(RedisCacheTest, HealthAndDescription) {
  auto cache = make_cache();
  EXPECT_TRUE(loop_.await(health_of(*cache)));
  EXPECT_EQ(cache->describe(), shared_url()->describe());
}

TEST_F(RedisCacheTest, ManyConcurrentFindsArePipelined) {
  auto cache = make_cache();
  std::vector<domain::Subscriber> subscribers;
  for (int i = 0; i < 200; ++i)
    subscribers.push_back(make_subscriber("pipelined" + std::to_string(i)));
  loop_.run([&] {
    for (const auto& s : subscribers)
      cache->remember(s);
  });

  std::atomic<int> hits{0};
  std::promise<void> all_done;
  std::atomic<int> remaining{static_cast<int>(subscribers.size())};
  loop_.run([&] {
    for (const auto& s : subscribers) {
      asio::co_spawn(loop_.context(), find_in(*cache, domain::LookupKey::by_id(s.id)),
                     [&, expected = s](std::exception_ptr, CacheLookup found) {
                       if (found.kind == CacheLookup::Kind::kHit && *found.subscriber == expected) {
                         hits.fetch_add(1);
                       }
                       if (remaining.fetch_sub(1) == 1)
                         all_done.set_value();
                     });
    }
  });
  ASSERT_EQ(all_done.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_EQ(hits.load(), static_cast<int>(subscribers.size()));
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

TEST_F(RedisCacheTest, EachLoopHasItsOwnConnection) {
  auto cache = make_cache();
  LoopThread other;
  Connection* here = nullptr;
  Connection* there = nullptr;
  loop_.run([&] { here = cache->connection_here(); });
  other.run([&] { there = cache->connection_here(); });
  ASSERT_NE(here, nullptr);
  ASSERT_NE(there, nullptr);
  EXPECT_NE(here, there);
  Connection* again = nullptr;
  loop_.run([&] { again = cache->connection_here(); });
  EXPECT_EQ(again, here);

  // Written through one loop, read through the other: one shared Redis.
  const domain::Subscriber s = make_subscriber("twoloops");
  loop_.run([&] { cache->remember(s); });
  // The write is pipelined on the first loop's connection; wait until Redis has it.
  const auto deadline = Clock::now() + 2s;
  while (admin_->command({"EXISTS", id_key(s.id)}) != "1" && Clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  CacheLookup found = other.await(find_in(*cache, domain::LookupKey::by_id(s.id)));
  ASSERT_EQ(found.kind, CacheLookup::Kind::kHit);
  EXPECT_EQ(*found.subscriber, s);
  other.stop();
}

TEST_F(RedisCacheTest, CallsOffTheLoopAreSkippedAndCounted) {
  auto cache = make_cache();
  cache->remember(make_subscriber("offloop"));  // this thread runs no loop
  EXPECT_EQ(metrics_.cache_errors.value(), 1u);
}

// Throughput of find() on one loop, against the shared server. Not run by default:
//   redis_cache_tests --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
asio::awaitable<void> find_many(SubscriberCache& cache, std::vector<domain::LookupKey> keys,
                                int rounds, std::atomic<long>& hits,
                                std::vector<std::uint32_t>& micros) {
  for (int r = 0; r < rounds; ++r) {
    for (const auto& key : keys) {
      const auto start = Clock::now();
      if ((co_await cache.find(key)).kind == CacheLookup::Kind::kHit)
        hits.fetch_add(1);
      micros.push_back(static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count()));
    }
  }
}

TEST_F(RedisCacheTest, DISABLED_Throughput) {
  auto cache = make_cache();
  std::vector<domain::LookupKey> keys;
  for (int i = 0; i < 1000; ++i) {
    const domain::Subscriber s = make_subscriber("bench" + std::to_string(i));
    loop_.run([&] { cache->remember(s); });
    keys.push_back(i % 2 == 0 ? domain::LookupKey::by_email(s.email)
                              : domain::LookupKey::by_id(s.id));
  }
  for (int in_flight : {1, 8, 64, 256}) {
    const long total = 200'000;
    const int rounds = static_cast<int>(total / in_flight / static_cast<long>(keys.size())) + 1;
    std::atomic<long> hits{0};
    std::atomic<int> remaining{in_flight};
    std::promise<void> done;
    std::vector<std::uint32_t> micros;  // touched on the loop's thread only
    micros.reserve(static_cast<std::size_t>(total) * 2);
    const auto start = Clock::now();
    loop_.run([&] {
      for (int c = 0; c < in_flight; ++c) {
        asio::co_spawn(loop_.context(), find_many(*cache, keys, rounds, hits, micros),
                       [&](std::exception_ptr) {
                         if (remaining.fetch_sub(1) == 1)
                           done.set_value();
                       });
      }
    });
    done.get_future().wait();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    const long finds = static_cast<long>(rounds) * in_flight * static_cast<long>(keys.size());
    std::sort(micros.begin(), micros.end());
    auto percentile = [&](double p) {
      return micros[static_cast<std::size_t>(p * static_cast<double>(micros.size() - 1))];
    };
    std::printf(
        "finds in flight %4d: %8.0f finds/s (%ld finds, %.2f s, hits %ld); latency us p50 %u "
        "p99 %u p99.9 %u max %u\n",
        in_flight, static_cast<double>(finds) / seconds, finds, seconds, hits.load(),
        percentile(0.5), percentile(0.99), percentile(0.999), micros.back());
    EXPECT_EQ(hits.load(), finds);
  }
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

// Needs no shared server: a private one is started, stopped and started again.
class RedisOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.start()) << "cannot start redis-server (is it on the PATH?)";
    cache_ = std::make_unique<RedisCache>(
        RedisCache::Options{parse_redis_url(redis_.url("?timeout_ms=100&max_backoff_ms=300")),
                            5000ms},
        metrics_);
  }
  void TearDown() override { loop_.stop(); }

  CacheLookup find(domain::LookupKey key) { return loop_.await(find_in(*cache_, std::move(key))); }

  // Finds until one hits, for at most `limit`; returns whether one did.
  bool eventually_hits(const domain::Subscriber& s, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (Clock::now() < deadline) {
      loop_.run([&] { cache_->remember(s); });
      if (find(domain::LookupKey::by_email(s.email)).kind == CacheLookup::Kind::kHit)
        return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }

  PrivateRedis redis_;
  metrics::Registry metrics_;
  std::unique_ptr<RedisCache> cache_;
  LoopThread loop_;
};

TEST_F(RedisOutageTest, DownRedisIsAFastMissThenUsedAgainWhenBack) {
  const domain::Subscriber s = make_subscriber("outage");
  ASSERT_TRUE(eventually_hits(s, 2000ms));
  EXPECT_TRUE(loop_.await(health_of(*cache_)));
  const auto errors_before = metrics_.cache_errors.value();

  redis_.stop();  // SIGKILL: no goodbye to the clients
  for (int i = 0; i < 20; ++i) {
    const auto start = Clock::now();
    CacheLookup found = find(domain::LookupKey::by_email(s.email));
    const auto took = Clock::now() - start;
    EXPECT_EQ(found.kind, CacheLookup::Kind::kMiss);
    EXPECT_LT(took, 100ms + 400ms) << "attempt " << i;  // the timeout, and scheduling slack
    loop_.run([&] {
      cache_->remember(s);  // dropped, counted
      cache_->remember_absent(domain::LookupKey::by_id(1));
    });
    std::this_thread::sleep_for(25ms);  // spans several reconnection attempts
  }
  EXPECT_GE(metrics_.cache_errors.value(), errors_before + 20 * 3);
  const auto start = Clock::now();
  EXPECT_FALSE(loop_.await(health_of(*cache_)));
  EXPECT_LT(Clock::now() - start, 100ms + 400ms);

  ASSERT_TRUE(redis_.start());
  // Reconnection is in the background; the backoff is at most 300 ms here.
  EXPECT_TRUE(eventually_hits(s, 3000ms));
  EXPECT_TRUE(loop_.await(health_of(*cache_)));
}

TEST_F(RedisOutageTest, StalledRedisCannotHoldAFindLongerThanTheTimeout) {
  const domain::Subscriber s = make_subscriber("stalled");
  ASSERT_TRUE(eventually_hits(s, 2000ms));

  // CLIENT PAUSE holds every other client's commands, as a stalled server would.
  Admin admin("127.0.0.1", redis_.port());
  ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "1500", "ALL"}), "OK");
  const auto errors_before = metrics_.cache_errors.value();
  const auto start = Clock::now();
  CacheLookup found = find(domain::LookupKey::by_email(s.email));
  const auto took = Clock::now() - start;
  EXPECT_EQ(found.kind, CacheLookup::Kind::kMiss);
  EXPECT_GE(took, 90ms);
  EXPECT_LT(took, 100ms + 400ms);  // far below the 1500 ms stall
  EXPECT_GT(metrics_.cache_errors.value(), errors_before);

  // While it stays stalled, later calls do not wait longer either.
  for (int i = 0; i < 5; ++i) {
    const auto again = Clock::now();
    EXPECT_EQ(find(domain::LookupKey::by_id(s.id)).kind, CacheLookup::Kind::kMiss);
    EXPECT_LT(Clock::now() - again, 100ms + 400ms);
  }

  ASSERT_EQ(admin.command({"CLIENT", "UNPAUSE"}), "OK");
  EXPECT_TRUE(eventually_hits(s, 3000ms));
}

TEST_F(RedisOutageTest, UnreachableFromTheStartIsCountedNotFatal) {
  redis_.stop();
  const domain::Subscriber s = make_subscriber("neverup");
  EXPECT_EQ(find(domain::LookupKey::by_email(s.email)).kind, CacheLookup::Kind::kMiss);
  EXPECT_FALSE(loop_.await(health_of(*cache_)));
  EXPECT_GE(metrics_.cache_errors.value(), 1u);
  ASSERT_TRUE(redis_.start());
  EXPECT_TRUE(eventually_hits(s, 3000ms));
}

TEST_F(RedisOutageTest, DestroyingTheCacheWhileItsLoopRunsClosesItsConnection) {
  const domain::Subscriber s = make_subscriber("teardown");
  ASSERT_TRUE(eventually_hits(s, 2000ms));
  Admin admin("127.0.0.1", redis_.port());
  auto clients = [&] {
    // One line per client; ours and the admin's.
    const std::string list = admin.command({"CLIENT", "LIST"});
    return std::count(list.begin(), list.end(), '\n');
  };
  EXPECT_EQ(clients(), 2);
  cache_.reset();
  const auto deadline = Clock::now() + 2s;
  while (clients() != 1 && Clock::now() < deadline)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(clients(), 1);
}

TEST(RedisFullTest, EvictionUnderAllkeysLruIsAMissNotAnError) {
  PrivateRedis redis;
  ASSERT_TRUE(redis.start({"--maxmemory", "2mb", "--maxmemory-policy", "allkeys-lru"}));
  metrics::Registry metrics;
  RedisCache cache({parse_redis_url(redis.url("?timeout_ms=5000")), 5000ms}, metrics);
  LoopThread loop;
  std::vector<domain::Subscriber> written;
  for (int batch = 0; batch < 30; ++batch) {  // ~10 MB of entries into 2 MB
    loop.run([&] {
      for (int i = 0; i < 1000; ++i) {
        written.push_back(make_subscriber("full" + std::to_string(batch * 1000 + i)));
        cache.remember(written.back());
      }
    });
    loop.await(find_in(cache, domain::LookupKey::by_id(written.back().id)));  // drain
  }
  EXPECT_EQ(loop.await(find_in(cache, domain::LookupKey::by_id(written.front().id))).kind,
            CacheLookup::Kind::kMiss);
  EXPECT_EQ(loop.await(find_in(cache, domain::LookupKey::by_id(written.back().id))).kind,
            CacheLookup::Kind::kHit);
  EXPECT_EQ(metrics.cache_errors.value(), 0u);
  loop.stop();
}

TEST(RedisFullTest, RefusedWritesAreCountedAsErrors) {
  PrivateRedis redis;
  ASSERT_TRUE(redis.start({"--maxmemory", "1mb", "--maxmemory-policy", "noeviction"}));
  metrics::Registry metrics;
  RedisCache cache({parse_redis_url(redis.url("?timeout_ms=5000")), 5000ms}, metrics);
  LoopThread loop;
  for (int batch = 0; batch < 10; ++batch) {
    loop.run([&] {
      for (int i = 0; i < 1000; ++i)
        cache.remember(make_subscriber("oom" + std::to_string(batch * 1000 + i)));
    });
    loop.await(find_in(cache, domain::LookupKey::by_id(1)));  // drain
  }
  EXPECT_GT(metrics.cache_errors.value(), 0u);  // "-OOM command not allowed ..."
  EXPECT_TRUE(loop.await(health_of(cache)));    // reads still work
  loop.stop();
}

// Redis memory per cached subscriber, for sizing maxmemory (docs/cache.md). Not run by default:
//   redis_cache_tests --gtest_also_run_disabled_tests --gtest_filter='*MemoryPerSubscriber*'
TEST_F(RedisOutageTest, DISABLED_MemoryPerSubscriber) {
  Admin admin("127.0.0.1", redis_.port());
  auto used_memory = [&] {
    const std::string info = admin.command({"INFO", "memory"});
    const std::size_t at = info.find("used_memory:") + std::string_view("used_memory:").size();
    return std::stol(info.substr(at, info.find('\r', at) - at));
  };
  // Typical lengths: a 30-byte address, a 6-byte name, an 8-byte last name.
  auto typical = [](int i) {
    domain::Subscriber s;
    s.id = 384344768529825792ull + static_cast<std::uint64_t>(i) * 4099;
    char email[64];
    std::snprintf(email, sizeof email, "firstname.last%06d@example.com", i);
    s.email = email;
    s.name = "Gérard";
    s.last_name = "Martínez";
    s.created_at_ms = 1'795'702'133'598 + i;
    return s;
  };
  ASSERT_TRUE(eventually_hits(typical(-1), 2000ms));
  const long before = used_memory();
  constexpr int kCount = 100'000;
  for (int base = 0; base < kCount; base += 1000) {
    loop_.run([&] {
      for (int i = base; i < base + 1000; ++i)
        cache_->remember(typical(i));
    });
    const domain::Subscriber last = typical(base + 999);
    ASSERT_EQ(find(domain::LookupKey::by_id(last.id)).kind, CacheLookup::Kind::kHit);
  }
  const long after = used_memory();
  const domain::Subscriber sample = typical(4242);
  std::printf("value bytes %zu; MEMORY USAGE %s = %s, %s = %s\n", encode_subscriber(sample).size(),
              email_key(sample.email).c_str(),
              admin.command({"MEMORY", "USAGE", email_key(sample.email), "SAMPLES", "0"}).c_str(),
              id_key(sample.id).c_str(),
              admin.command({"MEMORY", "USAGE", id_key(sample.id), "SAMPLES", "0"}).c_str());
  std::printf("used_memory grew %ld bytes for %d subscribers: %.1f bytes per subscriber\n",
              after - before, kCount, static_cast<double>(after - before) / kCount);

  const long negatives_before = used_memory();
  for (int base = kCount; base < 2 * kCount; base += 1000) {
    loop_.run([&] {
      for (int i = base; i < base + 1000; ++i) {
        cache_->remember_absent(domain::LookupKey::by_email(typical(i).email));
      }
    });
    ASSERT_EQ(find(domain::LookupKey::by_email(typical(base + 999).email)).kind,
              CacheLookup::Kind::kAbsent);
  }
  const std::string negative = negative_key(domain::LookupKey::by_email(typical(kCount).email));
  std::printf("MEMORY USAGE %s = %s; used_memory grew %.1f bytes per negative entry\n",
              negative.c_str(),
              admin.command({"MEMORY", "USAGE", negative, "SAMPLES", "0"}).c_str(),
              static_cast<double>(used_memory() - negatives_before) / kCount);
}

}  // namespace
}  // namespace subscriberd::cache::redis
