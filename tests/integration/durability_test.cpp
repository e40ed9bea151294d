// Nothing acknowledged is lost: across a clean restart, a SIGTERM mid-stream and a kill -9.
#include <fcntl.h>
#include <filesystem>
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

TEST(DurabilityTest, SqliteCopiesItsLogIntoTheDatabaseAndKeepsTheLogBounded) {
  if (TestConfig::current().mysql)
    GTEST_SKIP() << "SQLite only";
  constexpr int kCheckpointPages = 50;
  const std::string db = fresh_sqlite_path();
  TestServer server({{"--store", "sqlite:" + db + "?checkpoint_pages=50"}, {}});

  PostStream stream(server.port(), 8);
  HttpClient c(server.port());
  constexpr int kCheckpoints = 50;
  const double checkpoints = wait_for_checkpoints(c, kCheckpoints);
  auto acknowledged = stream.finish();
  EXPECT_GE(checkpoints, kCheckpoints) << server.log();
  // The log starts again once it reaches 4 x 50 pages, after copy-and-sync passes that run
  // beside the writer; how much it grows meanwhile depends on the disk (to about 9 x 50 pages
  // on the machines the tests ran on). A checkpoint is asked for only once the log is 50 pages
  // past what the one before last copied, so every two of them mean 50 more pages committed,
  // and 50 of them at least 25 x 50: more than a log that never started again could hold
  // under the limit below. A frame is a page and its 24-byte header.
  const auto log_bytes = std::filesystem::file_size(db + "-wal");
  EXPECT_LT(log_bytes, 20 * kCheckpointPages * (test_support::sqlite_file_page_bytes(db) + 24))
      << log_bytes;

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
