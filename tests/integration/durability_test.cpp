// Nothing acknowledged is lost: across a clean restart, a SIGTERM mid-stream and a kill -9.
#include <fcntl.h>
#include <string>
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

// Waits (up to 30 s) until the server has made `wanted` checkpoints; returns how many it made.
double wait_for_checkpoints(HttpClient& c, double wanted) {
  double checkpoints = 0;
  for (int i = 0; i < 300 && checkpoints < wanted; ++i) {
    std::this_thread::sleep_for(100ms);
    checkpoints =
        metric_value(c.get("/metrics").body, "subscriberd_store_checkpoint_duration_seconds_count");
  }
  return checkpoints;
}

TEST(DurabilityTest, SqliteCopiesItsLogIntoTheDatabaseAndStartsItAgainUnderLoad) {
  if (TestConfig::current().mysql)
    GTEST_SKIP() << "SQLite only";
  const std::string db = fresh_sqlite_path();
  TestServer server({{"--store", "sqlite:" + db + "?checkpoint_pages=50"}, {}});

  PostStream stream(server.port(), 8);
  HttpClient c(server.port());
  constexpr int kCheckpoints = 100;
  const double checkpoints = wait_for_checkpoints(c, kCheckpoints);
  auto acknowledged = stream.finish();
  EXPECT_GE(checkpoints, kCheckpoints) << server.log();
  // Under a steady stream of inserts the copying never quite catches up with the writer, so
  // the log would only grow; the checkpointer starts it again once it has reached 4 x 50 pages
  // (how much it grows meanwhile depends on the disk, so its size is not checked). A checkpoint
  // is asked for only once the log is 50 pages past what the one before last copied: every two
  // of them mean 50 more pages, and a restart comes at least every 9 or 10 of them. Without
  // those restarts the log also starts again when a pass happens to catch up, which made 0 to
  // 8 restarts in 100 checkpoints here, against 18 to 25 with them.
  const auto restarts = test_support::sqlite_log_restarts(db + "-wal");
  ASSERT_TRUE(restarts.has_value());
  EXPECT_GE(*restarts, 10u);

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
  const double checkpoints = wait_for_checkpoints(c, 30);  // several restarts (one per four)
  EXPECT_GE(checkpoints, 30) << server.log();

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
