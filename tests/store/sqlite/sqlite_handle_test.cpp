// Opening database files, and reading what the store's settings are derived from.
#include "store/sqlite/sqlite_handle.h"

#include <cstdint>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "scratch_dir.h"
#include "store/sqlite/schema.h"

namespace subscriberd::store::sqlite {
namespace {

constexpr const char* kInsert =
    "INSERT INTO subscribers (id, email, name, last_name, status, created_at) "
    "VALUES (?, ?, 'Ada', 'Lovelace', 'active', 0) ON CONFLICT (email) DO NOTHING";

// The page size written in a database file's header (offset 16, big-endian; 1 means 65536).
int header_page_bytes(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  unsigned char bytes[18] = {};
  file.read(reinterpret_cast<char*>(bytes), sizeof bytes);
  const int size = bytes[16] << 8 | bytes[17];
  return size == 1 ? 65536 : size;
}

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

class SqliteHandleTest : public ::testing::Test {
 protected:
  test_support::ScratchDir dir_{"subscriberd-sqlite-handle"};
  std::string path_ = dir_.file("subscribers.db");
};

TEST_F(SqliteHandleTest, ANewFileHasSqlitesDefaultPageSize) {
  {
    Connection db = open_connection(path_, false);
    apply_schema(db.get());
    EXPECT_EQ(page_bytes(db.get()), 4096);
  }
  EXPECT_EQ(header_page_bytes(path_), 4096);
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
  EXPECT_EQ(page_bytes(db.get()), 1024);
  EXPECT_EQ(insert(db.get(), 2, "new@example.test"), SQLITE_DONE);
  EXPECT_EQ(count_rows(db.get(), "old@example.test"), 1);
  EXPECT_EQ(count_rows(db.get(), "new@example.test"), 1);
  EXPECT_EQ(header_page_bytes(path_), 1024);
}

}  // namespace
}  // namespace subscriberd::store::sqlite
