// Nothing acknowledged is lost: across a clean restart, a SIGTERM mid-stream and a kill -9.
#include <fcntl.h>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "sqlite_file.h"
#include "support/http_client.h"
#include "support/json.h"
#include "support/post_stream.h"
#include "support/test_server.h"

namespace subscriberd::testing {
namespace {

using namespace std::chrono_literals;

TEST(DurabilityTest, DataIsKeptAcrossARestart) {
  TestServer server;
  const std::string email = unique_email("restart");
  std::string created;
  {
    HttpClient c(server.port());
    auto r = c.post_json("/api/subscribers", R"({"email":")" + email + R"(","name":"Kept"})");
    ASSERT_EQ(r.status, 201);
    created = r.body;
  }
  EXPECT_EQ(server.stop(), 0) << server.log();
  server.start();
  HttpClient c(server.port());
  auto r = c.get("/api/subscribers/" + url_encode(email));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, created);
  EXPECT_EQ(c.post_json("/api/subscribers", R"({"email":")" + email + "\"}").status, 409);
}

TEST(DurabilityTest, SigtermFinishesInFlightRequestsAndExitsZero) {
  TestServer server;
  PostStream stream(server.port(), 8);
  std::this_thread::sleep_for(700ms);
  EXPECT_EQ(server.stop(), 0) << server.log();
  auto acknowledged = stream.finish();
  ASSERT_FALSE(acknowledged.empty());
  server.start({{}, "none"});  // read from the store itself, not a cache
  expect_all_stored(server.port(), acknowledged);
}

TEST(DurabilityTest, KillMinus9LosesNoAcknowledgedSubscriber) {
  TestServer server;
  PostStream stream(server.port(), 8);
  std::this_thread::sleep_for(1500ms);
  server.kill9();
  auto acknowledged = stream.finish();
  ASSERT_FALSE(acknowledged.empty());
  server.start({{}, "none"});
  expect_all_stored(server.port(), acknowledged);
}

// The path of a fresh SQLite file in a test server's data directory.
std::string fresh_sqlite_path() {
  TestServer probe;  // for its data directory and the configuration's cache
  const std::string db = probe.data_dir() + "/subscribers.db";
  probe.stop();
  return db;
}

// Waits (up to 120 s) until the server's metric `name` reaches `wanted`; returns its value.
double wait_for_metric(HttpClient& c, std::string_view name, double wanted) {
  double value = 0;
  for (int i = 0; i < 1200 && value < wanted; ++i) {
    std::this_thread::sleep_for(100ms);
    value = metric_value(c.get("/metrics").body, name);
  }
  return value;
}

// How many times the checkpointer held commits back to start the log again (or to empty its
// file after 2 s without inserts, which a steady stream of them does not leave).
constexpr std::string_view kLogRestarts = "subscriberd_store_log_restart_hold_seconds_count";

TEST(DurabilityTest, SqliteCopiesItsLogIntoTheDatabaseAndStartsItAgainUnderLoad) {
  if (TestConfig::current().mysql)
    GTEST_SKIP() << "SQLite only";
  const std::string db = fresh_sqlite_path();
  TestServer server({{"--store", "sqlite:" + db + "?checkpoint_pages=50"}, {}});

  // Under a steady stream of inserts the copying never quite catches up with the writer, so
  // the log would only grow; once it has reached 8 x 50 pages the checkpointer holds commits
  // back, copies the rest and starts it again, or, while its passes leave more than 25 pages
  // for the hold, puts that off up to 24 x 50 (how much it grows meanwhile depends on the
  // disk, so its size is not checked). The log also starts again, now and then, when a pass
  // happens to catch up: the file's header counts both kinds, the metric the forced ones.
  PostStream stream(server.port(), 8);
  HttpClient c(server.port());
  constexpr double kRestarts = 5;
  const double forced = wait_for_metric(c, kLogRestarts, kRestarts);
  auto acknowledged = stream.finish();
  EXPECT_GE(forced, kRestarts) << server.log();
  const auto restarts = test_support::sqlite_log_restarts(db + "-wal");
  ASSERT_TRUE(restarts.has_value());
  EXPECT_GE(*restarts, kRestarts);  // inserts went on after the last one the metric showed

  EXPECT_EQ(server.stop(), 0) << server.log();
  server.start({{"--store", "sqlite:" + db}, "none"});
  expect_all_stored(server.port(), acknowledged);
}

TEST(DurabilityTest, SqliteKeepsItsLockOnTheDatabaseAcrossLogRestarts) {
  // SQLite relies on POSIX locks, which a process drops on a file when it closes any of its
  // descriptors of that file. Had the server done so (around its log restarts), another
  // process closing the database would find itself its last user, fold the log in and delete
  // it while the server still wrote to it.
  if (TestConfig::current().mysql)
    GTEST_SKIP() << "SQLite only";
  const std::string db = fresh_sqlite_path();
  TestServer server({{"--store", "sqlite:" + db + "?checkpoint_pages=50"}, {}});

  PostStream stream(server.port(), 8);
  HttpClient c(server.port());
  EXPECT_GE(wait_for_metric(c, kLogRestarts, 2), 2) << server.log();

  // An open connection holds a read lock on SQLite's shared range of the file (510 bytes from
  // PENDING_BYTE + 2, https://sqlite.org/lockingv3.html): a write lock there must be refused.
  const int fd = ::open(db.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  struct flock probe_lock {};
  probe_lock.l_type = F_WRLCK;
  probe_lock.l_whence = SEEK_SET;
  probe_lock.l_start = 0x40000000 + 2;
  probe_lock.l_len = 510;
  ASSERT_EQ(::fcntl(fd, F_GETLK, &probe_lock), 0);
  ::close(fd);
  EXPECT_NE(probe_lock.l_type, F_UNLCK) << "the server no longer holds its lock on the database";

  auto acknowledged = stream.finish();
  EXPECT_EQ(server.stop(), 0) << server.log();
  server.start({{"--store", "sqlite:" + db}, "none"});
  expect_all_stored(server.port(), acknowledged);
}

}  // namespace
}  // namespace subscriberd::testing
