// The production backends with real servers: write-through and read-through Redis, Redis and
// MariaDB going away mid-run, and the duplicate race across two instances on one database.
// Runs in the mysql+redis and mysql+none configurations.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>

#include "support/http_client.h"
#include "support/json.h"
#include "support/post_stream.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

using namespace std::chrono_literals;

// Runs a command and returns its standard output, trimmed.
std::string run(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    throw std::runtime_error("cannot run " + command);
  std::string out;
  char chunk[256];
  while (std::fgets(chunk, sizeof chunk, pipe) != nullptr)
    out += chunk;
  if (::pclose(pipe) != 0)
    throw std::runtime_error(command + " failed: " + out);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

void services(const std::string& action) {
  run(SUBSCRIBERD_SOURCE_DIR "/scripts/services " + action);
}

std::string redis(const std::string& args) {
  return run("redis-cli -u " + TestConfig::current().cache + " " + args);
}

// The configuration's Redis URL without the in-process tier: these tests are about what Redis
// does and what happens without it, which the tier would answer for from this process.
std::string redis_alone() {
  const std::string& url = TestConfig::current().cache;
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "local_mb=0";
}

// Polls until `ready` holds, up to `timeout`.
template <typename Predicate>
bool eventually(Predicate ready, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (ready())
      return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

class BackendsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestConfig::current().mysql)
      GTEST_SKIP() << "needs the MySQL configurations";
  }
  static bool uses_redis() { return TestConfig::current().cache.starts_with("redis://"); }
};

TEST_F(BackendsTest, NewSubscribersAreWrittenThroughToRedis) {
  if (!uses_redis())
    GTEST_SKIP() << "needs Redis";
  TestServer server;
  HttpClient c(server.port());
  const std::string email = unique_email("through");
  auto r = c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
  ASSERT_EQ(r.status, 201);
  const std::string id = JsonDoc(r.body).str("/id");
  EXPECT_TRUE(eventually([&] { return redis("EXISTS sub:e:" + email) == "1"; }, 2s));
  EXPECT_EQ(redis("EXISTS sub:i:" + id), "1");
}

TEST_F(BackendsTest, AGetRefillsAnEvictedKey) {
  if (!uses_redis())
    GTEST_SKIP() << "needs Redis";
  TestServer server({{}, redis_alone()});
  HttpClient c(server.port());
  const std::string email = unique_email("refill");
  auto created = c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
  ASSERT_EQ(created.status, 201);
  ASSERT_TRUE(eventually([&] { return redis("EXISTS sub:e:" + email) == "1"; }, 2s));
  redis("DEL sub:e:" + email);
  ASSERT_EQ(redis("EXISTS sub:e:" + email), "0");
  auto r = c.get("/api/subscribers/" + url_encode(email));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, created.body);
  EXPECT_TRUE(eventually([&] { return redis("EXISTS sub:e:" + email) == "1"; }, 2s));
}

TEST_F(BackendsTest, RequestsSucceedWhileRedisIsDownAndRedisIsUsedWhenBack) {
  if (!uses_redis())
    GTEST_SKIP() << "needs Redis";
  TestServer server({{}, redis_alone()});  // so that the reads below go to the store
  HttpClient c(server.port());
  services("stop-redis");
  const std::string email = unique_email("no-redis");
  auto created = c.post_json("/api/subscribers", R"({"email":")" + email + "\"}");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(c.get("/api/subscribers/" + url_encode(email)).status, 200);
  EXPECT_EQ(c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status, 409);
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("cache"), std::string::npos) << ready.body;
  const double errors = metric_value(c.get("/metrics").body, "subscriberd_cache_errors_total");
  ASSERT_GE(errors, 0) << "no subscriberd_cache_errors_total in /metrics";
  EXPECT_GT(errors, 0) << "degraded requests are counted";

  services("start-redis");
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, 15s));
  const std::string later = unique_email("redis-back");
  ASSERT_EQ(c.post_json("/api/subscribers", R"({"email":")" + later + "\"}").status, 201);
  EXPECT_TRUE(eventually([&] { return redis("EXISTS sub:e:" + later) == "1"; }, 5s));
}

TEST_F(BackendsTest, ByDefaultASubscriberThisInstanceHasSeenIsReadWithoutRedis) {
  if (!uses_redis())
    GTEST_SKIP() << "needs Redis";
  TestServer server;  // the configuration's URL as is: the in-process tier is on
  HttpClient c(server.port());
  const std::string email = unique_email("near");
  ASSERT_EQ(c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status, 201);
  services("stop-redis");
  const auto cache_errors = [&] {
    return metric_value(c.get("/metrics").body, "subscriberd_cache_errors_total");
  };
  const double before = cache_errors();
  ASSERT_GE(before, 0) << "no subscriberd_cache_errors_total in /metrics";
  EXPECT_EQ(c.get("/api/subscribers/" + url_encode(email)).status, 200);
  EXPECT_EQ(c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status, 409);
  EXPECT_EQ(cache_errors(), before) << "answered from this process, Redis not asked";
  services("start-redis");
  EXPECT_TRUE(eventually([&] { return c.get("/readyz").status == 200; }, 15s));
}

TEST_F(BackendsTest, MariaDbRestartLosesNothingAndAnswersOnly503MeanWhile) {
  TestServer server;
  PostStream stream(server.port(), 4);
  std::this_thread::sleep_for(500ms);
  services("stop-mysql");
  std::this_thread::sleep_for(2s);
  {
    HttpClient c(server.port());
    auto down = c.post_json("/api/subscribers", R"({"email":")" + unique_email("down") + "\"}");
    EXPECT_EQ(down.status, 503) << down.body;
    EXPECT_FALSE(down.header("retry-after").empty());
    auto ready = c.get("/readyz");
    EXPECT_EQ(ready.status, 503);
    EXPECT_NE(ready.body.find("store"), std::string::npos) << ready.body;
  }
  services("start-mysql");
  HttpClient c(server.port());
  EXPECT_TRUE(eventually(
      [&] {
        return c.post_json("/api/subscribers", R"({"email":")" + unique_email("up") + "\"}")
                   .status == 201;
      },
      30s));
  std::this_thread::sleep_for(500ms);
  auto acknowledged = stream.finish();
  for (const auto& [status, count] : stream.statuses()) {
    EXPECT_TRUE(status == 201 || status == 503) << count << " answers with status " << status;
  }
  ASSERT_FALSE(acknowledged.empty());
  server.start({{}, "none"});
  expect_all_stored(server.port(), acknowledged);
}

TEST_F(BackendsTest, ARepeatAnotherInstanceHasSeenIsAnsweredFromRedisNotTheDatabase) {
  if (!uses_redis())
    GTEST_SKIP() << "needs Redis";
  TestServer first({{"--node-id", "1"}, ""});
  TestServer second({{"--node-id", "2"}, ""});
  HttpClient a(first.port());
  HttpClient b(second.port());
  const std::string email = unique_email("seen-elsewhere");
  auto created = a.post_json("/api/subscribers", R"({"email":")" + email + R"(","name":"Ada"})");
  ASSERT_EQ(created.status, 201);
  ASSERT_TRUE(eventually([&] { return redis("EXISTS sub:e:" + email) == "1"; }, 2s));

  auto repeat = b.post_json("/api/subscribers", R"({"email":")" + email + R"(","name":"Bob"})");
  EXPECT_EQ(repeat.status, 409);
  EXPECT_EQ(JsonDoc(repeat.body).str("/subscriber/id"), JsonDoc(created.body).str("/id"));
  // The second instance had not seen it: its writer found it in Redis, for the whole batch.
  EXPECT_EQ(metric_value(b.get("/metrics").body, "subscriberd_store_cached_duplicates_total"), 1);
}

TEST_F(BackendsTest, DuplicateRaceAcrossTwoInstancesYieldsOne201) {
  TestServer first({{"--node-id", "1"}, ""});
  TestServer second({{"--node-id", "2"}, ""});
  const std::string email = unique_email("two-instances");
  constexpr int kClientsEach = 16;
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 2 * kClientsEach; ++i) {
    const std::uint16_t port = i % 2 == 0 ? first.port() : second.port();
    threads.emplace_back([&, port] {
      HttpClient c(port);
      c.get("/healthz");
      while (!go.load())
        std::this_thread::yield();
      int status = c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status;
      (status == 201 ? created : status == 409 ? conflicts : other)++;
    });
  }
  go = true;
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(created.load(), 1);
  EXPECT_EQ(conflicts.load(), 2 * kClientsEach - 1);
  EXPECT_EQ(other.load(), 0);
}

}  // namespace
}  // namespace subscriberd::testing
