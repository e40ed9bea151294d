// Opening database files, the settings every connection gets, and reading the page size the
// store's log bound is derived from.
#include "store/sqlite/sqlite_handle.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "scratch_dir.h"
#include "sqlite_file.h"
#include "store/sqlite/schema.h"

namespace subscriberd::store::sqlite {
namespace {

constexpr const char* kInsert =
    "INSERT INTO subscribers (id, email, name, last_name, status, created_at) "
    "VALUES (?, ?, 'Ada', 'Lovelace', 'active', 0) ON CONFLICT (email) DO NOTHING";

int insert(sqlite3* db, std::int64_t id, const std::string& email) {
  Statement statement(db, kInsert);
  statement.bind(1, id);
  statement.bind(2, email);
  return sqlite3_step(statement.get());
}

std::int64_t count_rows(sqlite3* db, const std::string& email) {
  Statement statement(db, "SELECT count(*) FROM subscribers WHERE email = ?");
  statement.bind(1, email);
  EXPECT_EQ(sqlite3_step(statement.get()), SQLITE_ROW);
  return sqlite3_column_int64(statement.get(), 0);
}

// SQLite takes process-wide settings only before it initializes: set here, before main and so
// before any test in this binary opens a connection, as the store sets it before its first.
const bool kMemoryStatisticsOff = turn_off_memory_statistics();

class SqliteHandleTest : public ::testing::Test {
 protected:
  test_support::ScratchDir dir_{"subscriberd-sqlite-handle"};
  std::string path_ = dir_.file("subscribers.db");
};

TEST_F(SqliteHandleTest, ConnectionsLeaveFreedSpaceAsItIs) {
  // Whatever the build's default: rows are never deleted, and zeroing freed space is waste.
  for (bool read_only : {false, true}) {
    Connection db = open_connection(path_, read_only);
    EXPECT_EQ(query_int(db.get(), "PRAGMA secure_delete"), 0) << "read_only " << read_only;
  }
}

TEST_F(SqliteHandleTest, AllocationsAreNotCounted) {
  ASSERT_TRUE(kMemoryStatisticsOff);
  EXPECT_TRUE(turn_off_memory_statistics());  // the first call's answer
  const sqlite3_int64 before = sqlite3_memory_used();
  Connection db = open_connection(path_, false);
  apply_schema(db.get());
  ASSERT_EQ(insert(db.get(), 1, "ada@example.com"), SQLITE_DONE);
  EXPECT_EQ(sqlite3_memory_used(), before);
}

TEST_F(SqliteHandleTest, ANewFileReportsThePageSizeItWasMadeWith) {
  std::int64_t reported = 0;
  {
    Connection db = open_connection(path_, false);
    apply_schema(db.get());
    reported = query_int(db.get(), "PRAGMA page_size");
  }
  EXPECT_GE(reported, 512);
  EXPECT_EQ(reported, test_support::sqlite_file_page_bytes(path_));
}

TEST_F(SqliteHandleTest, AFileMadeWithAnotherPageSizeOpensWithIt) {
  {  // made by another tool, with pages of 1 KiB
    sqlite3* raw = nullptr;
    ASSERT_EQ(
        sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
        SQLITE_OK);
    Connection db(raw);
    exec(db.get(), "PRAGMA page_size = 1024");
    exec(db.get(), "PRAGMA journal_mode = WAL");
    apply_schema(db.get());
    ASSERT_EQ(insert(db.get(), 1, "old@example.test"), SQLITE_DONE);
  }
  Connection db = open_connection(path_, false);
  apply_schema(db.get());
  EXPECT_EQ(query_int(db.get(), "PRAGMA page_size"), 1024);
  EXPECT_EQ(insert(db.get(), 2, "new@example.test"), SQLITE_DONE);
  EXPECT_EQ(count_rows(db.get(), "old@example.test"), 1);
  EXPECT_EQ(count_rows(db.get(), "new@example.test"), 1);
  EXPECT_EQ(test_support::sqlite_file_page_bytes(path_), 1024);
}

}  // namespace
}  // namespace subscriberd::store::sqlite
