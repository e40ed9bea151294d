#include "store/sqlite/wal_write_buffer.h"

#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "scratch_dir.h"
#include "store/sqlite/sqlite_handle.h"

namespace subscriberd::store::sqlite {
namespace {

class WalWriteBufferTest : public ::testing::Test {
 protected:
  Connection open_buffered(Synchronous synchronous = Synchronous::kNormal) {
    Connection db = open_connection(path_, false, synchronous, wal_write_buffer_vfs());
    exec(db.get(),
         "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;"
         "PRAGMA wal_autocheckpoint = 0");  // keep every frame in the log while testing
    return db;
  }

  // Read through SQLite's default VFS, as the store's reader connections do.
  std::int64_t count_rows(const char* sql = "SELECT count(*) FROM t") {
    Connection reader = open_connection(path_, true);
    Statement count(reader.get(), sql);
    sqlite3_stmt* stmt = count.fresh();
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_ROW) << sqlite3_errmsg(reader.get());
    const std::int64_t n = sqlite3_column_int64(stmt, 0);
    sqlite3_reset(stmt);
    return n;
  }

  static void insert_rows(sqlite3* db, int first, int count, int value_bytes) {
    exec(db, "BEGIN IMMEDIATE");
    Statement insert(db, "INSERT INTO t (k, v) VALUES (?, zeroblob(?))");
    for (int i = first; i < first + count; ++i) {
      // Spread keys over the index so that every row dirties its own page, as e-mails do.
      const std::string key = std::to_string((i * 7919) % 100'003) + "-" + std::to_string(i);
      sqlite3_stmt* stmt = insert.fresh();
      insert.bind(1, key);
      insert.bind(2, std::int64_t{value_bytes});
      ASSERT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db);
      sqlite3_reset(stmt);
    }
    exec(db, "COMMIT");
  }

  test_support::ScratchDir dir_{"wal-write-buffer"};
  std::string path_ = dir_.file("test.db");
};

TEST_F(WalWriteBufferTest, WritesACommitToTheLogWithOneSystemCall) {
  Connection db = open_buffered();
  insert_rows(db.get(), 0, 10, 100);  // the log exists and has its header

  // Rows of 3,000 bytes: two pages each at most (a share of an index page and an overflow
  // page), as e-mails spread over a large index dirty a page or so each.
  const WalWriteCounts before = wal_write_counts();
  insert_rows(db.get(), 10, 12, 3000);
  const WalWriteCounts after = wal_write_counts();

  // At least 12 frames of 4 KiB, two writes each, gathered into one write (under 124 KiB).
  EXPECT_GE(after.appends - before.appends, 24U);
  EXPECT_EQ(after.system_writes - before.system_writes, 1U);
  EXPECT_EQ(count_rows(), 22);
}

TEST_F(WalWriteBufferTest, EveryCommitIsVisibleToOtherConnectionsWhenCommitReturns) {
  Connection db = open_buffered();
  for (int i = 0; i < 30; ++i) {
    insert_rows(db.get(), i, 1, 10);
    ASSERT_EQ(count_rows(), i + 1);
  }
}

TEST_F(WalWriteBufferTest, ACommitSurvivesTheProcessDyingWithoutClosingTheDatabase) {
  { open_buffered(); }  // schema, from this process
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // No close, no destructors: whatever was gathered and not written is lost here.
    Connection db = open_connection(path_, false, Synchronous::kNormal, wal_write_buffer_vfs());
    insert_rows(db.get(), 0, 50, 100);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(count_rows(), 50);
}

// A transaction larger than the page cache spills frames to the log before it commits; pages
// changed again after that are rewritten in place at COMMIT, and then SQLite rewrites the
// checksums of every frame after them, the commit frame's header last, with no page after it.
TEST_F(WalWriteBufferTest, ACommitThatRewroteSpilledFramesSurvivesTheProcessDying) {
  { open_buffered(); }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Connection db = open_connection(path_, false, Synchronous::kNormal, wal_write_buffer_vfs());
    exec(db.get(), "PRAGMA cache_size = 10");  // pages: the transaction below spills
    exec(db.get(), "BEGIN IMMEDIATE");
    exec(db.get(),
         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
         "INSERT INTO t (k, v) SELECT printf('%08d', i), zeroblob(200) FROM n");
    exec(db.get(), "UPDATE t SET v = zeroblob(201) WHERE k <= '00000100'");  // spilled pages
    exec(db.get(), "COMMIT");
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(count_rows(), 2000);
  EXPECT_EQ(count_rows("SELECT count(*) FROM t WHERE length(v) = 201"), 100);
}

TEST_F(WalWriteBufferTest, ATransactionLargerThanTheBufferIsWrittenInPiecesAndKeptWhole) {
  Connection db = open_buffered();
  const WalWriteCounts before = wal_write_counts();
  insert_rows(db.get(), 0, 3000, 4000);  // about 12 MB of pages
  const WalWriteCounts after = wal_write_counts();

  // Pieces of at most 124 KiB: the base VFS writes no more per call.
  EXPECT_GT(after.system_writes - before.system_writes, 12'000'000U / (124U << 10));
  EXPECT_LT(after.system_writes - before.system_writes, (after.appends - before.appends) / 10);
  EXPECT_EQ(count_rows(), 3000);
  EXPECT_EQ(count_rows("SELECT sum(length(v)) FROM t"), 3000 * 4000);
}

TEST_F(WalWriteBufferTest, WorksWithAFullSyncOnEveryCommitAndWithCheckpoints) {
  Connection db = open_buffered(Synchronous::kFull);
  for (int i = 0; i < 5; ++i)
    insert_rows(db.get(), i * 100, 100, 200);
  exec(db.get(), "PRAGMA wal_checkpoint(TRUNCATE)");
  insert_rows(db.get(), 1000, 100, 200);  // the log starts again from its first frame
  EXPECT_EQ(count_rows(), 600);
  db.reset();
  EXPECT_EQ(count_rows(), 600);
}

}  // namespace
}  // namespace subscriberd::store::sqlite
