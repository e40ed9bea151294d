// The store writers' view of Redis against a real server: SUBSCRIBERD_TEST_REDIS_URL (the test
// command sets it). Outage tests start a private redis-server of their own.
#include "cache/redis/redis_batch_cache.h"

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "cache/redis/subscriber_codec.h"
#include "metrics/metrics.h"
#include "redis_test_support.h"

namespace subscriberd::cache::redis {
namespace {

using namespace test_support;

RedisBatchCache::Options options_for(const RedisUrl& url, std::chrono::milliseconds timeout) {
  RedisBatchCache::Options options;
  options.address = url.host;
  options.port = url.port;
  options.db = url.db;
  options.timeout = timeout;
  options.first_backoff = 100ms;
  options.max_backoff = 200ms;
  options.name = url.describe();
  return options;
}

std::vector<std::optional<domain::Subscriber>> find_all(RedisBatchCache& cache,
                                                        std::vector<std::string_view> emails) {
  std::vector<std::optional<domain::Subscriber>> known;
  cache.find(emails, known);
  return known;
}

class RedisBatchCacheTest : public SharedRedisTest {
 protected:
  void SetUp() override {
    SharedRedisTest::SetUp();
    if (HasFatalFailure())
      return;
    // A loaded machine's hiccup must not count as an outage here; outages have their tests.
    cache_ = std::make_unique<RedisBatchCache>(options_for(*shared_url(), 2000ms), metrics_);
  }

  metrics::Registry metrics_;
  std::unique_ptr<RedisBatchCache> cache_;
};

TEST_F(RedisBatchCacheTest, RemembersABatchThatOneLookUpFindsAgain) {
  const domain::Subscriber a = make_subscriber("batch-a");
  const domain::Subscriber b = make_subscriber("batch-b");
  const domain::Subscriber unknown = make_subscriber("batch-unknown");
  const std::vector<const domain::Subscriber*> rows = {&a, &b};
  cache_->remember(rows);

  const auto known = find_all(*cache_, {b.email, unknown.email, a.email});
  ASSERT_EQ(known.size(), 3u);
  EXPECT_EQ(known[0], b);
  EXPECT_EQ(known[1], std::nullopt);
  EXPECT_EQ(known[2], a);
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);

  // The entries every instance reads: by e-mail and by id, in the shared format, no TTL.
  for (const domain::Subscriber* row : rows) {
    EXPECT_EQ(decode_subscriber(admin_->command({"GET", email_key(row->email)})), *row);
    EXPECT_EQ(decode_subscriber(admin_->command({"GET", id_key(row->id)})), *row);
    EXPECT_EQ(admin_->command({"PTTL", email_key(row->email)}), "-1");
  }
}

TEST_F(RedisBatchCacheTest, FillsWrittenBeforeALookUpAreAnsweredInOrder) {
  // Several fills in a row, none waited for, then one look-up that must read past them all.
  std::vector<domain::Subscriber> written;
  for (int i = 0; i < 5; ++i)
    written.push_back(make_subscriber("in-order-" + std::to_string(i)));
  for (const domain::Subscriber& row : written) {
    const std::vector<const domain::Subscriber*> one = {&row};
    cache_->remember(one);
  }
  std::vector<std::string_view> emails;
  for (const domain::Subscriber& row : written)
    emails.push_back(row.email);
  const auto known = find_all(*cache_, emails);
  ASSERT_EQ(known.size(), written.size());
  for (std::size_t i = 0; i < written.size(); ++i)
    EXPECT_EQ(known[i], written[i]) << i;
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

TEST_F(RedisBatchCacheTest, AnEntryOfAnotherEmailOrCorruptIsNotKnownAndCounted) {
  const domain::Subscriber stored = make_subscriber("corrupt-stored");
  const domain::Subscriber other = make_subscriber("corrupt-other");
  ASSERT_EQ(admin_->command({"SET", email_key(stored.email), "not a subscriber"}), "OK");
  ASSERT_EQ(admin_->command({"SET", email_key(other.email), encode_subscriber(stored)}), "OK");

  const auto known = find_all(*cache_, {stored.email, other.email});
  EXPECT_EQ(known, (std::vector<std::optional<domain::Subscriber>>{std::nullopt, std::nullopt}));
  EXPECT_EQ(metrics_.cache_errors.value(), 2u);
}

TEST_F(RedisBatchCacheTest, AnEmptyBatchAsksNothing) {
  EXPECT_TRUE(find_all(*cache_, {}).empty());
  cache_->remember({});
  EXPECT_EQ(metrics_.cache_errors.value(), 0u);
}

TEST(RedisBatchCacheOutageTest, DownRedisAnswersNothingAtOnceThenIsUsedWhenBack) {
  PrivateRedis server;
  ASSERT_TRUE(server.start());
  metrics::Registry metrics;
  RedisUrl url = parse_redis_url(server.url());
  RedisBatchCache cache(options_for(url, 500ms), metrics);
  const domain::Subscriber before = make_subscriber("outage-before");
  const std::vector<const domain::Subscriber*> rows = {&before};
  cache.remember(rows);
  ASSERT_EQ(find_all(cache, {before.email})[0], before);

  server.stop();
  const domain::Subscriber during = make_subscriber("outage-during");
  const auto started = Clock::now();
  EXPECT_EQ(find_all(cache, {before.email, during.email}).size(), 2u);
  const std::vector<const domain::Subscriber*> dropped = {&during};
  cache.remember(dropped);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(find_all(cache, {before.email})[0], std::nullopt);
  // Refused connections fail at once, and the backoff spares the rest of the calls.
  EXPECT_LT(Clock::now() - started, 1s);
  EXPECT_GE(metrics.cache_errors.value(), 1u);
  EXPECT_LE(metrics.cache_errors.value(), 3u);

  ASSERT_TRUE(server.start());  // same port, empty
  const auto deadline = Clock::now() + 5s;
  std::optional<domain::Subscriber> again;
  while (!again && Clock::now() < deadline) {
    cache.remember(rows);
    again = find_all(cache, {before.email})[0];
    if (!again)
      std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(again, before);
}

TEST(RedisBatchCacheOutageTest, AFillSentToAServerThatWentAwayFailsTheNextCallQuietly) {
  std::signal(SIGPIPE, SIG_IGN);  // as app::run does
  PrivateRedis server;
  ASSERT_TRUE(server.start());
  metrics::Registry metrics;
  RedisBatchCache cache(options_for(parse_redis_url(server.url()), 500ms), metrics);
  const domain::Subscriber s = make_subscriber("went-away");
  const std::vector<const domain::Subscriber*> rows = {&s};
  ASSERT_EQ(find_all(cache, {s.email})[0], std::nullopt);  // connected

  server.stop();
  cache.remember(rows);  // taken by the closing socket; the server's side answers with a reset
  std::this_thread::sleep_for(100ms);
  // The next call writes to a reset connection (EPIPE), and says so as a failure.
  EXPECT_EQ(find_all(cache, {s.email})[0], std::nullopt);
  EXPECT_GE(metrics.cache_errors.value(), 1u);
}

TEST(RedisBatchCacheOutageTest, AStalledRedisHoldsACallNoLongerThanTheTimeout) {
  PrivateRedis server;
  ASSERT_TRUE(server.start());
  metrics::Registry metrics;
  RedisBatchCache cache(options_for(parse_redis_url(server.url()), 200ms), metrics);
  const domain::Subscriber s = make_subscriber("stalled");
  ASSERT_EQ(find_all(cache, {s.email})[0], std::nullopt);  // connected

  // CLIENT PAUSE holds every other client's commands, as a stalled server would.
  Admin admin("127.0.0.1", server.port());
  ASSERT_EQ(admin.command({"CLIENT", "PAUSE", "1500", "ALL"}), "OK");
  const auto started = Clock::now();
  EXPECT_EQ(find_all(cache, {s.email})[0], std::nullopt);
  const auto took = Clock::now() - started;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 1000ms);  // far below the 1500 ms stall
  // Within the backoff that follows, calls do not wait at all.
  const auto again = Clock::now();
  EXPECT_EQ(find_all(cache, {s.email})[0], std::nullopt);
  EXPECT_LT(Clock::now() - again, 50ms);
  ASSERT_EQ(admin.command({"CLIENT", "UNPAUSE"}), "OK");
  EXPECT_EQ(metrics.cache_errors.value(), 1u);
}

}  // namespace
}  // namespace subscriberd::cache::redis
